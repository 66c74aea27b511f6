"""An issue raised again (再次反映) instead of registered twice:
issues.services.issue_raise_again (its event, its refusals, each changing
nothing), a visit's block linked to it in the visit's one transaction
(issues.intake.visit_record_with_issues), and a registered duplicate merged
into it from the dispatch desk (issues.intake.issue_merge)."""

import datetime

import pytest
from django.utils import translation

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from issues import intake, services
from issues.choices import Action, Status
from issues.models import Issue, IssueEvent
from visits.models import Visit

from ..conftest import drive

OUTAGE = dict(category="infrastructure", title="厂区经常停电", description="线路老化，今年停电七八次。")


@pytest.fixture
def outage(world):
    return services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE)


def state(issue) -> tuple:
    """What a refusal must leave as it was."""
    issue = Issue.objects.get(pk=issue.pk)
    return issue.status, issue.version, issue.events.count(), issue.cancelled_at


def visit(world, enterprise=None, **blocks) -> Visit:
    return intake.visit_record_with_issues(
        actor=world.official_a,
        enterprise=enterprise or world.enterprise_a,
        date=datetime.date(2026, 5, 29),
        form="onsite",
        purposes=["situation"],
        summary="回访企业",
        **blocks,
    )


def test_raised_again_writes_its_event_and_leaves_the_state(world, outage):
    issue = drive(outage, world, "assign", "accept")
    done = services.issue_raise_again(actor=world.official_a2, issue_id=issue.pk, note="又停了两次", expected_version=3)
    event = done.events.latest("id")
    assert (done.status, done.version) == (Status.IN_PROGRESS, 4)
    assert (event.action, event.from_status, event.to_status, event.note) == (
        Action.RAISED_AGAIN,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        "又停了两次",
    )
    assert event.actor == world.official_a2 and event.data == {}


@pytest.mark.parametrize("path", [("assign", "accept", "resolve", "follow_up", "close"), ("cancel",)])
def test_a_closed_or_cancelled_issue_is_not_raised_again_and_nothing_changes(world, outage, path):
    issue = drive(outage, world, *path)
    before = state(issue)
    with pytest.raises(Conflict) as refused:
        services.issue_raise_again(actor=world.official_a, issue_id=issue.pk, note="又停电了")
    assert refused.value.code == "invalid_transition" and state(issue) == before


def test_a_stale_version_or_no_words_is_refused_and_nothing_changes(world, outage):
    before = state(outage)
    with pytest.raises(Conflict):
        services.issue_raise_again(actor=world.official_a, issue_id=outage.pk, note="又停电了", expected_version=7)
    with pytest.raises(InvalidInput) as blank:
        services.issue_raise_again(actor=world.official_a, issue_id=outage.pk, note="  ")
    assert blank.value.field == "note" and state(outage) == before


def test_an_issue_out_of_scope_is_no_such_issue_like_a_missing_one(world, outage):
    with pytest.raises(NotFound) as outside:
        services.issue_raise_again(actor=world.official_a4, issue_id=outage.pk, note="又停电了")
    with pytest.raises(NotFound) as missing:
        services.issue_raise_again(actor=world.official_a4, issue_id=outage.pk + 999, note="又停电了")
    assert outside.value.message == missing.value.message and outage.events.count() == 1


def test_a_visit_s_block_linked_to_the_issue_it_repeats(world, outage):
    raised = [
        intake.RaisedIssue(again=outage.pk, **OUTAGE),
        intake.RaisedIssue(category="finance", title="银行抽贷", request="协调续贷"),
    ]
    recorded = visit(world, issues=raised)
    (new,) = recorded.issues.all()  # the second block alone is registered
    assert new.title == "银行抽贷" and Issue.objects.count() == 2
    event = outage.events.get(action=Action.RAISED_AGAIN)
    assert event.data == {"visit": recorded.pk, "visit_date": "2026-05-29"}
    assert event.note == "厂区经常停电\n线路老化，今年停电七八次。" and event.actor == world.official_a


def test_a_link_refused_leaves_no_visit_and_no_issue(world, outage):
    closed = drive(outage, world, "assign", "accept", "resolve", "follow_up", "close")
    before = state(closed)
    raised = [intake.RaisedIssue(category="finance", title="银行抽贷"), intake.RaisedIssue(again=closed.pk, **OUTAGE)]
    with pytest.raises(Conflict):
        visit(world, issues=raised)
    assert not Visit.objects.exists() and Issue.objects.count() == 1 and state(closed) == before


def test_a_link_to_another_enterprise_s_issue_is_refused(world):
    theirs = services.issue_register(actor=world.supervisor_a, enterprise=world.enterprise_a_other, **OUTAGE)
    with pytest.raises(InvalidInput) as refused:
        intake.visit_record_with_issues(
            actor=world.supervisor_a,
            enterprise=world.enterprise_a,
            date=datetime.date(2026, 5, 29),
            form="onsite",
            purposes=["situation"],
            summary="回访",
            participants=[world.official_a],
            issues=[intake.RaisedIssue(again=theirs.pk, **OUTAGE)],
        )
    assert refused.value.code == "visit_enterprise_mismatch" and not Visit.objects.exists()


def test_a_duplicate_is_merged_cancelled_and_the_other_raised_again_together(world, outage):
    other = drive(
        services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE), world, "assign"
    )
    with translation.override("en"):
        into = intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=other.pk, expected_version=1)
    outage.refresh_from_db()
    assert outage.status == Status.CANCELLED and into.pk == other.pk and into.status == Status.ASSIGNED
    assert outage.events.latest("id").note == f"Duplicate of {other.number}: merged into it."
    event = into.events.latest("id")
    assert event.action == Action.RAISED_AGAIN and event.note.startswith("厂区经常停电")
    assert event.data == {"duplicate": outage.pk, "duplicate_number": outage.number}


def test_a_refused_merge_changes_neither(world, outage):
    other = services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE)
    closed = drive(
        services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE),
        world,
        *("assign", "accept", "resolve", "follow_up", "close"),
    )
    before = [state(issue) for issue in (outage, other, closed)]
    with pytest.raises(Conflict):  # the other is closed: the cancel is undone with it
        intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=closed.pk)
    with pytest.raises(Conflict):  # stale
        intake.issue_merge(actor=world.supervisor_a, issue_id=other.pk, into_id=outage.pk, expected_version=9)
    with pytest.raises(NotPermitted):  # cancelling is the supervisor's
        intake.issue_merge(actor=world.official_a, issue_id=other.pk, into_id=outage.pk)
    with pytest.raises(InvalidInput):  # the earlier into the later
        intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=other.pk)
    with pytest.raises(InvalidInput):
        intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=outage.pk)
    assert [state(issue) for issue in (outage, other, closed)] == before
    assert not IssueEvent.objects.filter(action=Action.RAISED_AGAIN).exists()


def test_merging_into_a_guessed_id_outside_the_scope_is_no_such_issue(world, outage):
    foreign = services.issue_register(actor=world.official_b, enterprise=world.enterprise_b, **OUTAGE)
    with pytest.raises(NotFound) as outside:
        intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=foreign.pk)
    with pytest.raises(NotFound) as missing:
        intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=foreign.pk + 999)
    assert outside.value.message == missing.value.message
    assert state(outage)[0] == Status.REGISTERED and foreign.events.count() == 1


def test_an_issue_of_another_enterprise_is_not_merged_into(world, outage):
    theirs = services.issue_register(actor=world.supervisor_a, enterprise=world.enterprise_a_other, **OUTAGE)
    with pytest.raises(InvalidInput) as refused:
        intake.issue_merge(actor=world.supervisor_a, issue_id=outage.pk, into_id=theirs.pk)
    assert refused.value.code == "merge_other_enterprise" and state(outage)[0] == Status.REGISTERED


def test_an_earlier_registration_is_not_merged_into_a_later_one(world, make_issue):
    from core.errors import InvalidInput
    from issues import intake

    first, second = make_issue(), make_issue()
    with pytest.raises(InvalidInput) as refused:
        intake.issue_merge(actor=world.supervisor_a, issue_id=first.pk, into_id=second.pk)
    assert refused.value.code == "merge_into_later"
    assert Issue.objects.get(pk=first.pk).status == "registered"
    intake.issue_merge(actor=world.supervisor_a, issue_id=second.pk, into_id=first.pk)
    assert Issue.objects.get(pk=second.pk).status == "cancelled"
