"""An immutable, hashable string-to-string mapping."""

from collections.abc import Iterator, Mapping
from typing import Self


class FrozenStrMap(Mapping[str, str]):
    """A read-only copy of a ``str`` to ``str`` mapping.

    It compares equal to any mapping with the same items, can be hashed (so the frozen
    dataclasses that hold one can be too), and never changes after it is made.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data: dict[str, str] = dict(data) if data is not None else {}
        self._hash: int | None = None

    @classmethod
    def checked(cls, data: object, field: str, error: type[ValueError]) -> Self:
        """Copy ``data`` after checking that it is a mapping of strings to strings.

        Raises ``error`` naming ``field`` (and the offending key, never a value) otherwise.
        """
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise error(f"{field}: must be a map of strings to strings, got {type(data).__name__}")
        for key, value in data.items():
            if not isinstance(key, str):
                raise error(f"{field}: keys must be strings, got {type(key).__name__}")
            if not isinstance(value, str):
                raise error(f"{field}.{key}: must be a string, got {type(value).__name__}")
        return cls(data)

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def to_dict(self) -> dict[str, str]:
        """A plain, mutable ``dict`` copy."""
        return dict(self._data)
