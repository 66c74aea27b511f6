"""Benchmark: the reminder sweep over a ledger of 1,000,000 issues of which
100,000 are open, on PostgreSQL. Prints wall time, queries and peak memory
for a first sweep (which also issues a 督办单 for every overdue issue), a
second one the same day (nothing new), the 督办 ladder's share of it, and
one over a ledger ten times smaller with the same open work (the cost
should follow what there is to tell, not the ledger's size).

Run with `make bench-sweep` (a throwaway PostgreSQL), or with DATABASE_URL
pointing at a migrated, empty database:
    python benchmarks/bench_sweep.py [--issues 1000000 --open 100000]
"""

import argparse
import datetime
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.measure import measure  # noqa: E402
from core.validators import credit_code_check_char  # noqa: E402
from enterprises.models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region  # noqa: E402
from issues import ladder, reminders  # noqa: E402
from issues.models import Digest, Issue, Reminder  # noqa: E402

TODAY = datetime.date(2026, 6, 3)  # a Wednesday


def copy(table: str, columns: list[str], rows) -> None:
    """COPY rows into a table: a million issues load in seconds, not minutes."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_from(buffer, table, columns=columns)


def build(n_issues: int, n_open: int, seed: int = 7):
    rng = random.Random(seed)  # nosec B311  # a repeatable benchmark ledger, not a secret
    city = Region.objects.create(name="基准市", level="city")
    county = Region.objects.create(name="基准县", level="county", parent=city)
    towns = [Region.objects.create(name=f"镇{i}", parent=county) for i in range(20)]
    office = HelpUnit.objects.create(name="帮扶办", region=county, kind="other")
    units = [HelpUnit.objects.create(name=f"单位{i}", region=county) for i in range(300)]
    Official.objects.create(username="sup", role="supervisor", unit=office, rank="head")
    Official.objects.bulk_create(
        [Official(username=f"h{i}", unit=unit, rank="head") for i, unit in enumerate(units)]
        + [Official(username=f"d{i}", unit=unit, rank="deputy") for i, unit in enumerate(units)]
    )
    reporter = Official.objects.create(username="reporter", unit=units[0])
    campaign = Campaign.objects.create(
        name="基准行动", start_date="2026-05-01", end_date="2026-12-31", is_current=True, visit_every_days=90
    )
    enterprises = []
    for i in range(10_000):
        body = f"91330100{i:09d}"
        enterprises.append(
            Enterprise(
                name=f"企业{i}",
                credit_code=body + credit_code_check_char(body),
                region=towns[i % 20],
                industry="C",
                is_key=i < 1000,
            )
        )
    Enterprise.objects.bulk_create(enterprises, batch_size=5000)
    assignments = Assignment.objects.bulk_create(
        [Assignment(campaign=campaign, enterprise=e) for e in enterprises[:1000]]
    )
    AssignmentUnit.objects.bulk_create(
        [
            AssignmentUnit(assignment=a, unit=units[(i + k) % 300], is_lead=k == 0)
            for i, a in enumerate(assignments)
            for k in range(3)
        ]
    )
    registered = timezone.make_aware(datetime.datetime(2026, 3, 1, 9))
    first_enterprise, first_unit = enterprises[0].pk, units[0].pk

    def rows():
        for i in range(n_issues):
            enterprise = first_enterprise + rng.randrange(10_000)
            unit = first_unit + rng.randrange(300)
            if i < n_open:
                status = "in_progress" if i % 3 else "assigned"
                due = TODAY + datetime.timedelta(days=rng.randint(-20, 60))
                resolved = closed = None
                satisfaction = outcome = ""
            else:
                status, due = "closed", TODAY - datetime.timedelta(days=rng.randint(30, 400))
                resolved = closed = registered
                satisfaction, outcome = "satisfied", "solved"
            yield (
                f"2026-{i + 1:07d}",
                enterprise,
                "finance",
                "visit",
                "normal",
                f"问题{i}",
                "",
                "",
                status,
                1,
                unit,
                reporter.pk,
                due,
                registered,
                registered,
                resolved,
                closed,
                outcome,
                satisfaction,
                campaign.pk,
                False,
            )

    copy(
        "issues_issue",
        [
            "number",
            "enterprise_id",
            "category",
            "source",
            "priority",
            "title",
            "description",
            "request",
            "status",
            "version",
            "responsible_unit_id",
            "registered_by_id",
            "due_date",
            "registered_at",
            "assigned_at",
            "resolved_at",
            "closed_at",
            "outcome",
            "satisfaction",
            "campaign_id",
            "is_complex",
        ],
        rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    args = parser.parse_args()
    connection.force_debug_cursor = True
    started = time.perf_counter()
    build(args.issues, args.open)
    total, open_ = Issue.objects.count(), Issue.objects.filter(status__in=["assigned", "in_progress"]).count()
    print(
        f"ledger built in {time.perf_counter() - started:.0f} s: {total} issues, {open_} open, PostgreSQL "
        f"{connection.pg_version // 10000}\n"
    )
    measure("first sweep of the day", lambda: reminders.sweep(TODAY), show_result=True)
    measure("second sweep, same day (nothing new)", lambda: reminders.sweep(TODAY), show_result=True)
    # Its share: the 督办 ladder polling every overdue issue, with nothing to issue.
    measure("the 督办 ladder alone, same day (nothing new)", lambda: len(ladder.climb(TODAY)), show_result=True)
    measure("next working day", lambda: reminders.sweep(TODAY + datetime.timedelta(days=1)), show_result=True)
    print(f"\nreminders {Reminder.objects.count()}, digests {Digest.objects.count()}")
    # The same open work over a ledger a tenth the size.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM issues_issue WHERE status = 'closed' AND id % 10 <> 0")
        cursor.execute("ANALYZE")
    print(f"\nclosed issues thinned out: {Issue.objects.count()} issues, same open work")
    measure(
        "sweep two days later, small ledger",
        lambda: reminders.sweep(TODAY + datetime.timedelta(days=2)),
        show_result=True,
    )


if __name__ == "__main__":
    main()
