"""Benchmark: the issue list, the issue API list and the XLSX export over a
ledger of 200,000 issues on PostgreSQL, as a supervisor of the whole county:
median and p95 of each request (in-process through Django's test client,
without the test environment's template instrumentation; DEBUG off) with
its query count, and the export's time and peak memory.

Titles, enterprise names and co-handling units are varied so that search
has something to find: one title in twenty holds 贷款, one in forty holds
贷 and 款 apart, and every tenth issue has a co-handling unit.

Run with `make bench-lists` (a throwaway PostgreSQL), or with DATABASE_URL
pointing at a migrated database: python benchmarks/bench_lists.py
[--issues 200000] [--reuse] (--reuse measures a ledger an earlier run built).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_DEBUG", "0")
# The client below makes hundreds of API requests a minute on purpose.
os.environ.setdefault("ZOUFANG_API_BURST_RATE", "")
os.environ.setdefault("ZOUFANG_API_SUSTAINED_RATE", "")

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.bench_sweep import build
from benchmarks.measure import measure
from enterprises.models import HelpUnit, Official
from issues.models import Issue

TITLES = [
    "企业贷款难，申请流动资金贷款",
    "厂区用地融资问题",
    "新建厂房用地指标不足",
    "招工难，缺少熟练技工",
    "环评审批进度慢",
    "贷后管理拨款延迟",  # 贷 and 款, apart
    "电力增容申请",
    "道路交通不便，货车进出难",
    "高新技术企业认定政策咨询",
    "出口退税办理周期长",
    "天然气供应不稳定",
    "人才公寓申请",
    "排污许可证延续",
    "产品市场开拓需要对接",
    "专利申请与技术改造补贴",
    "用水价格偏高",
    "消防验收问题",
    "银行抽贷压贷",
    "税收优惠政策落实",
    "设备更新改造贷款贴息",
]
CATEGORIES = ["finance", "land", "people", "approvals", "policy", "infrastructure", "market", "technology"]
NAMES = ["丰乐", "金桥", "华宇", "恒信", "新源", "东方", "润达", "鑫盛", "长江", "瑞丰"]
TRADES = ["机械制造", "纺织", "食品", "新材料", "电子科技", "化工", "建材", "物流", "医药", "农业开发"]


def enrich() -> None:
    """Make the bench ledger's text look like a county's: varied titles and
    categories (half the issues are finance), enterprise names, and a
    co-handling unit on every tenth issue."""
    titles = "ARRAY[" + ", ".join(f"'{t}'" for t in TITLES) + "]"
    categories = "ARRAY[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]"
    names = "ARRAY[" + ", ".join(f"'{n}'" for n in NAMES) + "]"
    trades = "ARRAY[" + ", ".join(f"'{t}'" for t in TRADES) + "]"
    with connection.cursor() as cursor:
        # Fixed literals of this script only: nothing from outside reaches the SQL.
        cursor.execute(
            f"UPDATE issues_issue SET title = ({titles})[1 + (id * 7) % {len(TITLES)}] || '（' || id || '）', "  # nosec B608
            "category = CASE WHEN id % 2 = 0 THEN 'finance' "
            f"ELSE ({categories})[1 + (id / 2) % {len(CATEGORIES)}] END, "
            "request = '请求协调解决' || id"
        )
        cursor.execute(
            f"UPDATE enterprises_enterprise SET name = ({names})[1 + id % 10] || ({trades})[1 + (id / 10) % 10] "  # nosec B608
            "|| id || '有限公司'"
        )
        cursor.execute(
            "INSERT INTO issues_issue_co_units (issue_id, helpunit_id) "
            "SELECT i.id, (SELECT min(id) FROM enterprises_helpunit) + 1 + (i.id * 13) % 299 "
            "FROM issues_issue i WHERE i.id % 10 = 0 AND i.responsible_unit_id IS NOT NULL"
        )
        cursor.execute("ANALYZE")


def timed(client, label: str, url: str, runs: int, **params) -> dict:
    times, queries, status = [], [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params, HTTP_HOST="127.0.0.1")
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, params, response.status_code)
        times.append(elapsed)
        queries.append(len(captured))
        status = captured
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    slowest = max(status.captured_queries, key=lambda q: float(q["time"]))
    print(
        f"{label:<34} median {statistics.median(times) * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  "
        f"queries {min(queries)}–{max(queries)}  slowest query {float(slowest['time']) * 1000:.0f} ms",
        flush=True,
    )
    return {"median": statistics.median(times), "p95": p95, "queries": max(queries)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="measure the ledger an earlier run built")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    if not (args.reuse and Issue.objects.exists()):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # bench_sweep's COPY predates the is_complex column (no database default).
            cursor.execute("ALTER TABLE issues_issue ALTER COLUMN is_complex SET DEFAULT false")
        build(args.issues, args.issues // 10)
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE issues_issue ALTER COLUMN is_complex DROP DEFAULT")
        enrich()
        print(f"ledger built in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"{Issue.objects.count()} issues, PostgreSQL {connection.pg_version // 10000}", flush=True)
    supervisor = Official.objects.get(username="sup")
    client = Client()
    client.force_login(supervisor)
    unit = HelpUnit.objects.get(name="单位7")
    runs = args.runs
    timed(client, "issue list, default sort", "/issues/", runs)
    timed(client, "issue list, unit + state", "/issues/", runs, unit=unit.pk, status="in_progress")
    timed(client, "issue list, category by deadline", "/issues/", runs, category="land", sort="due")
    timed(client, "issue list, sorted by deadline", "/issues/", runs, sort="due")
    timed(client, "issue list, page 500", "/issues/", runs, page=500)
    timed(client, "issue list, search 贷款", "/issues/", runs, q="贷款")
    timed(client, "issue list, search 用地融资", "/issues/", runs, q="用地融资")
    timed(client, "issue list, search an enterprise", "/issues/", runs, q="华宇纺织")
    timed(client, "issue list, search a number", "/issues/", runs, q="2026-0012345")
    timed(client, "API issue list", "/api/v1/issues/", runs)
    timed(client, "API issue list, page 500", "/api/v1/issues/", runs, page=500)
    timed(client, "API issue list, unit + state", "/api/v1/issues/", runs, unit=unit.pk, status="in_progress")
    timed(client, "API issue list, search 贷款", "/api/v1/issues/", runs, q="贷款")
    if args.no_export:
        return
    rows = Issue.objects.filter(category="finance").count()

    def export():
        response = client.get("/issues/export.xlsx", {"category": "finance"}, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200
        return f"{rows} rows, {sum(len(part) for part in response.streaming_content) / 1048576:.1f} MiB"

    connection.force_debug_cursor = True
    measure("XLSX export", export, show_result=True)


if __name__ == "__main__":
    main()
