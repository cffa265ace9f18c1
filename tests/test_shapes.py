"""custom_auth._shapes: the model-driven validator, on shapes the current model lacks."""

import pytest

from custom_auth import _shapes
from custom_auth._service_model import Shape
from custom_auth.errors import InvalidResponseError


def test_required_members_are_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    # No response shape has required members today; a botocore update could add some.
    shapes: dict[str, Shape] = {
        "Thing": {"type": "structure", "members": {"Name": "Text"}, "required": ["Name"]},
        "Text": {"type": "string"},
    }
    monkeypatch.setattr(_shapes, "SHAPES", shapes)
    _shapes.validate({"Name": "x"}, "Thing", "Thing")
    with pytest.raises(InvalidResponseError, match=r"Thing\.Name: is required by Thing"):
        _shapes.validate({}, "Thing", "Thing")


def test_integer_bounds_are_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    shapes: dict[str, Shape] = {"Small": {"type": "integer", "min": 1, "max": 3}}
    monkeypatch.setattr(_shapes, "SHAPES", shapes)
    _shapes.validate(3, "Small", "N")
    with pytest.raises(InvalidResponseError, match=r"N: must be at most 3 \(Small max\)"):
        _shapes.validate(4, "Small", "N")
    with pytest.raises(InvalidResponseError, match=r"N: must be at least 1 \(Small min\)"):
        _shapes.validate(0, "Small", "N")
