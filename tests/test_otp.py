"""custom_auth.otp: code generation, the code record, and judging answers."""

import os
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_auth.otp import (
    CROCKFORD,
    CodeRecord,
    CodeSpec,
    InvalidCodeRecordError,
    PrivateRecord,
    check_answer,
    display_code,
    generate_code,
    hash_code,
    normalize_answer,
    read_private_parameters,
)
from custom_auth.settings import Channel, CodeFormat
from custom_auth.verdict import Verdict

KEY = b"k" * 32
# The chi-squared value with 9 degrees of freedom that a fair generator exceeds with
# probability 1e-6 (computed from the regularized gamma function; tables agree at 1e-3: 27.877).
CHI_SQUARED_9_AT_1E6 = 44.81
# At 100,000 codes the biased generator below got past the test about one run in five (the
# statistic's mean is about 64, its spread wide); at 400,000 its mean is about 230, six
# standard deviations above the limit.
SAMPLES = 400_000


def chi_squared_by_position(draw: Callable[[], str], length: int) -> list[float]:
    counts = [[0] * 10 for _ in range(length)]
    for _ in range(SAMPLES):
        for position, digit in enumerate(draw()):
            counts[position][int(digit)] += 1
    expected = SAMPLES / 10
    return [sum((c - expected) ** 2 / expected for c in row) for row in counts]


def test_codes_use_every_digit_in_every_position_without_bias() -> None:
    statistics = chi_squared_by_position(lambda: generate_code(CodeSpec()), 6)
    assert all(value < CHI_SQUARED_9_AT_1E6 for value in statistics), statistics


def test_the_bias_test_catches_a_biased_generator() -> None:
    # The classic mistake: 24 random bits modulo 10**6 favours low codes by about 6%.
    def biased() -> str:
        return f"{int.from_bytes(os.urandom(3), 'big') % 10**6:06d}"

    statistics = chi_squared_by_position(biased, 6)
    assert statistics[0] > CHI_SQUARED_9_AT_1E6


@pytest.mark.parametrize("length", range(6, 21))
def test_codes_have_exactly_the_configured_digits(length: int) -> None:
    codes = {generate_code(CodeSpec(CodeFormat.DIGITS, length)) for _ in range(2000)}
    assert all(len(code) == length and code.isdigit() and code.isascii() for code in codes)
    assert any(code.startswith("0") for code in codes)  # leading zeros are kept, not dropped
    assert len(codes) > 1990  # not a handful of values


ALPHANUMERIC_12 = CodeSpec(CodeFormat.ALPHANUMERIC, 12)


def test_alphanumeric_codes_use_every_crockford_character_in_every_position() -> None:
    codes = [generate_code(ALPHANUMERIC_12) for _ in range(20_000)]
    assert all(len(code) == 12 and set(code) <= set(CROCKFORD) for code in codes)
    for position in range(12):
        counts = [0] * 32
        for code in codes:
            counts[CROCKFORD.index(code[position])] += 1
        expected = len(codes) / 32
        # chi-squared, 31 degrees of freedom, exceeded by a fair generator with p = 1e-6: 82.0
        assert sum((c - expected) ** 2 / expected for c in counts) < 82.0


@pytest.mark.parametrize(
    ("spec", "bits", "lockout"),
    [
        (CodeSpec(), 19.9, ALPHANUMERIC_12),
        (CodeSpec(CodeFormat.DIGITS, 10), 33.2, ALPHANUMERIC_12),
        (CodeSpec(CodeFormat.DIGITS, 19), 63.1, CodeSpec(CodeFormat.DIGITS, 19)),
        (CodeSpec(CodeFormat.ALPHANUMERIC, 8), 40.0, ALPHANUMERIC_12),
        (CodeSpec(CodeFormat.ALPHANUMERIC, 13), 65.0, CodeSpec(CodeFormat.ALPHANUMERIC, 13)),
    ],
)
def test_a_lockout_code_has_at_least_60_bits(
    spec: CodeSpec, bits: float, lockout: CodeSpec
) -> None:
    assert round(spec.bits, 1) == bits
    assert spec.lockout() == lockout
    assert spec.lockout().bits >= 60


def test_an_alphanumeric_code_reads_the_way_a_person_types_it() -> None:
    code = "7KQM2PD9HRT0"
    assert display_code(code, ALPHANUMERIC_12) == "7KQM-2PD9-HRT0"
    for typed in ["7KQM-2PD9-HRT0", "7kqm 2pd9 hrto", " 7KQM2PD9HRTO\n", "7kqm-2pd9-hrt0"]:
        assert normalize_answer(typed, ALPHANUMERIC_12) == code
    assert normalize_answer("7KQM-2PD9-HRTU", ALPHANUMERIC_12) is None  # U is not Crockford
    assert normalize_answer("7KQM-2PD9-HRT", ALPHANUMERIC_12) is None
    assert normalize_answer("7KQM-2PD9-HRT\u0660", ALPHANUMERIC_12) is None
    assert normalize_answer("042042", CodeSpec()) == "042042"
    assert normalize_answer("042-042", CodeSpec()) is None  # digits stay exactly as they were


@pytest.mark.parametrize(
    "text",
    [
        "digits",
        "digits-5",
        "digits-21",
        "hex-8",
        "digits-x",
        "",
        "digits-1_0",  # int() would read these three as 10, 13 and 10
        "alphanumeric- 13",
        "digits-\u0661\u0660",
    ],
)
def test_a_spec_that_is_not_ours_is_refused(text: str) -> None:
    with pytest.raises(InvalidCodeRecordError, match="code spec"):
        CodeSpec.parse(text)


def test_the_hash_is_bound_to_key_pool_user_and_time() -> None:
    def hashed(
        key: bytes = KEY,
        code: str = "123456",
        pool: str = "pool",
        user: str = "alice",
        at: int = 100,
    ) -> str:
        return hash_code(key, code, user_pool_id=pool, user_name=user, issued_at=at)

    reference = hashed()
    assert "123456" not in reference
    assert hashed() == reference
    variants = [
        hashed(key=b"j" * 32),
        hashed(code="123457"),
        hashed(pool="other"),
        hashed(user="bob"),
        hashed(at=101),
    ]
    assert reference not in variants
    assert len(set(variants)) == len(variants)


# --- the record ------------------------------------------------------------------------------

RECORD = CodeRecord(
    code_hash="HASH-MARKER", issued_at=1_000, channel=Channel.SMS, destination="+*0100"
)


def test_the_record_round_trips_through_metadata() -> None:
    assert CodeRecord.from_metadata(RECORD.to_metadata()) == RECORD
    # The caller sees the channel's fixed hint, never the masked destination.
    assert RECORD.public_parameters() == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+***",
    }
    assert read_private_parameters(RECORD.private_parameters()) == PrivateRecord(
        "HASH-MARKER", 1_000, CodeSpec(), None
    )
    assert "HASH-MARKER" not in repr(RECORD)


def test_a_record_names_its_spec_and_key_version() -> None:
    record = CodeRecord("H", 5, Channel.EMAIL, "a***@e***.com", ALPHANUMERIC_12, "v-2")
    assert CodeRecord.from_metadata(record.to_metadata()) == record
    assert read_private_parameters(record.private_parameters()) == PrivateRecord(
        "H", 5, ALPHANUMERIC_12, "v-2"
    )


def test_the_private_record_shows_no_hash() -> None:
    private = read_private_parameters({"codeHash": "SECRET-HASH", "issuedAt": "1"})
    assert "SECRET-HASH" not in repr(private) and "issued_at=1" in repr(private)


def test_a_record_from_before_specs_reads_as_six_digits_and_the_current_key() -> None:
    old = CodeRecord.from_metadata('otp1:{"h":"x","t":1,"c":"sms","d":"d"}')
    assert (old.spec, old.key_version) == (CodeSpec(), None)
    assert read_private_parameters({"codeHash": "x", "issuedAt": "1"}).spec is None


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        "",
        "CODE-ROUND-1",
        "otp1:",
        "otp1:[]",
        "otp1:{}",
        'otp1:{"h":"x","t":"1","c":"sms","d":"d"}',
        'otp1:{"h":"x","t":true,"c":"sms","d":"d"}',
        'otp1:{"h":"x","t":-1,"c":"sms","d":"d"}',
        'otp1:{"h":"","t":1,"c":"sms","d":"d"}',
        'otp1:{"h":"x","t":1,"c":"pigeon","d":"d"}',
        'otp1:{"h":"x","t":1,"c":"sms","d":7}',
        'otp1:{"h":"x","t":1,"c":"sms","d":"d","s":"digits-4"}',
        'otp1:{"h":"x","t":1,"c":"sms","d":"d","s":7}',
        'otp1:{"h":"x","t":1,"c":"sms","d":"d","k":7}',
    ],
)
def test_metadata_that_is_not_our_record_is_refused(metadata: str | None) -> None:
    with pytest.raises(InvalidCodeRecordError, match="challengeMetadata"):
        CodeRecord.from_metadata(metadata)


@pytest.mark.parametrize(
    "private",
    [
        {},
        {"codeHash": "x"},
        {"issuedAt": "1"},
        {"codeHash": "x", "issuedAt": "-1"},
        {"codeHash": "x", "issuedAt": "1e3"},
        {"codeHash": "x", "issuedAt": "\u0661"},  # ARABIC-INDIC DIGIT ONE
        {"codeHash": "x\ud800", "issuedAt": "1"},  # a lone surrogate
        {"codeHash": "x", "issuedAt": "1", "keyVersion": ""},
    ],
)
def test_private_parameters_that_are_not_our_record_are_refused(private: dict[str, str]) -> None:
    with pytest.raises(InvalidCodeRecordError, match="privateChallengeParameters"):
        read_private_parameters(private)


# --- judging answers ---------------------------------------------------------------------------

POOL, USER, ISSUED, TTL = "us-east-1_EXAMPLE", "alice", 10_000, 300
CODE = "042042"
HASH = hash_code(KEY, CODE, user_pool_id=POOL, user_name=USER, issued_at=ISSUED)


def judge(
    answer: str,
    *,
    now: int = ISSUED + 1,
    spec: CodeSpec = CodeSpec(),  # noqa: B008 - a NamedTuple, immutable
    user: str = USER,
    key: bytes | None = KEY,
) -> Verdict:
    return check_answer(
        answer,
        code_hash=HASH,
        issued_at=ISSUED,
        key=key,
        spec=spec,
        ttl_seconds=TTL,
        now=now,
        user_pool_id=POOL,
        user_name=user,
    )


def test_the_right_code_is_right_even_with_whitespace_around_it() -> None:
    assert judge(CODE) is Verdict.RIGHT
    assert judge(f" \t{CODE}\n") is Verdict.RIGHT


def test_another_code_is_wrong() -> None:
    assert judge("042043") is Verdict.WRONG


def test_the_right_code_for_another_user_is_wrong() -> None:
    assert judge(CODE, user="bob") is Verdict.WRONG


ARABIC_INDIC_042042 = "\u0660\u0664\u0662\u0660\u0664\u0662"


@pytest.mark.parametrize(
    "answer", ["", "42042", "0420420", "04204a", "042 042", ARABIC_INDIC_042042, "+42042"]
)
def test_malformed_answers_are_not_compared(answer: str) -> None:
    assert judge(answer) is Verdict.MALFORMED


def test_the_code_expires_after_its_lifetime() -> None:
    assert judge(CODE, now=ISSUED + TTL) is Verdict.RIGHT
    assert judge(CODE, now=ISSUED + TTL + 1) is Verdict.EXPIRED
    assert judge("000000", now=ISSUED + TTL + 1) is Verdict.EXPIRED


def test_a_code_whose_key_is_retired_is_expired() -> None:
    assert judge(CODE, key=None) is Verdict.EXPIRED


def test_a_code_from_the_future_is_not_believed() -> None:
    assert judge(CODE, now=ISSUED - 30) is Verdict.RIGHT  # within clock skew
    assert judge(CODE, now=ISSUED - 31) is Verdict.EXPIRED


@given(st.text(max_size=20))
def test_no_answer_but_the_code_is_ever_right(answer: str) -> None:
    verdict = judge(answer)
    assert (verdict is Verdict.RIGHT) == (answer.strip() == CODE)
