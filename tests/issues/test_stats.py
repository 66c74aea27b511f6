"""The figures, on a hand-built ledger whose answers are worked out here."""

import datetime

import pytest
from django.utils import timezone

from core import clock
from issues import figures, services
from issues.selectors import issue_stats

from ..conftest import api_client

D = datetime.date


def at(day, hour=9):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))


@pytest.fixture
def ledger(world):
    """All registered Monday 1 June 2026 at 09:00. Finance and land issues are
    due 15 and 30 working days after assignment: 22 June and 13 July."""
    w = world
    made = {}

    def register(name, category, enterprise=None):
        with at(D(2026, 6, 1)):
            made[name] = services.issue_register(
                actor=w.supervisor_b if enterprise else w.official_a,
                enterprise=enterprise or w.enterprise_a,
                category=category,
                title=name,
            )
        return made[name].pk

    def assign(pk, unit, sup=w.supervisor_a):
        with at(D(2026, 6, 1), 10):
            services.issue_assign(actor=sup, issue_id=pk, unit=unit)

    def accept(pk, who):
        with at(D(2026, 6, 2)):
            services.issue_accept(actor=who, issue_id=pk)

    def resolve_and_close(pk, who, day, satisfaction):
        with at(day - datetime.timedelta(days=1)):
            services.issue_resolve(actor=who, issue_id=pk, outcome="solved", note="已办结")
        with at(day):
            services.issue_follow_up(
                actor=w.supervisor_a,
                issue_id=pk,
                channel="phone",
                contact="企业负责人",
                verdict=satisfaction,
                note="回访",
            )
            services.issue_close(actor=w.supervisor_a, issue_id=pk, note="回访")

    # unit_a, finance (due 22 June)
    for name in ("I1", "I2", "I3", "I4"):
        pk = register(name, "finance")
        assign(pk, w.unit_a)
        accept(pk, w.official_a)
    resolve_and_close(made["I1"].pk, w.official_a, D(2026, 6, 10), "satisfied")  # on time, 9 days
    resolve_and_close(made["I2"].pk, w.official_a, D(2026, 6, 25), "unsatisfied")  # late, 24 days
    # I3 stays in progress → overdue on 30 June.
    with at(D(2026, 6, 15)):
        services.issue_request_extension(
            actor=w.official_a, issue_id=made["I4"].pk, new_due_date=D(2026, 7, 31), reason="报批"
        )
    with at(D(2026, 6, 16)):
        services.issue_approve_extension(actor=w.supervisor_a, issue_id=made["I4"].pk)  # not overdue any more

    # unit_a2, land (due 13 July; J2 given an explicit 20 June due date)
    j1 = register("J1", "land")
    assign(j1, w.unit_a2)
    accept(j1, w.official_a2)
    with at(D(2026, 6, 20)):
        services.issue_resolve(actor=w.official_a2, issue_id=j1, outcome="partly_solved", note="部分解决")
    j2 = register("J2", "land")
    with at(D(2026, 6, 1), 10):
        services.issue_assign(
            actor=w.supervisor_a, issue_id=j2, unit=w.unit_a2, due_date=D(2026, 6, 20), note="企业急需"
        )
    with at(D(2026, 6, 10)):
        services.issue_request_extension(actor=w.official_a2, issue_id=j2, new_due_date=D(2026, 7, 31), reason="x")
    with at(D(2026, 6, 11)):
        services.issue_reject_extension(actor=w.supervisor_a, issue_id=j2, reason="按期办结")

    # Not yet assigned, and a cancelled duplicate that no figure counts.
    register("K1", "people")
    k2 = register("K2", "people")
    with at(D(2026, 6, 1), 11):
        services.issue_cancel(actor=w.supervisor_a, issue_id=k2, reason="重复")

    # County B: outside supervisor A's region.
    l1 = register("L1", "finance", enterprise=w.enterprise_b)
    assign(l1, w.unit_b, sup=w.supervisor_b)
    return made


TODAY = D(2026, 6, 30)


def by(rows, key="name"):
    return {row[key]: row for row in rows}


def test_figures_per_unit(world, ledger):
    rows = by(issue_stats(user=world.supervisor_a, group_by="unit", today=TODAY))
    assert len(rows) == 3 and {"甲县经信局", "甲县商务局"} <= set(rows)
    a = rows["甲县经信局"]
    # 4 registered; I1 and I2 closed; I1 on time (10 ≤ 22 June), I2 late.
    assert (a["registered"], a["resolved"], a["closed"]) == (4, 2, 2)
    assert (a["closure_rate"], a["resolution_rate"], a["on_time_rate"]) == (0.5, 0.5, 0.5)
    # I3 past 22 June; I4's due date moved to 31 July.
    assert a["overdue"] == 1
    assert (a["extensions_requested"], a["extensions_approved"]) == (1, 1)
    assert a["mean_days_to_close"] == pytest.approx((9 + 24) / 2)
    assert a["satisfaction_rate"] == 0.5
    a2 = rows["甲县商务局"]
    assert (a2["registered"], a2["resolved"], a2["closed"], a2["overdue"]) == (2, 1, 0, 1)
    assert (a2["closure_rate"], a2["resolution_rate"], a2["on_time_rate"]) == (0.0, 0.5, None)
    assert (a2["extensions_requested"], a2["extensions_approved"]) == (1, 0)
    unassigned = next(row for row in rows.values() if row["group"] is None)
    assert unassigned["registered"] == 1  # K1; the cancelled K2 is not counted


def test_figures_per_region_and_category(world, ledger):
    regions = issue_stats(user=world.supervisor_a, group_by="region", today=TODAY)
    assert len(regions) == 1
    town = regions[0]
    assert town["name"] == "甲镇"
    assert (town["registered"], town["resolved"], town["closed"], town["overdue"]) == (7, 3, 2, 2)
    assert town["closure_rate"] == round(2 / 7, 4)
    assert (town["extensions_requested"], town["extensions_approved"]) == (2, 1)
    # An admin's regions: the city is the only root, so one level further down, its counties.
    everyone = by(issue_stats(user=world.admin, group_by="region", today=TODAY), "group")
    assert {pk: row["registered"] for pk, row in everyone.items()} == {world.county_a.pk: 7, world.county_b.pk: 1}
    within = issue_stats(user=world.admin, group_by="region", today=TODAY, region=world.county_b)
    assert [(r["name"], r["direct"], r["registered"]) for r in within] == [("乙镇", False, 1)]
    categories = by(issue_stats(user=world.supervisor_a, group_by="category", today=TODAY), "group")
    assert {k: v["registered"] for k, v in categories.items()} == {"finance": 4, "land": 2, "people": 1}


def test_filters_narrow_the_figures(world, ledger):
    only_a2 = issue_stats(user=world.supervisor_a, group_by="category", today=TODAY, unit=world.unit_a2)
    assert [(r["group"], r["registered"]) for r in only_a2] == [("land", 2)]
    later = issue_stats(user=world.admin, group_by="unit", today=TODAY, date_from=D(2026, 6, 2))
    assert later == []
    county_b = issue_stats(user=world.admin, group_by="unit", today=TODAY, region=world.county_b)
    assert [(r["name"], r["registered"]) for r in county_b] == [("乙县经信局", 1)]


def test_stats_api_scope_counts_and_drill_down(world, ledger, django_assert_max_num_queries):
    client = api_client(world.supervisor_a)
    with clock.frozen_at(timezone.make_aware(datetime.datetime(2026, 6, 30, 9))):
        client.get("/api/v1/stats/", {"group_by": "unit"})
        # Eleven, whatever the size: one reads the calendar (lateness is in working days),
        # one the scoring rule in force (unit rows carry their score), three ask whether
        # the dashboard's summary may be read and which months of the period are whole.
        with django_assert_max_num_queries(11):
            body = client.get("/api/v1/stats/", {"group_by": "unit"}).json()
        rows = by(body["results"], "group")
        # Drill down: the issue list behind each figure has that many rows.
        for unit in (world.unit_a, world.unit_a2):
            row = rows[unit.pk]
            for name in figures.LABELS:
                listed = client.get("/api/v1/issues/", {"responsible_unit": unit.pk, "figure": name})
                assert listed.json()["count"] == row[name], name
        assert (rows[world.unit_a.pk]["ever_assigned"], rows[world.unit_a.pk]["closed_on_time"]) == (4, 1)
        unknown = client.get("/api/v1/issues/", {"figure": "happiness"})
        assert unknown.status_code == 400 and "figure" in unknown.json()["errors"]
        other = api_client(world.supervisor_b).get("/api/v1/stats/", {"group_by": "unit"}).json()["results"]
        assert [(r["name"], r["registered"]) for r in other] == [("乙县经信局", 1)]


def test_stats_api_rejects_bad_queries(world):
    client = api_client(world.supervisor_a)
    assert client.get("/api/v1/stats/").json()["code"] == "required"
    bad = client.get("/api/v1/stats/", {"group_by": "weather"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_choice"
    reversed_range = client.get("/api/v1/stats/", {"group_by": "unit", "from": "2026-07-01", "to": "2026-06-01"})
    assert reversed_range.status_code == 400
    outside = client.get("/api/v1/stats/", {"group_by": "unit", "unit": world.unit_b.pk})
    assert outside.status_code == 400 and outside.json()["code"] == "does_not_exist"


def test_totals_match_the_groups_and_count_sign_for_returns_and_rework(world, ledger):
    from issues.selectors import issue_totals

    totals = issue_totals(user=world.supervisor_a, today=TODAY)
    units = issue_stats(user=world.supervisor_a, group_by="unit", today=TODAY)
    for figure in ("registered", "resolved", "closed", "overdue", "extensions_requested", "extensions_approved"):
        assert totals[figure] == sum(row[figure] for row in units), figure
    # Five issues signed for, each the day after assignment (limit: 1 working day).
    assert totals["on_time_sign_for_rate"] == 1.0
    assert (totals["return_rate"], totals["rework_rate"]) == (0.0, 0.0)
    # One returned then reassigned, one sent back for rework.
    with at(D(2026, 6, 22)):
        returned = services.issue_register(
            actor=world.official_a, enterprise=world.enterprise_a, category="land", title="R"
        )
        services.issue_assign(actor=world.supervisor_a, issue_id=returned.pk, unit=world.unit_a2)
        services.issue_return(actor=world.official_a2, issue_id=returned.pk, reason="非本单位")
        services.issue_assign(actor=world.supervisor_a, issue_id=returned.pk, unit=world.unit_a)
        services.issue_reopen(actor=world.supervisor_a, issue_id=ledger["J1"].pk, reason="未解决")
    totals = issue_totals(user=world.supervisor_a, today=TODAY)
    # Ever assigned: I1–I4, J1, J2 and R = 7, one of them returned; ever resolved: I1, I2, J1, one reworked.
    assert totals["return_rate"] == round(1 / 7, 4)
    assert totals["rework_rate"] == round(1 / 3, 4)


def test_on_time_is_judged_against_the_deadline_in_force(world, ledger):
    """I4's deadline moved from 22 June to 31 July by an approved extension:
    closed on 6 July it is on time; I3, closed the same day against 22 June, is late."""
    w = world
    for name in ("I3", "I4"):
        with at(D(2026, 7, 3)):
            services.issue_resolve(actor=w.official_a, issue_id=ledger[name].pk, outcome="solved", note="已办结")
        with at(D(2026, 7, 6)):
            services.issue_follow_up(
                actor=w.supervisor_a,
                issue_id=ledger[name].pk,
                channel="phone",
                contact="企业负责人",
                verdict="satisfied",
            )
            services.issue_close(actor=w.supervisor_a, issue_id=ledger[name].pk, note="回访")
    unit = by(issue_stats(user=w.supervisor_a, group_by="unit", today=D(2026, 7, 6)))["甲县经信局"]
    # Closed: I1 (on time), I2 (late), I3 (late), I4 (on time, extended).
    assert (unit["closed"], unit["closed_on_time"], unit["on_time_rate"]) == (4, 2, 0.5)
    assert unit["closure_rate"] == 1.0 and unit["satisfaction_rate"] == 0.75
    region = issue_stats(user=w.supervisor_a, group_by="region", today=D(2026, 7, 6))[0]
    # The town: the unit's four plus J1 (resolved), J2 (overdue) and K1 (unassigned).
    assert (region["registered"], region["closed"], region["closed_on_time"]) == (7, 4, 2)
    assert (region["closure_rate"], region["resolution_rate"]) == (round(4 / 7, 4), round(5 / 7, 4))
    assert (region["extensions_requested"], region["extensions_approved"], region["overdue"]) == (2, 1, 1)
    assert region["mean_days_to_close"] == pytest.approx((9 + 24 + 35 + 35) / 4)
