"""The 督办 ladder (issues.ladder): a numbered 督办单 the working day after
the deadline, a 通报批评 some working days later, each once, each an event on
the issue, a reminder to the unit, its head and the supervisors, and a page
to print. Dates are worked out by hand against the calendar in each test."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from core.models import CalendarDay
from enterprises.choices import Rank
from issues import ladder, reminders, schemes
from issues import services as issue_services
from issues.models import Digest, Issue, IssueEvent, Reminder, SuperviseNotice

from ..conftest import drive
from ..factories import OfficialFactory

D = datetime.date
LADDER_KINDS = ("supervise_notice", "criticism")


def _late(issue, due):
    Issue.objects.filter(pk=issue.pk).update(due_date=due)
    issue.refresh_from_db()
    return issue


@pytest.fixture
def late(make_issue):
    """An issue in progress at 甲县经信局, due on the given day."""
    return lambda due: _late(make_issue("in_progress"), due)


def late_in_b(world, due):
    w = world
    issue = issue_services.issue_register(actor=w.official_b, enterprise=w.enterprise_b, category="land", title="用地")
    issue_services.issue_assign(actor=w.supervisor_b, issue_id=issue.pk, unit=w.unit_b)
    issue_services.issue_accept(actor=w.official_b, issue_id=issue.pk)
    return _late(issue, due)


def notices(issue, kind="notice"):
    return list(SuperviseNotice.objects.filter(issue=issue, kind=kind).order_by("issued_on", "id"))


def events(issue, action):
    return list(IssueEvent.objects.filter(issue=issue, action=action))


def test_a_notice_the_first_working_day_after_the_deadline_not_over_a_weekend(world, late):
    issue = late(D(2026, 6, 5))  # a Friday
    for day in (D(2026, 6, 5), D(2026, 6, 6), D(2026, 6, 7)):  # the day itself, Saturday, Sunday
        assert reminders.sweep(day)["notices"] == 0, day
    assert not notices(issue)
    assert reminders.sweep(D(2026, 6, 8))["notices"] == 1  # Monday: one working day late
    [notice] = notices(issue)
    assert (notice.number, notice.issued_on, notice.due_date, notice.days_overdue) == (
        "甲县〔2026〕督办第1号",
        D(2026, 6, 8),
        D(2026, 6, 5),
        1,
    )
    assert (notice.unit, notice.region, notice.issuer, notice.follows) == (
        world.unit_a,
        world.county_a,  # the county above 甲镇, where the enterprise is
        "甲县帮扶办",  # the office of the county's supervisors
        None,
    )
    assert issue.number in notice.text and "2026-06-05" in notice.text and "5个工作日内办结" in notice.text


def test_across_a_holiday_and_on_a_make_up_working_day(world, late):
    CalendarDay.objects.create(date=D(2026, 6, 19), kind="holiday", name="端午节")  # a Friday
    CalendarDay.objects.create(date=D(2026, 6, 28), kind="workday", name="调休")  # a Sunday
    before_holiday = late(D(2026, 6, 18))  # Thursday: the holiday and the weekend follow
    before_make_up = late(D(2026, 6, 26))  # Friday: the make-up Sunday follows
    for day in (D(2026, 6, 19), D(2026, 6, 20), D(2026, 6, 21)):
        reminders.sweep(day)
    assert not notices(before_holiday)
    reminders.sweep(D(2026, 6, 22))  # Monday, the first working day after 18 June
    assert [n.issued_on for n in notices(before_holiday)] == [D(2026, 6, 22)]
    reminders.sweep(D(2026, 6, 27))  # Saturday
    assert not notices(before_make_up)
    reminders.sweep(D(2026, 6, 28))  # the make-up Sunday is a working day
    assert [(n.issued_on, n.days_overdue) for n in notices(before_make_up)] == [(D(2026, 6, 28), 1)]


def test_numbered_in_sequence_per_region_and_year(world, late):
    first, second, third = (late(D(2026, 6, 5)) for _ in range(3))
    in_b = late_in_b(world, D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    # In register-number order within a region; each county has its own series.
    assert [notices(issue)[0].number for issue in (first, second, third)] == [
        "甲县〔2026〕督办第1号",
        "甲县〔2026〕督办第2号",
        "甲县〔2026〕督办第3号",
    ]
    assert notices(in_b)[0].number == "乙县〔2026〕督办第1号"
    assert notices(in_b)[0].issuer == "乙县帮扶办"
    fourth = late(D(2026, 6, 8))
    reminders.sweep(D(2026, 6, 9))
    assert notices(fourth)[0].number == "甲县〔2026〕督办第4号"
    new_year = late(D(2026, 12, 31))
    reminders.sweep(D(2027, 1, 4))  # a Monday; the series starts again
    assert notices(new_year)[0].number == "甲县〔2027〕督办第1号"
    assert SuperviseNotice.objects.filter(region=world.county_a, year=2026).count() == 4


def test_a_second_sweep_the_same_day_issues_nothing(world, late):
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    counts = (SuperviseNotice.objects.count(), IssueEvent.objects.count(), Reminder.objects.count())
    again = reminders.sweep(D(2026, 6, 8))
    assert (again["notices"], again["added"], again["digests"]) == (0, 0, 0)
    assert (SuperviseNotice.objects.count(), IssueEvent.objects.count(), Reminder.objects.count()) == counts
    reminders.sweep(D(2026, 6, 9))  # the next day: still one notice, no criticism yet
    assert len(notices(issue)) == 1 and not notices(issue, "criticism")


@pytest.mark.smoke  # both rungs on SQLite too, as `make run` sweeps them
def test_a_criticism_after_five_more_working_days(world, late):
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    [notice] = notices(issue)
    for day in (D(2026, 6, 9), D(2026, 6, 12), D(2026, 6, 13), D(2026, 6, 14)):  # 1, 4, 4, 4 working days on
        reminders.sweep(day)
    assert not notices(issue, "criticism")
    assert reminders.sweep(D(2026, 6, 15))["notices"] == 1  # 9, 10, 11, 12, 15 June: five working days
    [criticism] = notices(issue, "criticism")
    assert (criticism.number, criticism.follows, criticism.due_date, criticism.days_overdue) == (
        "甲县〔2026〕通报第1号",
        notice,
        D(2026, 6, 5),
        6,
    )
    assert notice.number in criticism.text and "通报批评" in criticism.text
    reminders.sweep(D(2026, 6, 16))
    reminders.sweep(D(2026, 6, 30))
    assert len(notices(issue, "criticism")) == 1  # the ladder's top rung, once


def test_the_days_are_read_through_ladder_days(world, late):
    scheme = schemes.scheme_choose(campaign=world.campaign, preset="custom")
    scheme.notice_after_days, scheme.criticise_after_days = 2, 1
    scheme.save()
    issue = late(D(2026, 6, 5))
    assert ladder.ladder_days(issue) == (2, 1)
    reminders.sweep(D(2026, 6, 8))
    assert not notices(issue)
    reminders.sweep(D(2026, 6, 9))
    assert [n.days_overdue for n in notices(issue)] == [2]
    reminders.sweep(D(2026, 6, 10))
    assert [n.days_overdue for n in notices(issue, "criticism")] == [3]


def test_an_extension_that_moves_the_deadline_ends_the_ladder(world, late):
    w = world
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    [first] = notices(issue)
    issue_services.issue_request_extension(
        actor=w.official_a, issue_id=issue.pk, new_due_date=D(2026, 6, 30), reason="需要协调"
    )
    issue_services.issue_approve_extension(actor=w.supervisor_a, issue_id=issue.pk)
    for day in (D(2026, 6, 15), D(2026, 6, 30)):  # the old criticism day; the new deadline itself
        assert reminders.sweep(day)["notices"] == 0, day
    assert not notices(issue, "criticism")
    # The new deadline passes in turn: the ladder starts again from its first rung.
    reminders.sweep(D(2026, 7, 1))
    assert [(n.due_date, n.number) for n in notices(issue)] == [
        (D(2026, 6, 5), first.number),
        (D(2026, 6, 30), "甲县〔2026〕督办第2号"),
    ]
    reminders.sweep(D(2026, 7, 8))  # 2, 3, 6, 7, 8 July
    assert [n.follows.due_date for n in notices(issue, "criticism")] == [D(2026, 6, 30)]


def test_a_resolved_issue_climbs_no_further(world, late):
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    drive(issue, world, "resolve")
    reminders.sweep(D(2026, 6, 15))
    assert not notices(issue, "criticism")


def test_each_issuance_writes_exactly_one_event(world, late):
    issue = late(D(2026, 6, 5))
    version, before = issue.version, IssueEvent.objects.filter(issue=issue).count()
    reminders.sweep(D(2026, 6, 8))
    reminders.sweep(D(2026, 6, 8))
    [event] = events(issue, "supervise_notice")
    [notice] = notices(issue)
    assert (event.actor, event.actor_unit, event.from_status, event.to_status) == (
        None,
        None,
        "in_progress",
        "in_progress",
    )
    assert event.data == {
        "notice": notice.pk,
        "number": "甲县〔2026〕督办第1号",
        "unit_name": "甲县经信局",
        "due_date": "2026-06-05",
        "days_overdue": 1,
    }
    reminders.sweep(D(2026, 6, 15))
    [criticised] = events(issue, "criticise")
    assert criticised.data["notice"] == notices(issue, "criticism")[0].pk
    assert IssueEvent.objects.filter(issue=issue).count() == before + 2
    issue.refresh_from_db()
    assert issue.version == version  # a record about the issue, not a change a user's form could collide with


def test_the_head_is_copied_and_the_people_are_told(world, late):
    w = world
    head = OfficialFactory(username="head_a", name="钱局长", unit=w.unit_a, rank=Rank.HEAD)
    deputy = OfficialFactory(username="deputy_a", name="孙副局长", unit=w.unit_a, rank=Rank.DEPUTY)
    w.assignment_a.units.filter(unit=w.unit_a).update(contact=w.official_a)
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    [notice] = notices(issue)
    assert notice.copied_to == [{"id": head.pk, "name": "钱局长"}]  # the head, not the deputy
    told = set(Reminder.objects.filter(kind="supervise_notice").values_list("recipient", flat=True))
    # The pair's named contact, the head it is copied to, the county's supervisor.
    assert told == {w.official_a.pk, head.pk, w.supervisor_a.pk}
    assert deputy.pk not in told and w.supervisor_b.pk not in told
    item = next(i for i in Digest.objects.get(recipient=head).items if i["kind"] == "supervise_notice")
    assert item["text"].startswith("甲县〔2026〕督办第1号") and item["issue"] == issue.pk
    # Renamed later, the notice keeps the name it was copied to.
    head.name = "钱某"
    head.save()
    notice.refresh_from_db()
    assert notice.copied_to[0]["name"] == "钱局长"


def test_a_unit_with_no_heads_account_is_copied_under_its_heads_name(world, late):
    w = world
    w.unit_a.head_name = "李局长"
    w.unit_a.save()
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    assert notices(issue)[0].copied_to == [{"id": None, "name": "李局长"}]


def test_one_notice_per_issue_kind_and_due_date_in_the_database(world, late):
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    [notice] = notices(issue)
    twin = SuperviseNotice.objects.get(pk=notice.pk)
    twin.pk, twin.serial, twin.number = None, 99, "甲县〔2026〕督办第99号"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    twin.pk, twin.due_date, twin.serial = None, D(2026, 6, 30), notice.serial  # another due date, the same serial
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_printed_notice_is_scoped(client, world, late):
    w = world
    OfficialFactory(username="head_a", name="钱局长", unit=w.unit_a, rank=Rank.HEAD)
    issue = late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    [notice] = notices(issue)
    url = reverse("notice-detail", args=[notice.pk])
    for user in (w.official_a, w.supervisor_a, w.admin):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200, user
        text = page.content.decode()
        for shown in ("甲县〔2026〕督办第1号", "甲县经信局", "钱局长", issue.number, "2026-06-05", "甲县帮扶办"):
            assert shown in text, (user, shown)
        # In the body, the register number prints on one line (it would break at its hyphen).
        body = text.split('class="zf-notice-text"')[1].split("</p>")[0]
        assert f'<span class="text-nowrap">{issue.number}</span>' in body
        assert "css/notice.css" in text  # the A4 print layout
    for user in (w.official_b, w.supervisor_b, w.official_a4):  # another county; a unit with no part in it
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.get(reverse("notice-detail", args=[987654])).status_code == 404
    # Reached from the issue page, where its event links to it.
    client.force_login(w.official_a)
    assert f'href="{url}"' in client.get(reverse("issue-detail", args=[issue.pk])).content.decode()


def test_the_supervisors_list_filters_by_unit_kind_and_month(client, world, late, django_assert_max_num_queries):
    w = world
    june = late(D(2026, 6, 5))
    other_unit = late(D(2026, 6, 5))
    Issue.objects.filter(pk=other_unit.pk).update(responsible_unit=w.unit_a2)
    july = late(D(2026, 6, 30))
    in_b = late_in_b(world, D(2026, 6, 5))
    for day in (D(2026, 6, 8), D(2026, 6, 15), D(2026, 7, 1)):
        reminders.sweep(day)
    client.force_login(w.supervisor_a)

    def listed(**query):
        page = client.get(reverse("notice-list"), query)
        assert page.status_code == 200
        return sorted(n.number for n in page.context["page"].object_list)

    a_notices = [n.number for n in SuperviseNotice.objects.filter(region=w.county_a)]
    assert listed() == sorted(a_notices) and len(a_notices) == 5  # 3 notices, 2 criticisms; none of 乙县's
    assert notices(in_b)[0].number not in listed()
    assert listed(unit=w.unit_a2.pk) == sorted(n.number for n in SuperviseNotice.objects.filter(issue=other_unit))
    assert listed(kind="criticism") == ["甲县〔2026〕通报第1号", "甲县〔2026〕通报第2号"]
    assert listed(month="2026-07") == [notices(july)[0].number]
    assert listed(month="2026-06", kind="notice") == sorted(
        n.number for n in SuperviseNotice.objects.filter(kind="notice", issue__in=[june, other_unit])
    )
    assert listed(unit=w.unit_b.pk) == []  # another county's unit is no choice here
    with django_assert_max_num_queries(12):
        client.get(reverse("notice-list"))
    client.force_login(w.supervisor_b)
    assert listed() == ["乙县〔2026〕督办第1号", "乙县〔2026〕通报第1号"]
    client.force_login(w.official_a)
    assert client.get(reverse("notice-list")).status_code == 403


def test_the_admin_shows_notices_and_never_edits_them(client, world, late):
    late(D(2026, 6, 5))
    reminders.sweep(D(2026, 6, 8))
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    notice = SuperviseNotice.objects.get()
    listing = client.get(reverse("admin:issues_supervisenotice_changelist")).content.decode()
    assert notice.number in listing
    assert client.get(reverse("admin:issues_supervisenotice_add")).status_code == 403
    page = client.get(reverse("admin:issues_supervisenotice_change", args=[notice.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_issue_each_notice_once_without_gaps(live_world, make_issue, pg_only):
    for _ in range(20):
        _late(make_issue("in_progress"), D(2026, 5, 20))
    barrier = threading.Barrier(2)
    errors, issued = [], []

    def run():
        try:
            barrier.wait()
            issued.append(reminders.sweep(D(2026, 6, 1))["notices"])
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
    assert sorted(issued) == [0, 20]
    assert sorted(SuperviseNotice.objects.values_list("serial", flat=True)) == list(range(1, 21))
    assert IssueEvent.objects.filter(action="supervise_notice").count() == 20
