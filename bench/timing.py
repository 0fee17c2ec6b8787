"""Timing helper shared by the benchmarks (run as scripts: `python bench/bench_x.py`)."""

from __future__ import annotations

import time


def best_of(fn, repeat: int = 3):
    """(fastest wall time in seconds of ``repeat`` calls of ``fn``, the last result)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def best_of_3(fn):
    """(fastest wall time in seconds of three calls of ``fn``, the last result)."""
    return best_of(fn, 3)
