"""A supervisor's queues (督查的待办): what waits for the 帮扶办 in its scope,
each with its count, its oldest items and the desk that works it. The home
page of a supervisor or an administrator; every count and list is the
user's scope through issue_list, as on the desks themselves."""

import dataclasses
import datetime

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock

from . import deadlines, selectors
from .choices import Status

OLDEST_SHOWN = 5


@dataclasses.dataclass(frozen=True)
class Queue:
    key: str
    label: str
    condition: Q
    since: str  # the field a row has waited since (oldest first)
    desk: str  # the page that works it
    desk_query: str = ""


def _queues(today: datetime.date) -> list[Queue]:
    return [
        Queue("dispatch", _("To dispatch (交办)"), Q(status=Status.REGISTERED), "registered_at", "dispatch"),
        Queue(
            "follow_up",
            _("To call back (回访)"),
            Q(status=Status.RESOLVED, followed_up_at__isnull=True),
            "resolved_at",
            "verification",
        ),
        Queue(
            "verify",
            _("Called back, to close (销号)"),
            Q(status=Status.RESOLVED, followed_up_at__isnull=False),
            "followed_up_at",
            "verification",
        ),
        Queue("overdue", _("Overdue"), deadlines.overdue(today), "due_date", "issue-list", "overdue=true"),
        Queue(
            "escalated",
            _("Escalated for coordination"),
            selectors.ESCALATED_OPEN,
            "escalated_at",
            "escalations",
        ),
    ]


def supervisor_queues(*, user, today: datetime.date | None = None) -> list[dict]:
    """Each queue as {key, label, count, oldest, link}: the issue queues
    counted in one query, the extension requests in another, and each
    queue's oldest rows in one query each."""
    today = today or clock.today()
    issues = selectors.issue_list(user=user)
    queues = _queues(today)
    counts = issues.order_by().aggregate(**{q.key: Count("pk", filter=q.condition) for q in queues})
    result = []
    for queue in queues:
        oldest = list(
            issues.filter(queue.condition)
            .annotate(waited_since=F(queue.since))
            .order_by(queue.since, "id")[:OLDEST_SHOWN]
            if counts[queue.key]
            else []
        )
        link = reverse(queue.desk) + (f"?{queue.desk_query}" if queue.desk_query else "")
        result.append(_shown(queue.key, queue.label, counts[queue.key], oldest, link, today))
    pending = selectors.pending_extensions(user=user)
    requests = list(pending[:OLDEST_SHOWN])
    for request in requests:
        request.waited_since = request.requested_at
    count = pending.count() if len(requests) == OLDEST_SHOWN else len(requests)
    extensions = _shown("extensions", _("Extension requests"), count, requests, reverse("extensions"), today)
    result.insert(3, extensions)
    return result


def _shown(key, label, count, oldest, link, today) -> dict:
    for row in oldest:
        since = row.waited_since
        if isinstance(since, datetime.datetime):
            since = timezone.localdate(since)
        row.waited_days = (today - since).days if since else None
    return {"key": key, "label": label, "count": count, "oldest": oldest, "link": link}
