"""Sign-up's settings through the local user pool, each test with a pool of its own (a module
may hold one local pool at a time: see test_pool_sign_up.py for the rest)."""

import pytest

from tests.test_pool import answer, initiate
from tests.test_pool_sign_up import (
    accounts_with,
    chosen,
    emails_to,
    make_stack,
    new_address,
    shown,
    sign_up,
)


def test_sign_up_off_is_an_unknown_users_sign_in_as_before(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for off in make_stack(tmp_path_factory, {"PasswordlessSignUp": "false"}):
        address = new_address()
        waiting = initiate(off, address)  # one method, no choice round
        assert shown(waiting)[1]["SIGN_IN_METHOD"] == "EMAIL_OTP"
        metadata = {"signInMethod": "EMAIL_OTP", "signUpAddress": address}
        again = answer(off, waiting, "123456", ClientMetadata=metadata)
        assert again.authentication_result is None and again.challenge_name is not None
        assert emails_to(off, address) == [] and accounts_with(off, address) == 0


def test_the_pools_hourly_cap_on_new_accounts(tmp_path_factory: pytest.TempPathFactory) -> None:
    for capped in make_stack(tmp_path_factory, {"SignUpMaxPerHour": "1"}):
        first, second = new_address(), new_address()
        _, done = sign_up(capped, first)
        assert shown(done)[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}
        _, refused = sign_up(capped, second)
        assert shown(refused)[1]["SIGN_IN_METHOD"] == "EMAIL_OTP"  # another try, no account
        assert accounts_with(capped, second) == 0


def test_a_magic_link_sign_up_sends_the_code_alone_and_it_makes_the_account(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_auth.link_key import LinkKey
    from tests.test_pool_sign_up import code_in

    macs: list[str] = []
    real_sign = LinkKey.sign

    def counted(self: LinkKey, key_id: str, message: bytes) -> bytes:
        macs.append(key_id)
        return real_sign(self, key_id, message)

    monkeypatch.setattr(LinkKey, "sign", counted)

    links = {
        "SignInMethods": "MAGIC_LINK",
        "MagicLinkRedirectUris": "http://localhost:4566/signin/",
    }
    for pool in make_stack(tmp_path_factory, links):
        address = new_address()
        waiting = chosen(pool, address, method="MAGIC_LINK")
        # A known address's email is MAC'd by KMS; a sign-up's is too, the MAC thrown away, so
        # the send takes as long.
        assert len(macs) == 1
        chosen(pool, "alice@example.com", method="MAGIC_LINK")
        assert len(macs) == 2
        [body] = emails_to(pool, address)
        assert "#magic-link=" not in body  # no account yet, so no link can name one
        code = code_in(body)
        done = answer(pool, waiting, code)
        assert shown(done)[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}
        again = chosen(pool, address, method="MAGIC_LINK")
        assert answer(pool, again, code).authentication_result is not None
        assert len(emails_to(pool, address)) == 1
        # An address with an account gets its link as ever, with the address sent too.
        [body] = emails_to(pool, "alice@example.com")
        assert "#magic-link=" in body


def test_a_phone_number_signs_up_by_text_message_in_a_phone_first_pool(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from tests.test_pool_sign_up import code_in

    sms = {"SignInMethods": "SMS_OTP", "SmsAllowedCountryCodes": "1"}
    for pool in make_stack(tmp_path_factory, sms, users=False):
        number = "+12065550177"
        waiting = chosen(pool, number, method="SMS_OTP")
        [body] = emails_to(pool, number)  # the outbox holds texts too, by number
        code = code_in(body)
        assert shown(answer(pool, waiting, code))[1] == {"SIGN_IN_METHOD": "SIGNED_UP"}
        assert answer(pool, chosen(pool, number, method="SMS_OTP"), code).authentication_result
        made = pool.cognito().admin_get_user(UserPoolId=pool.user_pool_id, Username=number)
        found = {a["Name"]: a["Value"] for a in made["UserAttributes"]}
        assert (found["phone_number"], found["phone_number_verified"]) == (number, "true")
        # A number in a country SmsAllowedCountryCodes leaves out gets nothing, like any.
        abroad = "+447700900123"
        assert shown(chosen(pool, abroad, method="SMS_OTP")) == shown(
            chosen(pool, "+12065550188", method="SMS_OTP")
        )
        assert emails_to(pool, abroad) == []


def test_sign_ups_cannot_use_up_the_messages_of_the_people_with_accounts(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    caps = {"SignUpMaxSendsPerHour": "2", "PoolMaxSendsPerHour": "4"}
    for pool in make_stack(tmp_path_factory, caps):
        newcomers = [new_address() for _ in range(4)]
        waiting = [chosen(pool, address) for address in newcomers]
        sent = [len(emails_to(pool, address)) for address in newcomers]
        assert sent == [1, 1, 0, 0]  # sign-up's own cap; the others look the same
        assert len({str(shown(w)) for w in waiting}) == 1
        chosen(pool, "alice@example.com")
        assert len(emails_to(pool, "alice@example.com")) == 1  # the pool's cap is not reached


def test_a_phone_number_cannot_sign_up_in_a_pool_whose_usernames_are_email_addresses(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    both = {"SignInMethods": "EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes": "1"}
    for pool in make_stack(tmp_path_factory, both):
        number, other = "+12065550199", "+12065550198"
        assert shown(chosen(pool, number, method="SMS_OTP")) == shown(
            chosen(pool, other, method="SMS_OTP")
        )
        assert emails_to(pool, number) == []  # no text that could never make an account
        assert (
            shown(chosen(pool, new_address(), method="SMS_OTP"))[1]["SIGN_IN_METHOD"] == "SMS_OTP"
        )
