"""通报: made on demand or by Celery beat at the start of each month."""

import datetime
import io

from django.core.files.base import ContentFile
from django.db import transaction
from openpyxl import Workbook

from core import clock
from core.calendar import working_days_until
from enterprises.choices import Role
from enterprises.models import Campaign, Official, Region

from . import selectors
from .choices import WORKING_STATUSES
from .models import Bulletin, Issue


def _content(*, user, region: Region, start: datetime.date, end: datetime.date) -> dict:
    from visits.selectors import visit_figures

    campaign = Campaign.objects.current()
    filters = {"campaign": campaign, "region": region, "date_from": start, "date_to": end}
    figures = selectors.issue_figures(user=user, today=end, groups=("unit",), **filters)
    ranking = sorted(
        (row for row in figures["unit"] if row["group"]),
        key=lambda row: (-(row["closure_rate"] or 0), -row["registered"], row["name"]),
    )
    overdue = list(
        Issue.objects.visible_to(user)
        .filter(enterprise__region__path__startswith=region.path, status__in=WORKING_STATUSES, due_date__lt=end)
        .select_related("enterprise", "responsible_unit")
        .order_by("due_date", "number")
    )
    # Overdue by working days, as everywhere else (one calendar query for all rows).
    left = working_days_until(end, [issue.due_date for issue in overdue])
    visits = visit_figures(user=user, campaign=campaign, date_from=start, date_to=end, region=region)
    return {
        "campaign": campaign.name if campaign else "",
        "totals": figures["totals"],
        "ranking": [
            {k: row[k] for k in ("name", "registered", "resolved", "closed", "closure_rate", "overdue")}
            for row in ranking
        ],
        "overdue": [
            {
                "number": i.number,
                "title": i.title,
                "enterprise": i.enterprise.name,
                "unit": i.responsible_unit.name if i.responsible_unit else "",
                "due": i.due_date.isoformat(),
                "days": -left[i.due_date],
            }
            for i in overdue
        ],
        "quiet_units": [unit["name"] for unit in visits["quiet_units"]],
        "plans_missing": [unit["name"] for unit in visits["plans_missing"]],
        "visits": {k: visits[k] for k in ("visits", "person_times", "assigned", "covered", "coverage")},
    }


def _xlsx(region, start, end, data) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "单位排名"
    sheet.append([f"{region.name} 通报 {start}至{end}"])
    sheet.append(["排名", "单位", "挂号", "办结", "销号", "销号率", "当前逾期"])
    for index, row in enumerate(data["ranking"], start=1):
        sheet.append(
            [index, row["name"], row["registered"], row["resolved"], row["closed"], row["closure_rate"], row["overdue"]]
        )
    overdue = book.create_sheet("逾期问题")
    overdue.append(["挂号编号", "问题", "企业", "承办单位", "办结时限", "逾期工作日"])
    for row in data["overdue"]:
        overdue.append([row["number"], row["title"], row["enterprise"], row["unit"], row["due"], row["days"]])
    quiet = book.create_sheet("未走访单位")
    quiet.append(["单位"])
    for name in data["quiet_units"]:
        quiet.append([name])
    plans = book.create_sheet("未报送帮扶方案")
    plans.append(["单位"])
    for name in data["plans_missing"]:
        plans.append([name])
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
