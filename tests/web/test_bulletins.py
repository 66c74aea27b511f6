import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook

from core.models import CalendarDay
from issues import bulletins
from issues.models import Bulletin, Issue

from ..factories import OfficialFactory


def test_a_supervisor_makes_a_bulletin_and_downloads_it(client, world, make_issue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    CalendarDay.objects.create(date=datetime.date(2026, 6, 19), kind="holiday")  # 端午节
    late = make_issue("in_progress")
    Issue.objects.filter(pk=late.pk).update(due_date="2026-05-20")
    make_issue("closed")
    client.force_login(world.supervisor_a)
    response = client.post(reverse("bulletin-list"), {"month": "2026-06"})
    bulletin = Bulletin.objects.get()
    assert response["Location"] == reverse("bulletin-detail", args=[bulletin.pk])
    assert (str(bulletin.period_start), str(bulletin.period_end)) == ("2026-06-01", "2026-06-30")
    page = client.get(reverse("bulletin-detail", args=[bulletin.pk])).content.decode()
    overdue = page.split('id="bulletin-overdue"')[1]
    # June is still running on 1 June, so the bulletin judges today: 21 May → 1 June
    # is 8 working days (it would be 28 at the month's end, less the Dragon Boat holiday).
    assert late.number in overdue and "<td>8</td>" in overdue
    assert "甲县经信局" in page
    workbook = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("bulletin-file", args=[bulletin.pk])).streaming_content))
    )
    assert workbook.sheetnames == ["单位排名", "逾期问题", "未走访单位", "未报送帮扶方案"]
    rows = list(workbook["逾期问题"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[-1]) for row in rows] == [(late.number, 8)]
    client.force_login(world.supervisor_b)
    assert client.get(reverse("bulletin-detail", args=[bulletin.pk])).status_code == 404
    client.force_login(world.official_a)
    assert client.get(reverse("bulletin-list")).status_code == 403


def test_the_monthly_job_makes_each_regions_bulletin_once(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    OfficialFactory(username="sup_a2", unit=world.office_a, role="supervisor")
    assert bulletins.monthly(datetime.date(2026, 7, 1)) == 2  # 甲县 and 乙县
    assert bulletins.monthly(datetime.date(2026, 7, 2)) == 0
    assert set(Bulletin.objects.values_list("region__name", "period_start")) == {
        ("甲县", datetime.date(2026, 6, 1)),
        ("乙县", datetime.date(2026, 6, 1)),
    }
    # Each region's bulletin names only its own units (nobody has visited or filed a plan yet).
    data = {b.region.name: b.data for b in Bulletin.objects.select_related("region")}
    assert data["乙县"]["quiet_units"] == data["乙县"]["plans_missing"] == ["乙县经信局"]
    assert data["甲县"]["quiet_units"] == ["甲县商务局", "甲县经信局"]
