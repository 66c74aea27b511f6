"""通报: made on demand or by Celery beat at the start of each month.

A bulletin is the dashboard's figures for one region and month, judged on
the day it is made (its issue date), put into the form leaders sign: an
issue number (期号) per region and year, the issuing office, the date. Its
figures come from the same homes as the dashboard's (issues.figures through
issues.selectors, issues.deadlines, visits.selectors), so the dashboard
opened that day for that region and month shows the same numbers.

One bulletin is current per region and month (a partial unique index);
making it again supersedes it: the new version keeps the number, the old
one is kept with its file. Bulletins of one region are made one at a time
(the region's row is locked), so two people pressing the button at once get
one bulletin and one refusal, and the numbers of a year never collide."""

import datetime
import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import clock, uploads
from core.errors import Conflict, NotFound, NotPermitted
from core.exports import append_row
from enterprises.choices import Role
from enterprises.models import Campaign, Official, Region
from enterprises.scope import scope_of, scope_region

from . import deadlines, scoring, selectors
from .models import Bulletin

# How many categories and escalated groups the common problems show.
COMMON_PROBLEMS = 5
# The figures a bulletin states for the month and for the campaign to date.
SUMMARY = ("registered", "resolved", "closed", "closure_rate", "overdue")
# The overdue issues a bulletin lists, longest overdue first: a county's are
# all of them; a province's 70,000 are a count and the worst of them (the
# issue list has the rest), not a document no one reads and no worker
# finishes writing.
OVERDUE_LISTED = 500


# Who makes which -----------------------------------------------------------------


def bulletin_regions(user):
    """The regions `user` may make bulletins for: a supervisor's region and
    the regions below it, every region for an admin, none for anyone else
    (the dashboard's choice: Region.objects.restrict and scope_region)."""
    scope = scope_of(user)
    if not (scope.everything or scope.is_supervisor):
        return Region.objects.none()
    regions = Region.objects.restrict(user)
    if own := scope_region(user):
        regions = regions.subtree(own)
    return regions.order_by("path")


def current(*, region: Region, start: datetime.date, end: datetime.date):
    return Bulletin.objects.filter(region=region, period_start=start, period_end=end, superseded_at__isnull=True)


def remembered_office(*, region: Region, actor=None) -> str:
    """The issuing office a new bulletin of `region` carries unless one is
    typed: the one its last bulletin carried, else the unit of whoever makes
    it (the supervisors' office, 帮扶办), else the region's name."""
    last = (
        Bulletin.objects.filter(region=region)
        .exclude(office="")
        .order_by("-created_at", "-pk")
        .values_list("office", flat=True)
        .first()
    )
    if last:
        return last
    unit = getattr(actor, "unit", None)
    return unit.name if unit is not None else region.name


def month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day.replace(day=1)
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return start, end


# What it says --------------------------------------------------------------------


def _summary(row: dict) -> dict:
    return {name: row[name] for name in SUMMARY}


def _ranking(month_units: list[dict], to_date_units: list[dict]) -> dict:
    """The units as the dashboard's red and black lists have them for the
    same region and month: scoring.board over the month's unit figures under
    the rule in force, each ranked unit with its place, score, grade and
    list, in its group; the units with too few items apart. Each carries its
    overdue work to date. A unit whose only work is overdue from earlier
    months is not ranked (the dashboard's month has nothing of it to score):
    its issues are in the overdue list."""
    overdue = {row["group"]: row["overdue"] for row in to_date_units if row["group"]}
    scores = scoring.board(month_units, scoring.rule_in_force())

    def facts(row):
        return {
            "unit": row["group"],
            "name": str(row["name"]),
            **{k: row[k] for k in ("registered", "resolved", "closed", "closure_rate")},
            "overdue": overdue.get(row["group"], 0),
        }

    return {
        "scoring_rule": scores["rule"].name,
        "ranking": [
            {
                **facts(row),
                "group": group["key"],
                "group_label": str(group["label"]),
                "place": row["place"],
                "score": row["score"],
                "grade": row["grade"],
                "grade_label": str(row["grade_label"]),
                "red_black": row["red_black"],
            }
            for group in scores["groups"]
            for row in group["rows"]
        ],
        "unranked": [{**facts(row), "reason": row["unranked_reason"]} for row in scores["unranked"]],
    }


def since(campaign, start: datetime.date) -> datetime.date:
    """Where "to date" begins: the campaign's start, as on the dashboard by
    default; without a campaign, the year's first day."""
    return campaign.start_date if campaign else start.replace(month=1, day=1)


def content(*, user, region: Region, start: datetime.date, end: datetime.date, today: datetime.date) -> dict:
    """The bulletin's figures, lists and common problems in `user`'s scope,
    judged at `today`: the month (`totals`) and the campaign to the month's
    end (`to_date`) are each the dashboard's figures for that period, and the
    overdue list is exactly the issues the to-date overdue figure counts."""
    campaign = Campaign.objects.current()
    scope = {"campaign": campaign, "region": region}
    first = since(campaign, start)
    month = selectors.issue_figures(user=user, today=today, groups=("unit",), date_from=start, date_to=end, **scope)
    to_date = selectors.issue_figures(user=user, today=today, groups=("unit",), date_from=first, date_to=end, **scope)
    overdue = deadlines.mark(
        selectors.scoped_issues(user=user, date_from=first, date_to=end, **scope)
        .filter(deadlines.overdue(today))
        .select_related("enterprise", "responsible_unit")
        .order_by("due_date", "number")[:OVERDUE_LISTED],
        today,
    )
    visits = selectors.visit_figures(user=user, campaign=campaign, date_from=start, date_to=end, region=region)
    categories = selectors.categories_by_reach(user=user, date_from=start, date_to=end, **scope)
    escalated = selectors.escalation_groups(user=user, first=3, region=region)
    problems = selectors.common_problems_widest(
        user=user,
        region=region,
        first=COMMON_PROBLEMS,
        today=today,
        until=clock.day_start(end + datetime.timedelta(days=1)),
    )
    return {
        "campaign": campaign.name if campaign else "",
        "judged_at": today.isoformat(),
        "month_running": today < end,
        "since": first.isoformat(),
        "totals": _summary(month["totals"]),
        "to_date": _summary(to_date["totals"]),
        **_ranking(month["unit"], to_date["unit"]),
        # The first OVERDUE_LISTED of the to-date overdue figure's issues.
        "overdue": [
            {
                "number": i.number,
                "title": i.title,
                "enterprise": i.enterprise.name,
                "unit": i.responsible_unit.name if i.responsible_unit else "",
                "registered": timezone.localdate(i.registered_at).isoformat(),
                "due": i.due_date.isoformat(),
                "days": i.overdue_by,
            }
            for i in overdue
        ],
        "quiet_units": [
            {"name": unit["name"], "assigned": unit["assigned"], "visits": unit["visits"]}
            for unit in visits["quiet_units"]
        ],
        "plans_missing": [unit["name"] for unit in visits["plans_missing"]],
        # The open common problems (面上共性问题) touching most enterprises: their state and age.
        "common_problems": [
            {
                "title": problem.title,
                "state": str(problem.get_status_display()),
                "enterprises": problem.enterprises,
                "issues": problem.cases,
                "days": problem.age_days,
                "answer": problem.answer,
                "unit": problem.responsible_unit.name if problem.responsible_unit_id else "",
            }
            for problem in problems
        ],
        "categories": [
            {"name": row["category_name"], "enterprises": row["enterprises"], "issues": row["issues"]}
            for row in categories[:COMMON_PROBLEMS]
        ],
        "escalated": [
            {
                "category": str(group["category_name"]),
                "region": group["region_name"],
                "enterprises": group["enterprises"],
                "issues": group["count"],
                "numbers": [issue.number for issue in group["issues"]],
            }
            for group in escalated[:COMMON_PROBLEMS]
        ],
        "visits": {k: visits[k] for k in ("visits", "person_times", "assigned", "covered", "coverage")},
    }


def _overdue_listed(data: dict) -> str:
    return f"共{data['to_date']['overdue']}件逾期，此处列出逾期最久的{len(data['overdue'])}件，其余见问题台账。"


def row_count(data: dict) -> int:
    """The rows of a bulletin's workbook, its sheets together (its exports are audited with it)."""
    parts = (
        "ranking",
        "unranked",
        "overdue",
        "quiet_units",
        "plans_missing",
        "common_problems",
        "categories",
        "escalated",
    )
    return sum(len(data.get(part, [])) for part in parts)


# The workbook --------------------------------------------------------------------

PERCENT = "0.0%"
SCORE = "0.00"
DATE = "yyyy-mm-dd"
BOLD = Font(bold=True)


def _width(value) -> int:
    """Columns of a cell's text: a Chinese character takes two."""
    text = value.strftime("%Y-%m-%d") if isinstance(value, datetime.date) else str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _sheet(book: Workbook, title: str, head: tuple[str, str], headers: list[str], rows: list[list], formats=None):
    """A sheet with the bulletin's two title rows, a bold header frozen with
    them, its rows (column formats: index → number format) and columns wide
    enough for what they hold."""
    sheet = book.create_sheet(title)
    formats = formats or {}
    for line in head:
        append_row(sheet, [line])
    sheet["A1"].font = Font(bold=True, size=14, color="C00000")
    for row in (1, 2):
        if len(headers) > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(headers))
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
    append_row(sheet, headers)
    for cell in sheet[3]:
        cell.font = BOLD
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in rows:
        append_row(sheet, values)
        for index, number_format in formats.items():
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = number_format
    sheet.freeze_panes = "A4"
    for index, header in enumerate(headers):
        cells = [header, *(row[index] for row in rows if row[index] is not None)]
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(_width(v) for v in cells) + 2, 60)
    return sheet


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def head_lines(bulletin: Bulletin) -> tuple[str, str]:
    """The title rows: the bulletin's title, then its number, office and date."""
    issued = bulletin.issued_on
    return (
        f"{bulletin.region.name}联手帮扶企业工作通报",
        f"{bulletin.year}年第{bulletin.number}期　{bulletin.office}　{issued.year}年{issued.month}月{issued.day}日",
    )


# The red and black lists as the page colours them (static/css/zoufang.css).
LISTED = {
    "red": ("红榜", PatternFill("solid", fgColor="FDE8E6"), Font(bold=True, color="C00000")),
    "black": ("黑榜", PatternFill("solid", fgColor="E4E4E7"), Font(bold=True, color="000000")),
}
UNRANKED = {"too_few": "不参与排名（件数不足）", "nothing_to_score": "不参与排名（无可评分项）"}


def _ranking_sheet(book: Workbook, head: tuple[str, str], data: dict) -> None:
    """The units ranked by score within their group, the red list's rows
    red and the black list's grey with the list named, then the units not
    ranked."""
    ranked = data["ranking"]

    def counts(row):
        return [row["registered"], row["resolved"], row["closed"], row["closure_rate"], row["overdue"]]

    rows = [
        [
            row["group_label"],
            row["place"],
            row["name"],
            row["score"],
            row["grade_label"],
            LISTED[row["red_black"]][0] if row["red_black"] else None,
            *counts(row),
        ]
        for row in ranked
    ]
    rows += [
        [UNRANKED.get(row["reason"], "不参与排名"), None, row["name"], None, None, None, *counts(row)]
        for row in data.get("unranked", [])
    ]
    sheet = _sheet(
        book,
        "单位排名",
        head,
        [
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
        ],
        rows,
        formats={3: SCORE, 9: PERCENT},
    )
    for index, row in enumerate(ranked):
        if row["red_black"]:
            _label, fill, font = LISTED[row["red_black"]]
            for cell in sheet[4 + index]:
                cell.fill = fill
            sheet.cell(row=4 + index, column=6).font = font


def workbook(bulletin: Bulletin) -> bytes:
    data = bulletin.data
    head = head_lines(bulletin)
    start, end = bulletin.period_start, bulletin.period_end
    month, to_date, visits = data["totals"], data["to_date"], data["visits"]
    book = Workbook()
    book.remove(book.active)
    span = f"{start:%Y-%m-%d}至{end:%Y-%m-%d}"
    overview = [
        ["统计期间", span, f"{data['since']}至{end:%Y-%m-%d}"],
        ["判定日期", _date(data["judged_at"]), _date(data["judged_at"])],
        ["挂号", month["registered"], to_date["registered"]],
        ["办结（含销号）", month["resolved"], to_date["resolved"]],
        ["销号", month["closed"], to_date["closed"]],
        ["销号率", month["closure_rate"], to_date["closure_rate"]],
        ["逾期", month["overdue"], to_date["overdue"]],
        ["走访次数", visits["visits"], None],
        ["走访人次", visits["person_times"], None],
        ["结对企业", visits["assigned"], None],
        ["本月走访到的企业", visits["covered"], None],
        ["走访覆盖率", visits["coverage"], None],
    ]
    sheet = _sheet(book, "概况", head, ["指标", "本月", "本行动累计"], overview)
    for row in sheet.iter_rows(min_row=4):
        label = row[0].value
        for cell in row[1:]:
            if label in ("销号率", "走访覆盖率"):
                cell.number_format = PERCENT
            elif label == "判定日期":
                cell.number_format = DATE
    _ranking_sheet(book, head, data)
    _sheet(
        book,
        "逾期问题",
        head,
        ["挂号编号", "问题", "企业", "承办单位", "挂号日期", "办结时限", "逾期工作日"],
        [
            [
                row["number"],
                row["title"],
                row["enterprise"],
                row["unit"],
                _date(row.get("registered")),
                _date(row["due"]),
                row["days"],
            ]
            for row in data["overdue"]
        ],
        formats={4: DATE, 5: DATE},
    )
    if len(data["overdue"]) < data["to_date"]["overdue"]:
        append_row(book["逾期问题"], [_overdue_listed(data)])

    _sheet(
        book,
        "未走访单位",
        head,
        ["单位", "结对企业数", "本月走访次数"],
        [[row["name"], row["assigned"], row["visits"]] for row in data["quiet_units"]],
    )
    _sheet(
        book,
        "面上共性问题",
        head,
        ["共性问题", "状态", "涉及企业", "问题数", "确认以来天数", "答复", "责任单位"],
        [
            [row["title"], row["state"], row["enterprises"], row["issues"], row["days"], row["answer"], row["unit"]]
            for row in data.get("common_problems", [])
        ],
    )
    _sheet(
        book,
        "共性问题",
        head,
        ["问题类别", "涉及企业", "问题数"],
        [[row["name"], row["enterprises"], row["issues"]] for row in data["categories"]],
    )
    _sheet(
        book,
        "提请协调",
        head,
        ["问题类别", "地区", "涉及企业", "问题数", "挂号编号（前三个）"],
        [
            [row["category"], row["region"], row["enterprises"], row["issues"], "、".join(row["numbers"])]
            for row in data["escalated"]
        ],
    )
    _sheet(book, "未报送帮扶方案", head, ["单位"], [[name] for name in data["plans_missing"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Making and regenerating ---------------------------------------------------------


def _lock(actor, region: Region) -> Region:
    """Refuse a region outside the actor's bulletins, and hold its row until
    the transaction ends: one bulletin of a region is made at a time."""
    if not bulletin_regions(actor).filter(pk=region.pk).exists():
        raise NotPermitted("out_of_scope", _("This region is outside your scope."))
    return Region.objects.select_for_update().get(pk=region.pk)


def _write(*, actor, region, start, end, year, number, version, office, made_by) -> Bulletin:
    today = clock.today()
    # The document is written in the site's language, whoever makes it.
    with translation.override(settings.LANGUAGE_CODE):
        bulletin = Bulletin(
            region=region,
            period_start=start,
            period_end=end,
            year=year,
            number=number,
            version=version,
            office=office,
            issued_on=today,
            created_at=clock.now(),
            created_by=made_by,
            data=content(user=actor, region=region, start=start, end=end, today=today),
        )
        name = f"bulletin-{region.pk}-{start:%Y%m}-{version}.xlsx"
        uploads.save(bulletin.file, ContentFile(workbook(bulletin), name=name))
    try:
        with transaction.atomic():
            bulletin.save()
    except IntegrityError as error:  # another transaction got there first
        raise Conflict("bulletin_exists", _("This month's bulletin of this region has just been made.")) from error
    return bulletin


def _office(office: str | None, **remembered) -> str:
    office = (office or "").strip()
    return office[:100] if office else remembered_office(**remembered)[:100]


def bulletin_make(
    *, actor, region: Region, start: datetime.date, end: datetime.date, made_by=None, office: str | None = None
) -> Bulletin:
    """Make the bulletin of `region` for a period, in `actor`'s scope (a
    supervisor of the region or above, or an admin), with the next issue
    number of the region and year. Refused when one is already current:
    that one is regenerated instead."""
    with uploads.atomic_with_files():
        region = _lock(actor, region)
        if current(region=region, start=start, end=end).exists():
            raise Conflict(
                "bulletin_exists",
                _("The bulletin of %(region)s for %(month)s has already been made: regenerate it instead.")
                % {"region": region.name, "month": f"{start:%Y-%m}"},
            )
        year = start.year
        last = Bulletin.objects.filter(region=region, year=year).aggregate(n=Max("number"))["n"] or 0
        return _write(
            actor=actor,
            region=region,
            start=start,
            end=end,
            year=year,
            number=last + 1,
            version=1,
            office=_office(office, region=region, actor=made_by or actor),
            made_by=made_by,
        )


def bulletin_regenerate(*, actor, bulletin_id: int, made_by=None, office: str | None = None) -> Bulletin:
    """Make a current bulletin again with today's figures: the new version
    keeps its issue number (and its office unless another is given) and
    the old one is kept, superseded. Refused if it was superseded meanwhile."""
    with uploads.atomic_with_files():
        old = Bulletin.objects.restrict(actor).select_related("region").filter(pk=bulletin_id).first()
        if old is None:
            raise NotFound("not_found", _("No such bulletin."))
        region = _lock(actor, old.region)
        if not Bulletin.objects.filter(pk=old.pk, superseded_at__isnull=True).update(superseded_at=clock.now()):
            raise Conflict(
                "bulletin_superseded", _("This bulletin has been regenerated meanwhile: open its current version.")
            )
        return _write(
            actor=actor,
            region=region,
            start=old.period_start,
            end=old.period_end,
            year=old.year,
            number=old.number,
            version=old.version + 1,
            office=(office or "").strip()[:100] or old.office,
            made_by=made_by,
        )


def monthly(today: datetime.date | None = None) -> int:
    """Last month's bulletin for every region that has a supervisor; once."""
    today = today or clock.today()
    start, end = month_of(today.replace(day=1) - datetime.timedelta(days=1))
    made = 0
    supervisors = Official.objects.filter(role=Role.SUPERVISOR, is_active=True, unit__isnull=False).select_related(
        "unit__region"
    )
    for region_id in sorted({s.unit.region_id for s in supervisors}):
        actor = next(s for s in supervisors if s.unit.region_id == region_id)
        if current(region=actor.unit.region, start=start, end=end).exists():
            continue
        try:
            bulletin_make(actor=actor, region=actor.unit.region, start=start, end=end)
        except Conflict:
            continue  # made meanwhile, by a supervisor or another tick
        made += 1
    return made
