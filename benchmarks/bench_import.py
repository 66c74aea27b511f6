"""Benchmark: dry-run and apply 50,000 enterprises and their 三帮一 pairing
table (150,000 rows) against PostgreSQL. Prints wall time and peak memory.

Run with `make bench-import` (starts a throwaway PostgreSQL), or with
DATABASE_URL pointing at a migrated, empty database:
    python benchmarks/bench_import.py [--enterprises 50000]
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# The benchmark's files are far past what one upload may hold (20,000 rows,
# 10 MB, 50 MB inflated): it times the importer, not the limits.
os.environ.setdefault("ZOUFANG_IMPORT_MAX_ROWS", "1000000")
os.environ.setdefault("ZOUFANG_IMPORT_MAX_BYTES", str(1024 * 1024 * 1024))
os.environ.setdefault("ZOUFANG_ZIP_MAX_INFLATED_BYTES", str(4 * 1024 * 1024 * 1024))

import django

django.setup()

from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from benchmarks.measure import measure  # noqa: E402
from core.validators import credit_code_check_char  # noqa: E402
from enterprises.imports import IMPORTERS, read_rows  # noqa: E402
from enterprises.models import Campaign, HelpUnit, Official, Region  # noqa: E402


def build_world(n_units=60):
    city = Region.objects.create(name="基准市", level="city")
    county = Region.objects.create(name="基准县", level="county", parent=city)
    towns = [Region.objects.create(name=f"镇{i}", parent=county) for i in range(20)]
    units = [HelpUnit.objects.create(name=f"基准单位{i}", region=county) for i in range(n_units)]
    Official.objects.bulk_create(
        [Official(username=f"b_head{i}", name=f"负责人{i}", unit=unit, rank="head") for i, unit in enumerate(units)]
        + [Official(username=f"b_dep{i}", name=f"联系人{i}", unit=unit, rank="deputy") for i, unit in enumerate(units)]
    )
    admin = Official.objects.create(username="bench_admin", role="admin", is_superuser=True)
    campaign = Campaign.objects.create(name="基准行动", start_date="2026-01-01", end_date="2026-12-31", is_current=True)
    return admin, campaign, towns, units


def write_sheet(path, headers, rows):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=50_000)
    args = parser.parse_args()
    n = args.enterprises
    connection.force_debug_cursor = True  # count queries
    admin, campaign, towns, units = build_world()
    codes = []
    for i in range(n):
        body = f"91330100{i:09d}"
        codes.append(body + credit_code_check_char(body))
    folder = Path(tempfile.mkdtemp(prefix="zoufang-bench-"))
    roster, pairing = folder / "roster.xlsx", folder / "pairing.xlsx"
    started = time.perf_counter()
    write_sheet(
        roster,
        [c.header for c in IMPORTERS["enterprises"].columns],
        (
            [code, f"基准企业{i}有限公司", f"基准市/基准县/镇{i % 20}", "", "C", "中型", "是", "是", "", "", "", ""]
            for i, code in enumerate(codes)
        ),
    )
    write_sheet(
        pairing,
        [c.header for c in IMPORTERS["assignments"].columns],
        (
            [
                code,
                "",
                "",
                units[(i + k) % len(units)].name,
                "",
                "是" if k == 0 else "否",
                f"b_head{(i + k) % len(units)}",
                f"b_dep{(i + k) % len(units)}",
            ]
            for i, code in enumerate(codes)
            for k in range(3)
        ),
    )
    print(
        f"files written in {time.perf_counter() - started:.1f} s: {roster.stat().st_size / 1048576:.1f} MiB roster, "
        f"{pairing.stat().st_size / 1048576:.1f} MiB pairing table ({3 * n} rows)"
    )

    def run(kind, path, mode):
        importer = IMPORTERS[kind](actor=admin, campaign=campaign)
        with open(path, "rb") as handle:
            headers, rows = read_rows(handle, path.name)
        report = (importer.check if mode == "check" else importer.apply)(headers, rows)
        assert report.clean, report.errors[:5]
        return report

    print(f"\n{n} enterprises, PostgreSQL {connection.pg_version // 10000}")
    report = measure("enterprises: dry run (read + check)", lambda: run("enterprises", roster, "check"))
    print(f"{'':<42} {report.counts}")
    measure("enterprises: apply", lambda: run("enterprises", roster, "apply"))
    report = measure("enterprises: apply again (no change)", lambda: run("enterprises", roster, "apply"))
    print(f"{'':<42} {report.counts}")
    report = measure("pairing table: dry run", lambda: run("assignments", pairing, "check"))
    print(f"{'':<42} {report.counts}")
    measure("pairing table: apply", lambda: run("assignments", pairing, "apply"))
    report = measure("pairing table: apply again (no change)", lambda: run("assignments", pairing, "apply"))
    print(f"{'':<42} {report.counts}")
    print(f"\nprocess peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
