"""Deadlines, defined once and judged at a date the caller states.

Deadlines are counted in working days (core.calendar), and so is lateness:

- **Overdue** at a date: an assigned or in-progress issue with at least one
  working day between its due date in force (extensions included) and that
  date. An issue due today is not overdue today; one due on a Friday becomes
  overdue on the Monday (one working day late), not over the weekend, and
  never "overdue by 0 working days".
- **Days overdue** / **working days left**: working days between the date it
  is judged at and the due date, negative when overdue.
- **Due soon** at a date: open work, not overdue, due on or before the
  ZOUFANG_DUE_SOON_WORKING_DAYS-th working day after that date.
- **Overdue for n working days** (督办): at least n working days late.
- **On time**: done on or before the due date in force.
- **Verification overdue**: a resolved issue past its verify-by date.
- **First answer late**: open work not yet answered past its answer-by date;
  **answered on time**: the first answer on or before it.
- **Progress note due**: open work past its next-progress-note date (a
  feedback each month on items that run longer).
- **Return call waiting**: a resolved issue not yet called back past its
  return-call-by date.

Each rule is a database condition (a `Q` for lists, counts, exports and the
reminder sweep) and a Python predicate (for issues already loaded, on a page),
so the dashboard, the list filters, the issue page, My work, the reminders,
the exports, the stats API and the bulletins cannot disagree.
"""

import datetime

from django.conf import settings
from django.db.models import F, Q

from core import calendar

from .choices import WORKING_STATUSES, Status

WORKING = Q(status__in=WORKING_STATUSES)


def due_soon_days() -> int:
    return settings.ZOUFANG_DUE_SOON_WORKING_DAYS


def due_soon_horizon(at: datetime.date) -> datetime.date:
    """The last due date that still counts as "due soon" at `at`."""
    return calendar.add_working_days(at, due_soon_days())


def overdue_cutoff(at: datetime.date) -> datetime.date:
    """The latest due date that is overdue at `at` (one working day late)."""
    return calendar.subtract_working_days(at, 1)


# Database conditions --------------------------------------------------------


def overdue(at: datetime.date) -> Q:
    return overdue_for(at, 1)


def due_soon(at: datetime.date) -> Q:
    return WORKING & Q(due_date__gt=overdue_cutoff(at), due_date__lte=due_soon_horizon(at))


def overdue_for(at: datetime.date, working_days: int) -> Q:
    """At least `working_days` working days late at `at`."""
    return WORKING & Q(due_date__lte=calendar.subtract_working_days(at, working_days))


def closed_on_time() -> Q:
    return Q(status=Status.CLOSED, closed_at__date__lte=F("due_date"))


def signed_for_on_time() -> Q:
    return Q(accepted_at__date__lte=F("accept_due_date"))


def verification_overdue(at: datetime.date) -> Q:
    return Q(status=Status.RESOLVED, verify_due_date__lt=at)


def answer_late(at: datetime.date) -> Q:
    return WORKING & Q(answered_at__isnull=True, answer_due_date__lt=at)


def answered_on_time() -> Q:
    return Q(answered_at__date__lte=F("answer_due_date"))


def answer_due(at: datetime.date) -> Q:
    """Issues whose first answer is judged at `at`: answered, or past the day."""
    return answer_judged() | answer_missed(at)


def answer_judged() -> Q:
    """The part of answer_due that holds whatever the date: answered."""
    return Q(answer_due_date__isnull=False, answered_at__isnull=False)


def answer_missed(at: datetime.date) -> Q:
    """The part that comes with the date: not answered, past the answer's day."""
    return Q(answered_at__isnull=True, answer_due_date__lt=at)


def progress_due(at: datetime.date) -> Q:
    return WORKING & Q(progress_due_date__lt=at)


def follow_up_waiting(at: datetime.date) -> Q:
    return Q(status=Status.RESOLVED, followed_up_at__isnull=True, follow_up_due_date__lt=at)


def follow_up_due(at: datetime.date) -> Q:
    """Issues whose return call is judged at `at`: closed, called back, or
    resolved and past the day the call was due (a call not yet due is not
    missed). Resolved before calls had a due date: due."""
    return follow_up_judged() | follow_up_missed(at)


def follow_up_judged() -> Q:
    """The part of follow_up_due that holds whatever the date: closed, or called back."""
    return Q(status=Status.CLOSED) | Q(status=Status.RESOLVED, followed_up_at__isnull=False)


def follow_up_missed(at: datetime.date) -> Q:
    """The part that comes with the date: resolved, not called back, past the call's day."""
    return Q(status=Status.RESOLVED, followed_up_at__isnull=True) & ~Q(follow_up_due_date__gte=at)


# Python predicates, for issues already loaded -------------------------------


def _working(issue) -> bool:
    return issue.status in WORKING_STATUSES and issue.due_date is not None


def is_overdue(issue, at: datetime.date, cutoff: datetime.date | None = None) -> bool:
    return _working(issue) and issue.due_date <= (cutoff or overdue_cutoff(at))


def is_due_soon(issue, at: datetime.date, horizon: datetime.date | None = None, cutoff=None) -> bool:
    horizon = horizon or due_soon_horizon(at)
    return _working(issue) and (cutoff or overdue_cutoff(at)) < issue.due_date <= horizon


def on_time(day: datetime.date, due: datetime.date | None) -> bool:
    """Done on `day`, against the due date in force (no due date: on time)."""
    return due is None or day <= due


def is_verification_overdue(issue, at: datetime.date) -> bool:
    return issue.status == Status.RESOLVED and issue.verify_due_date is not None and issue.verify_due_date < at


def is_answer_late(issue, at: datetime.date) -> bool:
    return (
        issue.status in WORKING_STATUSES
        and issue.answered_at is None
        and issue.answer_due_date is not None
        and issue.answer_due_date < at
    )


def is_follow_up_late(issue, at: datetime.date) -> bool:
    return (
        issue.status == Status.RESOLVED
        and issue.followed_up_at is None
        and issue.follow_up_due_date is not None
        and issue.follow_up_due_date < at
    )


def mark(issues, at: datetime.date):
    """Judge each loaded issue at `at` and set on it `days_left` (working days
    to the due date in force, negative when overdue; None when not open work),
    `overdue`, `overdue_by` (working days, None unless overdue), `due_soon`,
    `verification_overdue`, `answer_late` and `follow_up_late`. One calendar query for the whole list."""
    issues = list(issues)
    dues = {issue.due_date for issue in issues if _working(issue)}
    if dues:
        start = at - datetime.timedelta(days=calendar.subtract_span(1))
        reach = at + datetime.timedelta(days=calendar.add_span(due_soon_days()))
        window = calendar.Window(min(dues | {start}), max(dues | {reach}))
        cutoff, horizon = window.subtract(at, 1), window.add(at, due_soon_days())
        left = {due: window.between(at, due) for due in dues}
    for issue in issues:
        working = _working(issue)
        issue.days_left = left[issue.due_date] if working else None
        issue.overdue = working and is_overdue(issue, at, cutoff)
        issue.overdue_by = -issue.days_left if issue.overdue else None
        issue.due_soon = working and is_due_soon(issue, at, horizon, cutoff)
        issue.verification_overdue = is_verification_overdue(issue, at)
        issue.answer_late = is_answer_late(issue, at)
        issue.follow_up_late = is_follow_up_late(issue, at)
    return issues
