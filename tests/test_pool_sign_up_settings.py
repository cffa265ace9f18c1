"""Sign-up's settings through the local user pool, each test with a pool of its own (a module
may hold one local pool at a time: see test_pool_sign_up.py for the rest)."""

import pytest

from tests.test_pool import answer, initiate
from tests.test_pool_sign_up import (
    accounts_with,
    emails_to,
    make_stack,
    new_address,
    shown,
    sign_up,
)


def test_sign_up_off_is_an_unknown_users_sign_in_as_before(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for off in make_stack(tmp_path_factory, PasswordlessSignUp="false"):
        address = new_address()
        waiting = initiate(off, address)  # one method, no choice round
        assert shown(waiting)[1]["SIGN_IN_METHOD"] == "EMAIL_OTP"
        metadata = {"signInMethod": "EMAIL_OTP", "signUpAddress": address}
        again = answer(off, waiting, "123456", ClientMetadata=metadata)
        assert again.authentication_result is None and again.challenge_name is not None
        assert emails_to(off, address) == [] and accounts_with(off, address) == 0


def test_the_pools_hourly_cap_on_new_accounts(tmp_path_factory: pytest.TempPathFactory) -> None:
    for capped in make_stack(tmp_path_factory, SignUpMaxPerHour="1"):
        first, second = new_address(), new_address()
        _, done = sign_up(capped, first)
        assert shown(done)[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}
        _, refused = sign_up(capped, second)
        assert shown(refused)[1]["SIGN_IN_METHOD"] == "EMAIL_OTP"  # another try, no account
        assert accounts_with(capped, second) == 0
