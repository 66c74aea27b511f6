from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core import clock
from enterprises.models import Campaign
from enterprises.selectors import unit_assignments
from issues.choices import WORKING_STATUSES, Status
from issues.models import Issue
from issues.selectors import issue_list, with_deadline_marks
from visits.selectors import visit_list


@login_required
def my_work(request):
    """My work: the unit's enterprises, what waits for sign-for, open issues
    by deadline, and my recent visits."""
    user = request.user
    today = clock.today()
    campaign = Campaign.objects.current()
    issues = issue_list(user=user)
    unit_id = user.unit_id
    mine = issues.filter(pk__in=Issue.objects.handled_by_unit(unit_id).values("pk")) if unit_id else issues.none()
    to_sign = list(
        mine.filter(status=Status.ASSIGNED, responsible_unit_id=unit_id).order_by("accept_due_date", "id")[:50]
    )
    open_issues = list(mine.filter(status__in=WORKING_STATUSES).order_by("due_date", "id")[:50])
    registered = list(
        issues.filter(status=Status.REGISTERED, registered_by__unit_id=unit_id).order_by("-registered_at")[:20]
        if unit_id
        else []
    )
    with_deadline_marks(to_sign + open_issues, today)
    assignments = list(unit_assignments(user=user, campaign=campaign)[:200])
    if campaign:
        for assignment in assignments:
            last = assignment.last_visit
            assignment.not_visited = last is None or (today - last).days > campaign.visit_every_days
    context = {
        "campaign": campaign,
        "assignments": assignments,
        "to_sign": to_sign,
        "open_issues": open_issues,
        "registered": registered,
        "recent_visits": list(visit_list(user=user).filter(participant_rows__official=user)[:10]),
        "today": today,
        "due_soon_days": settings.ZOUFANG_DUE_SOON_WORKING_DAYS,
    }
    return render(request, "core/my_work.html", context)
