"""Overdue, due soon and days overdue are defined once (issues.deadlines):
every page, export, API, task and bulletin that shows them agrees."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import clock
from core.models import CalendarDay
from enterprises.choices import Rank
from issues import bulletins, deadlines, ladder, reminders, selectors
from issues import services as issue_services
from issues.models import Issue

from ..conftest import api_client
from ..factories import OfficialFactory

# A Wednesday in the middle of June; the ledger is built on 1 June (the world's day).
JUDGED = datetime.date(2026, 6, 17)


def at(day: datetime.date, hour: int = 10):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0))))


def _on(make_issue):
    def make(*args, registered_on=None, **kwargs):
        if registered_on is None:
            return make_issue(*args, **kwargs)
        with at(registered_on):
            return make_issue(*args, **kwargs)

    return make


def _due(issue, day):
    Issue.objects.filter(pk=issue.pk).update(due_date=day)
    issue.refresh_from_db()
    return issue


@pytest.fixture
def ledger(world, make_issue):
    w = world
    make_issue = _on(make_issue)
    OfficialFactory(username="head_a", unit=w.unit_a, rank=Rank.HEAD)  # hears the unit's reminders
    CalendarDay.objects.create(date=datetime.date(2026, 6, 19), kind="holiday")  # 端午节
    issues = {
        "yesterday": _due(make_issue("in_progress"), datetime.date(2026, 6, 16)),
        "today": _due(make_issue("in_progress"), JUDGED),
        "tomorrow": _due(make_issue("assigned"), datetime.date(2026, 6, 18)),
        "long_ago": _due(
            make_issue("in_progress", registered_on=datetime.date(2026, 4, 20)), datetime.date(2026, 5, 20)
        ),
        "closed_late": _due(make_issue("closed"), datetime.date(2026, 5, 29)),
        "cancelled": make_issue("cancelled"),
    }
    # Extended through the lifecycle: one to later this month, one past its end.
    for name, new_due in (
        ("extended_in_month", datetime.date(2026, 6, 24)),
        ("extended_out", datetime.date(2026, 7, 3)),
    ):
        issue = make_issue("in_progress")
        issue_services.issue_request_extension(
            actor=w.official_a, issue_id=issue.pk, new_due_date=new_due, reason="需要协调用地"
        )
        issue_services.issue_approve_extension(actor=w.supervisor_a, issue_id=issue.pk)
        issue.refresh_from_db()
        assert issue.due_date == new_due
        issues[name] = issue
    return issues


def numbers(ledger, names):
    return {ledger[name].number for name in names}


OVERDUE = {"yesterday", "long_ago"}
DUE_SOON = {"today", "tomorrow"}
# Working days after the due date up to 17 June; 19 June is a holiday but lies after.
DAYS_OVERDUE = {"yesterday": 1, "long_ago": 20}


def test_the_rule_itself(ledger):
    with at(JUDGED):
        marked = {issue.number: issue for issue in deadlines.mark(Issue.objects.all(), JUDGED)}
        by_condition = set(Issue.objects.filter(deadlines.overdue(JUDGED)).values_list("number", flat=True))
        soon = set(Issue.objects.filter(deadlines.due_soon(JUDGED)).values_list("number", flat=True))
    assert by_condition == {n for n, issue in marked.items() if issue.overdue} == numbers(ledger, OVERDUE)
    assert soon == {n for n, issue in marked.items() if issue.due_soon} == numbers(ledger, DUE_SOON)
    assert {name: marked[ledger[name].number].overdue_by for name in OVERDUE} == DAYS_OVERDUE
    assert marked[ledger["today"].number].days_left == 0
    # 18 June, then 19 June (holiday) and the weekend do not count: 22, 23, 24 June.
    assert marked[ledger["extended_in_month"].number].days_left == 4
    # Due soon reaches the 2nd working day after today (18, then 22 June): a due date on
    # the holiday in between is due soon in the Python predicate and in the query alike.
    assert deadlines.due_soon_horizon(JUDGED) == datetime.date(2026, 6, 22)


def test_every_interface_agrees_on_overdue_today(client, world, ledger, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world
    expected = numbers(ledger, OVERDUE)
    with at(JUDGED):
        # The dashboard's figure and the list its number links to.
        totals = selectors.issue_totals(user=w.supervisor_a, campaign=w.campaign)
        assert totals["overdue"] == len(expected)
        client.force_login(w.supervisor_a)
        for query in ({"overdue": "true"}, {"figure": "overdue", "campaign": w.campaign.pk}):
            page = client.get(reverse("issue-list"), query)
            listed = {issue.number for issue in page.context["page"].object_list}
            assert listed == expected, query
            assert {i.number: i.overdue_by for i in page.context["page"].object_list} == {
                ledger[name].number: days for name, days in DAYS_OVERDUE.items()
            }
        soon = client.get(reverse("issue-list"), {"due_soon": "true"}).context["page"].object_list
        assert {issue.number for issue in soon} == numbers(ledger, DUE_SOON)

        dashboard = client.get(reverse("dashboard")).context
        assert dashboard["totals"]["overdue"] == len(expected)

        # My work, for the responsible unit: the same marks on its open issues.
        client.force_login(w.official_a)
        context = client.get(reverse("my-work")).context
        shown = (*context["to_sign"], *context["open_issues"], *context["co_issues"])
        mine = {i.number: i for i in shown}
        assert {n for n, i in mine.items() if i.overdue} == expected
        assert {n for n, i in mine.items() if i.due_soon} == numbers(ledger, DUE_SOON)
        assert {n: i.overdue_by for n, i in mine.items() if i.overdue} == {
            ledger[name].number: days for name, days in DAYS_OVERDUE.items()
        }
        client.force_login(w.supervisor_a)

        # The issue page judges the same day the same way.
        for name, issue in ledger.items():
            shown = client.get(reverse("issue-detail", args=[issue.pk])).context["issue"]
            assert shown.overdue == (name in OVERDUE), name
            assert shown.overdue_by == DAYS_OVERDUE.get(name), name

        # The export carries the same working days overdue.
        response = client.get(reverse("issue-export"), {"overdue": "true"})
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        column = rows[0].index("逾期工作日")
        assert {row[0]: row[column] for row in rows[1:]} == {
            ledger[name].number: days for name, days in DAYS_OVERDUE.items()
        }

        # The API: the list filter, each issue's fields and the stats.
        api = api_client(w.supervisor_a)
        results = api.get("/api/v1/issues/", {"overdue": "true"}).json()["results"]
        assert {row["number"]: row["overdue_by"] for row in results} == {
            ledger[name].number: days for name, days in DAYS_OVERDUE.items()
        }
        one = api.get(f"/api/v1/issues/{ledger['today'].pk}/").json()
        assert (one["overdue"], one["due_soon"], one["working_days_left"]) == (False, True, 0)
        stats = api.get("/api/v1/stats/", {"group_by": "unit", "campaign": w.campaign.pk}).json()["results"]
        assert {row["name"]: row["overdue"] for row in stats if row["overdue"]} == {"甲县经信局": len(expected)}

        # The reminder sweep tells the unit about the same issues, and the
        # 督办 ladder issues its notices for exactly those, as late as the list says.
        told = reminders.collect(JUDGED)
        by_kind = {}
        for _recipient, kind, _key, issue_id, _enterprise, _text in told:
            if issue_id is None:  # enterprises not visited, plans late
                continue
            by_kind.setdefault(kind, set()).add(Issue.objects.get(pk=issue_id).number)
        assert by_kind["overdue"] == expected
        assert by_kind["due_soon"] == numbers(ledger, DUE_SOON)
        assert "supervise" not in by_kind  # supervisors hear through the ladder's notices
        issued = ladder.climb(JUDGED)
        assert {notice.issue.number: notice.days_overdue for notice in issued} == {
            ledger[name].number: days for name, days in DAYS_OVERDUE.items()
        }

        # A bulletin for the running month judges today, and says so.
        bulletin = bulletins.bulletin_make(
            actor=w.supervisor_a, region=w.county_a, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 30)
        )
    data = bulletin.data
    assert (data["judged_at"], data["month_running"]) == ("2026-06-17", True)
    # Its list is the campaign's overdue issues to date, as the dashboard counts them;
    # of the month's registrations only one is late (long_ago dates from April).
    assert data["to_date"]["overdue"] == len(data["overdue"]) == len(expected)
    assert data["totals"]["overdue"] == 1
    assert {row["number"]: row["days"] for row in data["overdue"]} == {
        ledger[name].number: days for name, days in DAYS_OVERDUE.items()
    }
    assert sum(row["overdue"] for row in data["ranking"] + data["unranked"]) == len(expected)
    page = client.get(reverse("bulletin-detail", args=[bulletin.pk])).content.decode()
    summary = re.search(r'id="bulletin-overdue-summary">(.*?)</span>', page, re.S).group(1)
    assert "2026年6月17日" in summary and f"{len(expected)}个问题逾期" in summary
    workbook = load_workbook(io.BytesIO(bulletin.file.read()))
    overview = {row[0]: row[1:] for row in workbook["概况"].iter_rows(min_row=4, values_only=True)}
    assert overview["逾期"] == (1, 2)
    assert overview["判定日期"][0] == datetime.datetime(2026, 6, 17)
    assert [row[0] for row in workbook["逾期问题"].iter_rows(min_row=4, values_only=True)] == [
        ledger["long_ago"].number,
        ledger["yesterday"].number,
    ]


def test_a_past_months_bulletin_judges_on_the_day_it_is_made(world, ledger, settings, tmp_path):
    """As the dashboard does that day: the bulletin states its date, and the
    dashboard opened that day for the same region and month agrees with it."""
    settings.MEDIA_ROOT = tmp_path
    with at(JUDGED):
        bulletin = bulletins.bulletin_make(
            actor=world.supervisor_a,
            region=world.county_a,
            start=datetime.date(2026, 5, 1),
            end=datetime.date(2026, 5, 31),
        )
    data = bulletin.data
    assert (data["judged_at"], data["month_running"]) == ("2026-06-17", False)
    assert bulletin.issued_on == JUDGED
    # On 17 June the issue due on 20 May is 20 working days late (21 May – 17 June).
    # Issues registered after the month's end are not judged in it.
    assert {row["number"]: row["days"] for row in data["overdue"]} == {ledger["long_ago"].number: 20}
    assert data["to_date"]["overdue"] == 1 and data["totals"]["overdue"] == 0
    # Its unit registered nothing in May: as on the dashboard's red and black lists for
    # May, the month has nothing of it to score or list; its overdue issue is in the list.
    assert data["ranking"] == [] and data["unranked"] == []


def test_lateness_is_counted_in_working_days(ledger):
    # Saturday 20 June, after the Dragon Boat holiday on Friday 19 June: the issue due
    # on Thursday 18 June is not late yet (no working day has passed since), it is
    # due soon; the one due on Wednesday is one working day late, not three days.
    saturday = datetime.date(2026, 6, 20)
    with at(saturday):
        marked = {issue.number: issue for issue in deadlines.mark(Issue.objects.all(), saturday)}
        late = set(Issue.objects.filter(deadlines.overdue(saturday)).values_list("number", flat=True))
        soon = set(Issue.objects.filter(deadlines.due_soon(saturday)).values_list("number", flat=True))
    assert (
        late
        == {n for n, issue in marked.items() if issue.overdue}
        == numbers(ledger, {"yesterday", "today", "long_ago"})
    )
    assert ledger["tomorrow"].number in soon
    assert soon == {n for n, issue in marked.items() if issue.due_soon}
    thursday = marked[ledger["tomorrow"].number]
    assert (thursday.overdue, thursday.days_left, thursday.overdue_by) == (False, 0, None)
    assert marked[ledger["today"].number].overdue_by == 1
    assert all(issue.overdue_by >= 1 for issue in marked.values() if issue.overdue)
