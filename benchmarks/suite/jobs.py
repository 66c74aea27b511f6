"""The work that is not a request, timed in a process of its own with the
server's settings (the suite runs `python -m benchmarks.suite.jobs …` with
them): the reminder sweep as beat's task runs it, and the import of
enterprises the way the admin's import page has it done (the file kept and
checked as a job, then applied). Prints one JSON line per run.

    python -m benchmarks.suite.jobs sweep
    python -m benchmarks.suite.jobs import --rows 50000 --admin load-admin
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# 50,000 rows are past what one upload may hold (20,000 rows, 10 MB, 50 MB
# inflated): the job times the importer, not the limits.
os.environ.setdefault("ZOUFANG_IMPORT_MAX_ROWS", "1000000")
os.environ.setdefault("ZOUFANG_IMPORT_MAX_BYTES", str(1024 * 1024 * 1024))
os.environ.setdefault("ZOUFANG_ZIP_MAX_INFLATED_BYTES", str(4 * 1024 * 1024 * 1024))

import django

django.setup()

from django.db import connection  # noqa: E402

from benchmarks.suite.servers import MemorySampler  # noqa: E402


def timed(func):
    """(result, seconds, queries, peak growth in MiB) of one call."""
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with MemorySampler([os.getpid()]) as memory, connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = func()
        seconds = time.perf_counter() - started
    return result, seconds, count[0], memory.growth()[0]


def sweep(_args) -> list[dict]:
    from issues.tasks import reminder_sweep

    out = []
    for name in ("reminder sweep (first of the day)", "reminder sweep (again, nothing new)"):
        result, seconds, queries, peak = timed(reminder_sweep)
        out.append({"name": name, "seconds": seconds, "queries": queries, "growth_mib": peak, "result": result})
    return out


def write_roster(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from core.validators import credit_code_check_char
    from enterprises.imports import IMPORTERS, region_paths
    from enterprises.models import Enterprise

    regions = region_paths()
    parents = {region.parent_id for region in regions.values()}
    leaves = sorted(path for path, region in regions.items() if region.pk not in parents) or sorted(regions)
    taken = set(Enterprise.objects.values_list("credit_code", flat=True))
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([column.header for column in IMPORTERS["enterprises"].columns])
    made, serial = 0, 0
    while made < rows:
        body = f"9144{serial:013d}"  # a block of codes the generator does not use
        serial += 1
        code = body + credit_code_check_char(body)
        if code in taken:
            continue
        sheet.append(
            [code, f"导入企业{made}有限公司", leaves[made % len(leaves)], "", "C", "中型", "是", "否", "", "", "", ""]
        )
        made += 1
    book.save(path)


def import_enterprises(args) -> list[dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enterprises import services
    from enterprises.models import ImportJob, Official

    admin = Official.objects.get(username=args.admin)
    folder = Path(tempfile.mkdtemp(prefix="zoufang-bench-import-"))
    path = folder / "enterprises.xlsx"
    write_roster(path, args.rows)
    upload = SimpleUploadedFile("enterprises.xlsx", path.read_bytes())
    path.unlink()
    folder.rmdir()
    job = services.import_job_start(actor=admin, kind="enterprises", upload=upload)
    _, check_seconds, check_queries, check_peak = timed(lambda: services.import_job_run(job.pk, "check"))
    job.refresh_from_db()
    if job.status != ImportJob.Status.CHECKED or job.error_count:
        raise SystemExit(f"the dry run did not come out clean: {job.status} {job.message} {job.error_count}")
    services.import_job_apply(actor=admin, job=job)
    _, apply_seconds, apply_queries, apply_peak = timed(lambda: services.import_job_run(job.pk, "apply"))
    job.refresh_from_db()
    return [
        {
            "name": f"import {args.rows:,} enterprises: check",
            "seconds": check_seconds,
            "queries": check_queries,
            "growth_mib": check_peak,
        },
        {
            "name": f"import {args.rows:,} enterprises: apply",
            "seconds": apply_seconds,
            "queries": apply_queries,
            "growth_mib": apply_peak,
            "result": job.status,
        },
    ]


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="job", required=True)
    sub.add_parser("sweep")
    imports = sub.add_parser("import")
    imports.add_argument("--rows", type=int, default=50_000)
    imports.add_argument("--admin", default="load-admin")
    args = parser.parse_args()
    runs = {"sweep": sweep, "import": import_enterprises}[args.job](args)
    print(json.dumps(runs, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
