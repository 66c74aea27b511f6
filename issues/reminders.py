"""What the reminder sweep looks at. Each question is one indexed query on
the deadline columns, so its cost follows what is due, not the ledger's size.
Issue 6 turns these into digests and deliveries."""

from django.conf import settings

from core import calendar, clock

from .choices import WORKING_STATUSES, Status
from .models import Issue


def due_soon(today=None):
    today = today or clock.today()
    horizon = calendar.add_working_days(today, settings.ZOUFANG_DUE_SOON_WORKING_DAYS)
    return Issue.objects.filter(status__in=WORKING_STATUSES, due_date__gte=today, due_date__lte=horizon)


def overdue(today=None):
    return Issue.objects.overdue(today or clock.today())


def awaiting_verification(today=None):
    return Issue.objects.filter(status=Status.RESOLVED, verify_due_date__lt=today or clock.today())


def sweep_counts(today=None) -> dict:
    today = today or clock.today()
    return {
        "date": today.isoformat(),
        "due_soon": due_soon(today).count(),
        "overdue": overdue(today).count(),
        "awaiting_verification": awaiting_verification(today).count(),
    }
