"""What each figure of DOMAIN.md counts, defined once.

The same definition counts (the dashboard, the bulletin, the stats API) and
lists (the issue list's `figure` filter, where every number on the dashboard
leads), so a figure and the list behind it cannot disagree. Every figure is a
number of issues; a rate is one figure divided by another.
"""

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from . import deadlines
from .choices import VERDICTS, Action, ExtensionStatus, Satisfaction, Status
from .models import ExtensionRequest, IssueEvent

# Figures counted on the issue rows themselves: name → (label, condition(today)).
ROW_FIGURES = {
    "registered": (_("Registered"), lambda today: Q()),
    "resolved": (_("Resolved or closed"), lambda today: Q(status__in=[Status.RESOLVED, Status.CLOSED])),
    "closed": (_("Closed"), lambda today: Q(status=Status.CLOSED)),
    "closed_on_time": (
        _("Closed on time"),
        lambda today: deadlines.closed_on_time(),
    ),
    "overdue": (_("Overdue now"), deadlines.overdue),
    "rated": (
        _("Closed with the enterprise's verdict"),
        lambda today: Q(status=Status.CLOSED, satisfaction__in=VERDICTS),
    ),
    "satisfied": (
        _("Closed, enterprise satisfied"),
        lambda today: Q(status=Status.CLOSED, satisfaction__in=satisfied()),
    ),
    "follow_up_due": (_("Return call due"), deadlines.follow_up_due),
    "followed_up": (
        _("Called back (回访)"),
        lambda today: (
            Q(status=Status.RESOLVED, followed_up_at__isnull=False)
            | Q(status=Status.CLOSED) & ~Q(satisfaction=Satisfaction.NOT_REACHED)
        ),
    ),
    # Sent back by the supervisor or by an unsatisfied return call: both stamp it.
    "ever_reopened": (_("Ever sent back for rework"), lambda today: Q(reopened_at__isnull=False)),
    "answer_due": (_("First answer due"), deadlines.answer_due),
    "answered_on_time": (_("First answer on time"), lambda today: deadlines.answered_on_time()),
    "accepted": (_("Signed for"), lambda today: Q(accepted_at__isnull=False)),
    "accepted_on_time": (_("Signed for on time"), lambda today: deadlines.signed_for_on_time()),
}

# The row figures that change with the date they are judged at, each split
# into the part that holds whatever the date (None: no such part) and the part
# that comes with the date; the two never count the same issue, and together
# they are the figure's condition above. The dashboard's summary keeps the
# first (issues.summary) and counts the second live: open work and calls not
# yet made, a small and indexed part of the ledger.
MOVING = {
    "overdue": (None, deadlines.overdue),
    "follow_up_due": (deadlines.follow_up_judged(), deadlines.follow_up_missed),
    "answer_due": (deadlines.answer_judged(), deadlines.answer_missed),
}

# Figures counted from the events' side: issues that were ever …
EVENT_FIGURES = {
    "ever_assigned": (_("Ever assigned"), Action.ASSIGN),
    "ever_returned": (_("Ever returned by a unit"), Action.RETURN),
    "ever_resolved": (_("Ever reported resolved"), Action.RESOLVE),
    # The 督办 ladder's rungs (issues.ladder), each an event on the issue.
    "ever_supervised": (_("Ever given a supervision notice"), Action.SUPERVISE_NOTICE),
    "ever_criticised": (_("Ever criticised in a notice"), Action.CRITICISE),
}

# Figures counted from the extension requests' side: issues with a request …
EXTENSION_FIGURES = {
    "extensions_requested": (_("Had an extension requested"), None),
    "extensions_approved": (_("Had an extension approved"), ExtensionStatus.APPROVED),
}

# rate → (part, whole)
RATES = {
    "closure_rate": ("closed", "registered"),
    "resolution_rate": ("resolved", "registered"),
    "on_time_rate": ("closed_on_time", "closed"),
    "satisfaction_rate": ("satisfied", "rated"),
    "follow_up_rate": ("followed_up", "follow_up_due"),
    "answer_on_time_rate": ("answered_on_time", "answer_due"),
    "on_time_sign_for_rate": ("accepted_on_time", "accepted"),
    "return_rate": ("ever_returned", "ever_assigned"),
    "rework_rate": ("ever_reopened", "ever_resolved"),
}

LABELS = {
    name: label for group in (ROW_FIGURES, EVENT_FIGURES, EXTENSION_FIGURES) for name, (label, _x) in group.items()
}
CHOICES = list(LABELS.items())


def satisfied() -> list[str]:
    """The verdicts that count as satisfied: 基本满意 too unless
    ZOUFANG_BASICALLY_SATISFIED_COUNTS is off (schemes differ)."""
    if settings.ZOUFANG_BASICALLY_SATISFIED_COUNTS:
        return [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]
    return [Satisfaction.SATISFIED]


# Every figure leaves cancelled issues out (a duplicate or mistaken register).
COUNTED = ~Q(status=Status.CANCELLED)


def condition(name: str, today: datetime.date) -> Q:
    """The issues a figure counts, among those COUNTED."""
    if name in ROW_FIGURES:
        return ROW_FIGURES[name][1](today)
    if name in EVENT_FIGURES:
        events = IssueEvent.objects.filter(action=EVENT_FIGURES[name][1])
    else:
        status = EXTENSION_FIGURES[name][1]
        events = ExtensionRequest.objects.filter(status=status) if status else ExtensionRequest.objects.all()
    return Q(Exists(events.filter(issue=OuterRef("pk"))))


def settled(name: str) -> Q | None:
    """The part of a figure's condition that does not depend on the date it
    is judged at (None when there is none)."""
    if name in MOVING:
        return MOVING[name][0]
    return condition(name, datetime.date.min)


def definitions() -> str:
    """What the figures' definitions depend on besides the code (settings):
    a summary added up under other definitions is not read."""
    return f"basically_satisfied_counts={settings.ZOUFANG_BASICALLY_SATISFIED_COUNTS}"


SETTLED = tuple(name for name in LABELS if name not in MOVING or MOVING[name][0] is not None)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
