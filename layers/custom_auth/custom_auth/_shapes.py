"""Check wire values against the botocore shapes copied into ``_service_model``.

The rules are the model's: types, string length bounds, integer bounds, the (unanchored)
``pattern`` trait, required members, and no member the model does not know. Enums are open,
as botocore treats them: a challenge name the model lacks is kept, not rejected.
"""

import re
from collections.abc import Mapping
from functools import cache

from custom_auth._service_model import SHAPES, Shape
from custom_auth.errors import InvalidResponseError


def validate(value: object, shape_name: str, path: str) -> None:
    """Raise :class:`InvalidResponseError` naming ``path`` unless ``value`` fits the shape."""
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if kind == "structure":
        _structure(value, shape_name, shape, path)
    elif kind == "string":
        _string(value, shape_name, shape, path)
    elif kind == "integer":
        _integer(value, shape_name, shape, path)
    elif kind == "map":
        _map(value, shape_name, shape, path)
    elif kind == "list":
        _list(value, shape_name, shape, path)
    else:  # pragma: no cover - the generator refuses other shape types
        raise AssertionError(f"{shape_name}: unsupported shape type {kind}")


def _fail(path: str, rule: str) -> InvalidResponseError:
    return InvalidResponseError(f"{path}: {rule}")


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _structure(value: object, shape_name: str, shape: Shape, path: str) -> None:
    if not isinstance(value, Mapping):
        raise _fail(path, f"must be a map ({shape_name}), got {type(value).__name__}")
    members = shape["members"]
    for key in value:
        if key not in members:
            known = ", ".join(members)
            raise _fail(_join(path, str(key)), f"is not a member of {shape_name} ({known})")
    for required in shape.get("required", []):
        if required not in value:
            raise _fail(_join(path, required), f"is required by {shape_name}")
    # An absent member is left out, never sent as null: None fails its shape's type check.
    for key, member_value in value.items():
        validate(member_value, members[key], _join(path, key))


def _string(value: object, shape_name: str, shape: Shape, path: str) -> None:
    if not isinstance(value, str):
        raise _fail(path, f"must be a string ({shape_name}), got {type(value).__name__}")
    _bounds(len(value), shape_name, shape, path, "characters")
    if "pattern" in shape and not _pattern(shape["pattern"]).search(value):
        raise _fail(path, f"must match the {shape_name} pattern {shape['pattern']!r}")


def _integer(value: object, shape_name: str, shape: Shape, path: str) -> None:
    # bool is an int subclass in Python but a different type on the wire.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"must be an integer ({shape_name}), got {type(value).__name__}")
    _bounds(value, shape_name, shape, path, "")


def _map(value: object, shape_name: str, shape: Shape, path: str) -> None:
    if not isinstance(value, Mapping):
        raise _fail(path, f"must be a map ({shape_name}), got {type(value).__name__}")
    for key, item in value.items():
        validate(key, shape["key"], f"{path} key")
        validate(item, shape["value"], _join(path, key))


def _list(value: object, shape_name: str, shape: Shape, path: str) -> None:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
        raise _fail(path, f"must be a list ({shape_name}), got {type(value).__name__}")
    for index, item in enumerate(value):
        validate(item, shape["member"], f"{path}[{index}]")


def _bounds(measure: int, shape_name: str, shape: Shape, path: str, unit: str) -> None:
    suffix = f" {unit}" if unit else ""
    if "min" in shape and measure < shape["min"]:
        raise _fail(path, f"must be at least {shape['min']}{suffix} ({shape_name} min)")
    if "max" in shape and measure > shape["max"]:
        raise _fail(path, f"must be at most {shape['max']}{suffix} ({shape_name} max)")


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    # The model's patterns are ECMAScript regexes: ASCII classes, not implicitly anchored.
    return re.compile(pattern, re.ASCII)
