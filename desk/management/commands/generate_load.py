"""manage.py generate_load: benchmark data at a county's, a city's or a province's scale."""

import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import clock
from desk import load


def _scales() -> str:
    return "; ".join(
        f"{name}: {s.enterprises:,} enterprises, {s.units:,} units, {s.officials:,} officials, "
        f"{s.key:,} key enterprises with 三帮一 teams, {s.visits:,} visits, {s.issues:,} issues"
        for name, s in load.SCALES.items()
        if name != "tiny"
    )


class Command(BaseCommand):
    help = (
        "Write benchmark data into an empty, migrated PostgreSQL database: regions (province, cities, "
        "counties, towns), help units, officials, enterprises, a campaign a year with its 三帮一 teams, "
        "visits and issues over the three years before today, each issue with the events, return calls, "
        "extension requests and 督办 notices its life left. The same seed and day give the same rows. "
        f"Scales: {_scales()}. Every account's password is --password; sign in as load-admin, "
        "load-province, load-county or load-official."
    )

    def add_arguments(self, parser):
        # "tiny" (200 enterprises, 2,000 issues) is for the tests.
        parser.add_argument("--scale", required=True, choices=list(load.SCALES), metavar="county|city|province")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None, help="the ledger's last day is the day before"
        )
        parser.add_argument("--password", default=load.DEFAULT_PASSWORD)
        parser.add_argument("--summary", type=Path, help="write the counts, timings and ids here as JSON")

    def handle(self, *args, **options):
        today = options["today"] or clock.today()
        try:
            summary = load.generate(
                scale=options["scale"],
                seed=options["seed"],
                today=today,
                password=options["password"],
                log=lambda message: self.stdout.write(message),
            )
        except load.Refused as refusal:
            raise CommandError(str(refusal)) from None
        if options["summary"]:
            options["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        rows = summary["rows"]
        width = max(len(name) for name in rows)
        self.stdout.write(f"{'table':<{width}}  {'rows':>10}  {'COPY s':>7}  {'index s':>7}")
        for name, count in rows.items():
            copy_s = summary["seconds"]["copy"].get(name, 0)
            index_s = summary["seconds"]["indexes_and_constraints"].get(name, 0)
            self.stdout.write(f"{name:<{width}}  {count:>10,}  {copy_s:>7.1f}  {index_s:>7.1f}")
        self.stdout.write(f"issues by status: {summary['statuses']}")
        self.stdout.write(self.style.SUCCESS(f"{options['scale']} load written in {summary['seconds']['total']} s"))
        self.stdout.write(f"ids: {summary['ids']}")
        self.stdout.write(
            f"sign in as {', '.join(summary['usernames'].values())} with the password given (--password)."
        )
