"""The outbox: work that follows a commit is a row of the same transaction,
handed to the broker after the commit, and kept while the broker is away."""

import pytest
from celery import Celery
from django.db import transaction
from django.urls import reverse

from core import outbox
from core.models import OutboxMessage
from issues.models import Issue, IssueEvent, Reminder

from ..factories import OfficialFactory
from ..processes import free_port


@pytest.fixture
def eager():
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


@pytest.fixture
def broker_down():
    """The current Celery app talks to a Redis port nothing listens on: each
    hand-over is refused by a real connection attempt."""
    from config.celery_app import app

    down = Celery("broker-down", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=True)
    down.conf.broker_connection_timeout = 1
    yield down
    app.set_current()
    down.close()


def test_a_rolled_back_change_leaves_no_message(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.send("core.tasks.ping", "lost")
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()


def test_a_committed_message_is_handed_over_once(db, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.send("core.tasks.ping", "你好")
        assert message.sent_at is None  # not before the commit
    message.refresh_from_db()
    assert message.sent_at is not None and message.tries == 0
    assert outbox.relay() == 0


def test_a_message_waits_for_its_time(world, eager):
    import datetime

    from core import clock

    outbox.send("core.tasks.ping", due_at=clock.now() + datetime.timedelta(minutes=5))
    assert outbox.relay() == 0
    with clock.frozen_at(clock.now() + datetime.timedelta(minutes=5)):
        assert outbox.relay() == 1


def test_with_the_broker_away_saved_work_answers_normally_and_waits(
    client, world, make_issue, broker_down, django_capture_on_commit_callbacks, settings
):
    """Before the outbox, assigning answered 500 although it was saved, its
    notice was lost, and bulk dispatch stopped after the first issue."""
    from config.celery_app import app

    OfficialFactory(username="head_a2", unit=world.unit_a2, rank="head")
    issues = [make_issue("registered") for _ in range(3)]
    OutboxMessage.objects.all().delete()  # the set-up's own
    client.force_login(world.supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dispatch-bulk"), {"unit": world.unit_a2.pk, "issues": [i.pk for i in issues]})
    assert response.status_code == 302
    assert set(Issue.objects.filter(pk__in=[i.pk for i in issues]).values_list("status", flat=True)) == {"assigned"}
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert waiting.count() == 3 and all(m.task == "issues.tasks.notify_event" for m in waiting)
    assert "refused" in waiting.order_by("pk").first().last_error.lower()
    assert outbox.waiting()["waiting"] == 3
    assert not Reminder.objects.exists()

    # The broker is back: beat's next relay hands them over, each once.
    app.set_current()
    app.conf.task_always_eager = True
    try:
        assert outbox.relay() == 3
        assert outbox.relay() == 0
    finally:
        app.conf.task_always_eager = False
    events = IssueEvent.objects.filter(issue__in=issues, action="assign")
    told = Reminder.objects.filter(item_key__in=[f"event:{e.pk}" for e in events])
    assert told.count() == 3 and told.values("recipient", "item_key").distinct().count() == 3


def test_an_administrator_sends_again_what_ended_unknown(client, world):
    from core import clock
    from issues.models import Delivery

    delivery = Delivery.objects.create(
        channel="webhook",
        unit=world.unit_a,
        target="http://127.0.0.1:9/robot",
        subject="s",
        body="b",
        status="unknown",
        created_at=clock.now(),
    )
    for person in (world.supervisor_a, world.admin):
        person.is_staff = True
        person.save()
    client.force_login(world.supervisor_a)
    changelist = reverse("admin:issues_delivery_changelist")
    assert client.get(changelist).status_code == 403  # a staff account, but not an administrator
    client.force_login(world.admin)
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "send_again", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts[-1]["outcome"] == "again"
    assert OutboxMessage.objects.filter(task="issues.tasks.deliver", args=[delivery.pk]).exists()
