"""Telling two sets of durations apart the way an attacker would: one threshold.

The pacing tests and ``make bench`` both ask how well a caller who times Create could tell a
known user from an unknown one. The attacker's best single-threshold rule is chosen on probes
whose answer they know (:func:`best_threshold`) and scored on fresh ones (:func:`accuracy`);
:func:`held_out_accuracy` does both with a probe.
"""

import bisect
import itertools
from collections.abc import Callable, Sequence

#: A probe: one timed call, for a known user (True) or an unknown one (False), in seconds.
Probe = Callable[[bool], float]

#: A rule: the threshold, and whether known users' durations fall below it.
Rule = tuple[float, bool]


def best_threshold(known: Sequence[float], unknown: Sequence[float]) -> Rule:
    """The single threshold (and side) that best separates the two sets of durations."""
    known_sorted, unknown_sorted = sorted(known), sorted(unknown)
    values = sorted({*known, *unknown})
    cuts = [values[0] - 1.0, *((a + b) / 2 for a, b in itertools.pairwise(values))]
    best = (-1, values[0], True)
    for cut in [*cuts, values[-1] + 1.0]:
        right = (
            bisect.bisect_left(known_sorted, cut)
            + len(unknown_sorted)
            - bisect.bisect_left(unknown_sorted, cut)
        )
        for score, below in ((right, True), (len(known) + len(unknown) - right, False)):
            if score > best[0]:
                best = (score, cut, below)
    return best[1], best[2]


def accuracy(rule: Rule, known: Sequence[float], unknown: Sequence[float]) -> float:
    """The share of probes the rule classifies right."""
    cut, below = rule
    right = sum((d < cut) == below for d in known) + sum((d < cut) != below for d in unknown)
    return right / (len(known) + len(unknown))


def measure(probe: Probe, count: int, each: int = 1) -> tuple[list[float], list[float]]:
    """``count`` measurements of each kind, interleaved, each the fastest of ``each`` probes."""
    known: list[float] = []
    unknown: list[float] = []
    for _ in range(count):
        known.append(min(probe(True) for _ in range(each)))
        unknown.append(min(probe(False) for _ in range(each)))
    return known, unknown


def held_out_accuracy(probe: Probe, count: int, each: int = 1) -> float:
    """Train a threshold on ``count`` measurements of each kind, score it on as many fresh ones."""
    rule = best_threshold(*measure(probe, count, each))
    return accuracy(rule, *measure(probe, count, each))
