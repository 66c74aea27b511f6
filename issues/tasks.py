"""Periodic work driven by the database state (DOMAIN.md, Reminders)."""

import logging

from celery import shared_task

from . import channels, notices, reminders

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reminder_sweep() -> dict:
    """Reads what needs telling from the database (not from the queue), so a
    run missed while a worker or the broker was down is caught up by the next."""
    result = reminders.sweep()
    log.info("reminder sweep: %s", result)
    return result


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> str:
    """Send one delivery, at most once; a refusal is retried later through
    the outbox, with back-off (channels.attempt). Other deliveries are
    separate tasks, so one dead channel never holds up the rest."""
    return channels.attempt(delivery_id)


@shared_task(acks_late=True)
def notify_event(event_id: int) -> int:
    """Tell the people an issue event concerns (assigned, returned, …)."""
    return notices.notify(event_id)


@shared_task(acks_late=True)
def rebuild_figures() -> bool:
    """Add the dashboard's summary up again if it may not be read
    (issues.summary.mark_stale queues it; beat runs it hourly)."""
    from . import summary

    return summary.ensure_current()


@shared_task(acks_late=True)
def monthly_bulletins() -> int:
    """At the start of a month, last month's bulletin per supervised region."""
    from . import bulletins

    return bulletins.monthly()


@shared_task(acks_late=True)
def radar() -> dict:
    """The radar (issues.common.radar_run): nightly, and when a supervisor
    asks for it. One run at a time; a run reads the ledger as it is, so a
    missed night is caught up by the next."""
    from . import common

    run = common.radar_run()
    result = {"read": run.read, "proposed": run.proposed, "remembered": run.remembered}
    result["seconds"] = round(run.seconds, 1)
    log.info("radar: %s", result)
    return result
