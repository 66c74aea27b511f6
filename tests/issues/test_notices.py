"""Event notices go to the people concerned, after the change commits."""

import pytest
from django.db import transaction

from issues import services
from issues.models import Digest, Reminder

from ..factories import OfficialFactory


@pytest.fixture
def eager_celery():
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


@pytest.fixture
def heads(world):
    world.head_a = OfficialFactory(username="head_a", unit=world.unit_a, rank="head")
    world.head_a2 = OfficialFactory(username="head_a2", unit=world.unit_a2, rank="head")
    return world


def kinds(person):
    return sorted(Reminder.objects.filter(recipient=person).values_list("kind", flat=True))


def test_assignment_tells_the_unit_and_co_units(heads, make_issue, eager_celery, django_capture_on_commit_callbacks):
    issue = make_issue("registered")
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_assign(actor=heads.supervisor_a, issue_id=issue.pk, unit=heads.unit_a, co_units=[heads.unit_a2])
    assert kinds(heads.head_a) == ["assigned"] and kinds(heads.head_a2) == ["assigned"]
    assert kinds(heads.supervisor_a) == []  # the actor knows
    digest = Digest.objects.get(recipient=heads.head_a)
    assert issue.number in digest.items[0]["text"] and "承办" in digest.items[0]["text"]


def test_a_rolled_back_change_tells_no_one(heads, make_issue, eager_celery, django_capture_on_commit_callbacks):
    issue = make_issue("registered")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.issue_assign(actor=heads.supervisor_a, issue_id=issue.pk, unit=heads.unit_a)
            raise RuntimeError("the request failed after the assignment")
    assert callbacks == [] and not Reminder.objects.exists()


def test_return_rework_and_extension_decisions(heads, make_issue, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        returned = make_issue("assigned")
        services.issue_return(actor=heads.official_a, issue_id=returned.pk, reason="不属于本单位职责")
        reworked = make_issue("resolved")
        services.issue_reopen(actor=heads.supervisor_a, issue_id=reworked.pk, reason="企业反映未解决")
        extended = make_issue("in_progress", extra=("request_extension",))
        services.issue_reject_extension(actor=heads.supervisor_a, issue_id=extended.pk, reason="请按期办结")
    assert "returned" in kinds(heads.supervisor_a)
    assert {"reopened", "extension_decided"} <= set(kinds(heads.head_a))
    assert "extension_decided" in kinds(heads.official_a)  # the one who asked
    assert not Reminder.objects.filter(kind="returned", recipient=heads.official_a).exists()


def test_the_demo_seed_tells_no_one(db, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("seed_demo", enterprises=20, stdout=open("/dev/null", "w"))
    assert callbacks == []


def test_a_meetings_decision_tells_the_lead_unit_not_the_unit_it_left(
    heads, make_issue, eager_celery, django_capture_on_commit_callbacks
):
    import datetime

    from core import clock
    from issues import meetings

    issue = make_issue("in_progress")  # with 甲县经信局, 甲县商务局 co-handling
    heads.head_a3 = OfficialFactory(username="head_a3", unit=heads.unit_a3, rank="head")
    meeting = meetings.meeting_schedule(
        actor=heads.supervisor_a, title="例会", held_on=clock.today(), region=heads.county_a, chair="县长"
    )
    item = meetings.meeting_add_issue(actor=heads.supervisor_a, meeting_id=meeting.pk, number=issue.number)
    with django_capture_on_commit_callbacks(execute=True):
        meetings.meeting_decide(
            actor=heads.supervisor_a,
            meeting_id=meeting.pk,
            item_id=item.pk,
            decision="改由县水务局牵头",
            unit=heads.unit_a3,
            due_date=clock.today() + datetime.timedelta(days=10),
        )
    assert kinds(heads.head_a3) == ["assigned"] and kinds(heads.head_a2) == []
    text = Digest.objects.get(recipient=heads.head_a3).items[0]["text"]
    assert "议定改由县水务局牵头；由本单位牵头" in text and issue.number in text
    # The unit it left is told, in its own words.
    left = Digest.objects.get(recipient=heads.head_a).items[0]["text"]
    assert "甲县水务局" in left and "配合" in left


def test_an_issue_raised_again_tells_the_unit_handling_it_or_the_supervisors_before_dispatch(
    heads, make_issue, eager_celery, django_capture_on_commit_callbacks
):
    working, waiting = make_issue("in_progress"), make_issue("registered")
    with django_capture_on_commit_callbacks(execute=True):
        for issue in (working, waiting):
            services.issue_raise_again(actor=heads.official_a2, issue_id=issue.pk, note="企业再次反映，希望尽快解决")
    assert kinds(heads.head_a) == ["raised_again"]  # the responsible unit's head, for the one it handles
    assert kinds(heads.supervisor_a) == ["raised_again"]  # the one waiting for dispatch
    assert kinds(heads.official_a2) == []  # the one who recorded it knows
    text = Digest.objects.get(recipient=heads.head_a).items[0]["text"]
    assert working.number in text and "甲企业" in text and "希望尽快解决" in text
