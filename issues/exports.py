"""The issue list as a spreadsheet: the rows of a filtered, scoped list as
plain values, streamed from the database without building an Issue per
row. Each chunk of rows takes one query for its co-handling units, one
for its latest progress notes and one for the calendar, and is judged by the deadlines' own rule
(`deadlines.mark`), as the list page judges its page."""

import datetime
from collections import defaultdict

from django.utils.translation import gettext as _

from core.exports import chunked

from . import deadlines
from .choices import Action, Category, Outcome, Satisfaction, Status
from .models import Issue, IssueEvent

CHUNK = 2000


def headers() -> list[str]:
    """The columns of a 台账 (the ledger as offices keep it), in its order."""
    return [
        _("Register number"),
        _("Enterprise"),
        _("Region"),
        _("Category"),
        _("Title"),
        _("Description"),
        _("Enterprise's request"),
        _("Status"),
        _("Responsible unit"),
        _("Co-handling units"),
        _("Registered at"),
        _("Resolve by"),
        _("Working days overdue"),
        _("Latest progress"),
        _("Resolved at"),
        _("Closed at"),
        _("Outcome"),
        _("Satisfaction"),
        _("Escalated"),
    ]


class _Row:
    """One issue's values, with the attributes `deadlines.mark` reads and sets."""

    __slots__ = (
        "values",
        "co_units",
        "progress",
        *("status", "due_date", "verify_due_date", "answered_at", "answer_due_date"),
        *("followed_up_at", "follow_up_due_date"),
        *("days_left", "overdue", "overdue_by", "due_soon", "verification_overdue", "answer_late", "follow_up_late"),
    )

    def __init__(self, values):
        self.values = values
        (
            self.status,
            self.due_date,
            self.verify_due_date,
            self.answered_at,
            self.answer_due_date,
            self.followed_up_at,
            self.follow_up_due_date,
        ) = values[-7:]


SHOWN = (
    "pk",
    "number",
    "enterprise__name",
    "enterprise__region__name",
    "category",
    "title",
    "description",
    "request",
    "responsible_unit__name",
    "registered_at",
    "resolved_at",
    "closed_at",
    "outcome",
    "satisfaction",
    "escalated_at",
)
JUDGED = (
    "status",
    "due_date",
    "verify_due_date",
    "answered_at",
    "answer_due_date",
    "followed_up_at",
    "follow_up_due_date",
)


def rows(issues, *, today: datetime.date):
    """The export's rows for `issues` (a restricted, filtered, ordered
    queryset), in its order."""
    labels = {
        field: {value: str(label) for value, label in choices}
        for field, choices in (
            ("category", Category.choices),
            ("status", Status.choices),
            ("outcome", Outcome.choices),
            ("satisfaction", Satisfaction.choices),
        )
    }
    escalated = _("Yes")
    values = issues.prefetch_related(None).values_list(*SHOWN, *JUDGED)

    def judged(chunk):
        chunk = [_Row(row) for row in chunk]
        deadlines.mark(chunk, today)
        co_units = defaultdict(list)
        for issue_id, name in (
            Issue.co_units.through.objects.filter(issue_id__in=[row.values[0] for row in chunk])
            .order_by("helpunit__name")
            .values_list("issue_id", "helpunit__name")
        ):
            co_units[issue_id].append(name)
        # The latest progress: each issue's last feedback note (a few events each).
        progress = {}
        for issue_id, note in (
            IssueEvent.objects.filter(issue_id__in=[row.values[0] for row in chunk], action=Action.FEEDBACK)
            .order_by("issue_id", "created_at", "id")
            .values_list("issue_id", "note")
        ):
            progress[issue_id] = note
        for row in chunk:
            row.co_units = co_units.get(row.values[0], ())
            row.progress = progress.get(row.values[0], "")
        return chunk

    for row in chunked(values, CHUNK, judged):
        (_pk, number, enterprise, region, category, title, description, request, unit) = row.values[:9]
        registered, resolved, closed, outcome, satisfaction, escalated_at = row.values[9:15]
        yield [
            number,
            enterprise,
            region,
            labels["category"].get(category, category),
            title,
            description,
            request,
            labels["status"].get(row.status, row.status),
            unit or "",
            "、".join(row.co_units),
            registered,
            row.due_date,
            row.overdue_by,
            row.progress,
            resolved,
            closed,
            labels["outcome"].get(outcome, outcome),
            labels["satisfaction"].get(satisfaction, satisfaction),
            escalated if escalated_at else "",
        ]
