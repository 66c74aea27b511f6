"""The closure loop as practised: evidence at 办结, the return call (回访)
before 销号, 不满意 → rework → a second call, the first answer, the monthly
progress note, and the refusals of extensions and returns out of time. Each
step writes exactly one event; each refusal writes nothing.

Dates: the world's today is Monday 1 June 2026, with no holiday near it, so
working days here are Monday to Friday."""

import datetime
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from core import clock
from core.errors import Conflict, InvalidInput, NotPermitted
from issues import deadlines, figures, notices, services
from issues.choices import Status
from issues.models import FollowUp, Issue, IssueAttachment, IssueEvent, Reminder
from issues.selectors import issue_totals

from ..factories import OfficialFactory
from ..samples import PDF, PNG

D = datetime.date


def at(day, hour=10):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))


def events(issue) -> list[IssueEvent]:
    return list(IssueEvent.objects.filter(issue=issue).order_by("id"))


def snapshot(issue):
    issue.refresh_from_db()
    return model_to_dict(issue), len(events(issue)), FollowUp.objects.filter(issue=issue).count()


def one_more_event(issue, before: int, action: str) -> IssueEvent:
    now = events(issue)
    assert len(now) == before + 1, [e.action for e in now]
    assert now[-1].action == action
    return now[-1]


def call(world, issue, verdict="satisfied", **kwargs):
    kwargs = {"channel": "phone", "contact": "王经理(总经理)", "verdict": verdict, **kwargs}
    return services.issue_follow_up(actor=world.supervisor_a, issue_id=issue.pk, **kwargs)


# 回访 before 销号 -------------------------------------------------------------------------


def test_closing_needs_a_return_call_and_takes_its_verdict(world, make_issue):
    issue = make_issue("resolved")
    before = snapshot(issue)
    with pytest.raises(Conflict) as refused:
        services.issue_close(actor=world.supervisor_a, issue_id=issue.pk, note="已核实")
    assert refused.value.code == "follow_up_required"
    assert snapshot(issue) == before

    count = len(events(issue))
    call(world, issue, "basically_satisfied", note="基本解决,希望加快后续手续", called_on=D(2026, 6, 1))
    event = one_more_event(issue, count, "follow_up")
    assert (event.from_status, event.to_status) == ("resolved", "resolved")
    assert event.data == {"round": 1, "channel": "phone", "verdict": "basically_satisfied", "rework": False}
    made = FollowUp.objects.get(issue=issue)
    assert (made.event, made.round, made.contact, made.called_by) == (event, 1, "王经理(总经理)", world.supervisor_a)
    assert made.words == "基本解决,希望加快后续手续"
    issue.refresh_from_db()
    assert issue.followed_up_at == event.created_at and issue.status == Status.RESOLVED

    services.issue_close(actor=world.supervisor_a, issue_id=issue.pk)
    event = one_more_event(issue, count + 1, "close")
    issue.refresh_from_db()
    assert (issue.status, issue.satisfaction) == ("closed", "basically_satisfied")
    assert event.data["satisfaction"] == "basically_satisfied"


def test_unsatisfied_with_the_handling_goes_back_and_a_second_call_follows(world, make_issue):
    head = OfficialFactory(username="head_a", unit=world.unit_a, rank="head")
    issue = make_issue("resolved")  # resolved on Monday 1 June
    # The first call is due the next working day: Tuesday 2 June.
    assert issue.follow_up_due_date == D(2026, 6, 2)
    due_before = issue.due_date  # 22 June: 15 working days from 1 June
    count = len(events(issue))
    with at(D(2026, 6, 2)):
        call(world, issue, "unsatisfied", note="贷款仍未放款", caused_by_handling=True)
    event = one_more_event(issue, count, "follow_up")
    assert (event.from_status, event.to_status) == ("resolved", "in_progress")
    assert event.data["rework"] is True and event.data["previous_outcome"] == "solved"
    issue.refresh_from_db()
    assert (issue.status, issue.outcome, issue.followed_up_at) == ("in_progress", "", None)
    assert issue.reopened_at is not None and issue.follow_up_due_date is None
    # Rework within 5 working days of 2 June is 9 June, earlier than the due date in force: it stays.
    assert issue.due_date == max(due_before, D(2026, 6, 9)) == D(2026, 6, 22)

    # The unit hears of it, as of any send-back.
    assert notices.notify(event.pk) == 1
    told = Reminder.objects.get(kind=Reminder.Kind.REOPENED, issue=issue)
    assert told.recipient == head and "贷款仍未放款" in told.text

    with at(D(2026, 6, 5)):  # Friday
        services.issue_resolve(actor=world.official_a, issue_id=issue.pk, outcome="solved", note="已协调银行放款")
    issue.refresh_from_db()
    # The second call within 5 working days of the rework's 办结: Mon 8 … Fri 12 June.
    assert issue.follow_up_due_date == D(2026, 6, 12)
    with at(D(2026, 6, 8)):
        call(world, issue, "satisfied", note="已放款")
        services.issue_close(actor=world.supervisor_a, issue_id=issue.pk)
    issue.refresh_from_db()
    assert issue.satisfaction == "satisfied"
    assert list(issue.follow_ups.values_list("round", "verdict", "caused_by_handling")) == [
        (1, "unsatisfied", True),
        (2, "satisfied", False),
    ]
    assert [e.action for e in events(issue)][-5:] == ["resolve", "follow_up", "resolve", "follow_up", "close"]


def test_unsatisfied_for_other_reasons_stays_resolved_and_closes_unsatisfied(world, make_issue):
    issue = make_issue("resolved")
    call(world, issue, "unsatisfied", note="希望给予更多补贴,超出政策范围")
    issue.refresh_from_db()
    assert issue.status == "resolved"
    services.issue_close(actor=world.supervisor_a, issue_id=issue.pk)
    issue.refresh_from_db()
    assert issue.satisfaction == "unsatisfied"


def test_a_call_that_reached_no_one_records_why_and_is_not_a_call(world, make_issue, frozen_today):
    reached, unreached = make_issue("resolved"), make_issue("resolved")
    for bad, code in (
        ({"verdict": "", "note": ""}, "note_required"),  # why no call was possible
        ({"verdict": "satisfied", "note": "停业"}, "verdict_without_call"),
    ):
        before = snapshot(unreached)
        with pytest.raises(InvalidInput) as refused:
            call(world, unreached, **{**bad, "channel": "none", "contact": ""})
        assert refused.value.code == code
        assert snapshot(unreached) == before
    call(world, unreached, "", channel="none", contact="", note="企业已停业,电话停机")
    call(world, reached, "satisfied")
    for issue in (reached, unreached):
        services.issue_close(actor=world.supervisor_a, issue_id=issue.pk)
    unreached.refresh_from_db()
    assert unreached.satisfaction == "not_reached"
    totals = issue_totals(user=world.supervisor_a, today=frozen_today)
    # Two closed; one called back (回访率 1/2); one verdict, satisfied (满意率 1/1).
    assert (totals["followed_up"], totals["follow_up_due"], totals["follow_up_rate"]) == (1, 2, 0.5)
    assert (totals["satisfied"], totals["rated"], totals["satisfaction_rate"]) == (1, 1, 1.0)


def test_basically_satisfied_counts_as_satisfied_only_by_the_setting(world, make_issue, frozen_today, settings):
    for verdict in ("satisfied", "basically_satisfied"):
        issue = make_issue("resolved")
        call(world, issue, verdict)
        services.issue_close(actor=world.supervisor_a, issue_id=issue.pk)
    assert issue_totals(user=world.supervisor_a, today=frozen_today)["satisfaction_rate"] == 1.0
    settings.ZOUFANG_BASICALLY_SATISFIED_COUNTS = False
    assert issue_totals(user=world.supervisor_a, today=frozen_today)["satisfaction_rate"] == 0.5
    assert figures.satisfied() == ["satisfied"]


@pytest.mark.parametrize(
    "who, kwargs, error, code",
    [
        ("official_a", {}, NotPermitted, "supervisor_only"),  # the 帮扶办 calls, not the handling unit
        ("supervisor_a", {"contact": " "}, InvalidInput, "contact_required"),
        ("supervisor_a", {"verdict": ""}, InvalidInput, "verdict_required"),
        ("supervisor_a", {"verdict": "unsatisfied", "note": ""}, InvalidInput, "note_required"),
        ("supervisor_a", {"channel": "fax"}, InvalidInput, "invalid_channel"),
        ("supervisor_a", {"called_on": D(2026, 6, 2)}, InvalidInput, "date_in_future"),
        ("supervisor_a", {"called_on": D(2026, 5, 29)}, InvalidInput, "call_before_resolution"),
    ],
)
def test_a_return_call_is_refused_whole(world, make_issue, who, kwargs, error, code):
    issue = make_issue("resolved")
    before = snapshot(issue)
    kwargs = {"channel": "phone", "contact": "王经理", "verdict": "satisfied", "note": "", **kwargs}
    with pytest.raises(error) as refused:
        services.issue_follow_up(actor=getattr(world, who), issue_id=issue.pk, **kwargs)
    assert refused.value.code == code
    assert snapshot(issue) == before


def test_a_return_call_only_after_resolution(world, make_issue):
    issue = make_issue("in_progress")
    with pytest.raises(Conflict) as refused:
        call(world, issue)
    assert refused.value.code == "invalid_transition"


# Evidence at 办结 ---------------------------------------------------------------------------


def test_every_outcome_is_explained_and_evidence_is_stored_with_its_event(world, make_issue):
    issue = make_issue("in_progress")
    count = len(events(issue))
    files = [
        SimpleUploadedFile("现场照片.png", PNG, "image/png"),
        SimpleUploadedFile("放款通知.pdf", PDF, "application/pdf"),
    ]
    services.issue_resolve(
        actor=world.official_a, issue_id=issue.pk, outcome="solved", note="银行已放款300万元", files=files
    )
    event = one_more_event(issue, count, "resolve")
    assert event.data["files"] == ["现场照片.png", "放款通知.pdf"]
    stored = list(IssueAttachment.objects.filter(issue=issue).order_by("id"))
    assert [(a.name, a.kind, a.event_id, a.uploaded_by_id) for a in stored] == [
        ("现场照片.png", "photo", event.pk, world.official_a.pk),
        ("放款通知.pdf", "document", event.pk, world.official_a.pk),
    ]
    assert all(os.path.exists(a.file.path) for a in stored)


def test_a_bad_file_refuses_the_whole_feedback_and_stores_nothing(world, make_issue, settings):
    issue = make_issue("in_progress")
    before = snapshot(issue)
    files_before = set(_media_files(settings.MEDIA_ROOT))
    for name, content, code in (
        ("说明.exe", b"MZ" + b"\x00" * 64, "file_type"),
        ("假照片.jpg", PDF, "file_content"),
    ):
        with pytest.raises(InvalidInput) as refused:
            services.issue_feedback(
                actor=world.official_a,
                issue_id=issue.pk,
                note="进展",
                files=[SimpleUploadedFile("好的.pdf", PDF), SimpleUploadedFile(name, content)],
            )
        assert refused.value.code == code
    assert snapshot(issue) == before
    assert not IssueAttachment.objects.filter(issue=issue).exists()
    assert set(_media_files(settings.MEDIA_ROOT)) == files_before


def _media_files(root):
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield os.path.join(folder, name)


# First answer and progress ------------------------------------------------------------


def test_the_first_answer_is_a_feedback_marked_as_the_reply(world, make_issue, frozen_today):
    issue = make_issue("in_progress")
    # Assigned Monday 1 June: answer within 3 working days, by Thursday 4 June.
    assert issue.answer_due_date == D(2026, 6, 4)
    count = len(events(issue))
    services.issue_feedback(actor=world.official_a, issue_id=issue.pk, note="已联系银行")  # not a reply
    issue.refresh_from_db()
    assert issue.answered_at is None
    with at(D(2026, 6, 5)):  # a day late
        assert deadlines.is_answer_late(issue, D(2026, 6, 5))
        assert Issue.objects.filter(deadlines.answer_late(D(2026, 6, 5)), pk=issue.pk).exists()
        services.issue_feedback(actor=world.official_a, issue_id=issue.pk, note="已答复企业:下周放款", reply=True)
    event = one_more_event(issue, count + 1, "feedback")
    assert event.data["reply"] is True and event.data["first_answer"] is True
    assert event.data["answer_on_time"] is False
    issue.refresh_from_db()
    assert issue.answered_at == event.created_at
    with at(D(2026, 6, 8)):
        services.issue_feedback(actor=world.official_a, issue_id=issue.pk, note="再次答复", reply=True)
    later = one_more_event(issue, count + 2, "feedback")
    assert "first_answer" not in later.data  # the first answer is answered once
    issue.refresh_from_db()
    assert issue.answered_at == event.created_at
    totals = issue_totals(user=world.supervisor_a, today=D(2026, 6, 8))
    assert (totals["answered_on_time"], totals["answer_due"]) == (0, 1)


def test_resolving_before_the_answer_is_due_answers_on_time(world, make_issue):
    issue = make_issue("resolved")  # all on 1 June
    resolution = issue.events.filter(action="resolve").get()
    assert resolution.data["first_answer"] is True and resolution.data["answer_on_time"] is True
    assert issue.answered_at == resolution.created_at


def test_a_monthly_progress_note_is_due_on_long_items(world, make_issue):
    issue = make_issue("in_progress")
    assert issue.progress_due_date == D(2026, 7, 1)  # assigned 1 June, every 30 days
    assert not Issue.objects.filter(deadlines.progress_due(D(2026, 7, 1)), pk=issue.pk).exists()
    assert Issue.objects.filter(deadlines.progress_due(D(2026, 7, 2)), pk=issue.pk).exists()
    count = len(events(issue))
    with at(D(2026, 6, 26)):
        services.issue_feedback(actor=world.official_a2, issue_id=issue.pk, note="用地指标已上报省厅")
    event = one_more_event(issue, count, "feedback")
    assert event.data["progress_due_date"] == "2026-07-26"
    issue.refresh_from_db()
    assert issue.progress_due_date == D(2026, 7, 26)
    assert not Issue.objects.filter(deadlines.progress_due(D(2026, 7, 2)), pk=issue.pk).exists()


# Extensions and returns out of time --------------------------------------------------


def test_an_extension_is_asked_by_the_due_date(world, make_issue):
    issue = make_issue("in_progress")
    assert issue.due_date == D(2026, 6, 22)
    before = snapshot(issue)
    with at(D(2026, 6, 23)), pytest.raises(Conflict) as refused:
        services.issue_request_extension(
            actor=world.official_a, issue_id=issue.pk, new_due_date=D(2026, 7, 10), reason="需审批"
        )
    assert refused.value.code == "extension_after_deadline"
    assert snapshot(issue) == before
    with at(D(2026, 6, 22)):  # on the day itself it is still in time
        services.issue_request_extension(
            actor=world.official_a, issue_id=issue.pk, new_due_date=D(2026, 7, 10), reason="需审批"
        )
    one_more_event(issue, before[1], "request_extension")


def test_an_extension_is_capped_by_the_scheme(world, make_issue):
    issue = make_issue("in_progress")
    # Due 22 June as assigned; the cap is 30 working days past it: six weeks
    # of Mondays to Fridays, Monday 3 August.
    before = snapshot(issue)
    with pytest.raises(InvalidInput) as refused:
        services.issue_request_extension(
            actor=world.official_a, issue_id=issue.pk, new_due_date=D(2026, 8, 4), reason="需审批"
        )
    assert refused.value.code == "extension_over_cap" and "2026-08-03" in refused.value.message
    assert snapshot(issue) == before
    services.issue_request_extension(
        actor=world.official_a, issue_id=issue.pk, new_due_date=D(2026, 8, 3), reason="需审批"
    )
    services.issue_approve_extension(actor=world.supervisor_a, issue_id=issue.pk)
    # A second extension is capped from the due date as assigned, not from the extended one.
    with pytest.raises(InvalidInput) as refused:
        services.issue_request_extension(
            actor=world.official_a, issue_id=issue.pk, new_due_date=D(2026, 8, 5), reason="再延"
        )
    assert refused.value.code == "extension_over_cap"


def test_a_return_is_made_within_the_sign_for_window(world, make_issue):
    issue = make_issue("assigned")  # 1 June: sign for (or return) by Tuesday 2 June
    assert issue.accept_due_date == D(2026, 6, 2)
    before = snapshot(issue)
    with at(D(2026, 6, 3)), pytest.raises(Conflict) as refused:
        services.issue_return(actor=world.official_a, issue_id=issue.pk, reason="非本单位职责")
    assert refused.value.code == "return_window_closed"
    assert snapshot(issue) == before
    with at(D(2026, 6, 2)):
        services.issue_return(actor=world.official_a, issue_id=issue.pk, reason="非本单位职责")
    one_more_event(issue, before[1], "return")


def test_the_supervisors_decision_on_a_return_is_recorded(world, make_issue):
    kept, moved = make_issue("assigned"), make_issue("assigned")
    for issue in (kept, moved):
        services.issue_return(actor=world.official_a, issue_id=issue.pk, reason="非本单位职责")
    before = snapshot(kept)
    with pytest.raises(InvalidInput) as refused:  # back to the same unit: say why
        services.issue_assign(actor=world.supervisor_a, issue_id=kept.pk, unit=world.unit_a)
    assert refused.value.code == "return_decision_reason_required"
    assert snapshot(kept) == before
    services.issue_assign(actor=world.supervisor_a, issue_id=kept.pk, unit=world.unit_a, note="属经信局职责,维持交办")
    services.issue_assign(actor=world.supervisor_a, issue_id=moved.pk, unit=world.unit_a2)
    decision = {
        issue.number: one_more_event(issue, before[1], "assign").data["return_decision"] for issue in (kept, moved)
    }
    assert decision == {
        kept.number: {"returned_by": world.unit_a.pk, "decision": "overruled"},
        moved.number: {"returned_by": world.unit_a.pk, "decision": "upheld"},
    }


def test_the_sweep_reminds_of_the_answer_the_progress_note_and_the_call(world, make_issue):
    from issues import reminders

    OfficialFactory(username="head_a", unit=world.unit_a, rank="head")
    waiting = make_issue("in_progress")  # answer due 4 June, progress note due 1 July
    resolved = make_issue("resolved")  # call due 2 June
    with at(D(2026, 6, 5)):
        reminders.sweep(D(2026, 6, 5))
    kinds = set(Reminder.objects.values_list("kind", "issue_id"))
    assert ("answer_late", waiting.pk) in kinds and ("follow_up_waiting", resolved.pk) in kinds
    assert not any(kind == "progress_due" for kind, _issue in kinds)
    # the call goes to the region's supervisors (the 帮扶办), not the unit
    assert set(Reminder.objects.filter(kind="follow_up_waiting").values_list("recipient", flat=True)) == {
        world.supervisor_a.pk
    }
    with at(D(2026, 7, 2)):
        reminders.sweep(D(2026, 7, 2))
    assert Reminder.objects.filter(kind="progress_due", issue=waiting, day=D(2026, 7, 2)).exists()


def test_the_issue_page_offers_closing_only_after_a_call_and_one_call_per_resolution(world, make_issue):
    issue = make_issue("resolved")
    assert "close" not in services.allowed_actions(issue, world.supervisor_a)
    assert "follow_up" in services.allowed_actions(issue, world.supervisor_a)
    call(world, issue)
    issue.refresh_from_db()
    offered = services.allowed_actions(issue, world.supervisor_a)
    assert "close" in offered and "follow_up" not in offered
    before = snapshot(issue)
    with pytest.raises(Conflict) as refused:
        call(world, issue, "unsatisfied", note="改口")
    assert refused.value.code == "already_called"
    assert snapshot(issue) == before


def test_a_call_not_possible_can_be_followed_by_one_that_reaches(world, make_issue):
    issue = make_issue("resolved")
    call(world, issue, "", channel="none", contact="", note="电话无人接听")
    issue.refresh_from_db()
    assert issue.followed_up_at is None and "follow_up" in services.allowed_actions(issue, world.supervisor_a)
    call(world, issue, "satisfied")
    services.issue_close(actor=world.supervisor_a, issue_id=issue.pk)
    issue.refresh_from_db()
    assert issue.satisfaction == "satisfied"  # the last call's verdict


def test_an_overruled_return_cannot_be_made_again(world, make_issue):
    issue = make_issue("assigned")
    services.issue_return(actor=world.official_a, issue_id=issue.pk, reason="非本单位职责")
    services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=world.unit_a, note="职责在经信局,维持")
    issue.refresh_from_db()
    assert "return" not in services.allowed_actions(issue, world.official_a)
    before = snapshot(issue)
    with pytest.raises(Conflict) as refused:
        services.issue_return(actor=world.official_a, issue_id=issue.pk, reason="仍非本单位职责")
    assert refused.value.code == "return_overruled"
    assert snapshot(issue) == before
    # Given to another unit instead (the return upheld), that unit may still return it in its window.
    other = make_issue("assigned")
    services.issue_return(actor=world.official_a, issue_id=other.pk, reason="非本单位职责")
    services.issue_assign(actor=world.supervisor_a, issue_id=other.pk, unit=world.unit_a2)
    other.refresh_from_db()
    assert "return" in services.allowed_actions(other, world.official_a2)


def test_a_rework_sent_by_a_return_call_counts_in_the_rework_rate(world, make_issue, frozen_today):
    sent_back_by_call, kept = make_issue("resolved"), make_issue("resolved")
    call(world, sent_back_by_call, "unsatisfied", note="仍未解决", caused_by_handling=True)
    call(world, kept, "satisfied")
    totals = issue_totals(user=world.supervisor_a, today=frozen_today)
    assert (totals["ever_reopened"], totals["ever_resolved"], totals["rework_rate"]) == (1, 2, 0.5)
