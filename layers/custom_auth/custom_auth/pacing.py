"""Keeping the answers that do less as slow as the one that does the most.

Create's first round sends a message for a known user with no code outstanding, and does
less for everyone else: an unknown user, a user who is locked out, throttled, or has a code
already. A caller who could time the difference would learn which usernames exist and which
are locked. A :class:`Pacer` measures the full path as it runs and makes the others wait until
they have taken as long (the median of the recent full runs).
"""

import threading
import time
from collections import deque
from collections.abc import Callable

#: What the full path is assumed to take before it has run in this container: a DynamoDB write
#: plus an SES or SNS call, at their usual latency.
INITIAL_SECONDS = 0.08
#: How many recent full runs the median is taken over.
WINDOW = 31


class Pacer:
    """Measures one full path and pads the shorter ones to its median duration."""

    def __init__(
        self,
        initial_seconds: float = INITIAL_SECONDS,
        *,
        window: int = WINDOW,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._durations: deque[float] = deque([initial_seconds], maxlen=window)
        self._lock = threading.Lock()
        self._sleep = sleep
        self.clock = clock

    def start(self) -> float:
        """A start time to pass to :meth:`full` or :meth:`imitate`."""
        return self.clock()

    def target(self) -> float:
        """How long a paced path should take, in seconds."""
        with self._lock:
            ordered = sorted(self._durations)
        return ordered[len(ordered) // 2]

    def full(self, started: float) -> None:
        """The full path, begun at ``started``, has just finished: learn its duration."""
        elapsed = self.clock() - started
        with self._lock:
            self._durations.append(elapsed)

    def imitate(self, started: float) -> None:
        """A shorter path, begun at ``started``, has just finished: wait out the difference."""
        remaining = self.target() - (self.clock() - started)
        if remaining > 0:
            self._sleep(remaining)


def no_pacing() -> Pacer:
    """A pacer that never waits: for tests and benchmarks of the logic alone."""
    return Pacer(0.0, sleep=lambda _: None)
