"""Reads of the issue ledger, always through Issue.objects.visible_to."""

import datetime

from django.db.models import Avg, Count, F, Prefetch, Q
from django.utils.translation import gettext as _

from core import clock
from enterprises.models import HelpUnit, Region

from .choices import WORKING_STATUSES, Action, ExtensionStatus, Satisfaction, Status
from .models import ExtensionRequest, Issue, IssueEvent


def issue_list(*, user):
    return (
        Issue.objects.visible_to(user)
        .select_related("enterprise", "enterprise__region", "responsible_unit", "registered_by")
        .prefetch_related(Prefetch("co_units", queryset=HelpUnit.objects.only("id", "name")))
        .with_extension_pending()
    )


def issue_get(*, user, pk: int) -> Issue:
    """One issue in the user's scope; Issue.DoesNotExist otherwise, which
    callers turn into a 404 (a guessed id looks like a missing one)."""
    return issue_list(user=user).get(pk=pk)


def issue_events(*, issue: Issue):
    return IssueEvent.objects.filter(issue=issue).select_related("actor", "actor_unit").order_by("created_at", "id")


# Figures -------------------------------------------------------------------

GROUPS = {
    "unit": ("responsible_unit", "responsible_unit__name"),
    "region": ("enterprise__region", "enterprise__region__name"),
    "category": ("category", None),
}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def scoped_issues(
    *,
    user,
    campaign=None,
    region: Region | None = None,
    unit: HelpUnit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """Issues the figures count: in scope, not cancelled, filtered."""
    qs = Issue.objects.visible_to(user).exclude(status=Status.CANCELLED)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if region is not None:
        qs = qs.filter(enterprise__region__path__startswith=region.path)
    if unit is not None:
        qs = qs.filter(pk__in=Issue.objects.handled_by_unit(unit.pk).values("pk"))
    if date_from is not None:
        qs = qs.filter(registered_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(registered_at__date__lte=date_to)
    return qs


def _figure_expressions(today):
    closed = Q(status=Status.CLOSED)
    return {
        "registered": Count("pk"),
        "resolved": Count("pk", filter=Q(status__in=[Status.RESOLVED, Status.CLOSED])),
        "closed": Count("pk", filter=closed),
        "closed_on_time": Count("pk", filter=closed & Q(closed_at__date__lte=F("due_date"))),
        "overdue": Count("pk", filter=Q(status__in=WORKING_STATUSES, due_date__lt=today)),
        "rated": Count("pk", filter=closed & ~Q(satisfaction="")),
        "satisfied": Count(
            "pk", filter=closed & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED])
        ),
        "time_to_close": Avg(F("closed_at") - F("registered_at"), filter=closed),
        "accepted": Count("pk", filter=Q(accepted_at__isnull=False)),
        "accepted_on_time": Count("pk", filter=Q(accepted_at__date__lte=F("accept_due_date"))),
    }


EVER = {
    "ever_assigned": Action.ASSIGN,
    "ever_returned": Action.RETURN,
    "ever_resolved": Action.RESOLVE,
    "ever_reopened": Action.REOPEN,
}


def _event_counts(issues, key=None):
    """Issues that were ever assigned, returned, resolved, reopened: counted
    from the events' side, so the cost follows the events, not one probe per
    issue and figure."""
    events = IssueEvent.objects.filter(issue__in=issues.values("pk"), action__in=list(EVER.values()))
    counts = {name: Count("issue", distinct=True, filter=Q(action=action)) for name, action in EVER.items()}
    if key is None:
        return events.aggregate(**counts)
    return {row[f"issue__{key}"]: row for row in events.values(f"issue__{key}").annotate(**counts).order_by()}


def _figures(row: dict, ext: dict, ever: dict) -> dict:
    row = {**{name: 0 for name in EVER}, **row, **{k: v for k, v in ever.items() if k in EVER}}
    mean = row["time_to_close"]
    return {
        "registered": row["registered"],
        "resolved": row["resolved"],
        "closed": row["closed"],
        "closure_rate": _rate(row["closed"], row["registered"]),
        "resolution_rate": _rate(row["resolved"], row["registered"]),
        "on_time_rate": _rate(row["closed_on_time"], row["closed"]),
        "overdue": row["overdue"],
        "extensions_requested": ext.get("requested", 0),
        "extensions_approved": ext.get("approved", 0),
        "mean_days_to_close": round(mean.total_seconds() / 86400, 2) if mean is not None else None,
        "satisfaction_rate": _rate(row["satisfied"], row["rated"]),
        "on_time_sign_for_rate": _rate(row["accepted_on_time"], row["accepted"]),
        "return_rate": _rate(row["ever_returned"], row["ever_assigned"]),
        "rework_rate": _rate(row["ever_reopened"], row["ever_resolved"]),
    }


def _extension_counts(issues, key=None):
    rows = ExtensionRequest.objects.filter(issue__in=issues.values("pk"))
    counts = {"requested": Count("pk"), "approved": Count("pk", filter=Q(status=ExtensionStatus.APPROVED))}
    if key is None:
        return rows.aggregate(**counts)
    return {row[f"issue__{key}"]: row for row in rows.values(f"issue__{key}").annotate(**counts).order_by()}


def issue_totals(*, user, today: datetime.date | None = None, **filters) -> dict:
    """The figures for the whole scope: two queries."""
    issues = scoped_issues(user=user, **filters)
    row = issues.aggregate(**_figure_expressions(today or clock.today()))
    return _figures(row, _extension_counts(issues), _event_counts(issues))


def issue_stats(*, user, group_by: str, today: datetime.date | None = None, **filters) -> list[dict]:
    """The figures of DOMAIN.md per unit, region or category: two grouped
    queries (issues, extension requests), whatever the number of issues."""
    key, label = GROUPS[group_by]
    issues = scoped_issues(user=user, **filters)
    values = [key, label] if label else [key]
    rows = issues.values(*values).annotate(**_figure_expressions(today or clock.today())).order_by(key)
    extensions = _extension_counts(issues, key)
    ever = _event_counts(issues, key)
    category_labels = dict(Issue._meta.get_field("category").choices)
    result = []
    for row in rows:
        group = row[key]
        if group_by == "category":
            name = str(category_labels.get(group, group))
        else:
            name = row[label] if group is not None else _("Not yet assigned")
        result.append({"group": group, "name": name, **_figures(row, extensions.get(group, {}), ever.get(group, {}))})
    return result


def monthly_trend(*, user, **filters) -> list[dict]:
    """Issues registered and closed per month, for the trend chart."""
    from django.db.models.functions import TruncMonth

    issues = scoped_issues(user=user, **filters)
    registered = dict(
        issues.annotate(month=TruncMonth("registered_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    closed = dict(
        issues.filter(status=Status.CLOSED)
        .annotate(month=TruncMonth("closed_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    months = sorted(set(registered) | set(closed))
    return [
        {"month": month.strftime("%Y-%m"), "registered": registered.get(month, 0), "closed": closed.get(month, 0)}
        for month in months
    ]


def with_deadline_marks(issues, today: datetime.date):
    """Set `days_left` (working days to the due date in force, negative when
    overdue), `overdue`, `overdue_by` and `due_soon` on each issue: one calendar query for
    the whole list."""
    from django.conf import settings

    from core.calendar import working_days_until

    left = working_days_until(today, [issue.due_date for issue in issues])
    for issue in issues:
        working = issue.status in WORKING_STATUSES and issue.due_date is not None
        issue.days_left = left.get(issue.due_date) if working else None
        issue.overdue = working and issue.due_date < today
        issue.due_soon = working and not issue.overdue and issue.days_left <= settings.ZOUFANG_DUE_SOON_WORKING_DAYS
        issue.overdue_by = -issue.days_left if issue.overdue else None
    return issues
