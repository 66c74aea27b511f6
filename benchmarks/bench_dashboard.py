"""Benchmark: the supervisor dashboard for a region of 300 units and
200,000 issues on PostgreSQL: median and p95 of 20 renders, and the query
count (which must not depend on the number of units or issues).

Run with `make bench-dashboard`, or with DATABASE_URL pointing at a
migrated, empty database: python benchmarks/bench_dashboard.py [--issues 200000]
"""

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import setup_test_environment

from benchmarks.bench_sweep import build
from enterprises.models import Official


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()
    started = time.perf_counter()
    build(args.issues, args.issues // 10)
    print(f"ledger built in {time.perf_counter() - started:.0f} s: {args.issues} issues, 300 units", flush=True)
    from issues import summary

    started = time.perf_counter()
    cells = summary.rebuild()
    print(f"summary added up in {time.perf_counter() - started:.1f} s: {cells} cells", flush=True)
    client = Client()
    client.force_login(Official.objects.get(username="sup"))
    connection.force_debug_cursor = True
    from issues import selectors
    from issues.dashboard import build as build_dashboard

    user = Official.objects.get(username="sup")
    period = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 12, 31)}
    for label, work in (
        ("figures alone (3 grouped scans)", lambda: selectors.issue_figures(user=user, campaign=None, **period)),
        ("trend alone", lambda: selectors.trend(user=user, campaign=None, **period)),
        ("everything but the HTML", lambda: build_dashboard(user=user, campaign=None, region=None, **period)),
    ):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        print(f"{label}: median {statistics.median(times) * 1000:.0f} ms", flush=True)
    for trend in ("month", "week"):
        times, queries, size = [], [], 0
        for _ in range(args.runs):
            reset_queries()
            started = time.perf_counter()
            response = client.get(
                "/supervise/dashboard/",
                {"date_from": "2026-01-01", "date_to": "2026-12-31", "trend": trend},
                HTTP_HOST="127.0.0.1",
                HTTP_ACCEPT_ENCODING="gzip",
            )
            times.append(time.perf_counter() - started)
            queries.append(len(connection.queries))
            size = len(response.content)
            assert response.headers.get("Content-Encoding") == "gzip"
            assert response.status_code == 200
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(
            f"dashboard (trend by {trend}): median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, queries {min(queries)}–{max(queries)} over {args.runs} renders, "
            f"page {size / 1024:.0f} KiB gzipped",
            flush=True,
        )


if __name__ == "__main__":
    main()
