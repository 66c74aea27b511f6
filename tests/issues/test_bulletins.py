"""The bulletin (issues.bulletins): its figures are the dashboard's for the
same region and month, its issue numbers run per region and year, one is
current per region and month whoever makes it and however many at once,
and its workbook opens with real percentages, dates and widths."""

import datetime
import io

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook

from core import clock
from core.errors import Conflict, NotPermitted
from issues import bulletins, common, dashboard
from issues import services as issue_services
from issues.models import Bulletin, Issue
from visits import services as visit_services

from ..factories import AssignmentFactory, AssignmentUnitFactory, EnterpriseFactory, OfficialFactory
from .test_concurrency import race
from .test_scoring import BY_HAND, build_ledger

JUNE = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
MAY = (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31))
JULY_1 = datetime.date(2026, 7, 1)  # a Wednesday: June's bulletin is made


def at(day: datetime.date, hour: int = 10):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0))))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make(world, month=JUNE, region=None, **kwargs):
    w = world
    return bulletins.bulletin_make(
        actor=kwargs.pop("actor", w.supervisor_a),
        region=region or w.county_a,
        start=month[0],
        end=month[1],
        made_by=kwargs.pop("made_by", w.supervisor_a),
        **kwargs,
    )


def _due(issue, day):
    Issue.objects.filter(pk=issue.pk).update(due_date=day)
    return issue


@pytest.fixture
def ledger(world, make_issue):
    """甲县's issues around June: closed, overdue, on time, unassigned and
    cancelled ones registered in June; one registered in April and overdue
    since May; one registered on 1 July; and 乙县's, which 甲县 never counts."""
    w = world
    second = EnterpriseFactory(name="甲县第二企业", region=w.town_a)
    team = AssignmentFactory(campaign=w.campaign, enterprise=second)
    AssignmentUnitFactory(assignment=team, unit=w.unit_a, is_lead=True)
    with at(datetime.date(2026, 4, 20)):
        april = _due(make_issue("in_progress", category="land"), datetime.date(2026, 5, 20))
    with at(datetime.date(2026, 6, 2)):
        june = {
            "closed": make_issue("closed"),
            "late": _due(make_issue("in_progress", enterprise=second), datetime.date(2026, 6, 10)),
            "late_too": _due(make_issue("assigned", category="land"), datetime.date(2026, 6, 29)),
            "in_time": _due(make_issue("in_progress", category="land", enterprise=second), datetime.date(2026, 7, 10)),
            "unassigned": make_issue("registered"),
            "cancelled": make_issue("cancelled"),
        }
        other = issue_services.issue_register(
            actor=w.official_b, enterprise=w.enterprise_b, category="finance", title="乙县的问题"
        )
    with at(JULY_1, 8):
        july = make_issue("registered")
    return {"april": april, **june, "other": other, "july": july}


def test_the_bulletin_states_the_dashboards_figures_for_its_region_and_month(world, ledger):
    w = world
    with at(JULY_1):
        bulletin = make(world)
        month = dashboard.build(
            user=w.supervisor_a, campaign=w.campaign, region=w.county_a, date_from=JUNE[0], date_to=JUNE[1]
        )["totals"]
        to_date = dashboard.build(
            user=w.supervisor_a,
            campaign=w.campaign,
            region=w.county_a,
            date_from=w.campaign.start_date,
            date_to=JUNE[1],
        )["totals"]
    data = bulletin.data
    fields = ("registered", "closed", "closure_rate", "overdue")
    assert {k: data["totals"][k] for k in fields} == {k: month[k] for k in fields}
    assert {k: data["to_date"][k] for k in fields} == {k: to_date[k] for k in fields}
    # Worked out by hand: June registered five (the cancelled one is no issue),
    # closed one; two are late on 1 July; April's adds one to date.
    assert {k: data["totals"][k] for k in fields} == {
        "registered": 5,
        "closed": 1,
        "closure_rate": 0.2,
        "overdue": 2,
    }
    assert {k: data["to_date"][k] for k in fields} == {
        "registered": 6,
        "closed": 1,
        "closure_rate": round(1 / 6, 4),
        "overdue": 3,
    }
    # The overdue list is what the to-date figure counts, oldest deadline first;
    # judged on the issue date, 1 July, in working days.
    assert data["judged_at"] == "2026-07-01" and bulletin.issued_on == JULY_1
    assert [(row["number"], row["days"]) for row in data["overdue"]] == [
        (ledger["april"].number, 30),  # 21 May – 1 July
        (ledger["late"].number, 15),  # 11 June – 1 July
        (ledger["late_too"].number, 2),  # 30 June, 1 July
    ]
    assert len(data["overdue"]) == data["to_date"]["overdue"]
    # The ranking's overdue column adds up to the list, its counts to the month.
    assert [(row["name"], row["registered"], row["closed"], row["overdue"]) for row in data["ranking"]] == [
        ("甲县经信局", 4, 1, 3)
    ]


def test_a_long_overdue_list_is_its_longest_overdue_and_a_count(world, ledger, monkeypatch, client):
    """A province's 70,000 overdue issues made a workbook no worker finished
    writing (the make answered 500 after the server's timeout)."""
    from django.urls import reverse

    monkeypatch.setattr(bulletins, "OVERDUE_LISTED", 2)
    with at(JULY_1):
        bulletin = make(world)
    data = bulletin.data
    assert data["to_date"]["overdue"] == 3
    # The two overdue longest, in the same order as the whole list.
    assert [row["number"] for row in data["overdue"]] == [ledger["april"].number, ledger["late"].number]
    client.force_login(world.supervisor_a)
    page = client.get(reverse("bulletin-detail", args=[bulletin.pk])).content.decode()
    assert "共 3 件逾期，此处列出逾期最久的 2 件，其余见问题台账。" in page
    book = load_workbook(io.BytesIO(bulletin.file.read()))
    last = list(book["逾期问题"].iter_rows(values_only=True))[-1]
    assert last[0] == "共3件逾期，此处列出逾期最久的2件，其余见问题台账。"


def test_the_ranking_is_the_dashboards_red_and_black_lists_for_the_region_and_month(world):
    w = world
    build_ledger(w)  # test_scoring's units, issues, 督办单 and 通报批评 in June
    with at(JULY_1):
        bulletin = make(world)
        board = dashboard.build(
            user=w.supervisor_a, campaign=w.campaign, region=w.county_a, date_from=JUNE[0], date_to=JUNE[1]
        )["scores"]
    data = bulletin.data
    shown = ("group", "name", "place", "score", "grade", "red_black", "registered", "closed", "closure_rate")
    assert [tuple(row[k] for k in shown) for row in data["ranking"]] == [
        (group["key"], row["name"], *(row[k] for k in shown[2:])) for group in board["groups"] for row in group["rows"]
    ]
    assert [(row["name"], row["registered"]) for row in data["unranked"]] == [
        (row["name"], row["registered"]) for row in board["unranked"]
    ]
    assert data["scoring_rule"] == board["rule"].name
    # The scores worked out by hand in test_scoring (judged on 1 July: nothing has moved since
    # 30 June), departments apart from townships, each group's top red and bottom black.
    assert [(row["name"], row["score"], row["grade_label"], row["red_black"]) for row in data["ranking"]] == [
        ("甲县经信局", 94.0, "优秀", "red"),
        ("甲县商务局", 88.0, "良好", None),
        ("甲县水务局", 70.5, "合格", "black"),
        ("甲镇政府", 96.67, "优秀", "red"),
        ("丙镇政府", 57.78, "不合格", "black"),
    ]
    assert {row["name"]: row["score"] for row in data["ranking"]} == {name: s for name, (s, _g) in BY_HAND.items()}
    assert [row["group_label"] for row in data["ranking"]] == ["职能部门"] * 3 + ["乡镇/街道"] * 2
    assert {row["name"] for row in data["unranked"]} == {"甲县税务局", "丁镇政府"}
    # Overdue to date (the campaign to June's end): 商务局 1, 水务局 1, 丙镇政府 2.
    assert [row["overdue"] for row in data["ranking"]] == [0, 1, 1, 0, 2]

    sheet = load_workbook(io.BytesIO(bulletin.file.read()))["单位排名"]
    rows = list(sheet.iter_rows(min_row=4, max_col=6, values_only=True))
    assert rows[:5] == [
        ("职能部门", 1, "甲县经信局", 94.0, "优秀", "红榜"),
        ("职能部门", 2, "甲县商务局", 88.0, "良好", None),
        ("职能部门", 3, "甲县水务局", 70.5, "合格", "黑榜"),
        ("乡镇/街道", 1, "甲镇政府", 96.67, "优秀", "红榜"),
        ("乡镇/街道", 2, "丙镇政府", 57.78, "不合格", "黑榜"),
    ]
    assert {row[0] for row in rows[5:]} == {"不参与排名（件数不足）"} and len(rows) == 7
    # The red list's rows red, the black list's grey, the list named in its colour.
    assert sheet["C4"].fill.fgColor.rgb == "00FDE8E6" and sheet["F4"].font.color.rgb == "00C00000"
    assert sheet["C6"].fill.fgColor.rgb == "00E4E4E7" and sheet["C5"].fill.fill_type is None


def test_a_unit_that_visited_is_not_listed_as_quiet_and_one_that_did_not_is_with_its_count(world):
    w = world
    # 甲县经信局 helps two enterprises and visited one of them four times in June;
    # 甲县税务局 helps two and logged nothing; 甲县商务局 helps 甲企业 and logged nothing.
    second = EnterpriseFactory(name="甲县第二企业", region=w.town_a)
    team = AssignmentFactory(campaign=w.campaign, enterprise=second)
    AssignmentUnitFactory(assignment=team, unit=w.unit_a, is_lead=True)
    AssignmentUnitFactory(assignment=team, unit=w.unit_a4)
    other = AssignmentFactory(campaign=w.campaign, enterprise=w.enterprise_a_other)
    AssignmentUnitFactory(assignment=other, unit=w.unit_a4, is_lead=True)
    for day in (2, 9, 16, 23):
        with at(datetime.date(2026, 6, day)):
            visit_services.visit_record(
                summary="了解情况",
                actor=w.official_a,
                enterprise=w.enterprise_a,
                date=datetime.date(2026, 6, day),
                form="onsite",
                purposes=["situation"],
            )
    with at(JULY_1):
        bulletin = make(world)
        board = dashboard.build(
            user=w.supervisor_a, campaign=w.campaign, region=w.county_a, date_from=JUNE[0], date_to=JUNE[1]
        )
    expected = [
        {"name": "甲县商务局", "assigned": 1, "visits": 0},
        {"name": "甲县税务局", "assigned": 2, "visits": 0},
    ]
    assert bulletin.data["quiet_units"] == expected
    assert [{k: unit[k] for k in ("name", "assigned", "visits")} for unit in board["visits"]["quiet_units"]] == expected
    assert bulletin.data["visits"]["visits"] == board["visits"]["visits"] == 4


def test_the_open_common_problems_touching_most_enterprises_are_listed_with_state_and_age(world, make_issue):
    w = world
    others = [EnterpriseFactory(name=f"甲县企业{n}", region=w.town_a) for n in range(2)]
    with at(datetime.date(2026, 6, 3)):
        wide = [make_issue(category="land")] + [
            issue_services.issue_register(actor=w.supervisor_a, enterprise=e, category="land", title="厂房不足")
            for e in others
        ]
        narrow = [
            issue_services.issue_register(actor=w.supervisor_a, enterprise=e, category="finance", title="贷款难")
            for e in others
        ]
        common.common_propose(actor=w.supervisor_a, title="标准厂房不足", issue_ids=[i.pk for i in wide])
        second = common.common_propose(actor=w.supervisor_a, title="续贷难", issue_ids=[i.pk for i in narrow])
        common.common_decide(
            actor=w.supervisor_a, problem_id=second.pk, answer_kind="policy", answer="落实无还本续贷政策"
        )
        theirs = [
            issue_services.issue_register(actor=w.supervisor_b, enterprise=e, category="land", title="乙县厂房")
            for e in (w.enterprise_b, EnterpriseFactory(region=w.town_b))
        ]
        common.common_propose(actor=w.supervisor_b, title="乙县的问题", issue_ids=[i.pk for i in theirs])
    with at(JULY_1):
        bulletin = make(world)
    rows = [
        (r["title"], r["state"], r["enterprises"], r["issues"], r["days"]) for r in bulletin.data["common_problems"]
    ]
    assert rows == [("标准厂房不足", "已确认", 3, 3, 28), ("续贷难", "已决定", 2, 2, 28)]
    assert bulletin.data["common_problems"][1]["answer"] == "落实无还本续贷政策"
    sheet = load_workbook(io.BytesIO(bulletin.file.read()))["面上共性问题"]
    assert [cell.value for cell in sheet[4]][:5] == ["标准厂房不足", "已确认", 3, 3, 28]
    # May's bulletin, made the same day, names none: they were confirmed in June.
    with at(JULY_1):
        may = make(world, month=MAY)
    assert may.data["common_problems"] == []


def test_common_problems_are_the_categories_and_escalated_groups_touching_most_enterprises(world, make_issue):
    w = world
    second = EnterpriseFactory(name="甲县第二企业", region=w.town_a)
    AssignmentUnitFactory(
        assignment=AssignmentFactory(campaign=w.campaign, enterprise=second), unit=w.unit_a, is_lead=True
    )
    with at(datetime.date(2026, 6, 3)):
        # Finance: three issues of one enterprise. Land: one each of two enterprises.
        for _ in range(3):
            make_issue("registered", category="finance")
        land = [make_issue("assigned", category="land", extra=("escalate",))]
        land.append(make_issue("assigned", category="land", enterprise=second, extra=("escalate",)))
        escalated_finance = make_issue("assigned", category="finance", extra=("escalate",))
        # 乙县's escalated issue is not 甲县's problem.
        issue_services.issue_escalate(
            actor=w.supervisor_b,
            issue_id=issue_services.issue_assign(
                actor=w.supervisor_b,
                issue_id=issue_services.issue_register(
                    actor=w.official_b, enterprise=w.enterprise_b, category="land", title="乙"
                ).pk,
                unit=w.unit_b,
            ).pk,
            note="需协调",
        )
    with at(JULY_1):
        data = make(world).data
    assert [(row["name"], row["enterprises"], row["issues"]) for row in data["categories"]] == [
        ("用地", 2, 2),
        ("融资", 1, 4),
    ]
    assert [(row["category"], row["region"], row["enterprises"], row["issues"]) for row in data["escalated"]] == [
        ("用地", "甲镇", 2, 2),
        ("融资", "甲镇", 1, 1),
    ]
    assert sorted(data["escalated"][0]["numbers"]) == sorted(issue.number for issue in land)
    assert data["escalated"][1]["numbers"] == [escalated_finance.number]


def test_issue_numbers_run_per_region_and_year_in_order_of_making(world):
    w = world
    with at(JULY_1):
        june = make(world)
        may = make(world, MAY)
        town = make(world, JUNE, region=w.town_a)
        other = make(world, JUNE, region=w.county_b, actor=w.supervisor_b, made_by=w.supervisor_b)
        june_again = bulletins.bulletin_regenerate(actor=w.supervisor_a, bulletin_id=june.pk, made_by=w.supervisor_a)
    with at(datetime.date(2027, 2, 1)):
        january = make(world, (datetime.date(2027, 1, 1), datetime.date(2027, 1, 31)))
    assert [(b.year, b.number) for b in (june, may, town, other, january)] == [
        (2026, 1),
        (2026, 2),
        (2026, 1),
        (2026, 1),
        (2027, 1),
    ]
    # Regenerating keeps the number; the old version is kept, superseded, with its file.
    june.refresh_from_db()
    assert (june_again.year, june_again.number, june_again.version) == (2026, 1, 2)
    assert june.superseded_at is not None and june_again.superseded_at is None
    assert june.file.name != june_again.file.name and june.file.read()[:2] == b"PK"
    assert list(bulletins.current(region=w.county_a, start=JUNE[0], end=JUNE[1])) == [june_again]


def test_the_issuing_office_is_typed_once_and_remembered(world):
    w = world
    with at(JULY_1):
        first = make(world, MAY)  # nothing typed, nothing before: the maker's unit
        typed = make(world, JUNE, office="甲县联手帮扶工作领导小组办公室")
        town = make(world, JUNE, region=w.town_a)  # another region remembers its own
    with at(datetime.date(2026, 8, 3)):
        assert bulletins.monthly(datetime.date(2026, 8, 3)) == 2  # by beat: nobody types
    july = bulletins.current(region=w.county_a, start=datetime.date(2026, 7, 1), end=datetime.date(2026, 7, 31)).get()
    assert first.office == "甲县帮扶办"
    assert typed.office == "甲县联手帮扶工作领导小组办公室"
    assert town.office == "甲县帮扶办"
    assert july.office == "甲县联手帮扶工作领导小组办公室"
    again = bulletins.bulletin_regenerate(actor=w.supervisor_a, bulletin_id=typed.pk)
    assert again.office == typed.office


def test_a_region_outside_the_scope_is_refused(world):
    w = world
    with pytest.raises(NotPermitted) as refused:
        make(world, region=w.county_b)
    assert refused.value.code == "out_of_scope"
    with pytest.raises(NotPermitted):
        make(world, region=w.county_a, actor=w.official_a)
    assert not Bulletin.objects.exists()
    # An admin makes any region's.
    assert make(world, region=w.county_b, actor=w.admin, made_by=w.admin).region == w.county_b


def test_one_current_bulletin_per_region_and_month(world):
    w = world
    first = make(world)
    with pytest.raises(Conflict) as refused:
        make(world)
    assert refused.value.code == "bulletin_exists"
    assert Bulletin.objects.count() == 1
    # The database holds it whatever the code does.
    duplicate = {
        f.name: getattr(first, f.name) for f in Bulletin._meta.concrete_fields if f.name not in ("id", "number")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.create(**{**duplicate, "number": 9, "version": 2})
    # Regenerating a superseded version is refused: its current one is regenerated.
    bulletins.bulletin_regenerate(actor=w.supervisor_a, bulletin_id=first.pk)
    with pytest.raises(Conflict) as refused:
        bulletins.bulletin_regenerate(actor=w.supervisor_a, bulletin_id=first.pk)
    assert refused.value.code == "bulletin_superseded"
    assert Bulletin.objects.filter(superseded_at__isnull=True).count() == 1
    assert Bulletin.objects.count() == 2


def test_the_monthly_job_makes_each_regions_bulletin_once(world):
    OfficialFactory(username="sup_a2", unit=world.office_a, role="supervisor")
    make(world, JUNE, region=world.county_b, actor=world.supervisor_b, made_by=world.supervisor_b)
    assert bulletins.monthly(JULY_1) == 1  # 甲县; 乙县's was made by hand
    assert bulletins.monthly(datetime.date(2026, 7, 2)) == 0
    assert sorted(Bulletin.objects.values_list("region__name", "number", "created_by")) == [
        ("乙县", 1, world.supervisor_b.pk),
        ("甲县", 1, None),
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_supervisors_make_the_same_bulletin_at_once(world, pg_only, settings, tmp_path, attempt):
    w = world
    colleague = OfficialFactory(username="sup_a2", unit=w.office_a, role="supervisor")
    results, errors = race(
        lambda: make(world, made_by=w.supervisor_a),
        lambda: make(world, actor=colleague, made_by=colleague),
    )
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], Conflict) and errors[0].code == "bulletin_exists"
    assert Bulletin.objects.count() == 1
    # The refused one's workbook was not left behind.
    assert [path.name for path in tmp_path.rglob("*.xlsx")] == [Bulletin.objects.get().file.name.rsplit("/", 1)[1]]


@pytest.mark.django_db(transaction=True)
def test_bulletins_made_at_once_get_distinct_numbers_and_regenerations_one_winner(world, pg_only):
    w = world
    months = [(datetime.date(2026, m, 1), datetime.date(2026, m, 28)) for m in (2, 3, 4, 5)]
    results, errors = race(*[lambda month=month: make(world, month) for month in months])
    assert not errors
    assert sorted(b.number for b in results) == [1, 2, 3, 4]
    target = results[0]
    results, errors = race(
        lambda: bulletins.bulletin_regenerate(actor=w.supervisor_a, bulletin_id=target.pk),
        lambda: bulletins.bulletin_regenerate(actor=w.admin, bulletin_id=target.pk),
    )
    assert len(results) == 1 and len(errors) == 1
    assert errors[0].code == "bulletin_superseded"
    versions = Bulletin.objects.filter(region=w.county_a, period_start=target.period_start)
    assert sorted((b.version, b.number, b.is_current) for b in versions) == [
        (1, target.number, False),
        (2, target.number, True),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_beat_ticks_at_once_make_one_bulletin_per_region(world, pg_only):
    results, errors = race(lambda: bulletins.monthly(JULY_1), lambda: bulletins.monthly(JULY_1))
    assert not errors
    assert sum(results) == 2
    assert sorted(Bulletin.objects.values_list("region__name", flat=True)) == ["乙县", "甲县"]


def test_the_workbook_has_percentages_dates_widths_and_frozen_headers(world, ledger):
    with at(JULY_1):
        bulletin = make(world, office="甲县联手帮扶办公室")
    book = load_workbook(io.BytesIO(bulletin.file.read()))
    assert book.sheetnames == [
        "概况",
        "单位排名",
        "逾期问题",
        "未走访单位",
        "面上共性问题",
        "共性问题",
        "提请协调",
        "未报送帮扶方案",
    ]
    for sheet in book.worksheets:
        # The title rows: the title, then the issue number, the office and the date.
        assert sheet["A1"].value == "甲县联手帮扶企业工作通报", sheet.title
        assert sheet["A2"].value == "2026年第1期　甲县联手帮扶办公室　2026年7月1日", sheet.title
        assert sheet.freeze_panes == "A4", sheet.title
        assert sheet["A3"].font.bold, sheet.title
        assert all(sheet.column_dimensions[c.column_letter].width >= 6 for c in sheet[3]), sheet.title

    overview = {row[0].value: row for row in book["概况"].iter_rows(min_row=4)}
    month_rate, to_date_rate = overview["销号率"][1], overview["销号率"][2]
    assert (month_rate.value, month_rate.number_format) == (0.2, "0.0%")
    assert (to_date_rate.value, to_date_rate.number_format) == (round(1 / 6, 4), "0.0%")
    judged = overview["判定日期"][1]
    assert judged.is_date and judged.value == datetime.datetime(2026, 7, 1) and judged.number_format == "yyyy-mm-dd"

    ranking = book["单位排名"]
    assert [c.value for c in ranking[3]] == [
        "组别",
        "名次",
        "单位",
        "得分",
        "等次",
        "红黑榜",
        "本月挂号",
        "本月办结",
        "本月销号",
        "本月销号率",
        "累计逾期",
    ]
    rate = ranking["J4"]
    assert (rate.value, rate.number_format) == (0.25, "0.0%")
    assert ranking["D4"].number_format == "0.00" and isinstance(ranking["D4"].value, float)

    overdue = book["逾期问题"]
    rows = list(overdue.iter_rows(min_row=4))
    assert [row[0].value for row in rows] == [ledger[k].number for k in ("april", "late", "late_too")]
    due = rows[0][5]
    assert due.is_date and due.value == datetime.datetime(2026, 5, 20) and due.number_format == "yyyy-mm-dd"
    assert rows[0][4].is_date and rows[0][4].value == datetime.datetime(2026, 4, 20)
    assert isinstance(rows[0][6].value, int) and rows[0][6].value == 30
    widths = {letter: overdue.column_dimensions[letter].width for letter in "ABCDEFG"}
    # A register number (11 characters) and a date (10) fit their columns whole.
    assert widths["A"] >= 13 and widths["E"] >= 12 and widths["F"] >= 12, widths
