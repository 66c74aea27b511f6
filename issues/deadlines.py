"""Deadlines, defined once and judged at a date the caller states.

- **Overdue** at a date: an assigned or in-progress issue whose due date in
  force (extensions included) lies before that date. An issue due today is
  not overdue today.
- **Days overdue** / **working days left**: working days between the date it
  is judged at and the due date (core.calendar), negative when overdue.
- **Due soon** at a date: open work, not overdue, due on or before the
  ZOUFANG_DUE_SOON_WORKING_DAYS-th working day after that date.
- **Overdue for n working days** (督办): overdue, with at least n working
  days between the due date and the date it is judged at.
- **Verification overdue**: a resolved issue past its verify-by date.

Each rule is a database condition (a `Q` for lists, counts, exports and the
reminder sweep) and a Python predicate (for issues already loaded, on a page),
so the dashboard, the list filters, the issue page, My work, the reminders,
the exports, the stats API and the bulletins cannot disagree.
"""

import datetime

from django.conf import settings
from django.db.models import Q

from core import calendar

from .choices import WORKING_STATUSES, Status

WORKING = Q(status__in=WORKING_STATUSES)


def due_soon_days() -> int:
    return settings.ZOUFANG_DUE_SOON_WORKING_DAYS


def due_soon_horizon(at: datetime.date) -> datetime.date:
    """The last due date that still counts as "due soon" at `at`."""
    return calendar.add_working_days(at, due_soon_days())


# Database conditions --------------------------------------------------------


def overdue(at: datetime.date) -> Q:
    return WORKING & Q(due_date__lt=at)


def due_soon(at: datetime.date) -> Q:
    return WORKING & Q(due_date__gte=at, due_date__lte=due_soon_horizon(at))


def overdue_for(at: datetime.date, working_days: int) -> Q:
    """Overdue by at least `working_days` working days at `at`."""
    return overdue(at) & Q(due_date__lte=calendar.subtract_working_days(at, working_days))


def verification_overdue(at: datetime.date) -> Q:
    return Q(status=Status.RESOLVED, verify_due_date__lt=at)


# Python predicates, for issues already loaded -------------------------------


def _working(issue) -> bool:
    return issue.status in WORKING_STATUSES and issue.due_date is not None


def is_overdue(issue, at: datetime.date) -> bool:
    return _working(issue) and issue.due_date < at


def is_due_soon(issue, at: datetime.date, horizon: datetime.date | None = None) -> bool:
    horizon = horizon or due_soon_horizon(at)
    return _working(issue) and at <= issue.due_date <= horizon


def is_verification_overdue(issue, at: datetime.date) -> bool:
    return issue.status == Status.RESOLVED and issue.verify_due_date is not None and issue.verify_due_date < at


def mark(issues, at: datetime.date):
    """Judge each loaded issue at `at` and set on it `days_left` (working days
    to the due date in force, negative when overdue; None when not open work),
    `overdue`, `overdue_by` (working days, None unless overdue), `due_soon`
    and `verification_overdue`. One calendar query for the whole list."""
    issues = list(issues)
    dues = {issue.due_date for issue in issues if _working(issue)}
    if dues:
        reach = at + datetime.timedelta(days=calendar.add_span(due_soon_days()))
        window = calendar.Window(min(dues | {at}), max(dues | {reach}))
        horizon = window.add(at, due_soon_days())
        left = {due: window.between(at, due) for due in dues}
    for issue in issues:
        working = _working(issue)
        issue.days_left = left[issue.due_date] if working else None
        issue.overdue = is_overdue(issue, at)
        issue.overdue_by = -issue.days_left if issue.overdue else None
        issue.due_soon = working and is_due_soon(issue, at, horizon)
        issue.verification_overdue = is_verification_overdue(issue, at)
    return issues
