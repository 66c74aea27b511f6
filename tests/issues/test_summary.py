"""The dashboard's summary (issues.summary) against the ledger it adds up."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import clock
from enterprises import services as enterprise_services
from enterprises.models import Enterprise
from issues import figures, ladder, selectors, services, summary
from issues.models import FigureCell, FigureSummary

from ..conftest import drive
from ..factories import EnterpriseFactory, RegionFactory

D = datetime.date


def at(day, hour=9):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))


def test_every_settled_figure_has_its_column():
    columns = {field.name for field in FigureCell._meta.fields} - {"id", *summary.KEY}
    assert columns == {*figures.SETTLED, "time_to_close_us"}


def test_only_the_moving_figures_change_with_the_date():
    """A figure left out of figures.MOVING is kept as it stood when added up:
    it must not depend on the date it is judged at."""
    early, late = D(2020, 1, 1), D(2030, 1, 1)
    for name in figures.ROW_FIGURES:  # (event and extension figures take no date)
        if name not in figures.MOVING:
            assert figures.condition(name, early) == figures.condition(name, late), name


def answers(today, **filters):
    return (
        selectors.issue_figures(today=today, **filters),
        selectors.trend(**filters),
        selectors.trend(period="week", **filters),
    )


def ledger_answers(today, **filters):
    """The same questions answered from the ledger alone."""
    FigureSummary.objects.filter(pk=1).update(stale_since=clock.now())
    try:
        assert summary.plan(**filters) is None
        return answers(today, **filters)
    finally:
        FigureSummary.objects.filter(pk=1).update(stale_since=None)


def summary_answers(today, **filters):
    assert summary.plan(**filters) is not None
    return answers(today, **filters)


def build_history(w, n=60, seed=7):
    """Issues registered over five months, in every state, with extensions,
    rework, return calls and the 督办 ladder's notices."""
    rng = random.Random(seed)  # nosec B311  # a repeatable ledger, not a secret
    enterprise_a3 = Enterprise.objects.filter(name="甲三企业").first() or EnterpriseFactory(
        name="甲三企业", region=RegionFactory(name="甲三镇", parent=w.county_a)
    )
    paths = [
        (),
        ("assign",),
        ("assign", "accept"),
        ("assign", "accept", "resolve"),
        ("assign", "accept", "resolve", "follow_up"),
        ("assign", "accept", "resolve", "follow_up", "close"),
        ("cancel",),
        ("assign", "accept", "request_extension"),
        ("assign", "accept", "escalate"),
    ]
    # Who registers at each enterprise (county B's issues stay registered).
    enterprises = [(w.enterprise_a, w.official_a), (enterprise_a3, w.supervisor_a), (w.enterprise_b, w.supervisor_b)]
    issues = []
    for i in range(n):
        day = D(2026, 1, 5) + datetime.timedelta(days=rng.randrange(0, 140))
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        enterprise, actor = enterprises[i % 3]
        with at(day):
            issue = services.issue_register(
                actor=actor, enterprise=enterprise, category=rng.choice(["finance", "land", "people"]), title=f"问题{i}"
            )
        steps = rng.choice(paths) if enterprise != w.enterprise_b else ()
        with at(day + datetime.timedelta(days=rng.randrange(1, 25)), 10):
            drive(issue, w, *steps)
        issues.append(issue)
    # The ladder, on the issues late at the end of May.
    for day in (D(2026, 5, 25), D(2026, 6, 1)):
        with at(day, 8):
            ladder.climb(day)
    return issues


CHOICES = [
    {"campaign": None, "region": None, "date_from": D(2026, 1, 1), "date_to": D(2026, 5, 31)},
    {"campaign": None, "region": None, "date_from": D(2026, 1, 14), "date_to": D(2026, 4, 20)},
    {"campaign": None, "region": None, "date_from": None, "date_to": None},
    {"campaign": "current", "region": None, "date_from": D(2026, 2, 1), "date_to": D(2026, 6, 1)},
    {"campaign": None, "region": "county_a", "date_from": D(2026, 1, 1), "date_to": D(2026, 6, 1)},
    {"campaign": None, "region": "town_a", "date_from": D(2026, 1, 1), "date_to": D(2026, 3, 31)},
]


@pytest.mark.parametrize("who", ["admin", "supervisor_a", "supervisor_b"])
def test_the_summary_gives_the_ledgers_figures(world, who):
    w = world
    build_history(w)
    assert FigureCell.objects.filter(registered__gt=0).exists()
    user = getattr(w, who)
    for choice in CHOICES:
        filters = dict(choice)
        filters["campaign"] = w.campaign if choice["campaign"] else None
        filters["region"] = getattr(w, choice["region"]) if choice["region"] else None
        if who != "admin" and filters["region"] is not None and filters["region"] != w.county_a:
            continue
        if who == "supervisor_b" and filters["region"] is not None:
            continue
        for today in (D(2026, 6, 1), D(2026, 6, 20), D(2026, 9, 1)):
            assert summary_answers(today, user=user, **filters) == ledger_answers(today, user=user, **filters), (
                choice,
                today,
            )


def cells():
    return sorted(
        tuple(getattr(cell, name) for name in (*summary.KEY, *summary.COLUMNS))
        for cell in FigureCell.objects.all()
        if any(getattr(cell, name) for name in summary.COLUMNS)
    )


def test_a_rebuild_adds_up_to_what_the_lifecycle_kept(world):
    build_history(world, n=40, seed=3)
    kept = cells()
    assert kept
    summary.rebuild()
    assert cells() == kept


def test_moving_an_enterprise_reads_the_ledger_until_added_up_again(world, django_capture_on_commit_callbacks):
    w = world
    build_history(w, n=20, seed=5)
    period = {"campaign": None, "date_from": D(2026, 1, 1), "date_to": D(2026, 5, 31)}
    with django_capture_on_commit_callbacks(execute=False):
        enterprise_services.enterprise_save(actor=w.admin, enterprise=w.enterprise_b, region=w.town_a)
    assert summary.plan(user=w.admin, **period) is None
    moved = selectors.issue_figures(user=w.admin, region=w.county_a, **period)
    summary.rebuild()
    assert summary.plan(user=w.admin, **period) is not None
    assert selectors.issue_figures(user=w.admin, region=w.county_a, **period) == moved
    assert moved["totals"]["registered"] == selectors.issue_totals(user=w.admin, **period)["registered"]


def test_officials_and_one_units_figures_come_from_the_ledger(world):
    period = {"date_from": D(2026, 1, 1), "date_to": D(2026, 5, 31)}
    assert summary.plan(user=world.official_a, **period) is None
    assert summary.plan(user=world.admin, unit=world.unit_a, **period) is None
    assert summary.plan(user=world.admin, **period) is not None
    with at(D(2026, 5, 25)):
        services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, category="land", title="用地")
    # A month is whole when the period holds every day of it with an issue.
    assert summary.plan(user=world.admin, date_from=D(2026, 5, 3), date_to=D(2026, 5, 20)) is None
    whole = summary.plan(user=world.admin, date_from=D(2026, 5, 3), date_to=D(2026, 5, 26))
    assert (whole.first_month, whole.last_month, whole.live) == (D(2026, 5, 1), D(2026, 5, 1), None)


def test_the_dashboards_queries_do_not_grow_with_the_ledger(world, client):
    client.force_login(world.supervisor_a)
    url = "/supervise/dashboard/?date_from=2026-01-01&date_to=2026-05-31&campaign="

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    build_history(world, n=10, seed=1)
    count()  # (the first request also fills per-process caches)
    small = count()
    build_history(world, n=40, seed=2)
    assert count() == small


def test_a_lifecycle_change_moves_the_issue_between_cells(world, make_issue):
    w = world
    issue = make_issue("assigned")
    month = issue.registered_at.astimezone(timezone.get_current_timezone()).date().replace(day=1)

    def unit_cell(unit):
        return FigureCell.objects.filter(
            month=month, region_id=w.county_a.pk, dim=summary.UNIT, member=str(unit.pk)
        ).first()

    assert unit_cell(w.unit_a).registered == 1
    assert unit_cell(w.unit_a).ever_assigned == 1
    services.issue_return(actor=w.official_a, issue_id=issue.pk, reason="不属本单位职责")
    services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=w.unit_a2)
    assert unit_cell(w.unit_a).registered == 0
    moved = unit_cell(w.unit_a2)
    assert (moved.registered, moved.ever_assigned, moved.ever_returned) == (1, 1, 1)
