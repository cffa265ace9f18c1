"""Issue #12's attacks, measured again against the hardened triggers.

Each test re-runs one attack of the issue through the Create and Verify trigger functions
(in-memory state, an injected clock, no pacing) and asserts the fix; each would fail against
the code before the change (the comments say what the old rule gave). ``pytest -s`` prints the
figures. Where the fix is not complete, a strict ``xfail`` test measures what is left, with
the figure in its reason: it fails (XPASS) once the gap is closed, so that the marker goes.

1. Enumeration: what the caller sees of a known and an unknown user, per channel and per
   username form, compared as distributions.
2. Lockout: an attacker who keeps a user locked out for a week, a victim who signs in hourly.
3. Pumping: a pool's messages in a day, the SMS country allow list, unverified destinations.
4. Binding: a code sent for one sign-in, used in another started inside the cooldown.
"""

import hashlib
import heapq
import hmac
import random
import string
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import pytest

from custom_auth._mapping import FrozenStrMap
from custom_auth.delivery import Delivery, EmailDelivery, SmsDelivery
from custom_auth.events import (
    ChallengeResult,
    CreateAuthChallengeEvent,
    VerifyAuthChallengeResponseEvent,
)
from custom_auth.flow import Outcome, decide
from custom_auth.limits import HOUR, UserState
from custom_auth.masking import mask_email, mask_phone
from custom_auth.otp import LOCKOUT_CODE_BITS, CodeSpec, hash_code
from custom_auth.pacing import no_pacing
from custom_auth.settings import (
    Channel,
    CodeFormat,
    CodeSettings,
    DeliverySettings,
    FlowSettings,
    LimitSettings,
)
from custom_auth.state_store import InMemoryStateStore, state_key
from custom_auth.triggers import Limits, create_auth_challenge, verify_auth_challenge_response
from tests.triggers import (
    CODE_KEY,
    SENDER,
    FixedKey,
    RecordingDelivery,
    code_methods,
    coverage_paused,
    create_event,
    custom,
    memory_limits,
    verify_event,
)

KEY = CODE_KEY.encode()
CODES = CodeSettings("fixed", 6, 300)  # six digits, five minutes
FLOW = FlowSettings()  # three answers per sign-in
DEFAULTS = LimitSettings("custom-auth-test-state")  # 10, 900 s doubling to a day, 60 s, 5/h
T0 = 1_800_000_000  # a whole hour: the pool's clock hours start at T0 + n * 3600
DAY = 86_400
WEEK = 7 * DAY
ORDINARY = str(CodeSpec(CodeFormat.DIGITS, 6))
LOCKOUT = str(CodeSpec().lockout())  # 12 Crockford characters, 60 bits
HINTS = {Channel.EMAIL: "***@***", Channel.SMS: "+***"}


def public_of(created: CreateAuthChallengeEvent) -> tuple[tuple[str, str], ...]:
    """What the caller sees of a Create: its public challenge parameters."""
    assert created.response is not None
    return tuple(sorted(created.response.public_challenge_parameters.items()))


def private_of(created: CreateAuthChallengeEvent) -> dict[str, str]:
    assert created.response is not None
    return dict(created.response.private_challenge_parameters)


# --- fake SES and SNS clients -------------------------------------------------------------------


@dataclass
class FakeClient:
    """An AWS client that records each call of its one send operation (and when, by the
    test's clock), and answers with a message id."""

    clock: Callable[[], float] = lambda: T0
    calls: list[dict[str, Any]] = field(default_factory=list)
    at: list[int] = field(default_factory=list)

    def _sent(self, kind: str, call: dict[str, Any]) -> dict[str, str]:
        self.calls.append(call)
        self.at.append(int(self.clock()))
        return {"MessageId": f"{kind}-{len(self.calls)}"}


class FakeSes(FakeClient):
    """SES v2: SendEmail."""

    def send_email(self, **call: Any) -> dict[str, str]:
        return self._sent("email", call)

    def destinations(self) -> list[str]:
        return [address for call in self.calls for address in call["Destination"]["ToAddresses"]]


class FakeSns(FakeClient):
    """SNS: Publish."""

    def publish(self, **call: Any) -> dict[str, str]:
        return self._sent("sms", call)

    def destinations(self) -> list[str]:
        return [call["PhoneNumber"] for call in self.calls]


# --- 1. enumeration -----------------------------------------------------------------------------

FIRST_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "kevin",
    "laura", "mallory", "niaj", "olivia", "peggy", "quentin", "rupert", "sybil", "trent",
    "ursula", "victor", "wendy", "xavier", "yvonne", "zoe",
)  # fmt: skip
LAST_NAMES = ("smith", "jones", "murphy", "kelly", "schmidt", "muller", "brown", "garcia")
DOMAINS = ("example", "mailbox", "acme", "post", "inbox", "corp", "webmail", "fastmail")
TLDS = ("com", "org", "net", "io", "de", "co.uk", "ie", "fr")
#: Country, then how to make a national number: E.164 digits of 11 (+1), 12 (+44, +353) and
#: 13 (+49) in all.
COUNTRIES: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("1", lambda r: f"{r.randint(2, 9)}{r.randint(0, 99):02d}{r.randint(2, 9)}{_digits(r, 6)}"),
    ("44", lambda r: f"7{_digits(r, 9)}"),
    ("353", lambda r: f"8{r.choice('35679')}{_digits(r, 7)}"),
    ("49", lambda r: f"15{_digits(r, 9)}"),
)
ALLOWED = tuple(code for code, _ in COUNTRIES)
FORMS = ("email", "phone_number", "preferred_username", "uuid")
USERS = 200


def seeded(name: str) -> random.Random:
    return random.Random(name)  # noqa: S311 - made-up users, seeded to be repeatable


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class Person:
    """A known user: what the pool holds, and what a caller may type to name them."""

    user_name: str  # as Cognito gives it to the triggers: the sub (username attributes)
    attributes: Mapping[str, str]

    def typed(self, form: str) -> str:
        return self.user_name if form == "uuid" else self.attributes[form]


def people(rng: random.Random, count: int) -> list[Person]:
    """``count`` known users with varied, verified addresses and numbers."""
    made = []
    for index in range(count):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = rng.choice(LAST_NAMES)
        email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}.{rng.choice(TLDS)}"
        country, national = COUNTRIES[index % len(COUNTRIES)]
        sub = _uuid(rng)
        attributes = {
            "sub": sub,
            "cognito:user_status": "CONFIRMED",
            "email": email,
            "email_verified": "true",
            "phone_number": f"+{country}{national(rng)}",
            "phone_number_verified": "true",
            "preferred_username": f"{first}{last[0]}{rng.randint(1, 9999)}",
        }
        made.append(Person(sub, attributes))
    return made


def create_for(user_name: str, attributes: Mapping[str, str], *, found: bool) -> dict[str, Any]:
    """A first-round Create event; the local pool gives an unknown user no attributes."""
    event = create_event([], userAttributes=dict(attributes) if found else {})
    event["request"]["userNotFound"] = not found
    event["userName"] = user_name
    return event


def sms_settings(**overrides: Any) -> DeliverySettings:
    chosen: dict[str, Any] = {"sms_allowed_country_codes": ALLOWED, **overrides}
    return DeliverySettings(Channel.SMS, None, "Acme", **chosen)


def deliveries() -> dict[Channel, tuple[Delivery, FakeSes | FakeSns]]:
    ses, sns = FakeSes(), FakeSns()
    return {
        Channel.EMAIL: (EmailDelivery(DeliverySettings(Channel.EMAIL, SENDER), client=ses), ses),
        Channel.SMS: (SmsDelivery(sms_settings(), client=sns), sns),
    }


def old_destination(channel: Channel, person: Person | None, user_name: str) -> str:
    """``CODE_DELIVERY_DESTINATION`` by the rule before the change (masking.plausible_*): the
    typed destination masked for a known user, a keyed-hash stand-in for an unknown one."""
    if person is not None:
        if channel is Channel.EMAIL:
            return mask_email(person.attributes["email"])
        return mask_phone(person.attributes["phone_number"])
    digest = hmac.new(KEY, b"plausible-destination\0" + user_name.encode(), hashlib.sha256).digest()
    if channel is Channel.SMS:
        return f"+*******{int.from_bytes(digest[:4], 'big') % 10_000:04d}"
    if "@" in user_name:
        return mask_email(user_name)
    letters = string.ascii_lowercase
    tld = ("com", "net", "org")[digest[2] % 3]
    return f"{letters[digest[0] % 26]}***@{letters[digest[1] % 26]}***.{tld}"


def tells(channel: Channel, shown: str, typed_destination: str) -> bool:
    """Whether ``shown`` gives away a character of ``typed_destination``: the last four digits
    of a number, the first letter of an address's local part."""
    if channel is Channel.SMS:
        return shown.endswith(typed_destination[-4:])
    return shown[:1] == typed_destination[:1]


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
def test_a_known_and_an_unknown_user_look_the_same_for_every_username_form(
    channel: Channel, quiet: None
) -> None:
    # Old (measured in the issue, recomputed below by the old rule): for a known user the SMS
    # mask ended in the last four digits of the number typed, 200 of 200; for an unknown one
    # the four digits came from a keyed hash, 0 of 200 matched what was typed. By email, with
    # the UUID the local pool gives an unknown user, the mask's first letter matched the
    # address typed 200 of 200 known, 9 of 200 unknown (chance). New: one value for all.
    rng = seeded(f"issue-12-{channel}")
    known = people(rng, USERS)
    nobody = people(rng, USERS)  # the same kinds of names, which the pool does not hold
    for form in FORMS:
        delivery, client = deliveries()[channel]
        limits = memory_limits()
        seen_known: Counter[tuple[tuple[str, str], ...]] = Counter()
        seen_unknown: Counter[tuple[tuple[str, str], ...]] = Counter()
        old_known_tells = old_unknown_tells = 0
        old_known: Counter[str] = Counter()
        old_unknown: Counter[str] = Counter()
        for index, person in enumerate(known):
            event = CreateAuthChallengeEvent.from_dict(
                create_for(person.user_name, person.attributes, found=True)
            )
            created = create_auth_challenge(
                event, methods=code_methods(CODES, delivery, FixedKey()), limits=limits,
                clock=lambda: T0,
            )  # fmt: skip
            public = public_of(created)
            seen_known[public] += 1
            destination = person.attributes[delivery.attribute]
            # Nothing of the destination is in what the caller sees: not a letter, not a digit.
            shown = dict(public)["CODE_DELIVERY_DESTINATION"]
            assert shown == HINTS[channel]
            assert not any(character.isalnum() for character in shown)
            assert not tells(channel, shown, destination)
            assert destination[-4:] not in "".join(value for _, value in public)
            old = old_destination(channel, person, person.user_name)
            old_known[old] += 1
            old_known_tells += tells(channel, old, destination)

            typed = nobody[index].typed(form)
            name = _uuid(rng)  # the userName Cognito makes up for a name it does not know
            event = CreateAuthChallengeEvent.from_dict(create_for(name, {}, found=False))
            created = create_auth_challenge(
                event, methods=code_methods(CODES, delivery, FixedKey()), limits=limits,
                clock=lambda: T0,
            )  # fmt: skip
            seen_unknown[public_of(created)] += 1
            old = old_destination(channel, None, name)
            old_unknown[old] += 1
            if form == delivery.attribute:
                old_unknown_tells += tells(channel, old, typed)

        # The same distribution, value for value: one fixed hint for every user.
        assert seen_known == seen_unknown
        assert len(seen_known) == 1
        # The known users did get their messages; the unknown ones none.
        destinations = client.destinations()
        assert destinations == [person.attributes[delivery.attribute] for person in known]
        # The old rule tells the two apart: the masks differ in distribution, and a known
        # user's shows the typed destination's characters.
        assert old_known != old_unknown
        assert old_known_tells == USERS
        if form == delivery.attribute:
            print(
                f"\n[enumeration] {channel} typed as {form}: old rule, mask matches what was "
                f"typed: known {old_known_tells}/{USERS}, unknown {old_unknown_tells}/{USERS}; "
                f"new: one value for both ({next(iter(seen_known))})"
            )


# --- 2. lockout ---------------------------------------------------------------------------------

CREATE = CreateAuthChallengeEvent.from_dict(create_event([]))
VERIFY = VerifyAuthChallengeResponseEvent.from_dict(verify_event({}, ""))
VICTIM = state_key(CREATE.user_pool_id, CREATE.user_name)
PACE = 7  # a human-speed attacker: one answer every seven seconds, as in test_abuse
VICTIM_TYPES = 20  # seconds from the victim's InitiateAuth to its answer


class World:
    """One user of one pool, the triggers, a store, a clock, and the user's inbox."""

    def __init__(self, settings: LimitSettings = DEFAULTS) -> None:
        self.now = T0
        self.store = InMemoryStateStore()
        self.limits = Limits(settings, self.store, no_pacing())
        self.inbox = RecordingDelivery()  # every code the user was sent, as shown
        self.sent_at: list[int] = []

    def state(self) -> UserState:
        return self.store.load(VICTIM, self.now)

    def create(self) -> dict[str, str]:
        """A new sign-in's first Create: its private parameters."""
        before = len(self.inbox.sent)
        created = create_auth_challenge(
            CREATE, methods=code_methods(CODES, self.inbox, FixedKey()), limits=self.limits,
            clock=lambda: self.now,
        )  # fmt: skip
        self.sent_at += [self.now] * (len(self.inbox.sent) - before)
        return private_of(created)

    def verify(self, private: dict[str, str], answer: str) -> bool:
        event = replace(
            VERIFY, private_challenge_parameters=FrozenStrMap(private), challenge_answer=answer
        )
        verified = verify_auth_challenge_response(
            event,
            methods=code_methods(CODES, None, FixedKey()),
            limits=self.limits,
            clock=lambda: self.now,
        )
        assert verified.response is not None
        return verified.response.answer_correct

    def code_behind(self, private: dict[str, str]) -> str | None:
        """The oracle: the delivered code (as shown) the sign-in's hash stands for, if any."""
        issued = int(private["issuedAt"])
        for shown in reversed(self.inbox.sent[-8:]):
            expected = hash_code(
                KEY, shown.replace("-", ""), user_pool_id=CREATE.user_pool_id,
                user_name=CREATE.user_name, issued_at=issued,
            )  # fmt: skip
            if expected == private["codeHash"]:
                return shown
        return None

    def fresh(self, private: dict[str, str]) -> bool:
        return self.now <= int(private["issuedAt"]) + CODES.code_ttl_seconds


@dataclass
class Attacker:
    """What an attacker spent, and what its answers could have won."""

    sign_ins: int = 0
    answers: int = 0
    #: Answers checked against an ordinary code actually sent, unexpired, while the user was
    #: not locked out: the only ones that can sign in (one in a million each).
    checked: int = 0
    #: Answers against a lockout code actually sent and unexpired (at most 2**-60 each; a
    #: six-digit guess cannot even be one).
    against_lockout_codes: int = 0
    #: Right ordinary codes answered while locked out (the oracle's), all of them refused.
    right_refused_while_locked: int = 0

    @property
    def chance(self) -> float:
        """An upper bound on the chance that any of its answers signed in."""
        return self.checked * 1e-6 + self.against_lockout_codes * 2.0**-LOCKOUT_CODE_BITS


@dataclass
class Victim:
    tries: int = 0
    signed_in: int = 0
    while_locked: int = 0  # of those, with a lockout code while the lockout stayed
    resets: list[tuple[int, str]] = field(default_factory=list)  # (when, the code's spec)


Actor = Iterator[int]  # yields when it next acts; the world's clock is set to it


def run(world: World, actors: Iterable[Actor], until: int) -> None:
    queue: list[tuple[int, int, Actor]] = []
    for order, actor in enumerate(actors):
        heapq.heappush(queue, (next(actor), order, actor))
    while queue:
        when, order, actor = heapq.heappop(queue)
        if when >= until:
            continue
        world.now = when
        following = next(actor, None)
        if following is not None:
            heapq.heappush(queue, (following, order, actor))


def relocker(world: World, tally: Attacker, *, during_lockouts: bool) -> Actor:
    """Knows the username, keeps the user locked out: whenever the lockout is over (or has not
    started) it signs in and answers wrong, three times a sign-in, until locked out again.
    ``during_lockouts``: it goes on signing in and guessing during the lockouts too."""
    while True:
        if world.state().is_locked(world.now) and not during_lockouts:
            yield world.state().locked_until
            continue
        tally.sign_ins += 1
        private = world.create()
        behind = world.code_behind(private)
        session: list[ChallengeResult] = []
        while decide(session, FLOW).outcome is Outcome.PRESENT_CHALLENGE:
            yield world.now + PACE
            locked = world.state().is_locked(world.now)
            live = behind is not None and world.fresh(private)
            ordinary = live and private["codeSpec"] == ORDINARY
            if locked and not during_lockouts:
                if ordinary:
                    # Locked out again, with the right ordinary code in hand: refused.
                    assert world.verify(private, behind or "") is False
                    tally.right_refused_while_locked += 1
                break
            tally.answers += 1
            tally.checked += ordinary and not locked
            tally.against_lockout_codes += live and private["codeSpec"] == LOCKOUT
            wrong = "000000" if behind != "000000" else "111111"  # never the code: no luck
            assert world.verify(private, wrong) is False
            session.append(custom(False))
        yield world.now + 1


def hourly_victim(world: World, tally: Victim, *, phase: int) -> Actor:
    """Signs in at ``phase`` seconds past every hour of the week after the first, and types
    the newest code in its inbox twenty seconds later: the one sent after its InitiateAuth
    (lockout code or not), or, inside the cooldown, the one its sign-in reuses."""
    for hour in range(1, WEEK // HOUR):
        yield T0 + hour * HOUR + phase
        tally.tries += 1
        private = world.create()
        yield world.now + VICTIM_TYPES
        before = world.state()
        locked = before.is_locked(world.now)
        code = world.inbox.sent[-1] if world.inbox.sent else "000000"
        if not world.verify(private, code):
            continue
        tally.signed_in += 1
        after = world.state()
        if locked:
            # A lockout code while locked out: signed in, and the lockout is as it was.
            assert private["codeSpec"] == LOCKOUT
            assert (after.failures, after.lockouts, after.locked_until) == (
                before.failures,
                before.lockouts,
                before.locked_until,
            )
            tally.while_locked += 1
        elif before.lockouts and not after.lockouts:
            tally.resets.append((world.now - T0, private["codeSpec"]))


@dataclass(frozen=True)
class Week:
    attacker: Attacker
    victim: Victim | None
    messages: int


@cache
def week(*, during_lockouts: bool, phase: int | None) -> Week:
    """Seven simulated days of the attack; ``phase`` None: no victim at all."""
    world = World()
    attacker = Attacker()
    actors = [relocker(world, attacker, during_lockouts=during_lockouts)]
    victim = None
    if phase is not None:
        victim = Victim()
        actors.append(hourly_victim(world, victim, phase=phase))
    with coverage_paused():
        run(world, actors, T0 + WEEK)
    return Week(attacker, victim, len(world.inbox.sent))


PHASES = tuple(range(0, HOUR, 60))  # the victim's minute past the hour: every one of them


def describe(label: str, result: Week) -> str:
    attacker, victim = result.attacker, result.victim
    text = (
        f"{label}: attacker {attacker.sign_ins} sign-ins, {attacker.answers} answers, "
        f"{attacker.checked} checked against an ordinary code, {attacker.against_lockout_codes} "
        f"against a lockout code, chance {attacker.chance:.3g}; {result.messages} messages"
    )
    if victim is not None:
        text += (
            f"; victim {victim.signed_in}/{victim.tries} ({victim.while_locked} with a lockout"
            f" code), resets {victim.resets}"
        )
    return text


def test_a_user_kept_locked_out_for_a_week_still_signs_in_every_hour(quiet: None) -> None:
    # Old: the victim's hourly sign-ins with the right code succeeded 0 of 167 (nothing was
    # sent while locked out, and no answer was accepted).
    # New (measured): alone, the attacker spends 52 sign-ins and 130 wrong answers a week, as
    # in the issue; with the victim at any minute past the hour, the victim signs in 166 or
    # 167 times of 167, nearly all with a lockout code.
    alone = week(during_lockouts=False, phase=None)
    print("\n[lockout]", describe("no victim", alone))
    assert 45 <= alone.attacker.sign_ins <= 60
    assert 120 <= alone.attacker.answers <= 140
    assert alone.attacker.right_refused_while_locked >= 10  # ordinary codes stay refused
    rates = []
    for phase in PHASES:
        result = week(during_lockouts=False, phase=phase)
        victim = result.victim
        assert victim is not None
        assert victim.tries == 167
        rates.append(victim.signed_in / victim.tries)
        assert victim.signed_in >= 0.99 * victim.tries, describe(f"phase {phase}", result)
        assert victim.while_locked >= 0.9 * victim.tries  # the way out, not luck
        assert result.attacker.right_refused_while_locked >= 10
    print(
        f"[lockout] victim success over {len(PHASES)} phases: {min(rates):.3f} to {max(rates):.3f}"
    )
    # At half past (the figure for the closing note) the attacker's budget is the same as with
    # no victim; over every phase it is not (the xfail test below).
    half_past = week(during_lockouts=False, phase=1800)
    print("[lockout]", describe("victim at :30", half_past))
    assert half_past.attacker.checked == alone.attacker.checked
    assert half_past.attacker.chance <= alone.attacker.chance + 1e-12


@pytest.mark.long  # two simulated weeks, 45 s: `make long`
def test_the_way_out_gives_an_attacker_who_guesses_during_lockouts_nothing(quiet: None) -> None:
    # An attacker who also signs in and guesses during the lockouts (three guesses a sign-in,
    # one every seven seconds): its sign-ins then carry lockout codes, so its six-digit
    # guesses cannot match (nor those against a sign-in the hourly cap left without a code),
    # and once the lockout ends they lock the user out again.
    # Measured: 27,491 sign-ins and 82,472 answers a week, of which 10 were checked against an
    # ordinary code, alone and with the victim at :30. (By the old rule nothing was sent while
    # locked out, so each lockout ended with a fresh ordinary code: some 8 to 10 checked
    # guesses after every one of the week's ~13 lockouts, over 100; hence the last assertion.)
    alone = week(during_lockouts=True, phase=None)
    result = week(during_lockouts=True, phase=1800)
    print("\n[lockout]", describe("guesser, no victim", alone))
    print("[lockout]", describe("guesser, victim at :30", result))
    assert result.attacker.checked <= alone.attacker.checked
    assert result.attacker.chance <= alone.attacker.chance + 1e-12
    assert result.attacker.checked <= DEFAULTS.lockout_after_failures * 2


# Before right answers stopped forgiving wrong ones (limits.after_answer), a victim's sign-in
# inside the attacker's relock window reset the doubling: the budget grew at 12 of 60 phases,
# to 232 checked guesses a week instead of 130.
def test_the_victim_signing_in_never_grows_the_attackers_guess_budget(quiet: None) -> None:
    alone = week(during_lockouts=False, phase=None)
    grown = []
    for phase in PHASES:
        result = week(during_lockouts=False, phase=phase)
        if result.attacker.chance > alone.attacker.chance + 1e-12:
            assert result.victim is not None
            grown.append((phase, result.attacker.checked, result.victim.resets))
    print(f"\n[lockout] alone {alone.attacker.checked} checked; phases where it grew: {grown}")
    assert grown == []


def budget_spender(world: World, *, per_hour: int) -> Actor:
    """Starts ``per_hour`` sign-ins at the top of every hour, one a cooldown apart, and answers
    none: no wrong answer, no lockout, only the user's hourly messages spent."""
    for hour in range(WEEK // HOUR + 1):
        for index in range(per_hour):
            yield T0 + hour * HOUR + index * (DEFAULTS.resend_cooldown_seconds + 1)
            world.create()


@pytest.mark.xfail(
    strict=True,
    reason=(
        "anyone who knows a username can spend the user's MAX_SENDS_PER_HOUR: five "
        "InitiateAuth an hour, a cooldown apart, answered never; once the last code expires "
        "Create withholds (limits.plan_send: 'hourly cap reached') and the victim's sign-in "
        "gets no code, lockout code or not: 0 of 167 at :30 (and 11 of 167 against the "
        "guesser who signs in during lockouts)"
    ),
)
def test_an_attacker_cannot_spend_the_victims_messages(quiet: None) -> None:
    world, victim = World(), Victim()
    actors = [budget_spender(world, per_hour=DEFAULTS.max_sends_per_hour)]
    actors.append(hourly_victim(world, victim, phase=1800))
    with coverage_paused():
        run(world, actors, T0 + WEEK)
    guesser = week(during_lockouts=True, phase=1800).victim
    assert guesser is not None
    print(
        f"\n[lockout] five unanswered sign-ins an hour: victim {victim.signed_in}/{victim.tries}"
        f"; guesser during lockouts: victim {guesser.signed_in}/{guesser.tries}"
    )
    assert victim.signed_in >= 0.99 * victim.tries
    assert guesser.signed_in >= 0.99 * guesser.tries


# --- 3. pumping ---------------------------------------------------------------------------------

POOL_CAP = 100
PUMPED_USERS = 50


def pump(
    users: int, *, hours: int, pool_cap: int, every: int = 61
) -> tuple[FakeSns, list[CreateAuthChallengeEvent]]:
    """An attacker who starts a sign-in for each of ``users`` every ``every`` seconds for
    ``hours``, as fast as the per-user cooldown lets a message out."""
    now = [T0]
    sns = FakeSns(clock=lambda: now[0])
    delivery = SmsDelivery(sms_settings(), client=sns)
    limits = memory_limits(pool_max_sends_per_hour=pool_cap)
    rng = seeded("pumping")
    events = [
        CreateAuthChallengeEvent.from_dict(create_for(p.user_name, p.attributes, found=True))
        for p in people(rng, users)
    ]
    with coverage_paused():
        while now[0] < T0 + hours * HOUR:
            for event in events:
                create_auth_challenge(
                    event, methods=code_methods(CODES, delivery, FixedKey()), limits=limits,
                    clock=lambda: now[0],
                )  # fmt: skip
            now[0] += every
    return sns, events


def most_in_any_hour(times: list[int]) -> int:
    ordered = sorted(times)
    return max(
        (
            sum(1 for later in ordered[i:] if later < start + HOUR)
            for i, start in enumerate(ordered)
        ),
        default=0,
    )


@pytest.mark.long  # 51 simulated user-days, 20 s: `make long` (test_abuse checks the cap too)
def test_a_pool_sends_at_most_its_hourly_cap(quiet: None) -> None:
    # Old: no cap per pool: 1,417 InitiateAuth in 24 hours sent 120 SMS to one user, 120 N a
    # day across N users. New: at most 24 x POOL_MAX_SENDS_PER_HOUR a day for the whole pool.
    alone, _ = pump(1, hours=24, pool_cap=1_000_000)  # the per-user rule alone: the old figure
    per_user_old = len(alone.calls)
    sns, events = pump(PUMPED_USERS, hours=24, pool_cap=POOL_CAP)
    per_hour = Counter(at // HOUR for at in sns.at)
    by_user: dict[str, list[int]] = {}
    for number, at in zip(sns.destinations(), sns.at, strict=True):
        by_user.setdefault(number, []).append(at)
    print(
        f"\n[pumping] per-user rule alone: {per_user_old} SMS/user/day, {per_user_old} x "
        f"{PUMPED_USERS} = {per_user_old * PUMPED_USERS} a day for the pool; with "
        f"POOL_MAX_SENDS_PER_HOUR={POOL_CAP}: {len(sns.calls)} a day for {PUMPED_USERS} users, "
        f"at most {max(per_hour.values())} in a clock hour, at most "
        f"{max(most_in_any_hour(times) for times in by_user.values())} per user in any hour"
    )
    assert 115 <= per_user_old <= 120
    assert most_in_any_hour(alone.at) <= DEFAULTS.max_sends_per_hour  # the per-user cap holds
    assert per_user_old * PUMPED_USERS > 24 * POOL_CAP  # what the old rule would have sent
    assert len(sns.calls) <= 24 * POOL_CAP
    assert max(per_hour.values()) <= POOL_CAP
    assert all(most_in_any_hour(times) <= DEFAULTS.max_sends_per_hour for times in by_user.values())
    assert set(by_user) <= {event.user_attributes["phone_number"] for event in events}


def test_sms_goes_only_to_allowed_countries_and_verified_numbers(quiet: None) -> None:
    # Old: no allow list and no check of phone_number_verified: every number got its SMS.
    rng = seeded("countries")
    allowed = ["+12065550100", "+447700900123", "+353861234567", "+4915123456789"]
    elsewhere = ["+79161234567", "+8613812345678", "+2348031234567", "+882345678901"]
    unverified = ["+12065550111", "+447700900999"]

    def sign_in(number: str, settings: DeliverySettings, verified: str | None) -> tuple[Any, ...]:
        sns = FakeSns()
        attributes = {"sub": _uuid(rng), "phone_number": number}
        if verified is not None:
            attributes["phone_number_verified"] = verified
        event = CreateAuthChallengeEvent.from_dict(
            create_for(attributes["sub"], attributes, found=True)
        )
        created = create_auth_challenge(
            event, methods=code_methods(CODES, SmsDelivery(settings, client=sns), FixedKey()),
            limits=memory_limits(), clock=lambda: T0,
        )  # fmt: skip
        return public_of(created), sns.destinations()

    nobody = CreateAuthChallengeEvent.from_dict(create_for(_uuid(rng), {}, found=False))
    unknown = public_of(
        create_auth_challenge(
            nobody,
            methods=code_methods(CODES, SmsDelivery(sms_settings(), client=FakeSns()), FixedKey()),
            limits=memory_limits(), clock=lambda: T0,
        )
    )  # fmt: skip
    settings = sms_settings()
    seen = set()
    for number in allowed:
        public, sent = sign_in(number, settings, "true")
        assert sent == [number]
        seen.add(public)
    for number in elsewhere:
        public, sent = sign_in(number, settings, "true")
        assert sent == []  # a country the allow list leaves out: nothing
        seen.add(public)
    for number in unverified:
        for verified in ("false", None):
            public, sent = sign_in(number, settings, verified)
            assert sent == []  # not verified: nothing, by default
            seen.add(public)
            public, sent = sign_in(
                number, sms_settings(allow_unverified_destinations=True), verified
            )
            assert sent == [number]  # the operator allowed unverified destinations
            seen.add(public)
    nowhere = sms_settings(sms_allowed_country_codes=())
    public, sent = sign_in(allowed[0], nowhere, "true")
    assert sent == []  # no country listed: none allowed
    seen.add(public)
    assert seen == {unknown}  # the caller cannot tell any of these apart


def test_while_the_pool_cap_is_reached_no_one_gets_a_message(quiet: None) -> None:
    # The trade-off of a pool cap, stated: once an attacker has spent the hour's messages, a
    # legitimate user's sign-in gets none until the next clock hour (the alarm says so).
    sns = FakeSns()
    limits = memory_limits(pool_max_sends_per_hour=3)
    delivery = SmsDelivery(sms_settings(), client=sns)
    rng = seeded("cap")
    for person in people(rng, 5):
        event = CreateAuthChallengeEvent.from_dict(
            create_for(person.user_name, person.attributes, found=True)
        )
        create_auth_challenge(
            event, methods=code_methods(CODES, delivery, FixedKey()), limits=limits,
            clock=lambda: T0 + 10,
        )  # fmt: skip
    assert len(sns.calls) == 3
    late = people(rng, 1)[0]
    event = CreateAuthChallengeEvent.from_dict(
        create_for(late.user_name, late.attributes, found=True)
    )
    now = [T0 + HOUR - 1]  # the same clock hour: nothing; the next one: a message
    for expected in (3, 4):
        create_auth_challenge(
            event, methods=code_methods(CODES, delivery, FixedKey()), limits=limits,
            clock=lambda: now[0],
        )  # fmt: skip
        assert len(sns.calls) == expected
        now[0] += 1


# --- 4. binding ---------------------------------------------------------------------------------


@dataclass
class Pool:
    """One user, the triggers, and the user's inbox, at a clock the test moves."""

    bind: bool
    now: int = T0
    inbox: RecordingDelivery = field(default_factory=RecordingDelivery)

    def __post_init__(self) -> None:
        self.limits = memory_limits(bind_code_to_sign_in=self.bind)

    def start(self) -> dict[str, str]:
        created = create_auth_challenge(
            CREATE, methods=code_methods(CODES, self.inbox, FixedKey()), limits=self.limits,
            clock=lambda: self.now,
        )  # fmt: skip
        return private_of(created)

    def answer(self, private: dict[str, str], code: str) -> bool:
        event = replace(
            VERIFY, private_challenge_parameters=FrozenStrMap(private), challenge_answer=code
        )
        verified = verify_auth_challenge_response(
            event,
            methods=code_methods(CODES, None, FixedKey()),
            limits=self.limits,
            clock=lambda: self.now,
        )
        assert verified.response is not None
        return verified.response.answer_correct


def test_a_code_bound_to_its_sign_in(quiet: None) -> None:
    # Default (BIND_CODE_TO_SIGN_IN false): a sign-in started inside the cooldown carries the
    # code already sent, so the victim's code signs in the attacker's sign-in; the trade-off
    # is that a double click works with the one message sent.
    pool = Pool(bind=False)
    victims = pool.start()
    pool.now += 10
    attackers = pool.start()
    [code] = pool.inbox.sent
    pool.now += 10
    assert pool.answer(attackers, code) is True  # the victim's code, the attacker's sign-in
    assert pool.answer(victims, code) is False  # and it is used up
    click = Pool(bind=False)
    first = click.start()
    click.now += 2
    second = click.start()
    [code] = click.inbox.sent  # one message for the double click
    assert click.answer(second, code) is True
    assert first["codeHash"] == second["codeHash"]  # the same code (each sign-in its own id)

    # Bound: the attacker's sign-in inside the cooldown gets a code of its own.
    pool = Pool(bind=True)
    victims = pool.start()
    pool.now += 10
    attackers = pool.start()
    assert len(pool.inbox.sent) == 2
    victims_code, attackers_code = pool.inbox.sent
    assert attackers["codeHash"] != victims["codeHash"]
    pool.now += 10
    assert victims_code == attackers_code or pool.answer(attackers, victims_code) is False
    assert pool.answer(victims, victims_code) is True  # the victim's own sign-in still works
    # The double click: two messages; only the latest sign-in's code signs the latest sign-in
    # in (and the first keeps its own).
    click = Pool(bind=True)
    first = click.start()
    click.now += 2
    second = click.start()
    assert len(click.inbox.sent) == 2
    older, latest = click.inbox.sent
    click.now += 10
    if older != latest:  # (one in a million: the same six digits twice)
        assert click.answer(second, older) is False
        assert click.answer(first, latest) is False
    assert click.answer(second, latest) is True
    assert click.answer(first, older) is True
    # Binding does not lift the hourly cap: ten clicks inside the cooldown, five messages.
    storm = Pool(bind=True)
    for _ in range(10):
        storm.start()
        storm.now += 1
    assert len(storm.inbox.sent) == DEFAULTS.max_sends_per_hour
