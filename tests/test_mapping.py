"""custom_auth._mapping: the immutable string map under challenge and event parameters."""

import pytest

from custom_auth._mapping import FrozenStrMap
from custom_auth.errors import InvalidEventError


def test_checked_refuses_non_string_keys_naming_the_field() -> None:
    with pytest.raises(
        InvalidEventError, match=r"request\.clientMetadata: keys must be strings, got int"
    ):
        FrozenStrMap.checked({1: "x"}, "request.clientMetadata", InvalidEventError)


def test_equality_with_other_mappings_and_not_with_other_things() -> None:
    frozen = FrozenStrMap({"a": "1"})
    assert frozen == {"a": "1"}
    assert frozen != {"a": "2"}
    assert frozen != [("a", "1")]
    assert frozen != "a"


def test_it_cannot_change_and_its_copies_are_its_own() -> None:
    source = {"a": "1"}
    frozen = FrozenStrMap(source)
    source["a"] = "2"
    exported = frozen.to_dict()
    exported["a"] = "3"
    assert frozen["a"] == "1"
    with pytest.raises(TypeError):
        frozen["a"] = "4"  # type: ignore[index]
    assert hash(frozen) == hash(FrozenStrMap({"a": "1"}))
