"""issues.queues: a supervisor's home counts what waits on each desk, in
scope, and lists the oldest first, in a fixed number of queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from issues.models import Issue
from issues.queues import supervisor_queues


def _by_key(user):
    return {queue["key"]: queue for queue in supervisor_queues(user=user)}


def test_each_queue_counts_its_issues_and_lists_the_oldest_first(world, make_issue):
    first, second = make_issue("registered"), make_issue("registered")
    make_issue("resolved")
    make_issue("resolved", extra=("follow_up",))
    late = make_issue("in_progress")
    Issue.objects.filter(pk=late.pk).update(due_date=clock.today() - datetime.timedelta(days=30))
    make_issue("in_progress", extra=("request_extension",))
    make_issue("closed")  # waits for nobody
    queues = _by_key(world.supervisor_a)
    assert {key: queue["count"] for key, queue in queues.items()} == {
        "dispatch": 2,
        "follow_up": 1,
        "verify": 1,
        "extensions": 1,
        "overdue": 1,
        "escalated": 0,
    }
    assert [issue.pk for issue in queues["dispatch"]["oldest"]] == [first.pk, second.pk]
    assert queues["overdue"]["oldest"][0].waited_days == 30
    assert queues["extensions"]["oldest"][0].issue.title == "融资难"
    assert queues["dispatch"]["link"] == "/supervise/dispatch/" and queues["overdue"]["link"] == "/issues/?overdue=true"
    # The other county's supervisor sees none of it.
    assert all(queue["count"] == 0 and not queue["oldest"] for queue in _by_key(world.supervisor_b).values())


def test_the_queries_do_not_grow_with_the_issues(world, make_issue):
    for state in ("registered", "resolved", "in_progress"):
        make_issue(state)
    with CaptureQueriesContext(connection) as few:
        supervisor_queues(user=world.supervisor_a)
    for state in ("registered", "resolved", "in_progress") * 4:
        make_issue(state, extra=("request_extension",) if state == "in_progress" else ())
    with CaptureQueriesContext(connection) as many:
        supervisor_queues(user=world.supervisor_a)
    assert len(many.captured_queries) <= len(few.captured_queries) + 2  # the extensions' count and list appear
    assert len(many.captured_queries) <= 12
