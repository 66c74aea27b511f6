"""Reads of the issue ledger, always through Issue.objects.visible_to."""

import datetime

from django.db.models import Avg, Count, F, Prefetch, Q
from django.utils.translation import gettext as _

from core import clock
from enterprises.models import HelpUnit, Region

from .choices import WORKING_STATUSES, ExtensionStatus, Satisfaction, Status
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


def issue_stats(*, user, group_by: str, today: datetime.date | None = None, **filters) -> list[dict]:
    """The figures of DOMAIN.md per unit, region or category: two grouped
    queries (issues, extension requests), whatever the number of issues."""
    key, label = GROUPS[group_by]
    today = today or clock.today()
    issues = scoped_issues(user=user, **filters)
    values = [key, label] if label else [key]
    rows = (
        issues.values(*values)
        .annotate(
            registered=Count("pk"),
            resolved=Count("pk", filter=Q(status__in=[Status.RESOLVED, Status.CLOSED])),
            closed=Count("pk", filter=Q(status=Status.CLOSED)),
            closed_on_time=Count("pk", filter=Q(status=Status.CLOSED, closed_at__date__lte=F("due_date"))),
            overdue=Count("pk", filter=Q(status__in=WORKING_STATUSES, due_date__lt=today)),
            rated=Count("pk", filter=Q(status=Status.CLOSED) & ~Q(satisfaction="")),
            satisfied=Count(
                "pk",
                filter=Q(
                    status=Status.CLOSED, satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]
                ),
            ),
            time_to_close=Avg(F("closed_at") - F("registered_at"), filter=Q(status=Status.CLOSED)),
        )
        .order_by(key)
    )
    extensions = {
        row[f"issue__{key}"]: row
        for row in ExtensionRequest.objects.filter(issue__in=issues.values("pk"))
        .values(f"issue__{key}")
        .annotate(
            requested=Count("pk"),
            approved=Count("pk", filter=Q(status=ExtensionStatus.APPROVED)),
        )
        .order_by()
    }
    category_labels = dict(Issue._meta.get_field("category").choices)
    result = []
    for row in rows:
        group = row[key]
        ext = extensions.get(group, {})
        if group_by == "category":
            name = str(category_labels.get(group, group))
        else:
            name = row[label] if group is not None else _("Not yet assigned")
        mean = row["time_to_close"]
        result.append(
            {
                "group": group,
                "name": name,
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
            }
        )
    return result


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
