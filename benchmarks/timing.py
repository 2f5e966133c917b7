"""Interleaved timing shared by the benchmarks: every implementation is timed in turn,
round after round, so that a change in the machine's load (it is shared) falls on all of
them alike, and the median of the rounds is reported."""

from __future__ import annotations

import statistics
import time


def interleaved(impls, repeat, *, min_seconds=0.0):
    """Seconds per call of each implementation, one entry per round.

    ``impls`` holds ``(label, run)`` or ``(label, setup, run)``; ``setup`` runs untimed
    before each timed call (fresh buffers for calls that write in place). Without a setup,
    a round times enough calls to last ``min_seconds`` (so that microsecond calls are
    measured, not the clock). A first untimed call warms every implementation up.
    """
    impls = [(i[0], None, i[1]) if len(i) == 2 else tuple(i) for i in impls]
    calls = {}
    for label, setup, run in impls:
        if setup:
            setup()
        run()
        n, t0 = 0, time.perf_counter()
        while setup is None and time.perf_counter() - t0 < min_seconds:
            run()
            n += 1
        calls[label] = max(n, 1)
    times = {label: [] for label, _, _ in impls}
    for _ in range(repeat):
        for label, setup, run in impls:
            if setup:
                setup()
            k = calls[label]
            t0 = time.perf_counter()
            for _ in range(k):
                run()
            times[label].append((time.perf_counter() - t0) / k)
    return times


def medians(impls, repeat, *, min_seconds=0.0):
    """The median seconds per call of each implementation (see :func:`interleaved`)."""
    return {label: statistics.median(t)
            for label, t in interleaved(impls, repeat, min_seconds=min_seconds).items()}
