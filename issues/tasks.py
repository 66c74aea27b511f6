"""Periodic work driven by the database state (DOMAIN.md, Reminders)."""

import logging

from celery import shared_task

from . import reminders

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reminder_sweep() -> dict:
    """Reads what needs telling from the database (not from the queue), so a
    run missed while a worker or the broker was down is caught up by the next."""
    result = reminders.sweep()
    log.info("reminder sweep: %s", result)
    return result
