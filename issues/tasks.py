"""Periodic work driven by the database state (DOMAIN.md, Reminders)."""

import logging

from celery import shared_task
from django.conf import settings

from . import channels, notices, reminders

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reminder_sweep() -> dict:
    """Reads what needs telling from the database (not from the queue), so a
    run missed while a worker or the broker was down is caught up by the next."""
    result = reminders.sweep()
    log.info("reminder sweep: %s", result)
    return result


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver(self, delivery_id: int) -> bool:
    """Send one delivery; on failure retry with exponential back-off (30 s,
    60 s, 120 s …), then give up and mark it failed. Other deliveries are
    separate tasks, so one dead channel never holds up the rest."""
    try:
        return channels.attempt(delivery_id)
    except channels.DeliveryFailed as failure:
        if self.request.retries >= settings.ZOUFANG_DELIVERY_MAX_RETRIES:
            channels.give_up(delivery_id)
            log.warning("delivery %s failed for good: %s", delivery_id, failure)
            return False
        raise self.retry(countdown=30 * 2**self.request.retries, exc=failure) from failure


@shared_task(acks_late=True)
def notify_event(event_id: int) -> int:
    """Tell the people an issue event concerns (assigned, returned, …)."""
    return notices.notify(event_id)


@shared_task(acks_late=True)
def monthly_bulletins() -> int:
    """At the start of a month, last month's bulletin per supervised region."""
    from . import bulletins

    return bulletins.monthly()
