"""The dashboard's visit figures kept added up, so a province's dashboard
reads a few hundred cells instead of two million visits (issue 13).

What is kept: every visit, in VisitCell rows keyed by a region (every region
from the root down to the enterprise's own), its campaign, the month of its
date and a unit (0: every visit): the visits and the person-times on them,
and per unit the visits its people took part in and their person-times.
visit_record adds each new visit in the visit's own transaction, with an
upsert that adds (core.tally), so two visits at once add up.

When it is not read: until it is built, and while stale (an enterprise or a
region moved): issues.summary owns that state for both summaries, builds
them together and passes `summarised` to visit_figures; for users whose scope
is not a region (officials); and for the days of a period that do not fill a
month (core.periods: counted from the ledger)."""

from collections import Counter

from django.db import connection
from django.db.models import Count, DateField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from core import periods, tally
from enterprises.models import Region

from .models import Visit, VisitCell, VisitParticipant

KEY = ("region_id", "campaign_id", "month", "unit_id")
COLUMNS = ("visits", "person_times")
EVERY = 0  # the unit_id of the cells of every visit


def cells_of(visit: Visit, units: list[int], sign: int = 1) -> list[tuple[tuple, list[int]]]:
    """A visit's share of its cells (`sign` -1: its share taken out, as it
    stands before a correction or at its withdrawal); `units` holds each
    participant's unit."""
    path = Region.objects.filter(pk=visit.enterprise.region_id).values_list("path", flat=True).get()
    month, campaign = visit.date.replace(day=1), visit.campaign_id or 0
    rows = []
    for region in Region.chain(path):
        rows.append(((region, campaign, month, EVERY), [sign, sign * len(units)]))
        rows.extend(((region, campaign, month, unit), [sign, sign * n]) for unit, n in Counter(units).items())
    return rows


def add(*shares) -> None:
    """Add shares of cells (cells_of) in one statement: the same cell summed
    once (a statement may not touch a row twice), the cells in key order, so
    two changes at once lock them in the same order and cannot deadlock (a
    correction takes a visit out of one month and into another)."""
    summed: dict[tuple, list[int]] = {}
    for rows in shares:
        for key, numbers in rows:
            total = summed.setdefault(key, [0] * len(numbers))
            for k, number in enumerate(numbers):
                total[k] += number
    tally.add(VisitCell, KEY, COLUMNS, sorted(summed.items()))


def record(visit: Visit, units: list[int], sign: int = 1) -> None:
    """Add a visit to its cells (`sign` -1: take it out)."""
    add(cells_of(visit, units, sign))


def rebuild() -> int:
    """Add every visit up again (inside issues.summary.rebuild's transaction):
    the visits grouped by their enterprise's own region in the database, then
    added to every region above it."""
    table = VisitCell._meta.db_table
    postgres = connection.vendor == "postgresql"
    month = TruncMonth("date", output_field=DateField())
    every = (
        Visit.objects.annotate(
            k_month=month, k_campaign=Coalesce("campaign_id", Value(0)), k_region=F("enterprise__region_id")
        )
        .values("k_month", "k_campaign", "k_region")
        .annotate(k_unit=Value(EVERY), n_visits=Count("pk", distinct=True), n_people=Count("participant_rows"))
        .values("k_month", "k_campaign", "k_region", "k_unit", "n_visits", "n_people")
        .order_by()
    )
    by_unit = (
        VisitParticipant.objects.filter(visit__withdrawn_at__isnull=True)
        .annotate(
            k_month=TruncMonth("visit__date", output_field=DateField()),
            k_campaign=Coalesce("visit__campaign_id", Value(0)),
            k_region=F("visit__enterprise__region_id"),
            k_unit=F("unit_id"),
        )
        .values("k_month", "k_campaign", "k_region", "k_unit")
        .annotate(n_visits=Count("visit_id", distinct=True), n_people=Count("pk"))
        .values("k_month", "k_campaign", "k_region", "k_unit", "n_visits", "n_people")
        .order_by()
    )
    chains = [
        (leaf, region) for leaf, path in Region.objects.values_list("pk", "path") for region in Region.chain(path)
    ]
    day = "CAST(t.k_month AS DATE)" if postgres else "substr(t.k_month, 1, 10)"
    names = ", ".join((*KEY, *COLUMNS))
    with connection.cursor() as cursor:
        if postgres:  # visits recorded (or corrected) meanwhile wait for it, so none is lost
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # nosec B608 (fixed name)
        cursor.execute(f"DELETE FROM {table}")  # nosec B608 (fixed name)
        cursor.execute("DROP TABLE IF EXISTS zf_visit_chain")
        cursor.execute("CREATE TEMPORARY TABLE zf_visit_chain (leaf INTEGER, region INTEGER)")
        cursor.executemany("INSERT INTO zf_visit_chain VALUES (%s, %s)", chains)
        for grouped in (every, by_unit):
            sql, params = grouped.query.sql_with_params()
            # Django's SQL for the grouped visits; fixed names; every value a parameter.
            cursor.execute(
                f"INSERT INTO {table} ({names}) "  # nosec B608
                f"SELECT c.region, t.k_campaign, {day}, t.k_unit, SUM(t.n_visits), SUM(t.n_people) "
                f"FROM ({sql}) t JOIN zf_visit_chain c ON c.leaf = t.k_region "
                f"GROUP BY c.region, t.k_campaign, {day}, t.k_unit",
                params,
            )
        cursor.execute("DROP TABLE zf_visit_chain")
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # nosec B608 (fixed name)
        return cursor.fetchone()[0]


def split(date_from, date_to) -> periods.Split | None:
    """The whole months of a period the cells answer (core.periods)."""

    def any_between(start, end):
        return Visit.objects.filter(date__gte=start, date__lt=end).exists()

    return periods.split(date_from, date_to, any_between=any_between)


def edges(months: periods.Split) -> Q | None:
    """The visits of the period outside its whole months (None: none)."""
    condition = None
    for start, end in months.edges:
        edge = Q(date__gte=start, date__lt=end)
        condition = edge if condition is None else condition | edge
    return condition


def cells(months: periods.Split, *, roots, campaign_id):
    """The cells of the regions `roots` in the whole months."""
    rows = VisitCell.objects.filter(region_id__in=roots)
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    if months.first_month is not None:
        rows = rows.filter(month__gte=months.first_month)
    if months.last_month is not None:
        rows = rows.filter(month__lte=months.last_month)
    return rows


def totals(months: periods.Split, *, roots, campaign_id) -> dict:
    """Visits and person-times in the whole months."""
    sums = (
        cells(months, roots=roots, campaign_id=campaign_id)
        .filter(unit_id=EVERY)
        .aggregate(visits=Coalesce(Sum("visits"), 0), person_times=Coalesce(Sum("person_times"), 0))
    )
    return sums


def units_visiting(months: periods.Split, *, roots, campaign_id):
    """The ids of the units whose people visited in the whole months (a subquery)."""
    return cells(months, roots=roots, campaign_id=campaign_id).filter(unit_id__gt=0, visits__gt=0).values("unit_id")
