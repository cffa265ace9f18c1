"""Hypothesis strategies: valid wire responses of the challenge model, and JSON-like junk."""

import string
from typing import Any

from hypothesis import strategies as st

from custom_auth._service_model import SHAPES
from custom_auth.model import ChallengeName

SESSION = SHAPES["SessionType"]
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_=."

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

challenge_names = st.sampled_from([name.value for name in ChallengeName]) | st.text(
    alphabet=string.ascii_uppercase + "_", min_size=1, max_size=30
)
sessions = st.text(min_size=SESSION["min"], max_size=120) | st.text(
    min_size=SESSION["max"] - 2, max_size=SESSION["max"]
)
tokens = st.text(alphabet=TOKEN_ALPHABET, min_size=1, max_size=80)
device_keys = st.builds(
    lambda region, tail: f"{region}_{tail}"[:55],
    st.from_regex(r"[a-z]{2}-[a-z]{4,9}-[1-9]", fullmatch=True),
    st.text(alphabet="0123456789abcdef-", min_size=1, max_size=36),
)


@st.composite
def authentication_results(draw: st.DrawFn) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for member in ("AccessToken", "IdToken", "RefreshToken"):
        if draw(st.booleans()):
            result[member] = draw(tokens)
    if draw(st.booleans()):
        result["ExpiresIn"] = draw(st.integers(min_value=-(2**31), max_value=2**31 - 1))
    if draw(st.booleans()):
        result["TokenType"] = draw(st.sampled_from(["Bearer", ""]))
    if draw(st.booleans()):
        device: dict[str, Any] = {}
        if draw(st.booleans()):
            device["DeviceKey"] = draw(device_keys)
        if draw(st.booleans()):
            device["DeviceGroupKey"] = draw(st.text(max_size=40))
        result["NewDeviceMetadata"] = device
    return result


@st.composite
def responses(draw: st.DrawFn) -> dict[str, Any]:
    """A valid response as boto3 returns it (ResponseMetadata not included)."""
    response: dict[str, Any] = {}
    if draw(st.booleans()):
        response["AuthenticationResult"] = draw(authentication_results())
    else:
        response["ChallengeName"] = draw(challenge_names)
        response["Session"] = draw(sessions)
        if draw(st.booleans()):
            response["AvailableChallenges"] = draw(st.lists(challenge_names, max_size=5))
    if draw(st.booleans()):
        response["ChallengeParameters"] = draw(
            st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=6)
        )
    return response
