"""issues.similar, the duplicate hints: the rule pinned on labelled pairs
(tests/issues/data), and what a hint may name — an issue of the same
enterprise, in the user's scope, open or closed lately, never cancelled."""

import datetime

import pytest
from django.utils import timezone

from benchmarks import bench_radar
from core import clock
from issues import radar, services, similar

from ..conftest import drive

OUTAGE = dict(category="infrastructure", title="厂区经常停电", description="今年以来线路停电七八次，设备要重新调试。")


def test_precision_on_one_enterprise_s_issues_raised_twice():
    """Precision first: a hint that is usually wrong teaches people to
    ignore it (benchmarks/bench_radar.py --duplicates)."""
    result = bench_radar.measure_duplicates()
    assert result["pairs"] >= 120 and result["labelled"] >= 20
    assert result["precision"] >= 0.95, result["wrong"]
    assert result["recall"] >= 0.85


@pytest.mark.parametrize("path", [bench_radar.LABELLED, bench_radar.HELD_OUT], ids=["labelled", "held-out"])
def test_precision_holds_over_every_pair_of_the_common_problem_sets(path):
    """Harsher than one enterprise's handful: every pair of 140–226 issues,
    one problem written by different hands (the held-out set without seeing
    the radar's words, so its recall is low)."""
    result = bench_radar.measure_duplicates(path)
    assert result["precision"] >= 0.9, result["wrong"]
    assert result["recall"] >= 0.2


def _read(title, description=""):
    return similar.read(radar.Row(0, 1, "", title, description))


@pytest.mark.parametrize(
    ("one", "other", "alike"),
    [
        (("厂区经常停电", "线路老化，经常停电"), ("供电线路老化频繁跳闸", "线路老化，经常跳闸断电"), True),
        (("厂区经常停电", "线路老化经常停电"), ("电价太高", "峰谷电价调整后电费上涨"), False),  # another kind
        (("技术工人招工难", "数控技工招不到"), ("普工招工难", "一线普工缺员"), False),
        (
            ("商标被抢注", "绿源商标被外地公司抢注"),
            ("商标被他人抢先注册", "绿源商标被外省公司抢注"),
            True,
        ),  # no concept
        (("商标被抢注", "绿源商标被外地公司抢注"), ("申请绿色食品认证", "不了解认证流程"), False),
    ],
)
def test_alike_by_the_radar_s_concepts_and_wording(one, other, alike):
    assert (similar.likeness(_read(*one), _read(*other)) is not None) is alike


def _register(world, enterprise=None, **fields):
    return services.issue_register(actor=world.official_a, enterprise=enterprise or world.enterprise_a, **fields)


def _hints(user, enterprise, title, description=""):
    (found,) = similar.for_new(user=user, enterprise=enterprise, raised=[similar.Raised(title, description)])
    return found


def test_a_new_issue_is_told_of_the_open_one_it_repeats(world):
    earlier = _register(world, **OUTAGE)
    found = _hints(world.official_a, world.enterprise_a, "停电频繁影响生产", "线路停电，每次设备要重新调试。")
    assert [hint.pk for hint in found] == [earlier.pk]
    assert found[0].linkable and 0 < found[0].likeness <= 1
    assert _hints(world.official_a, world.enterprise_a, "电费成本高", "峰谷电价调整后电费增加。") == []


def test_only_the_same_enterprise_s_issues_are_named(world):
    services.issue_register(actor=world.supervisor_a, enterprise=world.enterprise_a_other, **OUTAGE)
    assert _hints(world.supervisor_a, world.enterprise_a, OUTAGE["title"], OUTAGE["description"]) == []


def test_a_hint_never_names_an_issue_out_of_the_user_s_scope(world):
    _register(world, **OUTAGE)
    # The tax bureau's official does not serve this enterprise; the other county's supervisor neither.
    for outsider in (world.official_a4, world.supervisor_b):
        assert _hints(outsider, world.enterprise_a, OUTAGE["title"], OUTAGE["description"]) == []
    assert _hints(world.supervisor_a, world.enterprise_a, OUTAGE["title"], OUTAGE["description"])


def test_cancelled_ones_are_not_named_and_closed_ones_only_for_a_quarter(world):
    cancelled = drive(_register(world, **OUTAGE), world, "cancel")
    closed = drive(_register(world, **OUTAGE), world, "assign", "accept", "resolve", "follow_up", "close")
    (hint,) = _hints(world.official_a, world.enterprise_a, OUTAGE["title"], OUTAGE["description"])
    assert hint.pk == closed.pk and not hint.linkable and hint.pk != cancelled.pk
    later = timezone.now() + datetime.timedelta(days=similar.RECENTLY_CLOSED_DAYS + 1)
    with clock.frozen_at(later):
        assert _hints(world.official_a, world.enterprise_a, OUTAGE["title"], OUTAGE["description"]) == []


def test_the_desk_s_hints_come_in_one_query_and_leave_each_issue_itself_out(world, django_assert_num_queries):
    first, second = _register(world, **OUTAGE), _register(world, **OUTAGE)
    other = _register(world, category="finance", title="银行抽贷", description="合作银行到期不再续贷。")
    similar.for_issues(user=world.supervisor_a, issues=[first])  # the user's scope, read once per request
    with django_assert_num_queries(1):
        hints = similar.for_issues(user=world.supervisor_a, issues=[first, second, other])
    assert [h.pk for h in hints[first.pk]] == [second.pk] and [h.pk for h in hints[second.pk]] == [first.pk]
    assert other.pk not in hints
