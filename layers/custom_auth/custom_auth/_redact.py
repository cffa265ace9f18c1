"""``repr`` for dataclasses that hold secrets."""

import dataclasses
from typing import Any

REDACTED = "<redacted>"


def sensitive(**metadata: Any) -> dict[str, Any]:
    """Field metadata that marks a dataclass field as sensitive (never shown by ``repr``)."""
    return {**metadata, "sensitive": True}


def is_sensitive(field: dataclasses.Field[Any]) -> bool:
    """Whether ``field`` was declared with :func:`sensitive` metadata."""
    return bool(field.metadata.get("sensitive", False))


class RedactedRepr:
    """Mixin for dataclasses: ``repr`` shows every field, but only whether a sensitive one is set.

    Use with ``@dataclass(repr=False)``. ``str()`` falls back to this ``repr``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        parts = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            if not field.repr:
                continue
            value = getattr(self, field.name)
            shown = REDACTED if is_sensitive(field) and value is not None else repr(value)
            parts.append(f"{field.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"
