import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook

from core.models import CalendarDay
from issues.models import Bulletin, Issue


def test_a_supervisor_makes_a_bulletin_and_downloads_it(client, world, make_issue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    CalendarDay.objects.create(date=datetime.date(2026, 6, 19), kind="holiday")  # 端午节
    late = make_issue("in_progress")
    Issue.objects.filter(pk=late.pk).update(due_date="2026-05-20")
    make_issue("closed")
    client.force_login(world.supervisor_a)
    form = client.get(reverse("bulletin-list")).context["form"]
    # The supervisor's own region, last month and the office to be remembered are offered.
    assert (form.initial["region"], form.initial["month"]) == (world.county_a, datetime.date(2026, 5, 31))
    assert form.initial["office"] == "甲县帮扶办"
    assert {r.name for r in form.fields["region"].queryset} == {"甲县", "甲镇"}
    response = client.post(reverse("bulletin-list"), {"month": "2026-06", "region": world.county_a.pk, "office": ""})
    bulletin = Bulletin.objects.get()
    assert response["Location"] == reverse("bulletin-detail", args=[bulletin.pk])
    assert (str(bulletin.period_start), str(bulletin.period_end)) == ("2026-06-01", "2026-06-30")
    page = client.get(reverse("bulletin-detail", args=[bulletin.pk])).content.decode()
    # The head leaders sign: title, issue number, office and date.
    assert "甲县联手帮扶企业工作通报" in page
    assert '<p class="zf-bulletin-number" id="bulletin-number">2026年第1期</p>' in page
    assert '<span id="bulletin-office">甲县帮扶办</span><span id="bulletin-date">2026年6月1日</span>' in page
    overdue = page.split('id="bulletin-overdue"')[1]
    # June is still running on 1 June, so the bulletin judges today: 21 May → 1 June
    # is 8 working days (it would be 28 at the month's end, less the Dragon Boat holiday).
    assert f'<td class="zf-nowrap zf-register-number">{late.number}</td>' in overdue
    assert '<td class="zf-num">8</td>' in overdue
    assert "甲县经信局" in page
    workbook = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("bulletin-file", args=[bulletin.pk])).streaming_content))
    )
    rows = list(workbook["逾期问题"].iter_rows(min_row=4, values_only=True))
    assert [(row[0], row[-1]) for row in rows] == [(late.number, 8)]
    client.force_login(world.supervisor_b)
    assert client.get(reverse("bulletin-detail", args=[bulletin.pk])).status_code == 404
    client.force_login(world.official_a)
    assert client.get(reverse("bulletin-list")).status_code == 403


def test_a_region_outside_the_scope_is_refused_with_a_clear_error(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.supervisor_a)
    for region in (world.county_b, world.city):  # the other county; the city above
        response = client.post(reverse("bulletin-list"), {"month": "2026-05", "region": region.pk})
        assert response.status_code == 200
        assert response.context["form"].errors["region"] == ["请选择您辖区内的地区。"]
        assert "请选择您辖区内的地区。" in response.content.decode()
    assert not Bulletin.objects.exists()
    # A town of the county is within it.
    client.post(reverse("bulletin-list"), {"month": "2026-05", "region": world.town_a.pk})
    assert Bulletin.objects.get().region == world.town_a


def test_making_it_twice_leads_to_the_one_made_and_regenerating_keeps_the_old(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.supervisor_a)
    body = {"month": "2026-05", "region": world.county_a.pk, "office": "甲县联手帮扶办公室"}
    client.post(reverse("bulletin-list"), body)
    first = Bulletin.objects.get()
    response = client.post(reverse("bulletin-list"), {**body, "office": "别的"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("bulletin-detail", args=[first.pk])
    assert "已经生成" in response.content.decode()
    assert Bulletin.objects.count() == 1

    response = client.post(reverse("bulletin-regenerate", args=[first.pk]), {"office": ""}, follow=True)
    second = Bulletin.objects.get(superseded_at__isnull=True)
    assert response.redirect_chain[-1][0] == reverse("bulletin-detail", args=[second.pk])
    assert (second.number, second.version, second.office) == (1, 2, "甲县联手帮扶办公室")
    page = response.content.decode()
    assert 'id="bulletin-versions"' in page and reverse("bulletin-detail", args=[first.pk]) in page
    old = client.get(reverse("bulletin-detail", args=[first.pk])).content.decode()
    assert 'id="bulletin-superseded"' in old and 'id="bulletin-regenerate"' not in old
    # The list shows the current one only; the old version's file is still served.
    assert [b.pk for b in client.get(reverse("bulletin-list")).context["page"]] == [second.pk]
    old_file = client.get(reverse("bulletin-file", args=[first.pk]))
    assert old_file.status_code == 200 and "v1.xlsx" in old_file["Content-Disposition"]
    # Regenerating the old version again is refused.
    response = client.post(reverse("bulletin-regenerate", args=[first.pk]), follow=True)
    assert "请打开其当前版本" in response.content.decode()
    assert Bulletin.objects.count() == 2
    # Another county's supervisor cannot regenerate it.
    client.force_login(world.supervisor_b)
    assert client.post(reverse("bulletin-regenerate", args=[second.pk])).status_code == 404
    assert Bulletin.objects.count() == 2


def test_the_list_takes_as_many_queries_for_many_bulletins_as_for_few(client, world, settings, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues import bulletins

    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.supervisor_a)
    client.get(reverse("bulletin-list"))  # the session is written on the first request only

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("bulletin-list")).status_code == 200
        return len(captured)

    for month in (1, 2):
        bulletins.bulletin_make(
            actor=world.supervisor_a,
            region=world.county_a,
            start=datetime.date(2026, month, 1),
            end=datetime.date(2026, month, 28),
            made_by=world.supervisor_a,
        )
    few = queries()
    for month in (3, 4, 5):
        bulletins.bulletin_make(
            actor=world.admin,
            region=world.town_a,
            start=datetime.date(2026, month, 1),
            end=datetime.date(2026, month, 28),
            made_by=world.admin,
        )
    assert len(client.get(reverse("bulletin-list")).context["page"]) == 5
    assert queries() == few


def test_the_ranking_shows_each_units_score_grade_and_list_in_colour(client, world, settings, tmp_path):
    import re

    from django.utils import timezone

    from core import clock

    from ..issues.test_scoring import build_ledger

    settings.MEDIA_ROOT = tmp_path
    build_ledger(world)
    client.force_login(world.supervisor_a)
    with clock.frozen_at(timezone.make_aware(datetime.datetime(2026, 7, 1, 10))):
        client.post(reverse("bulletin-list"), {"month": "2026-06", "region": world.county_a.pk, "office": ""})
    page = client.get(reverse("bulletin-detail", args=[Bulletin.objects.get().pk])).content.decode()
    ranking = page.split('id="bulletin-ranking"')[1].split("</table>")[0]
    assert re.findall(r'<th colspan="9">([^<]+)</th>', ranking) == ["职能部门", "乡镇/街道"]
    rows = re.findall(
        r'<tr class="([^"]*)" data-unit="\d+" data-score="[\d.]+" data-place="\d">'
        r'<td class="zf-nowrap">(\d)</td><td>([^<]+)</td><td class="zf-num">([\d.]+)</td>'
        r'<td class="zf-nowrap">([^<]+)</td><td class="zf-nowrap">(?:<span class="badge [^"]+">([^<]+)</span>)?</td>',
        ranking,
    )
    # The dashboard's red and black lists of June, as test_scoring works them out.
    assert rows == [
        ("zf-red-list", "1", "甲县经信局", "94.00", "优秀", "红榜"),
        ("", "2", "甲县商务局", "88.00", "良好", ""),
        ("zf-black-list", "3", "甲县水务局", "70.50", "合格", "黑榜"),
        ("zf-red-list", "1", "甲镇政府", "96.67", "优秀", "红榜"),
        ("zf-black-list", "2", "丙镇政府", "57.78", "不合格", "黑榜"),
    ]
    unranked = page.split('id="bulletin-unranked"')[1].split("</p>")[0]
    assert "甲县税务局（2件）" in unranked and "丁镇政府（1件）" in unranked
    assert 'style="' not in ranking + unranked  # the CSP allows no inline style
