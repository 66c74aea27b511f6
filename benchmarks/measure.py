"""What the benchmark scripts share: time, queries and peak memory of a phase."""

import os
import threading
import time

from django.db import connection, reset_queries


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def measure(label, func, show_result=False):
    """Wall time, queries, and the process's peak resident memory during the
    phase above its level at the start (sampled every 20 ms, which unlike
    tracemalloc does not slow the code down)."""
    reset_queries()
    baseline, peak, running = rss_mib(), [0.0], [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], rss_mib())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    running[0] = False
    sampler.join()
    print(
        f"{label:<46} {elapsed:7.2f} s   queries {len(connection.queries):4d}   "
        f"peak RSS +{max(peak[0] - baseline, 0):6.1f} MiB (of {peak[0]:4.0f})"
        + (f"   {result}" if show_result else ""),
        flush=True,
    )
    return result
