"""The transactional outbox: work that must follow a commit (an event's
notice, an import job, a delivery) is a row written in the same transaction,
then handed to the broker.

`send()` writes the row and, once the transaction commits, tries to hand it
over at once. A broker that is down makes that try fail quietly: the change
is saved, the request answers as usual, and `relay()` (beat runs it every
minute) hands the row over when the broker is back. Rows are claimed with
SKIP LOCKED, so two relays never hand one row over twice; a relay that dies
between handing over and recording it makes a row go out twice at worst,
so every task the outbox carries is safe to run twice."""

import datetime
import importlib
import logging

from celery import current_app
from django.db import transaction

from core import clock

from .models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 500
# A broker that refuses the connection fails the hand-over at once; one
# immediate retry re-opens a connection that went stale while it was away.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
KEEP_SENT = datetime.timedelta(days=7)


def send(task: str, *args, due_at: datetime.datetime | None = None) -> OutboxMessage:
    """Queue `task(*args)` to run once the current transaction commits (and
    not before `due_at`)."""
    message = OutboxMessage.objects.create(task=task, args=list(args), due_at=due_at or clock.now())
    transaction.on_commit(lambda: relay([message.pk]), robust=True)
    return message


def send_many(task: str, arguments: list[tuple]) -> list[OutboxMessage]:
    """`send` for many calls of one task, in one INSERT."""
    now = clock.now()
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, args=list(args), created_at=now, due_at=now) for args in arguments]
    )
    if messages:
        ids = [message.pk for message in messages]
        transaction.on_commit(lambda: relay(ids), robust=True)
    return messages


def relay(ids: list[int] | None = None) -> int:
    """Hand due, unsent messages to the broker (those named, or all of them);
    returns how many went. Stops at the first refusal: the broker is down,
    and the next relay tries again."""
    handed = 0
    while True:
        with transaction.atomic():
            due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                sent_at__isnull=True, due_at__lte=clock.now()
            )
            if ids is not None:
                due = due.filter(pk__in=ids)
            batch = list(due.order_by("pk")[:BATCH])
            sent, failure = [], None
            for message in batch:
                try:
                    _task(message.task).apply_async(
                        # No one waits for the result: without ignore_result, the
                        # Redis result backend subscribes first, and with Redis
                        # down it retries for 20 s inside the request.
                        args=message.args,
                        ignore_result=True,
                        retry=True,
                        retry_policy=PUBLISH_RETRY,
                    )
                except Exception as error:  # kombu raises its own, the transport others
                    failure = error
                    break
                sent.append(message.pk)
            now = clock.now()
            if sent:
                OutboxMessage.objects.filter(pk__in=sent).update(sent_at=now)
            if failure is not None:
                refused = batch[len(sent)]
                log.warning("the broker refused %s; %d wait for the next relay", refused, len(batch) - len(sent))
                OutboxMessage.objects.filter(pk=refused.pk).update(
                    tries=refused.tries + 1, last_error=str(failure)[:300]
                )
        handed += len(sent)
        if failure is not None or len(batch) < BATCH or ids is not None:
            return handed


def _task(name: str):
    """The registered task (its module imported if need be), so that with
    CELERY_TASK_ALWAYS_EAGER it runs in place, as every task does."""
    if name not in current_app.tasks:
        importlib.import_module(name.rsplit(".", 1)[0])
    return current_app.tasks[name]


def prune(now: datetime.datetime | None = None) -> int:
    """Forget messages handed over more than a week ago."""
    now = now or clock.now()
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
    return deleted


def waiting() -> dict:
    """What the outbox holds back, for the health page and the operator."""
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True, due_at__lte=clock.now())
    oldest = unsent.order_by("due_at").values_list("due_at", flat=True).first()
    return {"waiting": unsent.count(), "oldest": oldest}
