"""issues.common: a common problem proposed by the radar, confirmed, split,
merged, released, dismissed (and remembered), decided and closed, its issues
closed or dispatched with it, each with its own event, or none at all."""

import pytest

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from issues import common
from issues import services as issue_services
from issues.choices import Action, CommonStatus, Status
from issues.models import CommonProblem, Issue, IssueEvent

from ..conftest import drive
from ..factories import EnterpriseFactory

POWER = [
    ("工业用电价格偏高，生产成本压力大", "企业每月电费约四十万元，峰时电价高，希望享受优惠电价。"),
    ("电价高，企业用电成本负担重", "注塑车间二十四小时开机，峰谷电价差大，电费占成本两成。"),
    ("用电成本过高，希望落实电价优惠政策", "铸造企业用电量大，工业电价偏高，利润被电费吃掉。"),
    ("峰谷电价执行后用电成本上升", "企业夜间生产，峰时电价高，用电成本比去年上升百分之十五。"),
]
OTHER = ("厂区门口道路积水严重", "雨季门前道路积水，货车无法进出，影响发货。")


@pytest.fixture
def power(world):
    """Four issues of high power prices from four enterprises of county A,
    and one of a flooded road."""
    w = world
    enterprises = [w.enterprise_a, w.enterprise_a_other] + [
        EnterpriseFactory(name=f"甲县用电企业{n}", region=w.town_a) for n in range(3)
    ]
    issues = [
        issue_services.issue_register(
            actor=w.supervisor_a, enterprise=enterprise, category="infrastructure", title=title, description=text
        )
        for enterprise, (title, text) in zip(enterprises, [*POWER, OTHER], strict=True)
    ]
    return issues[:4], issues[4]


def proposal() -> CommonProblem:
    return CommonProblem.objects.get(status=CommonStatus.PROPOSED)


def test_the_radar_proposes_the_issues_that_read_as_one_problem(world, power):
    same, road = power
    run = common.radar_run()
    problem = proposal()
    assert (run.read, run.proposed) == (5, 1)
    assert set(problem.issues.values_list("pk", flat=True)) == {issue.pk for issue in same}
    assert problem.region == world.town_a and problem.likeness > 0.3 and "电价" in problem.words
    assert Issue.objects.get(pk=road.pk).common_problem is None
    # Run again: the same proposal, not a second one.
    common.radar_run()
    assert CommonProblem.objects.count() == 1 and proposal().issues.count() == 4


def test_a_confirmed_problem_is_kept_and_seen_only_in_its_scope(world, power):
    common.radar_run()
    problem = common.common_confirm(actor=world.supervisor_a, problem_id=proposal().pk, title="工业电价偏高")
    assert (problem.status, problem.confirmed_by, problem.title) == ("confirmed", world.supervisor_a, "工业电价偏高")
    common.radar_run()  # the radar leaves confirmed problems and their issues alone
    assert CommonProblem.objects.count() == 1 and problem.issues.count() == 4
    with pytest.raises(NotFound):
        common.common_confirm(actor=world.supervisor_b, problem_id=problem.pk)
    with pytest.raises(NotPermitted):
        common.common_dismiss(actor=world.official_a, problem_id=problem.pk, reason="不是")


def test_split_merge_and_release_keep_two_issues_each(world, power):
    same, _road = power
    common.radar_run()
    problem = proposal()
    with pytest.raises(InvalidInput) as alone:
        common.common_split(actor=world.supervisor_a, problem_id=problem.pk, issue_ids=[same[0].pk], title="一个")
    assert alone.value.code == "too_few_issues"
    part = common.common_split(
        actor=world.supervisor_a, problem_id=problem.pk, issue_ids=[same[2].pk, same[3].pk], title="峰谷电价"
    )
    assert set(part.issues.values_list("pk", flat=True)) == {same[2].pk, same[3].pk}
    assert problem.issues.count() == 2 and part.status == CommonStatus.CONFIRMED  # a judgement: it confirms
    problem.refresh_from_db()
    assert problem.status == CommonStatus.CONFIRMED
    common.radar_run()  # the night keeps what the supervisor judged
    assert set(part.issues.values_list("pk", flat=True)) == {same[2].pk, same[3].pk}
    merged = common.common_merge(actor=world.supervisor_a, problem_id=problem.pk, other_id=part.pk)
    assert merged.issues.count() == 4 and merged.status == CommonStatus.CONFIRMED
    assert not CommonProblem.objects.filter(pk=part.pk).exists()
    common.common_release(actor=world.supervisor_a, problem_id=merged.pk, issue_ids=[same[3].pk])
    assert merged.issues.count() == 3 and Issue.objects.get(pk=same[3].pk).common_problem is None


def test_a_dismissed_proposal_is_remembered(world, power):
    same, _road = power
    common.radar_run()
    problem = common.common_dismiss(actor=world.supervisor_a, problem_id=proposal().pk, reason="电价各不相同")
    assert problem.status == "dismissed" and problem.dismissed_ids == sorted(issue.pk for issue in same)
    assert not Issue.objects.filter(common_problem__isnull=False).exists()
    run = common.radar_run()
    assert (run.proposed, run.remembered) == (0, 1)


def test_a_stale_version_changes_nothing(world, power):
    common.radar_run()
    problem = proposal()
    common.common_confirm(actor=world.supervisor_a, problem_id=problem.pk, expected_version=1)
    with pytest.raises(Conflict) as stale:
        common.common_dismiss(actor=world.supervisor_a, problem_id=problem.pk, reason="不是", expected_version=1)
    assert stale.value.code == "stale_version"
    assert CommonProblem.objects.get(pk=problem.pk).status == "confirmed"


def _decided(world, problem_id):
    return common.common_decide(
        actor=world.supervisor_a,
        problem_id=problem_id,
        answer_kind="decision",
        answer="县发改委牵头落实峰谷分时电价优惠",
        responsible_unit=world.unit_a2,
    )


def test_closing_closes_every_issue_with_its_own_event_or_none(world, power):
    same, _road = power
    problem = common.common_propose(actor=world.supervisor_a, title="工业电价偏高", issue_ids=[i.pk for i in same])
    for issue in same[:3]:
        drive(issue, world, "assign", "accept", "resolve", "follow_up")
    _decided(world, problem.pk)
    events = IssueEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        common.common_close(actor=world.supervisor_a, problem_id=problem.pk, handling=common.Handling.CLOSE)
    assert refused.value.code == "issue_refused" and same[3].number in refused.value.message
    assert IssueEvent.objects.count() == events and CommonProblem.objects.get(pk=problem.pk).status == "decided"
    assert Issue.objects.filter(pk__in=[i.pk for i in same[:3]], status=Status.CLOSED).count() == 0
    drive(same[3], world, "assign", "accept", "resolve", "follow_up")
    events = IssueEvent.objects.count()
    closed = common.common_close(actor=world.supervisor_a, problem_id=problem.pk, handling=common.Handling.CLOSE)
    assert closed.status == "closed" and closed.closed_by == world.supervisor_a
    assert set(Issue.objects.filter(common_problem=closed).values_list("status", flat=True)) == {Status.CLOSED}
    close_events = IssueEvent.objects.filter(issue__common_problem=closed, action=Action.CLOSE)
    assert IssueEvent.objects.count() == events + 4 and close_events.count() == 4
    assert all("县发改委牵头" in event.note for event in close_events)


def test_closing_dispatches_the_waiting_issues_to_the_answers_unit(world, power):
    same, _road = power
    problem = common.common_propose(actor=world.supervisor_a, title="工业电价偏高", issue_ids=[i.pk for i in same])
    drive(same[0], world, "assign")  # already with a unit: it stays there
    _decided(world, problem.pk)
    common.common_close(actor=world.supervisor_a, problem_id=problem.pk, handling=common.Handling.ASSIGN)
    units = dict(Issue.objects.filter(common_problem=problem).values_list("pk", "responsible_unit"))
    assert units[same[0].pk] == world.unit_a.pk
    assert {units[issue.pk] for issue in same[1:]} == {world.unit_a2.pk}
    assert IssueEvent.objects.filter(issue__in=same[1:], action=Action.ASSIGN).count() == 3


def test_a_problem_needs_its_answer_before_it_closes(world, power):
    same, _road = power
    problem = common.common_propose(actor=world.supervisor_a, title="工业电价偏高", issue_ids=[i.pk for i in same])
    with pytest.raises(Conflict):
        common.common_close(actor=world.supervisor_a, problem_id=problem.pk)
    with pytest.raises(InvalidInput) as no_unit:
        common.common_decide(actor=world.supervisor_a, problem_id=problem.pk, answer_kind="unit", answer="由经信局牵头")
    assert no_unit.value.field == "responsible_unit"
    with pytest.raises(Conflict) as taken:
        common.common_propose(actor=world.supervisor_a, title="再来一次", issue_ids=[same[0].pk, same[1].pk])
    assert taken.value.code == "issue_in_a_problem"


def test_the_radar_reads_county_by_county(world, power):
    """The same problem in two counties is two proposals (a 协调例会 is a
    county's); a city supervisor merges them if it is the city's."""
    w = world
    for n, (title, text) in enumerate(POWER[:3]):
        issue_services.issue_register(
            actor=w.supervisor_b,
            enterprise=EnterpriseFactory(name=f"乙县用电企业{n}", region=w.town_b),
            category="infrastructure",
            title=title,
            description=text,
        )
    common.radar_run()
    proposals = CommonProblem.objects.filter(status=CommonStatus.PROPOSED)
    assert sorted((p.issues.count(), p.region.name) for p in proposals) == [(3, w.town_b.name), (4, w.town_a.name)]


def test_the_radar_takes_no_issue_a_supervisor_claimed_while_it_read(world, power, monkeypatch):
    """The radar reads and groups without a lock; an issue a supervisor puts
    in a problem meanwhile stays there, and a group left too small is not
    proposed."""
    same, _road = power
    found = common.radar.propose

    def meanwhile(rows, settings):
        groups = found(rows, settings)
        common.common_propose(actor=world.supervisor_a, title="电费问题", issue_ids=[same[0].pk, same[1].pk])
        return groups

    monkeypatch.setattr(common.radar, "propose", meanwhile)
    run = common.radar_run()
    assert run.proposed == 0  # two of the four were taken: two enterprises are left, fewer than three
    claimed = CommonProblem.objects.get(title="电费问题")
    assert set(claimed.issues.values_list("pk", flat=True)) == {same[0].pk, same[1].pk}
