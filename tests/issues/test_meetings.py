"""issues.meetings: a coordination meeting scheduled for a region, its agenda
of common problems and single issues, decisions in force at once on every
issue they cover (one event each, the lead unit and the deadline), and the
minutes issued, after which nothing changes."""

import datetime

import pytest

from core import clock
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from issues import common, meetings
from issues import services as issue_services
from issues.choices import Action, CommonStatus, ExtensionStatus, Status
from issues.models import CommonProblem, Issue, IssueEvent, Meeting, MeetingItem

from ..conftest import drive
from ..factories import EnterpriseFactory
from .test_common import POWER

ROADS = ["厂区门口道路破损，货车进出困难", "园区道路坑洼，雨天积水", "进厂道路年久失修，影响运输", "门前道路破损严重"]


@pytest.fixture
def meeting(world):
    return meetings.meeting_schedule(
        actor=world.supervisor_a,
        title="第十二次周五协调例会",
        held_on=clock.today(),
        region=world.county_a,
        chair="副县长 李明",
        place="县政府三楼会议室",
    )


@pytest.fixture
def roads(world):
    """A confirmed common problem of four issues from four enterprises of
    county A: one waiting for dispatch, one with 甲县经信局 in progress, one
    assigned to 甲县商务局, one resolved."""
    w = world
    enterprises = [w.enterprise_a, w.enterprise_a_other] + [
        EnterpriseFactory(name=f"甲县道路企业{n}", region=w.town_a) for n in range(2)
    ]
    issues = [
        issue_services.issue_register(actor=w.supervisor_a, enterprise=e, category="infrastructure", title=t)
        for e, t in zip(enterprises, ROADS, strict=True)
    ]
    drive(issues[1], w, "assign", "accept")
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=issues[2].pk, unit=w.unit_a2)
    drive(issues[3], w, "assign", "accept", "resolve")
    problem = common.common_propose(actor=w.supervisor_a, title="园区道路破损", issue_ids=[i.pk for i in issues])
    return problem, issues


def fresh(issue) -> Issue:
    return Issue.objects.get(pk=issue.pk)


def decisions(issue) -> list[IssueEvent]:
    return list(IssueEvent.objects.filter(issue=issue, action=Action.MEETING_DECISION))


# Scheduling ----------------------------------------------------------------------------


def test_a_supervisor_schedules_a_meeting_of_a_county_or_city_they_oversee(world, meeting):
    assert (meeting.region, meeting.chair, meeting.version) == (world.county_a, "副县长 李明", 1)
    assert "2026" in str(meeting) and "第十二次" in str(meeting)
    with pytest.raises(InvalidInput) as township:
        meetings.meeting_schedule(
            actor=world.supervisor_a, title="例会", held_on=clock.today(), region=world.town_a, chair="镇长"
        )
    assert township.value.code == "meeting_level"
    with pytest.raises(NotFound):  # another county's
        meetings.meeting_schedule(
            actor=world.supervisor_a, title="例会", held_on=clock.today(), region=world.county_b, chair="县长"
        )
    with pytest.raises(NotPermitted):
        meetings.meeting_schedule(
            actor=world.official_a, title="例会", held_on=clock.today(), region=world.county_a, chair="县长"
        )
    with pytest.raises(InvalidInput) as chairless:
        meetings.meeting_schedule(
            actor=world.supervisor_a, title="例会", held_on=clock.today(), region=world.county_a, chair="  "
        )
    assert chairless.value.field == "chair"
    assert not Meeting.objects.restrict(world.supervisor_b).exists()
    assert Meeting.objects.restrict(world.admin).count() == 1


# The agenda ----------------------------------------------------------------------------


def test_a_confirmed_problem_goes_on_one_agenda_at_a_time(world, meeting, roads):
    problem, _issues = roads
    item = meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
    assert (item.position, CommonProblem.objects.get(pk=problem.pk).status) == (1, CommonStatus.ON_AGENDA)
    later = meetings.meeting_schedule(
        actor=world.supervisor_a, title="下次例会", held_on=clock.today(), region=world.county_a, chair="县长"
    )
    with pytest.raises(Conflict):
        meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=later.pk, problem_id=problem.pk)
    # Decided on the desk meanwhile? No: a problem on an agenda is decided at its meeting.
    with pytest.raises(Conflict):
        common.common_decide(actor=world.supervisor_a, problem_id=problem.pk, answer_kind="decision", answer="修路")
    # Carried over: off this agenda (confirmed again), onto the next.
    meetings.meeting_remove(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk)
    assert CommonProblem.objects.get(pk=problem.pk).status == CommonStatus.CONFIRMED
    meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=later.pk, problem_id=problem.pk)
    assert MeetingItem.objects.get().meeting == later
    with pytest.raises(NotFound):  # the other county's supervisor does not see the meeting
        meetings.meeting_add_problem(actor=world.supervisor_b, meeting_id=later.pk, problem_id=problem.pk)


def test_a_single_issue_goes_on_the_agenda_by_its_number(world, meeting, roads, make_issue):
    problem, grouped = roads
    single = make_issue("assigned")
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=f" {single.number} ")
    assert (item.issue, item.position) == (single, 1)
    refusals = {
        single.number: "already_on_agenda",
        grouped[0].number: "issue_in_a_problem",
        make_issue("closed").number: "issue_not_open",
        "2026-999999": "issue_not_found",
    }
    for number, code in refusals.items():
        with pytest.raises((Conflict, InvalidInput, NotFound)) as refused:
            meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=number)
        assert refused.value.code == code, number
    other_county = issue_services.issue_register(
        actor=world.supervisor_b, enterprise=world.enterprise_b, category="land", title="用地指标不足"
    )
    with pytest.raises(NotFound):  # a guessed number outside the supervisor's scope: as if missing
        meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=other_county.number)
    admins_meeting = meetings.meeting_schedule(
        actor=world.admin, title="例会", held_on=clock.today(), region=world.county_a, chair="县长"
    )
    with pytest.raises(InvalidInput) as outside:
        meetings.meeting_add_issue(actor=world.admin, meeting_id=admins_meeting.pk, number=other_county.number)
    assert outside.value.code == "outside_meeting_region"
    assert MeetingItem.objects.count() == 1


# Decisions -----------------------------------------------------------------------------


def test_a_decision_reaches_every_issue_of_the_problem_with_one_event_each(world, meeting, roads):
    problem, (waiting, in_progress, others, resolved) = roads
    resolved_due = fresh(resolved).due_date
    item = meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
    due = clock.today() + datetime.timedelta(days=20)
    meetings.meeting_decide(
        actor=world.supervisor_a,
        meeting_id=meeting.pk,
        item_id=item.pk,
        decision="县交通运输局牵头，年底前完成园区道路修复",
        unit=world.unit_a3,
        due_date=due,
    )
    item.refresh_from_db()
    assert (item.decided_by, item.unit, item.due_date) == (world.supervisor_a, world.unit_a3, due)
    problem = CommonProblem.objects.get(pk=problem.pk)
    assert (problem.status, problem.answer, problem.responsible_unit) == (
        CommonStatus.DECIDED,
        item.decision,
        world.unit_a3,
    )
    for issue in (waiting, in_progress, others):
        now = fresh(issue)
        assert (now.status, now.responsible_unit, now.due_date) == (Status.ASSIGNED, world.unit_a3, due), issue
        [event] = decisions(issue)
        assert "年底前完成园区道路修复" in event.note and "第十二次周五协调例会" in event.note
        assert (event.data["meeting"], event.data["due_date"]) == (meeting.pk, due.isoformat())
    # The units it leaves stay on as co-handling; it is signed for again.
    assert set(fresh(in_progress).co_units.all()) == {world.unit_a, world.unit_a2}
    assert fresh(in_progress).accepted_at is None
    assert decisions(in_progress)[0].data["handed_over_from"] == world.unit_a.pk
    # A resolved issue keeps its course; the decision is on its record.
    now = fresh(resolved)
    assert (now.status, now.responsible_unit, now.due_date) == (Status.RESOLVED, world.unit_a, resolved_due)
    assert len(decisions(resolved)) == 1
    # Decided once: not again, not taken off.
    with pytest.raises(Conflict):
        meetings.meeting_decide(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, decision="再议")
    with pytest.raises(Conflict):
        meetings.meeting_remove(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk)
    # Closed afterwards on the desk, as any decided problem.
    common.common_close(actor=world.supervisor_a, problem_id=problem.pk)
    assert CommonProblem.objects.get(pk=problem.pk).status == CommonStatus.CLOSED


def test_a_decision_for_the_unit_already_working_sets_its_deadline(world, meeting, make_issue):
    issue = make_issue("in_progress")
    issue_services.issue_request_extension(
        actor=world.official_a,
        issue_id=issue.pk,
        new_due_date=fresh(issue).due_date + datetime.timedelta(days=20),
        reason="需协调",
    )
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    due = clock.today() + datetime.timedelta(days=7)
    meetings.meeting_decide(
        actor=world.supervisor_a,
        meeting_id=meeting.pk,
        item_id=item.pk,
        decision="一周内办结",
        unit=world.unit_a,
        due_date=due,
    )
    now = fresh(issue)
    assert (now.status, now.responsible_unit, now.due_date) == (Status.IN_PROGRESS, world.unit_a, due)
    assert now.extensions.get().status == ExtensionStatus.WITHDRAWN
    [event] = decisions(issue)
    assert (event.from_status, event.to_status, event.data["extensions_withdrawn"]) == (
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        1,
    )


def test_a_decision_without_a_task_is_noted_and_changes_no_deadline(world, meeting, make_issue):
    issue = make_issue("assigned")
    due = fresh(issue).due_date
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    meetings.meeting_decide(
        actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, decision="政策不支持，由经信局向企业解释"
    )
    now = fresh(issue)
    assert (now.status, now.due_date, len(decisions(issue))) == (Status.ASSIGNED, due, 1)


def test_a_decision_is_refused_whole_on_bad_input(world, meeting, make_issue):
    issue = make_issue()
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    later = clock.today() + datetime.timedelta(days=5)
    bad = [
        ({"decision": " "}, "decision_required"),
        ({"decision": "办", "unit": world.unit_a3}, "unit_and_date"),
        ({"decision": "办", "due_date": later}, "unit_and_date"),
        ({"decision": "办", "unit": world.unit_b, "due_date": later}, "unit_out_of_scope"),
        (
            {"decision": "办", "unit": world.unit_a3, "due_date": clock.today() - datetime.timedelta(days=1)},
            "due_date_in_past",
        ),
    ]
    for kwargs, code in bad:
        with pytest.raises((InvalidInput, NotFound)) as refused:
            meetings.meeting_decide(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, **kwargs)
        assert refused.value.code == code, kwargs
    item.refresh_from_db()
    assert (item.decided_at, fresh(issue).status, decisions(issue)) == (None, Status.REGISTERED, [])


# Minutes -------------------------------------------------------------------------------


def test_the_minutes_are_issued_once_everything_is_decided_and_then_nothing_changes(world, meeting, make_issue):
    with pytest.raises(InvalidInput) as empty:
        meetings.meeting_issue_minutes(actor=world.supervisor_a, meeting_id=meeting.pk)
    assert empty.value.code == "agenda_empty"
    issue = make_issue()
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    with pytest.raises(InvalidInput) as waiting:
        meetings.meeting_issue_minutes(actor=world.supervisor_a, meeting_id=meeting.pk)
    assert waiting.value.code == "items_undecided"
    meetings.meeting_decide(
        actor=world.supervisor_a,
        meeting_id=meeting.pk,
        item_id=item.pk,
        decision="县商务局牵头办理",
        unit=world.unit_a2,
        due_date=clock.today() + datetime.timedelta(days=10),
    )
    read = Meeting.objects.get(pk=meeting.pk).version
    with pytest.raises(Conflict):  # a stale page
        meetings.meeting_issue_minutes(actor=world.supervisor_a, meeting_id=meeting.pk, expected_version=read - 1)
    issued = meetings.meeting_issue_minutes(actor=world.supervisor_a, meeting_id=meeting.pk, expected_version=read)
    assert issued.issued_by == world.supervisor_a and issued.issued_at is not None
    with pytest.raises(Conflict) as closed:
        meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=make_issue().number)
    assert closed.value.code == "minutes_issued"


def test_a_problem_on_an_agenda_is_not_merged_away_or_dismissed_and_a_part_split_off_is_not_on_it(
    world, meeting, roads
):
    problem, issues = roads
    item = meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
    with pytest.raises(Conflict):
        common.common_dismiss(actor=world.supervisor_a, problem_id=problem.pk, reason="不是")
    other = common.common_split(
        actor=world.supervisor_a, problem_id=problem.pk, issue_ids=[issues[2].pk, issues[3].pk], title="另一段路"
    )
    assert other.status == CommonStatus.CONFIRMED and not other.meeting_items.exists()
    with pytest.raises(Conflict):  # merged into another, the problem would leave the agenda without a word
        common.common_merge(actor=world.supervisor_a, problem_id=other.pk, other_id=problem.pk)
    with pytest.raises(Conflict):  # nor does the agenda's problem grow (past its meeting's region, even)
        common.common_merge(actor=world.supervisor_a, problem_id=problem.pk, other_id=other.pk)
    assert (CommonProblem.objects.get(pk=problem.pk).issues.count(), MeetingItem.objects.get()) == (2, item)


def test_an_issue_waiting_alone_on_an_agenda_is_not_gathered_into_a_problem(world, meeting):
    enterprises = [world.enterprise_a, world.enterprise_a_other] + [
        EnterpriseFactory(name=f"甲县道路企业{n}", region=world.town_a) for n in range(2)
    ]
    alone, *others = [
        issue_services.issue_register(
            actor=world.supervisor_a, enterprise=e, category="infrastructure", title=title, description=text
        )
        for e, (title, text) in zip(enterprises, POWER, strict=True)
    ]
    meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=alone.number)
    with pytest.raises(Conflict) as refused:
        common.common_propose(actor=world.supervisor_a, title="电价高", issue_ids=[alone.pk, others[0].pk])
    assert refused.value.code == "issue_on_agenda" and alone.number in refused.value.message
    # Nor by the radar: the four read alike, the three others are proposed.
    assert common.radar_run().proposed == 1
    proposed = CommonProblem.objects.get(status=CommonStatus.PROPOSED)
    assert set(proposed.issues.values_list("pk", flat=True)) == {i.pk for i in others}


def test_a_meetings_decision_settles_the_escalation_and_is_final_for_the_unit_it_names(world, meeting, make_issue):
    issue = make_issue("assigned", extra=("escalate",))
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    meetings.meeting_decide(
        actor=world.supervisor_a,
        meeting_id=meeting.pk,
        item_id=item.pk,
        decision="改由县商务局牵头",
        unit=world.unit_a2,
        due_date=clock.today() + datetime.timedelta(days=10),
    )
    now = fresh(issue)
    assert (now.escalated_at, now.responsible_unit, now.assigned_due_date) == (
        None,
        world.unit_a2,
        clock.today() + datetime.timedelta(days=10),
    )
    assert decisions(issue)[0].data["escalation_settled"] is True
    # The unit it was handed to signs for it; it does not send it back.
    assert Action.RETURN not in issue_services.allowed_actions(now, world.official_a2)
    with pytest.raises(Conflict) as refused:
        issue_services.issue_return(actor=world.official_a2, issue_id=issue.pk, reason="不属于我单位职责")
    assert refused.value.code == "meeting_decided"
    issue_services.issue_accept(actor=world.official_a2, issue_id=issue.pk)
    assert fresh(issue).status == Status.IN_PROGRESS


def test_decisions_wait_for_the_meetings_day(world, make_issue):
    friday = clock.today() + datetime.timedelta(days=3)
    meeting = meetings.meeting_schedule(
        actor=world.supervisor_a, title="周五例会", held_on=friday, region=world.county_a, chair="县长"
    )
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=make_issue().number)
    with pytest.raises(Conflict) as early:
        meetings.meeting_decide(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, decision="办")
    assert early.value.code == "meeting_not_held"
    with clock.frozen_at(clock.now() + datetime.timedelta(days=3)):
        meetings.meeting_decide(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, decision="办")
    with pytest.raises(Conflict):  # held, with a decision: its date stays
        meetings.meeting_edit(
            actor=world.supervisor_a,
            meeting_id=meeting.pk,
            title="周五例会",
            held_on=friday.replace(day=1),
            chair="县长",
        )


def test_a_meeting_that_decided_nothing_is_cancelled_and_its_problems_wait_for_another(world, meeting, roads):
    problem, _issues = roads
    meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
    meetings.meeting_cancel(actor=world.supervisor_a, meeting_id=meeting.pk, expected_version=2)
    assert not Meeting.objects.exists() and not MeetingItem.objects.exists()
    assert CommonProblem.objects.get(pk=problem.pk).status == CommonStatus.CONFIRMED


def test_a_decision_one_issue_cannot_take_changes_nothing(world, meeting, roads, monkeypatch):
    """Each issue takes the decision through the lifecycle; the third refusing
    (here made to refuse) leaves the item, the problem and the first two as they were."""
    problem, issues = roads
    item = meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
    real = issue_services.issue_meeting_decision
    taken = []

    def third_refuses(**kwargs):
        taken.append(kwargs["issue_id"])
        if len(taken) == 3:
            raise Conflict("stale_version", "有人刚改过。")
        return real(**kwargs)

    monkeypatch.setattr(issue_services, "issue_meeting_decision", third_refuses)
    with pytest.raises(Conflict) as refused:
        meetings.meeting_decide(
            actor=world.supervisor_a,
            meeting_id=meeting.pk,
            item_id=item.pk,
            decision="统一修路",
            unit=world.unit_a3,
            due_date=clock.today() + datetime.timedelta(days=20),
        )
    assert refused.value.code == "issue_refused" and "有人刚改过" in refused.value.message
    item.refresh_from_db()
    assert item.decided_at is None and CommonProblem.objects.get(pk=problem.pk).status == CommonStatus.ON_AGENDA
    assert not IssueEvent.objects.filter(action=Action.MEETING_DECISION).exists()
    assert fresh(issues[0]).status == Status.REGISTERED and fresh(issues[1]).responsible_unit == world.unit_a


def test_a_county_supervisor_is_not_told_of_a_city_meeting(world, make_issue):
    issue = make_issue()
    city = meetings.meeting_schedule(
        actor=world.admin, title="MARK-市级例会", held_on=clock.today(), region=world.city, chair="市长"
    )
    meetings.meeting_add_issue(actor=world.admin, meeting_id=city.pk, number=issue.number)
    county = meetings.meeting_schedule(
        actor=world.supervisor_a, title="县例会", held_on=clock.today(), region=world.county_a, chair="县长"
    )
    with pytest.raises(Conflict) as refused:
        meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=county.pk, number=issue.number)
    assert refused.value.code == "already_on_agenda" and "MARK" not in refused.value.message


def test_a_decision_names_the_units_working_with_the_lead(world, meeting, make_issue):
    issue = make_issue("assigned")  # with 甲县经信局, 甲县商务局 co-handling
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    due = clock.today() + datetime.timedelta(days=15)
    decide = {"actor": world.supervisor_a, "meeting_id": meeting.pk, "item_id": item.pk, "decision": "水务局牵头"}
    for bad, code in (
        ({"co_units": [world.unit_a4]}, "unit_required"),
        ({"unit": world.unit_a3, "due_date": due, "co_units": [world.unit_a3]}, "co_unit_is_responsible"),
        ({"unit": world.unit_a3, "due_date": due, "co_units": [world.unit_b]}, "unit_out_of_scope"),
    ):
        with pytest.raises(InvalidInput) as refused:
            meetings.meeting_decide(**decide, **bad)
        assert refused.value.code == code
    meetings.meeting_decide(**decide, unit=world.unit_a3, due_date=due, co_units=[world.unit_a4, world.unit_a4])
    item.refresh_from_db()
    assert list(item.co_units.all()) == [world.unit_a4]
    now = fresh(issue)
    # The lead, the unit named to work with it, and those it had (the unit it left among them).
    assert now.responsible_unit == world.unit_a3
    assert set(now.co_units.all()) == {world.unit_a, world.unit_a2, world.unit_a4}
    assert decisions(issue)[0].data["co_unit_names"] == [world.unit_a4.name]
