"""Keeping the answers that do less as slow as the one that does the most.

Create's first round sends a message for a known user with no code outstanding, and does
less for everyone else: an unknown user, a user who is locked out, throttled, or has a code
already. A caller who could time the difference would learn which usernames exist and which
are locked. A :class:`Pacer` measures the full path as it runs and makes the others wait until
they have taken as long as one of the recent full runs, drawn at random each time: a short
path's durations then spread like the full path's own, above and below its median, rather than
sitting on one value that a single threshold (or the fastest of a few probes) gives away.

A sleep ends a little late (0.1 to 0.5 ms on a busy machine), and only the short paths sleep
after their work: the pacer asks for that much less, the median of its recent overshoots, so
the wait ends on the drawn duration instead of always just after it.

Only the full path that succeeded teaches the pacer (the callers call :meth:`Pacer.full` for
it and nothing else); a failure that took seconds of timeouts and retries must not be learnt.
"""

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

#: What the full path is assumed to take before it has run in this container: a DynamoDB write
#: plus an SES or SNS call, at their usual latency.
INITIAL_SECONDS = 0.08
#: How many recent full runs a short path's duration is drawn from. Draws from a short window
#: repeat its values, which lifts the fastest of several short probes above the fastest of as
#: many full ones (with 31, the fastest of nine told the two apart 52 % of the time on average
#: in tests/test_pacing.py; with 127, 50 %); a longer one adapts more slowly when the services'
#: latency changes.
WINDOW = 127
#: How many recent sleeps the overshoot is estimated over.
OVERSHOOT_WINDOW = 31

_SYSTEM_RANDOM = secrets.SystemRandom()


class Pacer:
    """Measures one full path and pads the shorter ones to a duration drawn from its recent runs.

    ``choose`` picks one of the recent durations; by default from the operating system's
    randomness (:class:`secrets.SystemRandom`), so a caller cannot predict the next draw.
    Tests inject a seeded one.
    """

    def __init__(
        self,
        initial_seconds: float = INITIAL_SECONDS,
        *,
        window: int = WINDOW,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
        choose: Callable[[Sequence[float]], float] = _SYSTEM_RANDOM.choice,
    ) -> None:
        self._durations: deque[float] = deque([initial_seconds], maxlen=window)
        self._lock = threading.Lock()
        self._sleep = sleep
        self._choose = choose
        self._overshoots: deque[float] = deque([0.0], maxlen=OVERSHOOT_WINDOW)
        self.clock = clock

    def start(self) -> float:
        """A start time to pass to :meth:`full` or :meth:`imitate`."""
        return self.clock()

    def recent(self) -> tuple[float, ...]:
        """The recent full durations a short path's target is drawn from, oldest first."""
        with self._lock:
            return tuple(self._durations)

    def target(self) -> float:
        """How long the next paced path should take, in seconds: a fresh draw each call."""
        return self._choose(self.recent())

    def full(self, started: float) -> None:
        """The full path, begun at ``started``, has just finished: learn its duration."""
        elapsed = self.clock() - started
        with self._lock:
            self._durations.append(elapsed)

    def imitate(self, started: float) -> None:
        """A shorter path, begun at ``started``, has just finished: wait until it has taken as
        long as a full run drawn from the recent ones (no wait if it already has)."""
        target = self.target()
        with self._lock:
            ordered = sorted(self._overshoots)
        asked = target - (self.clock() - started) - ordered[len(ordered) // 2]
        if asked <= 0:
            return
        before = self.clock()
        self._sleep(asked)
        overshoot = self.clock() - before - asked
        with self._lock:
            self._overshoots.append(max(overshoot, 0.0))


def no_pacing() -> Pacer:
    """A pacer that never waits: for tests and benchmarks of the logic alone."""
    return Pacer(0.0, sleep=lambda _: None)
