"""The reminder sweep: the right people, once a day, one digest each."""

import datetime
import threading

import pytest
from django.db import connection

from issues import ladder, reminders
from issues.models import Digest, ExtensionRequest, Issue, Reminder, SuperviseNotice

from ..factories import OfficialFactory

D = datetime.date
TODAY = D(2026, 6, 1)  # Monday


@pytest.fixture
def ledger(world, make_issue):
    w = world
    w.head_a = OfficialFactory(username="head_a", unit=w.unit_a, rank="head")
    w.head_a2 = OfficialFactory(username="head_a2", unit=w.unit_a2, rank="head")
    # 甲企业's team names 经信局's contact: issues of that pair go to them.
    w.assignment_a.units.filter(unit=w.unit_a).update(contact=w.official_a, responsible=w.head_a)
    w.campaign.plan_due_date = D(2026, 5, 1)
    w.campaign.save()
    soon = make_issue("in_progress")
    late = make_issue("in_progress")
    Issue.objects.filter(pk=soon.pk).update(due_date=D(2026, 6, 2))
    Issue.objects.filter(pk=late.pk).update(due_date=D(2026, 5, 25))  # 5 working days late
    verify = make_issue("resolved")
    Issue.objects.filter(pk=verify.pk).update(verify_due_date=D(2026, 5, 29))
    waiting = make_issue("in_progress", extra=("request_extension",))
    ExtensionRequest.objects.filter(issue=waiting).update(requested_at="2026-05-26T10:00+08:00")
    Issue.objects.filter(pk=waiting.pk).update(due_date=D(2026, 6, 20))
    w.issues = {"soon": soon, "late": late, "verify": verify, "waiting": waiting}
    return w


def told(recipient):
    return sorted(Reminder.objects.filter(recipient=recipient).values_list("kind", "item_key"))


def test_a_sweep_tells_the_right_people(ledger):
    w, issues = ledger, ledger.issues
    result = reminders.sweep(TODAY)
    assert result["added"] == Reminder.objects.count() > 0
    soon, late = f"issue:{issues['soon'].pk}", f"issue:{issues['late'].pk}"
    # The late issue's 督办单 (issues.ladder) goes to the unit and to the supervisors.
    notice = f"notice:{SuperviseNotice.objects.get(issue=issues['late']).pk}"
    # The pair's named people hear of 甲企业's issues; the unit's head of its plan.
    assert told(w.official_a) == sorted(
        [
            ("due_soon", soon),
            ("overdue", late),
            ("supervise_notice", notice),
            ("not_visited", f"enterprise:{w.enterprise_a.pk}"),
        ]
    )
    assert ("overdue", late) in told(w.head_a) and ("plan_late", f"plan:{w.campaign.pk}:{w.unit_a.pk}") in told(
        w.head_a
    )
    assert told(w.supervisor_a) == sorted(
        [
            ("supervise_notice", notice),
            ("verify_waiting", f"issue:{issues['verify'].pk}"),
            ("extension_waiting", f"issue:{issues['waiting'].pk}"),
        ]
    )
    assert told(w.supervisor_b) == []  # not their region
    assert told(w.official_a_colleague) == []  # neither named nor a head
    assert ("not_visited", f"enterprise:{w.enterprise_a.pk}") in told(w.head_a2)
    # One digest per person, listing every item, most urgent first.
    digest = Digest.objects.get(recipient=w.supervisor_a)
    assert [item["kind"] for item in digest.items] == ["supervise_notice", "extension_waiting", "verify_waiting"]
    assert digest.subject.startswith("走访提醒")
    assert Digest.objects.count() == Reminder.objects.values("recipient").distinct().count()


def test_a_second_sweep_the_same_day_sends_nothing_new(ledger):
    reminders.sweep(TODAY)
    rows, digests = Reminder.objects.count(), Digest.objects.count()
    again = reminders.sweep(TODAY)
    assert (again["added"], again["digests"]) == (0, 0)
    assert (Reminder.objects.count(), Digest.objects.count()) == (rows, digests)
    tomorrow = reminders.sweep(D(2026, 6, 2))
    overdue = Reminder.objects.filter(kind="overdue", day=D(2026, 6, 2))
    assert tomorrow["added"] > 0 and overdue.exists()  # overdue is told each working day
    assert Reminder.objects.filter(kind="not_visited", day=D(2026, 6, 2)).exists()  # still not visited


def test_no_deadline_reminders_on_a_weekend(ledger):
    reminders.sweep(D(2026, 6, 6))  # Saturday
    assert not Reminder.objects.filter(kind__in=["due_soon", "overdue", "supervise_notice"]).exists()


def test_a_run_that_died_before_its_digests_is_finished_by_the_next(ledger):
    import uuid

    run = uuid.uuid4()
    ladder.climb(TODAY, run=run)
    reminders.record(reminders.collect(TODAY), TODAY, run)  # the worker dies here
    assert Digest.objects.count() == 0
    result = reminders.sweep(TODAY)
    assert result["added"] == 0 and result["digests"] > 0
    assert not Reminder.objects.filter(digest__isnull=True).exists()
    items = sum(len(d.items) for d in Digest.objects.all())
    assert items == Reminder.objects.count()


def test_sweep_queries_do_not_grow_with_the_ledger(ledger, make_issue, django_assert_max_num_queries):
    def late(count, due):
        for _ in range(count):
            issue = make_issue("in_progress")
            Issue.objects.filter(pk=issue.pk).update(due_date=due)

    reminders.sweep(TODAY)
    late(1, D(2026, 6, 1))  # one 督办单 the next day
    with django_assert_max_num_queries(80) as small:
        assert reminders.sweep(D(2026, 6, 2))["notices"] == 1
    late(10, D(2026, 6, 2))  # ten more the day after, and the ledger's "soon": no more queries
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert reminders.sweep(D(2026, 6, 3))["notices"] == 11


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_tell_each_thing_once(live_world, make_issue, pg_only):
    w = live_world
    OfficialFactory(username="head_a", unit=w.unit_a, rank="head")
    for _ in range(30):
        issue = make_issue("in_progress")
        Issue.objects.filter(pk=issue.pk).update(due_date=D(2026, 5, 20))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            reminders.sweep(TODAY)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    rows = Reminder.objects.count()
    assert rows == Reminder.objects.values("recipient", "kind", "item_key", "day").distinct().count() > 0
    assert not Reminder.objects.filter(digest__isnull=True).exists()
    assert sum(len(d.items) for d in Digest.objects.all()) == rows


def test_the_inbox_shows_my_digests_and_marks_them_read(client, ledger):
    from django.urls import reverse

    reminders.sweep(TODAY)
    client.force_login(ledger.supervisor_a)
    page = client.get(reverse("my-work")).content.decode()
    assert 'id="unread-count">1<' in page
    inbox = client.get(reverse("inbox")).content.decode()
    assert ledger.issues["late"].number in inbox and "督办" in inbox
    assert ledger.issues["soon"].number not in inbox  # the unit's, not the supervisor's
    client.post(reverse("inbox-read"))
    assert Digest.objects.get(recipient=ledger.supervisor_a).read_at is not None
    assert 'id="unread-count"' not in client.get(reverse("my-work")).content.decode()
    client.force_login(ledger.official_a)  # the unit hears of its 督办单 too, under its number
    assert "甲县〔2026〕督办第1号" in client.get(reverse("inbox")).content.decode()


def test_every_kind_has_its_place_in_a_digest():
    assert sorted(reminders.KIND_ORDER) == sorted(Reminder.Kind.values)
