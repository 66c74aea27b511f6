"""Unit scores and the red and black lists (issues.scoring), on a hand-built
ledger whose scores, grades and places are worked out here, by hand."""

import datetime
import html
import itertools
import re
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from core import clock
from core.errors import InvalidInput, NotPermitted
from issues import figures, reminders, scoring, services
from issues.models import ScoringRule, SuperviseNotice
from issues.selectors import issue_figures

from ..conftest import api_client
from ..factories import HelpUnitFactory, OfficialFactory

D = datetime.date
TODAY = D(2026, 6, 30)  # the day the ledger is judged (overdue now)
SIGNED_FOR = D(2026, 6, 2)  # the day after assignment: on time
ANSWERED = D(2026, 6, 3)  # the first answer, due by 4 June: on time
JUNE = {"date_from": "2026-06-01", "date_to": "2026-06-30"}


def at(day, hour=9):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))


@pytest.fixture
def ledger(world):
    return build_ledger(world)


def build_ledger(world):
    """Seven units of two kinds and their issues, all finance issues (sign
    for within 1 working day, first answer within 3, resolve within 15)
    registered and assigned on Monday 1 June 2026: signed for on time by
    2 June, answered on time by 4 June (a reply to the enterprise on 3 June
    unless said otherwise), due 22 June. The reminder sweep runs on 23 June
    (a 督办单 to every issue overdue that day) and on 30 June (a 通报批评 to
    those still overdue five working days after their 督办单).

    Departments: 经信局 (4 issues), 商务局 (4), 水务局 (3), 税务局 (2: too few).
    Townships: 甲镇政府 (3), 丙镇政府 (3), 丁镇政府 (1: too few)."""
    w = world
    town_1 = HelpUnitFactory(name="甲镇政府", region=w.town_a, kind="township")
    town_2 = HelpUnitFactory(name="丙镇政府", region=w.town_a, kind="township")
    town_3 = HelpUnitFactory(name="丁镇政府", region=w.town_a, kind="township")
    people = {
        w.unit_a: w.official_a,
        w.unit_a2: w.official_a2,
        w.unit_a3: OfficialFactory(username="off_a3", unit=w.unit_a3),
        w.unit_a4: w.official_a4,
        town_1: OfficialFactory(username="off_t1", unit=town_1),
        town_2: OfficialFactory(username="off_t2", unit=town_2),
        town_3: OfficialFactory(username="off_t3", unit=town_3),
    }
    sup = w.supervisor_a

    def answer(pk, unit, day):
        with at(day, 11):
            services.issue_feedback(actor=people[unit], issue_id=pk, note="已联系企业,正在办理", reply=True)

    def issue(unit, accepted=SIGNED_FOR, answered=ANSWERED):
        with at(D(2026, 6, 1)):
            made = services.issue_register(actor=sup, enterprise=w.enterprise_a, category="finance", title="诉求")
        with at(D(2026, 6, 1), 10):
            services.issue_assign(actor=sup, issue_id=made.pk, unit=unit)
        if accepted:
            with at(accepted):
                services.issue_accept(actor=people[unit], issue_id=made.pk)
        if answered:
            answer(made.pk, unit, answered)
        return made.pk

    def resolve(pk, unit, day):
        with at(day):
            services.issue_resolve(actor=people[unit], issue_id=pk, outcome="solved", note="已办结")

    def close(pk, day, satisfaction="satisfied"):
        with at(day, 15):
            services.issue_follow_up(
                actor=sup, issue_id=pk, channel="phone", contact="企业负责人", verdict=satisfaction, note="回访"
            )
            services.issue_close(actor=sup, issue_id=pk, note="已回访")

    def done(unit, resolved, closed, satisfaction="satisfied", **kwargs):
        pk = issue(unit, **kwargs)
        resolve(pk, unit, resolved)
        close(pk, closed, satisfaction)
        return pk

    def sweep(day):
        with at(day, 8):
            reminders.sweep(day)

    # 经信局: three closed on time and satisfied; the fourth still in progress
    # on 22 June, so given a 督办单 on 23 June, then resolved on 24 June and
    # closed on 25 June, late, basically satisfied (counts as satisfied).
    for _n in range(3):
        done(w.unit_a, D(2026, 6, 9), D(2026, 6, 10))
    late = issue(w.unit_a)

    # 商务局: closed on time satisfied; closed on time after a return call that
    # reached no one (no verdict: neither called back nor rated); one left in
    # progress (overdue from 23 June: a 督办单, then a 通报批评 on 30 June);
    # one resolved, sent back for rework, resolved again and closed on time,
    # satisfied.
    done(w.unit_a2, D(2026, 6, 9), D(2026, 6, 10))
    unreached = issue(w.unit_a2)
    resolve(unreached, w.unit_a2, D(2026, 6, 9))
    with at(D(2026, 6, 10), 15):
        services.issue_follow_up(actor=sup, issue_id=unreached, channel="none", note="企业负责人出差,电话无人接听")
        services.issue_close(actor=sup, issue_id=unreached, note="无法回访")
    issue(w.unit_a2)
    reworked = issue(w.unit_a2)
    resolve(reworked, w.unit_a2, D(2026, 6, 5))
    with at(D(2026, 6, 8)):
        services.issue_reopen(actor=sup, issue_id=reworked, reason="企业反映未解决")
    resolve(reworked, w.unit_a2, D(2026, 6, 12))
    close(reworked, D(2026, 6, 15))

    # 水务局: one returned by the unit and assigned back to it (the
    # supervisor's decision stands), signed for on time, not answered until
    # its 办结 on 10 June (a late first answer), closed satisfied; one signed
    # for late (4 June, due 2 June) and answered that day (on time), closed on
    # 22 June (on time), unsatisfied; one signed for and answered late (5
    # June) and overdue from 23 June (a 督办单, then a 通报批评).
    with at(D(2026, 6, 1)):
        returned = services.issue_register(actor=sup, enterprise=w.enterprise_a, category="finance", title="诉求")
    with at(D(2026, 6, 1), 10):
        services.issue_assign(actor=sup, issue_id=returned.pk, unit=w.unit_a3)
    with at(D(2026, 6, 1), 11):
        services.issue_return(actor=people[w.unit_a3], issue_id=returned.pk, reason="非本单位职责")
    with at(D(2026, 6, 1), 14):
        services.issue_assign(actor=sup, issue_id=returned.pk, unit=w.unit_a3, note="职责在该单位,维持交办")
    with at(D(2026, 6, 2)):
        services.issue_accept(actor=people[w.unit_a3], issue_id=returned.pk)
    resolve(returned.pk, w.unit_a3, D(2026, 6, 10))
    close(returned.pk, D(2026, 6, 11))
    done(w.unit_a3, D(2026, 6, 19), D(2026, 6, 22), "unsatisfied", accepted=D(2026, 6, 4), answered=D(2026, 6, 4))
    issue(w.unit_a3, accepted=D(2026, 6, 5), answered=D(2026, 6, 5))

    # 税务局: two issues, both closed on time and satisfied: a perfect record,
    # and too few items to be ranked.
    for _n in range(2):
        done(w.unit_a4, D(2026, 6, 9), D(2026, 6, 10))

    # 甲镇政府: two closed on time and satisfied, one resolved on 12 June and
    # called back on 15 June (satisfied), awaiting 销号 (not overdue: the
    # unit's part is done).
    for _n in range(2):
        done(town_1, D(2026, 6, 9), D(2026, 6, 10))
    waiting = issue(town_1)
    resolve(waiting, town_1, D(2026, 6, 12))
    with at(D(2026, 6, 15)):
        services.issue_follow_up(
            actor=sup, issue_id=waiting, channel="phone", contact="企业负责人", verdict="satisfied"
        )

    # 丙镇政府: three in progress, none closed; two overdue from 23 June (a
    # 督办单 each, then a 通报批评 each), the third's deadline moved to 31 July
    # by an approved extension.
    issue(town_2)
    issue(town_2)
    extended = issue(town_2)
    with at(D(2026, 6, 15)):
        services.issue_request_extension(
            actor=people[town_2], issue_id=extended, new_due_date=D(2026, 7, 31), reason="需上级审批"
        )
    with at(D(2026, 6, 16)):
        services.issue_approve_extension(actor=sup, issue_id=extended)

    # 丁镇政府: one issue, closed on time.
    done(town_3, D(2026, 6, 9), D(2026, 6, 10))

    sweep(D(2026, 6, 23))  # 督办单: 经信局 1, 商务局 1, 水务局 1, 丙镇政府 2
    resolve(late, w.unit_a, D(2026, 6, 24))
    close(late, D(2026, 6, 25), "basically_satisfied")
    sweep(D(2026, 6, 30))  # 通报批评: 商务局 1, 水务局 1, 丙镇政府 2 (经信局's was resolved)
    return SimpleNamespace(town_1=town_1, town_2=town_2, town_3=town_3)


def test_the_ledger_is_as_written(world, ledger):
    """The ladder's rungs and the closure loop's figures the scores below
    rest on, as the ledger above writes them."""
    issued = sorted(SuperviseNotice.objects.values_list("unit__name", "kind", "issued_on"))
    notice, criticism = D(2026, 6, 23), D(2026, 6, 30)
    assert issued == sorted(
        [
            ("甲县经信局", "notice", notice),
            ("甲县商务局", "notice", notice),
            ("甲县商务局", "criticism", criticism),
            ("甲县水务局", "notice", notice),
            ("甲县水务局", "criticism", criticism),
            ("丙镇政府", "notice", notice),
            ("丙镇政府", "notice", notice),
            ("丙镇政府", "criticism", criticism),
            ("丙镇政府", "criticism", criticism),
        ]
    )
    rows = {row["name"]: row for row in issue_figures(user=world.supervisor_a, today=TODAY, groups=("unit",))["unit"]}
    figures = ("followed_up", "follow_up_due", "answered_on_time", "answer_due", "ever_supervised", "ever_criticised")
    assert {name: tuple(rows[name][f] for f in figures) for name in ("甲县经信局", "甲县商务局", "甲县水务局")} == {
        "甲县经信局": (4, 4, 4, 4, 1, 0),
        "甲县商务局": (2, 3, 4, 4, 1, 1),  # the call that reached no one is no call back
        "甲县水务局": (2, 2, 1, 3, 1, 1),  # answered on 10 June and 5 June: late
    }


def rule(**changes) -> ScoringRule:
    """The preset's weights and bands (scoring.PRESET), with `changes`."""
    return ScoringRule(**{**scoring.PRESET, "is_active": True, **changes})


def scored(user, the_rule):
    rows = issue_figures(user=user, today=TODAY, groups=("unit",))["unit"]
    return scoring.board(rows, the_rule)


def by_name(board):
    return {row["name"]: row for group in board["groups"] for row in group["rows"]}


# The preset's points: on-time sign-for 10, on time 20, closure 10,
# satisfaction 20, called back (回访) 10, first answer on time 5, returned 5
# (1 − rate), reworked 5 (1 − rate); deductions, each down to nought: overdue
# now 5 less 1 per item, given a 督办单 5 less 1 per issue, criticised in a
# 通报批评 5 less 2.5 per issue. A rate with nothing to count is left out and
# the rest scaled to 100. Excellent ≥ 90, good ≥ 80, qualified ≥ 60,
# unqualified below.
BY_HAND = {
    # 经信局: signed for 4/4 → 10; on time 3/4 → 15; closed 4/4 → 10;
    # satisfied 4/4 → 20; called back 4/4 → 10; answered on time 4/4 → 5;
    # returned 0/4 → 5; reworked 0/4 → 5; overdue 0 → 5; 督办单 1 → 5 − 1 = 4;
    # 通报批评 0 → 5. 10 + 15 + 10 + 20 + 10 + 5 + 5 + 5 + 5 + 4 + 5 = 94, excellent.
    "甲县经信局": (94.0, "excellent"),
    # 商务局: signed for 4/4 → 10; on time 3/3 → 20; closed 3/4 → 7.5;
    # satisfied 2/2 → 20 (the unreached call gave no verdict); called back 2/3
    # → 6.666…; answered on time 4/4 → 5; returned 0/4 → 5; reworked 1/3 →
    # 5 × 2/3 = 3.333…; overdue 1 → 4; 督办单 1 → 4; 通报批评 1 → 5 − 2.5 = 2.5.
    # 10 + 20 + 7.5 + 20 + 6.666… + 5 + 5 + 3.333… + 4 + 4 + 2.5 = 88, good.
    "甲县商务局": (88.0, "good"),
    # 水务局: signed for on time 1/3 → 3.333…; on time 2/2 → 20; closed 2/3 →
    # 6.666…; satisfied 1/2 → 10; called back 2/2 → 10; answered on time 1/3 →
    # 1.666…; returned 1/3 → 5 × 2/3 = 3.333…; reworked 0/2 → 5; overdue 1 → 4;
    # 督办单 1 → 4; 通报批评 1 → 2.5. The thirds: 10/3 + 20/3 + 5/3 + 10/3 = 15;
    # 15 + 20 + 10 + 10 + 5 + 4 + 4 + 2.5 = 70.5, qualified.
    "甲县水务局": (70.5, "qualified"),
    # 甲镇政府: signed for 3/3 → 10; on time 2/2 → 20; closed 2/3 → 6.666…;
    # satisfied 2/2 → 20; called back 3/3 → 10 (the one awaiting 销号 too);
    # answered 3/3 → 5; returned 0/3 → 5; reworked 0/3 → 5; overdue, 督办单 and
    # 通报批评 0 → 5 + 5 + 5. 96.666… → 96.67, excellent.
    "甲镇政府": (96.67, "excellent"),
    # 丙镇政府: nothing resolved, so on time (20), satisfaction (20), called
    # back (10) and rework (5) are left out: 45 points count. Signed for 3/3 →
    # 10; closed 0/3 → 0; answered 3/3 → 5; returned 0/3 → 5; overdue 2 → 5 − 2
    # = 3; 督办单 2 → 3; 通报批评 2 → 5 − 5 = 0.
    # (10 + 0 + 5 + 5 + 3 + 3 + 0) / 45 × 100 = 26 / 45 × 100 = 57.777… → 57.78, unqualified.
    "丙镇政府": (57.78, "unqualified"),
}


def test_each_unit_scored_graded_and_placed_by_hand(world, ledger):
    board = scored(world.supervisor_a, rule(red_places=1, black_places=1))
    rows = by_name(board)
    assert {name: (row["score"], row["grade"]) for name, row in rows.items()} == BY_HAND
    # Departments apart from townships, each ranked by score.
    groups = {
        group["key"]: [(row["name"], row["place"], row["red_black"]) for row in group["rows"]]
        for group in board["groups"]
    }
    assert groups == {
        # 94 > 88 > 70.5: the top one on the red list, the bottom one on the black.
        "department": [("甲县经信局", 1, "red"), ("甲县商务局", 2, None), ("甲县水务局", 3, "black")],
        # 96.67 > 57.78
        "township": [("甲镇政府", 1, "red"), ("丙镇政府", 2, "black")],
    }
    # Too few items (fewer than 3): listed apart, on neither list, whatever their record.
    unranked = {
        name: (row["registered"], row["score"], row["place"], row["red_black"])
        for name, row in ((row["name"], row) for row in board["unranked"])
    }
    assert unranked == {"甲县税务局": (2, None, None, None), "丁镇政府": (1, None, None, None)}
    assert rows["甲县商务局"]["applicable_weight"] == 100 and rows["丙镇政府"]["applicable_weight"] == 45
    points = {line["metric"]: line["points"] for line in rows["甲县商务局"]["lines"]}
    assert points == {
        "on_time_sign_for_rate": 10.0,
        "on_time_rate": 20.0,
        "closure_rate": 7.5,
        "satisfaction_rate": 20.0,
        "follow_up_rate": 6.67,
        "answer_on_time_rate": 5.0,
        "return_rate": 5.0,
        "rework_rate": 3.33,
        "overdue": 4.0,
        "ever_supervised": 4.0,
        "ever_criticised": 2.5,
    }


def test_one_ranking_when_kinds_are_not_kept_apart(world, ledger):
    board = scored(world.supervisor_a, rule(group_by_kind=False, red_places=2, black_places=1))
    assert [group["key"] for group in board["groups"]] == [""]
    ranking = [(row["name"], row["place"], row["red_black"]) for row in board["groups"][0]["rows"]]
    # 96.67 > 94 > 88 > 70.5 > 57.78: the top two red, the bottom one black.
    assert ranking == [
        ("甲镇政府", 1, "red"),
        ("甲县经信局", 2, "red"),
        ("甲县商务局", 3, None),
        ("甲县水务局", 4, None),
        ("丙镇政府", 5, "black"),
    ]


def test_thresholds_draw_the_lists(world, ledger):
    board = scored(world.supervisor_a, rule(list_by="scores", red_from=Decimal(90), black_below=Decimal(60)))
    lists = {row["name"]: row["red_black"] for row in by_name(board).values()}
    # Red from 90 (96.67, 94), black below 60 (57.78); places unchanged.
    assert lists == {
        "甲县经信局": "red",
        "甲县商务局": None,
        "甲县水务局": None,
        "甲镇政府": "red",
        "丙镇政府": "black",
    }


def test_the_minimum_decides_who_is_ranked(world, ledger):
    board = scored(world.supervisor_a, rule(min_items=4))
    # Only 经信局 and 商务局 have four items; the others are listed apart.
    assert set(by_name(board)) == {"甲县经信局", "甲县商务局"}
    assert {row["name"] for row in board["unranked"]} == {
        "甲县水务局",
        "甲县税务局",
        "甲镇政府",
        "丙镇政府",
        "丁镇政府",
    }
    # The preset's three top and three bottom places, each at most half a group: one of two each.
    assert [(row["name"], row["red_black"]) for row in board["groups"][0]["rows"]] == [
        ("甲县经信局", "red"),
        ("甲县商务局", "black"),
    ]


# The scoring itself, on rows written here -------------------------------------------------


_ids = itertools.count(1)


def row(name, **counts):
    figures = dict.fromkeys(
        (
            "registered",
            "accepted",
            "accepted_on_time",
            "closed",
            "closed_on_time",
            "rated",
            "satisfied",
            "ever_assigned",
            "ever_returned",
            "ever_resolved",
            "ever_reopened",
            "followed_up",
            "follow_up_due",
            "answered_on_time",
            "answer_due",
            "overdue",
            "ever_supervised",
            "ever_criticised",
        ),
        0,
    )
    return {"group": next(_ids), "name": name, "kind": "department", **figures, **counts}


def test_equal_scores_share_a_place_and_the_deduction_stops_at_nought():
    perfect = {"registered": 3, "accepted": 3, "accepted_on_time": 3, "ever_assigned": 3}
    # sign-for 3/3 → 10; closure 0/3 → 0; returned 0/3 → 5; overdue: 5 − n, at least 0;
    # 督办单: 5 − n; 通报批评: 5 − 2.5 × n. Applicable: 10 + 10 + 5 + 5 + 5 + 5 = 40.
    rows = [
        row("单位1", **perfect, overdue=1),  # (10 + 0 + 5 + 4 + 5 + 5) / 40 × 100 = 72.5
        row("单位2", **perfect, overdue=1),  # 72.5, the same place
        row("单位3", **perfect, overdue=7, ever_criticised=3),  # 5 − 7 → 0, 5 − 7.5 → 0: 20 / 40 × 100 = 50
        row("单位4", **perfect, overdue=5, ever_criticised=2),  # 5 − 5 = 0, 5 − 5 = 0: 50 as well
    ]
    board = scoring.board(rows, rule(red_places=1, black_places=1))
    ranked = [(r["name"], r["score"], r["place"], r["red_black"]) for r in board["groups"][0]["rows"]]
    # Equal scores share the place (and the list): 单位1 and 单位2 first, 单位3 and 单位4 third.
    assert ranked == [
        ("单位1", 72.5, 1, "red"),
        ("单位2", 72.5, 1, "red"),
        ("单位3", 50.0, 3, "black"),
        ("单位4", 50.0, 3, "black"),
    ]
    lines = {line["metric"]: line for line in board["groups"][0]["rows"][2]["lines"]}
    assert (lines["overdue"]["value"], lines["overdue"]["points"]) == (7, 0.0)
    assert (lines["ever_criticised"]["value"], lines["ever_criticised"]["points"]) == (3, 0.0)


def test_a_province_of_units_is_placed_as_one_by_one_would():
    """Places come from one sorted list (3,000 units were 9 million
    comparisons): the same as counting the better scores unit by unit."""
    import random

    draw = random.Random(7)  # nosec B311  # a repeatable ledger, not a secret
    rows = []
    for i in range(400):
        n = draw.randint(3, 9)
        rows.append(row(f"单位{i}", registered=n, accepted=n, accepted_on_time=draw.randint(0, n), ever_assigned=n))
    board = scoring.board(rows, rule(red_places=5, black_places=5))
    ranked = board["groups"][0]["rows"]
    scores = [r["score"] for r in ranked]
    assert len(set(scores)) > 3  # some share a place, not all
    for r in ranked:
        assert r["place"] == 1 + sum(1 for other in scores if other > r["score"])
    assert [r["red_black"] for r in ranked].count("red") >= 5


@given(st.fractions(min_value=-1000, max_value=1000))
@example(Fraction(9999999999999999999999999999, 2000000000000000000000000000000))  # just under 0.005
def test_points_are_rounded_half_up_as_decimal_would(value):
    from decimal import ROUND_HALF_UP, Decimal, localcontext

    def reference(fraction: Fraction) -> float:
        # Enough digits that the quotient lands on the right side of every
        # x.xx5: Decimal's default 28 rounds 0.00499…(28 nines)5 up to 0.005.
        with localcontext() as context:
            context.prec = len(str(fraction.numerator)) + len(str(fraction.denominator)) + 10
            exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
            return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    assert scoring._fixed(value) == reference(value)
    halves = Fraction(2 * value.numerator * 100 + value.denominator, 200 * value.denominator)  # x.xx5 exactly
    assert scoring._fixed(halves) == reference(halves)


def test_issues_not_yet_assigned_are_not_a_unit():
    board = scoring.board([{**row("x", registered=5), "group": None}], rule())
    assert board["groups"] == [] and board["unranked"] == []


# The rule: one check, for the service and the admin --------------------------------------


def test_the_preset_is_the_one_the_migrations_put_in_force(db):
    import importlib

    created = importlib.import_module("issues.migrations.0010_scoring_rule").PRESET
    brought = importlib.import_module("issues.migrations.0012_scoring_preset_closure")
    # 0010 creates the rule, 0012 brings its source and points to the closure loop's.
    assert {**created, **brought.NEW} == scoring.PRESET
    assert set(brought.NEW) == {"source", "weights", "per_item"}
    assert scoring.rule_errors(rule()) == [] and sum(scoring.PRESET["weights"].values()) == 100
    # With no rule in force (a flushed test database), the preset is used as it stands.
    ScoringRule.objects.all().delete()
    assert (scoring.rule_in_force().name, scoring.rule_in_force().pk) == (scoring.PRESET["name"], None)
    saved = ScoringRule.objects.create(**{**scoring.PRESET, "name": "在用细则", "is_active": True})
    assert scoring.rule_in_force() == saved


def test_the_migration_brings_only_the_old_preset_itself(db):
    import importlib

    from django.apps import apps

    created = importlib.import_module("issues.migrations.0010_scoring_rule").PRESET
    brought = importlib.import_module("issues.migrations.0012_scoring_preset_closure")
    ScoringRule.objects.all().delete()
    old = ScoringRule.objects.create(**created, is_active=True)
    brought.forwards(apps, None)
    old.refresh_from_db()
    assert (old.source, old.weights, old.per_item) == tuple(
        scoring.PRESET[k] for k in ("source", "weights", "per_item")
    )
    brought.backwards(apps, None)
    old.refresh_from_db()
    assert (old.source, old.weights, old.per_item) == (created["source"], created["weights"], created["per_item"])
    # A county that changed the preset's points keeps them, and its rule as it is.
    edited = {**created["weights"], "closure_rate": 20, "overdue": 5}
    ScoringRule.objects.filter(pk=old.pk).update(weights=edited)
    brought.forwards(apps, None)
    old.refresh_from_db()
    assert (old.source, old.weights, old.per_item) == (created["source"], edited, created["per_item"])
    # One that kept the points but wrote its own source gets the new points under its source.
    ScoringRule.objects.filter(pk=old.pk).update(weights=created["weights"], source="本县细则")
    brought.forwards(apps, None)
    old.refresh_from_db()
    assert (old.source, old.weights) == ("本县细则", scoring.PRESET["weights"])


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"weights": {**scoring.PRESET["weights"], "closure_rate": 15}}, "weights_total", "weights"),
        ({"weights": {**scoring.PRESET["weights"], "luck": 0}}, "unknown_metric", "weights"),
        ({"weights": {**scoring.PRESET["weights"], "closure_rate": 15.5}}, "invalid_weight", "weights"),
        ({"per_item": {}}, "invalid_per_item", "per_item"),
        ({"per_item": {**scoring.PRESET["per_item"], "ever_criticised": 0}}, "invalid_per_item", "per_item"),
        ({"good_from": 95}, "bands_order", "excellent_from"),
        ({"qualified_from": 0}, "bands_order", "excellent_from"),
        ({"min_items": 0}, "min_items", "min_items"),
        ({"list_by": "scores"}, "thresholds_missing", "red_from"),
        ({"list_by": "scores", "red_from": Decimal(60), "black_below": Decimal(80)}, "thresholds_order", "black_below"),
        ({"name": " "}, "required", "name"),
    ],
)
def test_a_broken_rule_is_refused(world, changes, code, field):
    broken = rule(**{"name": "县考核细则", **changes})
    errors = scoring.rule_errors(broken)
    assert (code, field) in [(error.code, error.field) for error in errors]
    with pytest.raises(InvalidInput) as refused:
        scoring.scoring_rule_save(actor=world.admin, rule=broken)
    # The service refuses with the check's first reason, in its words.
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        errors[0].code,
        errors[0].field,
        errors[0].message,
    )
    assert not ScoringRule.objects.filter(name="县考核细则").exists()


def test_putting_a_rule_in_force_retires_the_other(world):
    before = ScoringRule.objects.filter(is_active=True).first()
    with pytest.raises(NotPermitted):
        scoring.scoring_rule_save(actor=world.supervisor_a, rule=rule(name="县考核细则"))
    county = scoring.scoring_rule_save(actor=world.admin, rule=rule(name="县考核细则", min_items=5))
    assert list(ScoringRule.objects.filter(is_active=True)) == [county]
    assert scoring.rule_in_force().min_items == 5
    if before is not None:
        before.refresh_from_db()
        assert before.is_active is False


def test_the_admin_writes_through_the_check(world, client):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    url = reverse("admin:issues_scoringrule_add")
    form = {
        "name": "县考核细则",
        "is_active": "on",
        "source": "",
        "source_url": "",
        "excellent_from": 90,
        "good_from": 80,
        "qualified_from": 60,
        "min_items": 2,
        "group_by_kind": "on",
        "list_by": "places",
        "red_places": 2,
        "black_places": 2,
        "red_from": "",
        "black_below": "",
        **{f"weight__{name}": points for name, points in scoring.PRESET["weights"].items()},
        "per_item__overdue": "1",
        "per_item__ever_supervised": "1",
        "per_item__ever_criticised": "2.5",
    }
    short = client.post(url, {**form, "weight__closure_rate": 5})
    assert short.status_code == 200
    assert "errornote" in short.content.decode() and " 95" in short.content.decode()
    assert not ScoringRule.objects.filter(name="县考核细则").exists()
    saved = client.post(url, form)
    assert saved.status_code == 302
    made = ScoringRule.objects.get(name="县考核细则")
    assert made.is_active and made.weights == scoring.PRESET["weights"] and made.per_item == scoring.PRESET["per_item"]
    assert ScoringRule.objects.filter(is_active=True).count() == 1
    assert client.get(reverse("admin:issues_scoringrule_change", args=[made.pk])).status_code == 200


# Where the scores are shown ---------------------------------------------------------------


def on_30_june():
    return at(TODAY)


def _save_rule(world, **changes):
    return scoring.scoring_rule_save(actor=world.admin, rule=rule(name="测试细则", **changes))


def test_the_dashboard_shows_the_lists_and_every_score_drills_down(client, world, ledger):
    from ..web.test_dashboard import links, listed

    _save_rule(world, red_places=1, black_places=1)
    client.force_login(world.supervisor_a)
    with on_30_june():
        page = client.get(reverse("dashboard"), JUNE).content.decode()
        card = page.split('id="unit-ranking"')[1].split('id="unranked-units"')[0]
        departments = card.split('id="unit-ranking-department"')[1].split("</table></div>")[0]
        townships = card.split('id="unit-ranking-township"')[1].split("</table></div>")[0]
        rows = re.findall(r'<tr class="([^"]*)" data-unit="\d+" data-score="([\d.]+)" data-place="(\d)">', departments)
        assert rows == [("zf-red-list", "94.0", "1"), ("", "88.0", "2"), ("zf-black-list", "70.5", "3")]
        assert "zf-red-list" in townships and "zf-black-list" in townships and "table-success" not in card
        unranked = page.split('id="unranked-units"')[1].split("</div></div>")[0]
        assert "甲县税务局" in unranked and "丁镇政府" in unranked and "甲县税务局" not in card
        # Each metric of each unit, and its working, leads to the issues it counts.
        shown = links(card) + links(unranked)
        # Five ranked units × (eleven metrics + registered), less 丙镇政府's four rates with
        # nothing to count, and the two units listed apart: 5 × 12 − 4 + 2 = 58.
        assert len(shown) == 58
        for url, _shown, count in shown:
            assert listed(client, url) == count, url
    assert 'style="' not in card and "<script" not in card  # the CSP allows no inline style or script


def test_a_long_ranking_shows_its_top_and_bottom_and_a_link_to_all(client, world, ledger, monkeypatch):
    from issues import dashboard

    monkeypatch.setattr(dashboard, "RANKING_ENDS", 1)
    monkeypatch.setattr(dashboard, "RANKING_WHOLE", 2)
    _save_rule(world, red_places=1, black_places=1)
    client.force_login(world.supervisor_a)
    pattern = r'<tr class="([^"]*)" data-unit="\d+" data-score="([\d.]+)" data-place="(\d)">'
    with on_30_june():
        page = client.get(reverse("dashboard"), JUNE).content.decode()
        departments = page.split('id="unit-ranking-department"')[1].split("</table></div>")[0]
        # The first and the last of three, and the one between them left out, with a link to all.
        assert re.findall(pattern, departments) == [("zf-red-list", "94.0", "1"), ("zf-black-list", "70.5", "3")]
        gap = departments.split('class="zf-ranking-gap"')[1].split("</tr>")[0]
        assert "中间 1 个单位未显示" in gap
        every = html.unescape(re.search(r'href="([^"]+)" id="ranking-show-all-department"', gap).group(1))
        assert "units=all" in every and f"date_from={JUNE['date_from']}" in every
        whole = client.get(every).content.decode()
    departments = whole.split('id="unit-ranking-department"')[1].split("</table></div>")[0]
    assert [place for _css, _score, place in re.findall(pattern, departments)] == ["1", "2", "3"]
    assert "zf-ranking-gap" not in departments


def test_each_score_opens_its_working(client, world, ledger):
    from ..web.test_dashboard import links, listed

    _save_rule(world, red_places=1, black_places=1)
    client.force_login(world.supervisor_a)
    with on_30_june():
        dashboard = client.get(reverse("dashboard"), JUNE).content.decode()
        link = re.search(
            rf'data-unit="{world.unit_a2.pk}"[^>]*>.*?<a href="([^"]+)" class="fw-bold">88.00</a>', dashboard, re.S
        )
        page = client.get(html.unescape(link.group(1))).content.decode()
        # The working of 商务局's score, as written above: each metric, its figure, weight and points.
        lines = dict(re.findall(r'<tr data-metric="(\w+)">.*?<td>\d+</td><td>([\d.]+)</td></tr>', page, re.S))
        assert lines == {
            "on_time_sign_for_rate": "10.00",
            "on_time_rate": "20.00",
            "closure_rate": "7.50",
            "satisfaction_rate": "20.00",
            "follow_up_rate": "6.67",
            "answer_on_time_rate": "5.00",
            "return_rate": "5.00",
            "rework_rate": "3.33",
            "overdue": "4.00",
            "ever_supervised": "4.00",
            "ever_criticised": "2.50",
        }
        assert "88.00" in page.split('id="unit-score-sum"')[1].split("</td>")[0]
        for url, _shown, count in links(page):
            assert listed(client, url) == count, url
        assert len(links(page)) == 19  # eight rates' part and whole, and the three deductions' counts
        # A unit listed apart has its figures but no score; another county's unit is not found.
        few = client.get(reverse("unit-score", args=[world.unit_a4.pk]), JUNE).content.decode()
        assert 'id="unit-score-total"' not in few and "甲县税务局" in few
        assert client.get(reverse("unit-score", args=[world.unit_b.pk]), JUNE).status_code == 404
    client.force_login(world.official_a)
    assert client.get(reverse("unit-score", args=[world.unit_a.pk])).status_code == 403


def test_the_stats_api_gives_each_unit_its_score(world, ledger, django_assert_max_num_queries):
    _save_rule(world, red_places=1, black_places=1)
    client = api_client(world.supervisor_a)
    with on_30_june():
        client.get("/api/v1/stats/", {"group_by": "unit", **JUNE})
        # The figures' ten (whether the period's first and last months are whole, the summary's cells,
        # what comes with the date, the units' names, one reads the calendar) and the rule in force:
        # eleven, whatever the units.
        with django_assert_max_num_queries(11):
            body = client.get("/api/v1/stats/", {"group_by": "unit", "from": "2026-06-01", "to": "2026-06-30"}).json()
        regions = client.get("/api/v1/stats/", {"group_by": "region"}).json()["results"]
    rows = {row["name"]: row for row in body["results"]}
    business = rows["甲县商务局"]
    assert (business["score"], business["grade"], business["place"], business["red_black"]) == (88.0, "good", 2, None)
    assert business["score_group"] == "department" and business["points"]["closure_rate"] == 7.5
    assert (business["ever_supervised"], business["ever_criticised"], business["points"]["ever_criticised"]) == (
        1,
        1,
        2.5,
    )
    assert (rows["丙镇政府"]["score"], rows["丙镇政府"]["red_black"]) == (57.78, "black")
    assert rows["丙镇政府"]["points"]["on_time_rate"] is None  # nothing closed: left out
    # Too few items: no score, grade, place or points.
    assert [rows["甲县税务局"][key] for key in ("score", "grade", "place", "red_black")] == [None] * 4
    assert "points" not in rows["甲县税务局"]
    assert "lines" not in business and "score" not in regions[0]


def test_the_scored_dashboard_makes_no_query_per_unit(client, world, ledger, django_assert_max_num_queries):
    client.force_login(world.supervisor_a)
    with on_30_june():
        client.get(reverse("dashboard"), JUNE)
        with django_assert_max_num_queries(40) as few:
            client.get(reverse("dashboard"), JUNE)
    baseline = len(few.captured_queries)
    sup = world.supervisor_a
    for n in range(4):
        unit = HelpUnitFactory(name=f"新镇政府{n}", region=world.town_a, kind="township")
        for _i in range(3):
            with at(D(2026, 6, 1)):
                made = services.issue_register(actor=sup, enterprise=world.enterprise_a, category="finance", title="x")
                services.issue_assign(actor=sup, issue_id=made.pk, unit=unit)
    with on_30_june(), django_assert_max_num_queries(baseline):
        page = client.get(reverse("dashboard"), JUNE).content.decode()
    assert page.count('data-unit="') > 10 and "新镇政府3" in page.split('id="unit-ranking-township"')[1]


def test_a_level_group_has_no_lists_and_a_failing_unit_is_never_red():
    base = {"registered": 3, "accepted": 3, "accepted_on_time": 3, "ever_assigned": 3}
    # sign-for 3/3 → 10, closure 0/3 → 0, returned 0/3 → 5, no deductions (15): 40 applicable points.
    level = [row("单位1", **base), row("单位2", **base)]  # (10 + 0 + 5 + 15) / 40 = 75 each
    board = scoring.board(level, rule(red_places=1, black_places=1))
    assert [(r["score"], r["place"], r["red_black"]) for r in board["groups"][0]["rows"]] == [
        (75.0, 1, None),
        (75.0, 1, None),
    ]
    # Nobody signed for on time: (0 + 0 + 5 + 15) / 40 = 50, 不合格 at the top, and one lower still.
    failing = {**base, "accepted_on_time": 0}
    rows = [row("单位1", **failing), row("单位2", **failing, overdue=5)]  # (0 + 0 + 5 + 0 + 10) / 40 = 37.5
    board = scoring.board(rows, rule(red_places=1, black_places=1))
    assert [(r["name"], r["grade"], r["red_black"]) for r in board["groups"][0]["rows"]] == [
        ("单位1", "unqualified", None),
        ("单位2", "unqualified", "black"),
    ]


_COUNT = st.integers(min_value=0, max_value=5000)


@given(
    st.dictionaries(st.sampled_from(list(scoring.METRICS)), st.integers(min_value=0, max_value=100), min_size=1),
    st.dictionaries(st.sampled_from(list(scoring.METRICS)), st.sampled_from([0.5, 1, 2.5, 3, 0.25, 7])),
    st.fixed_dictionaries({name: _COUNT for name in {*scoring.METRICS, *itertools.chain(*figures.RATES.values())}}),
)
def test_a_units_score_is_the_exact_fraction_rounded(weights, per_item, counts):
    """score_row adds each line's points as integers; the score is what exact
    fractions (the working the page shows) give, rounded half up."""
    the_rule = rule(weights=weights, per_item={name: per_item.get(name, 1) for name in scoring.METRICS})
    scored_row = scoring.score_row(counts, the_rule)
    earned, applicable = Fraction(0), 0
    for name, metric in scoring.METRICS.items():
        weight = weights.get(name)
        if not weight:
            continue
        if metric.kind == scoring.DEDUCTION:
            share = max(Fraction(0), weight - Fraction(str(per_item.get(name, 1))) * counts[name])
        else:
            part, whole = figures.RATES[name]
            if not counts[whole]:
                continue
            rate = Fraction(counts[part], counts[whole])
            share = weight * (1 - rate if metric.kind == scoring.BAD_RATE else rate)
        earned, applicable = earned + share, applicable + weight
        assert next(line for line in scored_row["lines"] if line["metric"] == name)["points"] == scoring._fixed(share)
    assert scored_row["applicable_weight"] == applicable and scored_row["earned"] == scoring._fixed(earned)
    assert scored_row["score"] == (scoring._fixed(earned * 100 / applicable) if applicable else None)
