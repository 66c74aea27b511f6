"""The coordination meetings' pages: scheduling, the agenda, a decision
(refused with what was typed kept), the minutes, and scope."""

import datetime

import pytest
from django.urls import reverse

from core import clock
from issues import common, meetings
from issues import services as issue_services
from issues.choices import Action, CommonStatus
from issues.models import CommonProblem, IssueEvent, Meeting, MeetingItem

from ..factories import EnterpriseFactory


@pytest.fixture
def meeting(world):
    return meetings.meeting_schedule(
        actor=world.supervisor_a,
        title="周五协调例会",
        held_on=clock.today(),
        region=world.county_a,
        chair="副县长 李明",
    )


@pytest.fixture
def problem(world):
    enterprises = [world.enterprise_a, world.enterprise_a_other, EnterpriseFactory(region=world.town_a)]
    issues = [
        issue_services.issue_register(actor=world.supervisor_a, enterprise=e, category="land", title=f"标准厂房不足{n}")
        for n, e in enumerate(enterprises)
    ]
    return common.common_propose(actor=world.supervisor_a, title="标准厂房供给不足", issue_ids=[i.pk for i in issues])


def test_meetings_are_the_supervisors_and_are_scheduled_from_their_list(client, world):
    client.force_login(world.official_a)
    assert client.get(reverse("meeting-list")).status_code == 403
    client.force_login(world.supervisor_a)
    page = client.get(reverse("meeting-list")).content.decode()
    # The regions offered are the supervisor's, where meetings are held: the county, not its towns.
    assert f'value="{world.county_a.pk}"' in page and f'value="{world.town_a.pk}"' not in page
    assert f'value="{world.county_b.pk}"' not in page
    data = {"title": "第一次例会", "held_on": "2026-06-05", "region": world.county_a.pk, "chair": "县长 王强"}
    response = client.post(reverse("meeting-list"), data)
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meeting-detail", args=[meeting.pk])
    assert (meeting.chair, meeting.held_on, meeting.created_by) == (
        "县长 王强",
        datetime.date(2026, 6, 5),
        world.supervisor_a,
    )
    refused = client.post(reverse("meeting-list"), {**data, "chair": ""})
    assert refused.status_code == 400 and Meeting.objects.count() == 1
    assert 'value="第一次例会"' in refused.content.decode()  # what was typed is kept


def test_a_problem_goes_on_the_agenda_from_the_radars_desk_and_is_decided_there(client, world, meeting, problem):
    client.force_login(world.supervisor_a)
    desk = client.get(reverse("escalations")).content.decode()
    card = desk.split(f'id="problem-{problem.pk}"')[1]
    assert f'<option value="{meeting.pk}">' in card and "agenda-form" in card
    response = client.post(
        reverse("meeting-add-chosen"), {"meeting": meeting.pk, "problem": problem.pk, "version": problem.version}
    )
    item = MeetingItem.objects.get()
    assert response["Location"] == reverse("meeting-detail", args=[meeting.pk]) + f"#item-{item.pk}"
    desk = client.get(reverse("escalations")).content.decode()
    card = desk.split(f'id="problem-{problem.pk}"')[1].split('class="card mb-3 common-problem"')[0]
    assert "agenda-note" in card and reverse("meeting-detail", args=[meeting.pk]) in card
    assert 'data-act="decide"' not in card  # decided at the meeting, not on the desk
    page = client.get(reverse("meeting-detail", args=[meeting.pk])).content.decode()
    assert "标准厂房供给不足" in page and page.count('class="list-group-item small"><a class="font-monospace"') == 3
    due = clock.today() + datetime.timedelta(days=30)
    prefix = f"item-{item.pk}"
    response = client.post(
        reverse("meeting-decide", args=[meeting.pk, item.pk]),
        {
            f"{prefix}-decision": "县自然资源局牵头盘活闲置厂房",
            f"{prefix}-unit": world.unit_a3.pk,
            f"{prefix}-co_units": [world.unit_a4.pk],
            f"{prefix}-due_date": due,
        },
    )
    assert response.status_code == 302
    assert CommonProblem.objects.get(pk=problem.pk).status == CommonStatus.DECIDED
    assert IssueEvent.objects.filter(action=Action.MEETING_DECISION).count() == 3
    page = client.get(reverse("meeting-detail", args=[meeting.pk])).content.decode()
    assert 'data-decided="yes"' in page and "县自然资源局牵头盘活闲置厂房" in page
    assert "落实情况：3个问题中已销号0个，超期0个。" in page
    # The minutes name the decision, the unit and the date.
    minutes = client.get(reverse("meeting-minutes", args=[meeting.pk])).content.decode()
    assert "县自然资源局牵头盘活闲置厂房" in minutes and 'id="minutes-draft"' in minutes
    assert f"由{world.unit_a3.name}牵头，{world.unit_a4.name}配合" in minutes
    # Issued: no longer a draft, no more forms.
    client.post(reverse("meeting-issue", args=[meeting.pk]), {"version": Meeting.objects.get().version})
    assert Meeting.objects.get().issued_at is not None
    minutes = client.get(reverse("meeting-minutes", args=[meeting.pk])).content.decode()
    assert 'id="minutes-draft"' not in minutes
    assert "decide-form" not in client.get(reverse("meeting-detail", args=[meeting.pk])).content.decode()


def test_the_issue_page_shows_the_decision_to_its_unit_and_the_agenda_to_supervisors(
    client, world, meeting, make_issue
):
    issue = make_issue("assigned")
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    assert reverse("meeting-detail", args=[meeting.pk]) in page.split('id="meeting-decision"')[1]
    client.force_login(world.official_a)
    assert 'id="meeting-decision"' not in client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    meetings.meeting_decide(
        actor=world.supervisor_a,
        meeting_id=meeting.pk,
        item_id=item.pk,
        decision="两周内完成设备验收",
        unit=world.unit_a,
        due_date=clock.today() + datetime.timedelta(days=14),
    )
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    block = page.split('id="meeting-decision"')[1].split("</dd>")[0]
    assert "两周内完成设备验收" in block and world.unit_a.name in block
    assert reverse("meeting-detail", args=[meeting.pk]) not in page  # the meeting itself is the supervisors'
    assert 'data-action="meeting_decision"' in page


def test_a_refused_decision_comes_back_with_what_was_typed(client, world, meeting, make_issue):
    issue = make_issue()
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    client.force_login(world.supervisor_a)
    prefix = f"item-{item.pk}"
    response = client.post(
        reverse("meeting-decide", args=[meeting.pk, item.pk]),
        {f"{prefix}-decision": "由水务局牵头解决供水", f"{prefix}-unit": world.unit_a3.pk, f"{prefix}-due_date": ""},
    )
    page = response.content.decode()
    assert response.status_code == 400
    form = page.split(f'id="item-{item.pk}"')[1]
    assert "由水务局牵头解决供水" in form and f'<option value="{world.unit_a3.pk}" selected>' in form
    assert "invalid-feedback" in form
    item.refresh_from_db()
    assert item.decided_at is None


def test_a_meeting_out_of_scope_is_not_found(client, world, meeting, make_issue):
    issue = make_issue()
    item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    client.force_login(world.supervisor_b)
    for name, args in (
        ("meeting-detail", [meeting.pk]),
        ("meeting-minutes", [meeting.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404
    prefix = f"item-{item.pk}"
    decided = client.post(reverse("meeting-decide", args=[meeting.pk, item.pk]), {f"{prefix}-decision": "越权"})
    assert decided.status_code == 404
    assert (
        client.post(reverse("meeting-add-chosen"), {"meeting": meeting.pk, "number": issue.number}).status_code == 404
    )
    assert "周五协调例会" not in client.get(reverse("meeting-list")).content.decode()
    item.refresh_from_db()
    assert item.decided_at is None


def test_the_agenda_page_reads_in_a_fixed_number_of_queries(
    client, world, meeting, make_issue, django_assert_max_num_queries
):
    client.force_login(world.supervisor_a)
    url = reverse("meeting-detail", args=[meeting.pk])
    issue = make_issue("assigned")
    meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(4):
        more = make_issue("assigned")
        issue_services.issue_escalate(actor=world.supervisor_a, issue_id=more.pk, note="需协调")
        item = meetings.meeting_add_issue(actor=world.supervisor_a, meeting_id=meeting.pk, number=more.number)
        if n % 2:
            meetings.meeting_decide(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, decision="办")
    for _ in range(3):
        waiting = make_issue("assigned")
        issue_services.issue_escalate(actor=world.supervisor_a, issue_id=waiting.pk, note="需协调")
    for n in range(2):  # two common problems of three issues each, one decided
        issues = [make_issue(category="land") for _ in range(3)]
        problem = common.common_propose(actor=world.supervisor_a, title=f"问题{n}", issue_ids=[i.pk for i in issues])
        item = meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
        if n:
            meetings.meeting_decide(actor=world.supervisor_a, meeting_id=meeting.pk, item_id=item.pk, decision="办")
    with django_assert_max_num_queries(len(few)):
        page = client.get(url).content.decode()
    assert page.count('class="card mb-3 agenda-item"') == 7 and page.count("candidate-issue") == 3
    assert page.count('data-decided="yes"') == 3


def test_the_meeting_is_moved_to_another_day_and_a_stale_page_is_refused(client, world, meeting):
    client.force_login(world.supervisor_a)
    url = reverse("meeting-edit", args=[meeting.pk])
    data = {
        "edit-title": "周五协调例会（改期）",
        "edit-held_on": "2026-06-12",
        "edit-chair": "县长 王强",
        "edit-place": "",
        "edit-attendees": "县经信局、县自然资源局",
        "edit-version": meeting.version,
    }
    assert client.post(url, data).status_code == 302
    moved = Meeting.objects.get()
    assert (moved.title, moved.held_on, moved.chair, moved.version) == (
        "周五协调例会（改期）",
        datetime.date(2026, 6, 12),
        "县长 王强",
        meeting.version + 1,
    )
    stale = client.post(url, {**data, "edit-chair": "副县长 李明"})
    page = stale.content.decode()
    assert stale.status_code == 409 and 'id="meeting-edit" open' in page
    assert Meeting.objects.get().chair == "县长 王强"
    client.force_login(world.supervisor_b)
    assert client.post(url, {**data, "edit-version": moved.version}).status_code == 404


def test_a_meeting_that_decided_nothing_is_cancelled_from_its_page(client, world, meeting, problem):
    meetings.meeting_add_problem(actor=world.supervisor_a, meeting_id=meeting.pk, problem_id=problem.pk)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("meeting-detail", args=[meeting.pk])).content.decode()
    assert 'id="cancel-meeting"' in page
    response = client.post(reverse("meeting-cancel", args=[meeting.pk]), {"version": 2})
    assert response["Location"] == reverse("meeting-list")
    assert not Meeting.objects.exists() and CommonProblem.objects.get().status == CommonStatus.CONFIRMED


def test_a_refused_number_comes_back_under_its_field(client, world, meeting, problem):
    client.force_login(world.supervisor_a)
    grouped = problem.issues.first()
    response = client.post(reverse("meeting-add", args=[meeting.pk]), {"number": grouped.number})
    page = response.content.decode()
    assert response.status_code == 400 and "data-scroll-here" in page
    field = page.split('id="agenda-number"')[1].split("</div>")[0]
    assert f'value="{grouped.number}"' in field and "请将该共性问题列入议程" in page
    assert not MeetingItem.objects.exists()
