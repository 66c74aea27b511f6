"""Two people act on one issue at once: exactly one wins."""

import threading

import pytest
from django.db import connection

from core.errors import Conflict
from issues import services
from issues.models import IssueEvent


def race(*calls):
    """Run the calls in threads released together; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_close_and_reopen_at_once(world, make_issue, pg_only, attempt):
    issue = make_issue("resolved", extra=("follow_up",))
    events_before = IssueEvent.objects.filter(issue=issue).count()
    results, errors = race(
        lambda: services.issue_close(actor=world.supervisor_a, issue_id=issue.pk, note="x"),
        lambda: services.issue_reopen(actor=world.admin, issue_id=issue.pk, reason="未解决"),
    )
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], Conflict) and errors[0].code == "invalid_transition"
    issue.refresh_from_db()
    assert issue.status == results[0].status
    assert issue.version == results[0].version
    assert IssueEvent.objects.filter(issue=issue).count() == events_before + 1


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_assign_the_same_issue(world, make_issue, pg_only):
    issue = make_issue("registered")
    results, errors = race(
        lambda: services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=world.unit_a),
        lambda: services.issue_assign(actor=world.admin, issue_id=issue.pk, unit=world.unit_a2),
    )
    assert len(results) == 1 and len(errors) == 1
    issue.refresh_from_db()
    assert issue.responsible_unit_id == results[0].responsible_unit_id
    assert IssueEvent.objects.filter(issue=issue, action="assign").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_numbers(world, pg_only):
    results, errors = race(
        *[
            lambda: services.issue_register(
                actor=world.official_a, enterprise=world.enterprise_a, category="land", title="t"
            )
            for _ in range(6)
        ]
    )
    assert not errors
    assert sorted(issue.number for issue in results) == [f"2026-{n:06d}" for n in range(1, 7)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_return_calls_at_once_record_one(world, make_issue, pg_only, attempt):
    issue = make_issue("resolved")

    def call(who, verdict):
        return lambda: services.issue_follow_up(
            actor=who, issue_id=issue.pk, channel="phone", contact="王经理", verdict=verdict, note="回访"
        )

    results, errors = race(call(world.supervisor_a, "satisfied"), call(world.admin, "unsatisfied"))
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], Conflict) and errors[0].code == "already_called"
    assert issue.follow_ups.count() == 1 and issue.events.filter(action="follow_up").count() == 1
