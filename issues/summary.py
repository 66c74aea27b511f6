"""The dashboard's figures kept added up, so a province's dashboard reads a
few thousand cells instead of a million issues.

What is kept: for every issue the figures count (issues.figures), the part of
each figure that does not change with the date it is judged at
(`figures.settled`), added into FigureCell rows keyed by the month the issue
was registered, its campaign, a region (every region from the root down to the
enterprise's own, which is `direct`), and one group (`dim`/`member`): its
responsible unit, its category, its week registered, its month and week
closed. The lifecycle (issues.services, issues.ladder) records every change
in the change's own transaction (`snapshot` before, `record` after: the
difference of the issue's cells, added with an upsert, so two changes at once
add up instead of overwriting each other).

What is not kept: the part of a figure that comes with the date (overdue
now, a return call or first answer past its day: `figures.MOVING`); that part
only ever concerns open work and calls not yet made, and selectors counts it
live. So the summary never needs a nightly refresh, and the figures it gives
are the ledger's at any date (tests/issues/test_summary.py checks them
against the ledger, at several dates).

When it is not read: until `rebuild` has run (migrate runs it once), while
stale (an enterprise or a region moved, which changes which cells an issue
sits in: `mark_stale` queues a rebuild through the outbox), for users whose
scope is not a region (officials), for one unit's figures (co-handled issues
are not in its cells), and for the days of a period that do not fill a month
(counted live). Then selectors counts from the ledger, with the same
definitions.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, DateField, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from core import clock, outbox, periods, tally
from enterprises.models import Region
from enterprises.scope import region_roots
from visits import summary as visit_summary

from . import figures
from .models import FigureCell, FigureSummary, Issue

COLUMNS = (*figures.SETTLED, "time_to_close_us")
KEY = ("month", "campaign_id", "region_id", "direct", "dim", "member")
UNIT, CATEGORY, WEEK, CLOSED_MONTH, CLOSED_WEEK = "u", "c", "w", "cm", "cw"


# Writing --------------------------------------------------------------------


def _issues(queryset):
    """Each counted issue's keys and settled figures (1 or 0), one query."""
    flags = {f"f_{name}": _one_if(figures.settled(name)) for name in figures.SETTLED}
    closed = figures.condition("closed", datetime.date.min)
    return (
        queryset.filter(figures.COUNTED)
        .annotate(
            k_month=TruncMonth("registered_at", output_field=DateField()),
            k_week=TruncWeek("registered_at", output_field=DateField()),
            k_closed_month=TruncMonth("closed_at", output_field=DateField()),
            k_closed_week=TruncWeek("closed_at", output_field=DateField()),
            k_time=Case(
                When(closed, then=ExpressionWrapper(F("closed_at") - F("registered_at"), DurationField())),
                default=None,
            ),
            **flags,
        )
        .values(
            "campaign_id",
            "responsible_unit_id",
            "category",
            "enterprise__region__path",
            "k_month",
            "k_week",
            "k_closed_month",
            "k_closed_week",
            "k_time",
            *flags,
        )
        .order_by()
    )


# One issue's cells are read twice in every change: the query is compiled
# once per process (and per figure definitions), not on every change.
_UNKNOWN = -7_000_000_001  # an id no issue has, marking where the id goes
_compiled: dict = {}


def _one_issue(issue_id: int) -> list[dict]:
    key = (connection.vendor, figures.definitions())
    if key not in _compiled:
        query = _issues(Issue.objects.filter(pk=_UNKNOWN)).query
        sql, params = query.sql_with_params()
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        _compiled[key] = (sql, list(params), params.index(_UNKNOWN), names)
    sql, params, position, names = _compiled[key]
    params = [*params[:position], issue_id, *params[position + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_plain(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def _plain(row: dict) -> dict:
    """The values as the ORM gives them (raw SQLite gives dates as text and
    a duration as microseconds; PostgreSQL a truncated moment as a timestamp)."""
    for name in ("k_month", "k_week", "k_closed_month", "k_closed_week"):
        value = row[name]
        if isinstance(value, datetime.datetime):
            row[name] = value.date()
        elif isinstance(value, str):
            row[name] = datetime.date.fromisoformat(value[:10])
    if isinstance(row["k_time"], int):
        row["k_time"] = datetime.timedelta(microseconds=row["k_time"])
    return row


def _one_if(condition: Q):
    """1 for an issue the condition holds for, else 0 (an empty Q holds for all)."""
    if isinstance(condition, Q) and not condition:
        return Value(1, output_field=IntegerField())
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _cells_of(row) -> list[tuple[tuple, list[int]]]:
    """The cells one issue is added to, with what it adds."""
    values = [row[f"f_{name}"] for name in figures.SETTLED]
    values.append(_us(row["k_time"]) if row["k_time"] is not None else 0)
    groups = [
        (UNIT, str(row["responsible_unit_id"] or "")),
        (CATEGORY, row["category"]),
        (WEEK, row["k_week"].isoformat()),
    ]
    if row["k_closed_month"] is not None:
        groups += [(CLOSED_MONTH, row["k_closed_month"].isoformat()), (CLOSED_WEEK, row["k_closed_week"].isoformat())]
    chain = Region.chain(row["enterprise__region__path"])
    campaign = row["campaign_id"] or 0
    return [
        ((row["k_month"], campaign, region, region == chain[-1], dim, member), values)
        for region in chain
        for dim, member in groups
    ]


def _us(delta: datetime.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def snapshot(issue_ids) -> list:
    """The cells of these issues as they stand (call inside the change's
    transaction, with the issues locked), for `record`."""
    issue_ids = list(issue_ids)
    if len(issue_ids) == 1:
        rows = _one_issue(issue_ids[0])
    else:
        rows = _issues(Issue.objects.filter(pk__in=issue_ids))
    cells = []
    for row in rows:
        cells.extend(_cells_of(row))
    return cells


def record(before: list, issue_ids) -> None:
    """Add to the cells the difference the change made to these issues."""
    _add(before, snapshot(issue_ids))


def _add(before: list, after: list) -> None:
    width = len(COLUMNS)
    delta: dict = defaultdict(lambda: [0] * width)
    for cells, sign in ((before, -1), (after, 1)):
        for key, values in cells:
            total = delta[key]
            for i, value in enumerate(values):
                total[i] += sign * value
    rows = sorted((key, values) for key, values in delta.items() if any(values))
    if rows:
        tally.add(FigureCell, KEY, COLUMNS, rows)


@transaction.atomic
def rebuild() -> int:
    """Add every issue up again from the ledger (after a bulk load, a move of
    an enterprise or a region, or to check), in the database: each issue's
    keys and settled figures once into a temporary table, then one grouped
    INSERT per group kind, joined to every region above the enterprise's own.
    Changes made meanwhile wait for it (the table is locked), so none is lost."""
    table = FigureCell._meta.db_table
    postgres = connection.vendor == "postgresql"
    flags = {f"f_{name}": _one_if(figures.settled(name)) for name in figures.SETTLED}
    closed = figures.condition("closed", datetime.date.min)
    issues = (
        Issue.objects.filter(figures.COUNTED)
        .annotate(
            k_month=TruncMonth("registered_at", output_field=DateField()),
            k_campaign=Coalesce("campaign_id", Value(0)),
            k_region=F("enterprise__region_id"),
            k_unit=F("responsible_unit_id"),
            k_category=F("category"),
            k_week=TruncWeek("registered_at", output_field=DateField()),
            k_closed_month=TruncMonth("closed_at", output_field=DateField()),
            k_closed_week=TruncWeek("closed_at", output_field=DateField()),
            k_time=Case(
                When(closed, then=ExpressionWrapper(F("closed_at") - F("registered_at"), DurationField())),
                default=None,
            ),
            **flags,
        )
        .values(
            "k_month",
            "k_campaign",
            "k_region",
            "k_unit",
            "k_category",
            "k_week",
            "k_closed_month",
            "k_closed_week",
            "k_time",
            *flags,
        )
        .order_by()
    )
    sql, params = issues.query.sql_with_params()
    chains = [
        (leaf, region, region == chain[-1])
        for leaf, chain in ((pk, Region.chain(path)) for pk, path in Region.objects.values_list("pk", "path"))
        for region in chain
    ]
    time = "CAST(EXTRACT(EPOCH FROM SUM(t.k_time)) * 1000000 AS BIGINT)" if postgres else "SUM(t.k_time)"
    sums = ", ".join([*(f"SUM(t.f_{name})" for name in figures.SETTLED), f"COALESCE({time}, 0)"])
    names = ", ".join((*KEY, *COLUMNS))

    def day(column):  # a truncated date as text, YYYY-MM-DD
        return f"to_char({column}, 'YYYY-MM-DD')" if postgres else f"substr({column}, 1, 10)"

    month = "CAST(t.k_month AS DATE)" if postgres else day("t.k_month")
    members = {
        UNIT: "COALESCE(CAST(t.k_unit AS TEXT), '')",
        CATEGORY: "t.k_category",
        WEEK: day("t.k_week"),
        CLOSED_MONTH: day("t.k_closed_month"),
        CLOSED_WEEK: day("t.k_closed_week"),
    }
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # nosec B608 (fixed name)
        cursor.execute(f"DELETE FROM {table}")  # nosec B608 (fixed name)
        for name in ("zf_issue_figures", "zf_region_chain"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        # Django's SQL for the issues' keys and figures; every value is a parameter.
        cursor.execute(f"CREATE TEMPORARY TABLE zf_issue_figures AS {sql}", params)  # nosec B608
        cursor.execute("CREATE TEMPORARY TABLE zf_region_chain (leaf INTEGER, region INTEGER, direct BOOLEAN)")
        cursor.executemany("INSERT INTO zf_region_chain VALUES (%s, %s, %s)", chains)
        for dim, member in members.items():
            # Fixed table, column and expression names; the dim is a parameter.
            cursor.execute(
                f"INSERT INTO {table} ({names}) "  # nosec B608
                f"SELECT {month}, t.k_campaign, c.region, c.direct, %s, {member}, {sums} "
                f"FROM zf_issue_figures t JOIN zf_region_chain c ON c.leaf = t.k_region "
                f"WHERE {member} IS NOT NULL "
                f"GROUP BY {month}, t.k_campaign, c.region, c.direct, {member}",
                [dim],
            )
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # nosec B608 (fixed name)
        (count,) = cursor.fetchone()
        for name in ("zf_issue_figures", "zf_region_chain"):
            cursor.execute(f"DROP TABLE {name}")
    visit_summary.rebuild()
    FigureSummary.objects.update_or_create(
        pk=1, defaults={"built_at": clock.now(), "stale_since": None, "definitions": figures.definitions()}
    )
    return count


def mark_stale() -> None:
    """Something the lifecycle does not see moved issues between cells: read
    the ledger until the rebuild this queues (after the commit) has run."""
    FigureSummary.objects.update_or_create(pk=1, defaults={"stale_since": clock.now()})
    outbox.send("issues.tasks.rebuild_figures")


def current() -> bool:
    """Whether the cells may be read: built, not stale, under today's definitions."""
    return FigureSummary.objects.filter(
        pk=1, built_at__isnull=False, stale_since__isnull=True, definitions=figures.definitions()
    ).exists()


def ensure_current() -> bool:
    """Add it all up again if it may not be read (after migrate, and hourly:
    a missed rebuild or a changed setting is caught up). True if it rebuilt."""
    if current():
        return False
    rebuild()
    return True


# Reading --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the summary answers of a request: the cells of `roots`, for the
    months first_month..last_month (inclusive; month starts); the rest of the
    period (`live`, a condition on the issues, None when there is none) is
    counted from the ledger."""

    roots: tuple[int, ...]
    root: Region | None
    campaign_id: int | None
    first_month: datetime.date | None
    last_month: datetime.date | None
    live: Q | None


def plan(*, user, campaign=None, region=None, unit=None, date_from=None, date_to=None) -> Plan | None:
    """How much of a request the summary answers (None: none of it)."""
    if unit is not None:
        return None
    reach = region_roots(user, region)
    if reach is None:
        return None
    root, roots = reach

    def any_between(start, end):
        return Issue.objects.filter(
            registered_at__gte=clock.day_start(start), registered_at__lt=clock.day_start(end)
        ).exists()

    months = periods.split(date_from, date_to, any_between=any_between)
    if months is None or not current():
        return None
    live = None
    for start, end in months.edges:
        edge = Q(registered_at__gte=clock.day_start(start), registered_at__lt=clock.day_start(end))
        live = edge if live is None else live | edge
    return Plan(
        roots=roots,
        root=root,
        campaign_id=None if campaign is None else campaign.pk,
        first_month=months.first_month,
        last_month=months.last_month,
        live=live,
    )


def whole_months(plan: Plan) -> Q:
    """The issues whose settled figures the cells of `plan` hold."""
    condition = Q()
    if plan.first_month is not None:
        condition &= Q(registered_at__gte=clock.day_start(plan.first_month))
    if plan.last_month is not None:
        condition &= Q(registered_at__lt=clock.day_start(periods.month_after(plan.last_month)))
    return condition


def _cells(plan: Plan, dim: str):
    cells = FigureCell.objects.filter(dim=dim)
    if plan.first_month is not None:
        cells = cells.filter(month__gte=plan.first_month)
    if plan.last_month is not None:
        cells = cells.filter(month__lte=plan.last_month)
    if plan.campaign_id is not None:
        cells = cells.filter(campaign_id=plan.campaign_id)
    return cells


def _sums():
    return {f"t_{name}": Sum(name) for name in COLUMNS}


def _counts(row) -> dict:
    counts = dict.fromkeys(figures.LABELS, 0)
    counts.update({name: row[f"t_{name}"] or 0 for name in figures.SETTLED})
    return {"counts": counts, "time": datetime.timedelta(microseconds=row["t_time_to_close_us"] or 0)}


def by_member(plan: Plan, dim: str) -> dict:
    """Settled counts per member of `dim` (unit ids as ints, None for no unit)."""
    rows = (
        _cells(plan, dim)
        .filter(region_id__in=plan.roots)
        .values("member")
        .annotate(**_sums())
        .filter(t_registered__gt=0)  # (not a group whose issues all left it)
        .order_by("member")
    )
    result = {}
    for row in rows:
        member = row["member"]
        if dim == UNIT:
            member = int(member) if member else None
        result[member] = _counts(row)
    return result


def by_period(plan: Plan, dim: str) -> dict:
    """Issues registered (dim WEEK, or CATEGORY for months) or closed
    (CLOSED_MONTH, CLOSED_WEEK) per period start: {date: count}."""
    column = "closed" if dim in (CLOSED_MONTH, CLOSED_WEEK) else "registered"
    group = "month" if dim == CATEGORY else "member"
    rows = _cells(plan, dim).filter(region_id__in=plan.roots).values(group).annotate(n=Sum(column)).order_by()
    result: dict = defaultdict(int)
    for row in rows:
        start = row[group]
        result[start if isinstance(start, datetime.date) else datetime.date.fromisoformat(start)] += row["n"] or 0
    return result


def by_region(plan: Plan) -> tuple[Region | None, dict]:
    """Settled counts per region one level below the root (the root itself
    for enterprises directly in it), going a level further down while
    everything sits in a single region, as the ledger's figures do
    (selectors._region_levels): returns the region the groups are below
    and {region id: counts}."""
    root = plan.root
    while True:
        if root is None:
            below = Region.objects.filter(parent__isnull=True)
        else:
            below = Region.objects.filter(parent=root)
        # The regions as ids, not a subquery: ORed with a subquery, the
        # region index (figurecell_region_dim) could not be used.
        regions = list(below.values_list("pk", flat=True))
        cells = _cells(plan, CATEGORY).filter(
            Q(region_id__in=regions) | (Q(region_id=root.pk, direct=True) if root else Q(pk__in=[]))
        )
        rows = cells.values("region_id").annotate(**_sums()).order_by()
        groups = {row["region_id"]: _counts(row) for row in rows if row["t_registered"]}
        if len(groups) != 1:
            return root, groups
        (only,) = groups
        if root is not None and only == root.pk:
            return root, groups
        # All of it in one region: go down when none of it is directly there.
        directly = _cells(plan, CATEGORY).filter(region_id=only, direct=True, registered__gt=0).exists()
        has_below = Region.objects.filter(parent_id=only).exists()
        if directly or not has_below:
            return root, groups
        root = Region.objects.get(pk=only)


def group_of(root: Region | None, path: str) -> int:
    """The region one level below `root` holding the enterprise region at `path`."""
    chain = Region.chain(path)
    if root is None:
        return chain[0]
    depth = len(Region.chain(root.path))
    return chain[depth] if len(chain) > depth else chain[-1]
