"""通报: made on demand or by Celery beat at the start of each month."""

import datetime
import io

from django.core.files.base import ContentFile
from django.db import transaction
from openpyxl import Workbook

from core import clock
from core.exports import append_row
from enterprises.choices import Role
from enterprises.models import Campaign, Official, Region

from . import deadlines, figures, selectors
from .models import Bulletin


def judged_at(end: datetime.date, today: datetime.date) -> datetime.date:
    """A bulletin judges deadlines at its month's end, or today while the
    month is still running (no issue is "overdue" on a day yet to come)."""
    return min(end, today)


def _content(*, user, region: Region, start: datetime.date, end: datetime.date) -> dict:
    from visits.selectors import visit_figures

    campaign = Campaign.objects.current()
    made_on = clock.today()
    at = judged_at(end, made_on)
    # The ranking counts what was registered in the month; "overdue" counts every
    # issue of the campaign registered by the date judged and overdue then,
    # whenever it was registered, and the overdue table lists exactly those
    # issues. Each issue is judged on its state when the bulletin is made (beat
    # makes last month's on the 1st), not on a replay of its history.
    standing = {"campaign": campaign, "region": region, "date_to": at}
    period = selectors.issue_figures(
        user=user, today=at, groups=("unit",), campaign=campaign, region=region, date_from=start, date_to=end
    )
    now = selectors.issue_figures(user=user, today=at, groups=("unit",), **standing)
    overdue_by_unit = {row["group"]: row["overdue"] for row in now["unit"]}
    rows = {row["group"]: row for row in period["unit"] if row["group"]}
    for row in now["unit"]:
        # A unit with overdue work but nothing registered this month is ranked too.
        if row["group"] and row["overdue"] and row["group"] not in rows:
            rows[row["group"]] = {
                "group": row["group"],
                "name": row["name"],
                **dict.fromkeys(("registered", "resolved", "closed"), 0),
                "closure_rate": None,
            }
    ranking = figures.ranked(rows.values())
    overdue = deadlines.mark(
        selectors.scoped_issues(user=user, **standing)
        .filter(deadlines.overdue(at))
        .select_related("enterprise", "responsible_unit")
        .order_by("due_date", "number"),
        at,
    )
    visits = visit_figures(user=user, campaign=campaign, date_from=start, date_to=end, region=region)
    return {
        "campaign": campaign.name if campaign else "",
        "judged_at": at.isoformat(),
        "month_running": at < end,
        "made_on": made_on.isoformat(),
        "totals": {**period["totals"], "overdue": now["totals"]["overdue"]},
        "ranking": [
            {
                **{k: row[k] for k in ("name", "registered", "resolved", "closed", "closure_rate")},
                "overdue": overdue_by_unit.get(row["group"], 0),
            }
            for row in ranking
        ],
        "overdue": [
            {
                "number": i.number,
                "title": i.title,
                "enterprise": i.enterprise.name,
                "unit": i.responsible_unit.name if i.responsible_unit else "",
                "due": i.due_date.isoformat(),
                "days": i.overdue_by,
            }
            for i in overdue
        ],
        "quiet_units": [unit["name"] for unit in visits["quiet_units"]],
        "plans_missing": [unit["name"] for unit in visits["plans_missing"]],
        "visits": {k: visits[k] for k in ("visits", "person_times", "assigned", "covered", "coverage")},
    }


def row_count(data: dict) -> int:
    """The rows of a bulletin's workbook, its sheets together (its exports are audited with it)."""
    return sum(len(data.get(part, [])) for part in ("ranking", "overdue", "quiet_units", "plans_missing"))


def _xlsx(region, start, end, data) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "单位排名"
    append_row(sheet, [f"{region.name} 通报 {start}至{end}"])
    judged = data.get("judged_at", end.isoformat())
    made = data.get("made_on", judged)
    when = "本月尚未结束，按当日判定" if data.get("month_running") else f"按月末判定，各问题按{made}的状态"
    totals = data["totals"]
    append_row(
        sheet,
        [f"挂号{totals['registered']}个，销号{totals['closed']}个；截至{judged}（{when}）逾期{totals['overdue']}个"],
    )
    append_row(sheet, ["排名", "单位", "挂号", "办结", "销号", "销号率", "当前逾期"])
    for index, row in enumerate(data["ranking"], start=1):
        append_row(
            sheet,
            [
                index,
                row["name"],
                row["registered"],
                row["resolved"],
                row["closed"],
                row["closure_rate"],
                row["overdue"],
            ],
        )
    overdue = book.create_sheet("逾期问题")
    append_row(overdue, ["挂号编号", "问题", "企业", "承办单位", "办结时限", "逾期工作日"])
    for row in data["overdue"]:
        append_row(overdue, [row["number"], row["title"], row["enterprise"], row["unit"], row["due"], row["days"]])
    quiet = book.create_sheet("未走访单位")
    append_row(quiet, ["单位"])
    for name in data["quiet_units"]:
        append_row(quiet, [name])
    plans = book.create_sheet("未报送帮扶方案")
    append_row(plans, ["单位"])
    for name in data["plans_missing"]:
        append_row(plans, [name])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def bulletin_make(*, actor, region: Region, start: datetime.date, end: datetime.date, made_by=None) -> Bulletin:
    """Compute the bulletin in `actor`'s scope (a supervisor of the region)."""
    data = _content(user=actor, region=region, start=start, end=end)
    bulletin = Bulletin(
        region=region, period_start=start, period_end=end, created_at=clock.now(), created_by=made_by, data=data
    )
    bulletin.file.save(
        f"bulletin-{region.pk}-{start:%Y%m}.xlsx", ContentFile(_xlsx(region, start, end, data)), save=False
    )
    bulletin.save()
    return bulletin


def monthly(today: datetime.date | None = None) -> int:
    """Last month's bulletin for every region that has a supervisor; once."""
    today = today or clock.today()
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    made = 0
    supervisors = Official.objects.filter(role=Role.SUPERVISOR, is_active=True, unit__isnull=False).select_related(
        "unit__region"
    )
    for region_id in sorted({s.unit.region_id for s in supervisors}):
        if Bulletin.objects.filter(region_id=region_id, period_start=start, period_end=end).exists():
            continue
        actor = next(s for s in supervisors if s.unit.region_id == region_id)
        bulletin_make(actor=actor, region=actor.unit.region, start=start, end=end)
        made += 1
    return made
