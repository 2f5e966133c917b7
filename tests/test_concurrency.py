"""Threads: the kernels release the GIL, so Python threads run them at once. Nine threads
calling different functions on shared read-only inputs, while another keeps changing
set_num_threads, get exactly what one thread computing alone gets."""

from __future__ import annotations

import threading

import numpy as np

import softmaxkit as sk

rng = np.random.default_rng(0)
SHARED = rng.normal(scale=5, size=(512, 1000))
SHARED32 = SHARED.astype(np.float32)
LABELS = rng.integers(0, 1000, size=512)
G = rng.normal(size=SHARED.shape)
LONG = rng.normal(scale=5, size=2**20).astype(np.float32)  # one slice split over threads
for a in (SHARED, SHARED32, LABELS, G, LONG):
    a.flags.writeable = False  # shared and read-only: a write would raise

WORK = [
    lambda: sk.softmax(SHARED),
    lambda: sk.log_softmax(SHARED32, axis=0),
    lambda: sk.logsumexp(SHARED, axis=1),
    lambda: sk.softmin(SHARED, temperature=3.0),
    lambda: sk.softmax_backward(sk.softmax(SHARED), G),
    lambda: sk.cross_entropy(SHARED, LABELS, return_grad=True)[1],
    lambda: sk.smooth_max(SHARED32, k=2.0),
    lambda: sk.log_softmax(SHARED[:, ::3], axis=(0, 1)),
    lambda: sk.log_softmax(LONG),
]


def test_eight_threads_and_a_thread_count_that_changes():
    expected = [np.asarray(w()) for w in WORK]
    before = sk.get_num_threads()
    stop = threading.Event()
    errors, results = [], [[] for _ in WORK]

    def churn():
        n = 1
        while not stop.is_set():
            sk.set_num_threads(n)
            n = n % 4 + 1

    def worker(i):
        try:
            for _ in range(25):
                results[i].append(np.asarray(WORK[i]()))
        except Exception as exc:  # reported below, with the thread's index
            errors.append((i, exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(WORK))]
    changer = threading.Thread(target=churn)
    changer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    changer.join()
    sk.set_num_threads(before)
    assert errors == []
    for i, runs in enumerate(results):
        assert len(runs) == 25
        for r in runs:  # bit for bit: the thread count changes who computes, not what
            np.testing.assert_array_equal(r, expected[i])


# ------------------------------------------------------------- beside other processes


def _run(code: str, **env) -> str:
    import os
    import subprocess
    import sys

    full = {k: v for k, v in os.environ.items()
            if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=full).stdout.strip()


def test_openmp_waits_are_short_and_leave_no_trace_in_the_environment():
    # the variable is there while libgomp loads, and gone afterwards (child processes
    # of the user's program must not inherit it)
    code = ("import os, softmaxkit._core.config as c\n"
            "with c.quiet_openmp_waits():\n    inside = os.environ.get('GOMP_SPINCOUNT')\n"
            "import softmaxkit\n"
            "print(inside, os.environ.get('GOMP_SPINCOUNT'))")
    assert _run(code) == "1000 None"


def test_openmp_waits_follow_the_users_settings():
    code = ("import os, softmaxkit._core.config as c\n"
            "with c.quiet_openmp_waits():\n    inside = os.environ.get('GOMP_SPINCOUNT')\n"
            "print(inside, os.environ.get('OMP_WAIT_POLICY'))")
    assert _run(code, GOMP_SPINCOUNT="5") == "5 None"
    assert _run(code, OMP_WAIT_POLICY="active") == "None active"
