"""The 帮扶办's pages: the board's in-place changes, imports through the page,
help plans, officials and campaigns."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from enterprises.models import Assignment, Campaign, HelpPlan, ImportJob, Official

from .. import samples
from ..factories import EnterpriseFactory, OfficialFactory, make_credit_code


@pytest.fixture
def eager_celery():
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


def board_post(client, world, enterprise, op, **data):
    url = reverse("board-change", args=[world.campaign.pk, enterprise.pk, op])
    return client.post(url, data, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize(
    "name", ["board", "import-list", "campaign-list", "plan-status", "official-list", "official-create"]
)
def test_manage_pages_are_for_admins(client, world, name):
    url = reverse(name)
    assert client.get(url).status_code == 302
    client.force_login(world.supervisor_a)
    assert client.get(url).status_code == 403
    client.force_login(world.admin)
    assert client.get(url).status_code == 200


def test_board_shows_gaps_and_fixes_them_in_place(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("board"), {"gaps": "1"}).content.decode()
    # 甲企业: two of three units, no contacts; 甲县未结对企业: no team at all.
    assert "甲企业" in page and "2个单位（共3个）" in page and "未明确具体联系人" in page
    assert "尚无帮扶团队" in page
    other = world.enterprise_a_other
    row = board_post(client, world, other, "open").content.decode()
    assert f'id="row-{other.pk}"' in row
    board_post(client, world, other, "add", unit=world.unit_a3.pk)
    board_post(client, world, other, "add", unit=world.unit_a2.pk)
    team = Assignment.objects.get(campaign=world.campaign, enterprise=other)
    assert {(u.unit_id, u.is_lead) for u in team.units.all()} == {(world.unit_a3.pk, True), (world.unit_a2.pk, False)}
    refused = board_post(client, world, other, "remove", unit=world.unit_a3.pk).content.decode()
    assert "refusal" in refused and "水务局" in refused
    board_post(client, world, other, "lead", unit=world.unit_a2.pk)
    board_post(client, world, other, "remove", unit=world.unit_a3.pk)
    board_post(client, world, other, "add", unit=world.unit_a.pk)
    board_post(client, world, other, "add", unit=world.unit_a4.pk)
    fourth = board_post(client, world, other, "add", unit=world.unit_a3.pk).content.decode()
    assert "最多" in fourth  # the campaign's mode: at most three
    board_post(
        client,
        world,
        other,
        "people",
        unit=world.unit_a.pk,
        responsible=world.official_a.pk,
        contact=world.official_a_colleague.pk,
    )
    wrong = board_post(client, world, other, "people", unit=world.unit_a.pk, contact=world.official_b.pk)
    assert "不属于" in wrong.content.decode()
    board_post(client, world, other, "leader", leader=world.leader.pk)
    team.refresh_from_db()
    rows = {u.unit_id: u for u in team.units.all()}
    assert team.leader == world.leader
    assert set(rows) == {world.unit_a2.pk, world.unit_a.pk, world.unit_a4.pk}
    assert rows[world.unit_a2.pk].is_lead and rows[world.unit_a.pk].contact == world.official_a_colleague


def test_board_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    client.get(reverse("board"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("board"))
    for _ in range(8):
        enterprise = EnterpriseFactory(region=world.town_a)
        Assignment.objects.create(campaign=world.campaign, enterprise=enterprise)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("board")).status_code == 200


def _roster(codes):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "统一社会信用代码",
            "企业名称",
            "所在区划",
            "地址",
            "行业门类",
            "企业规模",
            "规上企业",
            "重点企业",
            "法定代表人",
            "联系人",
            "联系电话",
            "标签",
        ]
    )
    for index, code in enumerate(codes):
        sheet.append([code, f"导入企业{index}", "市/甲县/甲镇", "", "C", "小型", "否", "是", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("名册.xlsx", buffer.getvalue())


def test_import_through_the_page(client, world, eager_celery, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import-list"), {"kind": "enterprises", "file": _roster([make_credit_code()])})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import-detail", args=[job.pk])
    assert job.status == "checked" and job.counts["create"] == 1 and job.total_rows == 1
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'id="apply"' in page
    changes = page.split('id="changes"')[1]
    assert job.changes[0][1] in changes and "新增" in changes  # every changing row, with its outcome
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-detail", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "applied" and job.applied_at is not None
    assert world.enterprise_a.__class__.objects.filter(name="导入企业0").exists()
    second = client.post(reverse("import-detail", args=[job.pk]), follow=True).content.decode()
    assert "只能应用一次" in second


def test_a_file_with_errors_cannot_be_applied(client, world, eager_celery, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-list"), {"kind": "enterprises", "file": _roster(["91350100M000100Y44"])})
    job = ImportJob.objects.get()
    assert job.status == "checked" and job.error_count == 1
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'id="apply"' not in page and "统一社会信用代码" in page.split('id="errors"')[1]
    client.post(reverse("import-detail", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "checked"


def test_pairing_import_needs_a_campaign_and_a_real_file(client, world):
    client.force_login(world.admin)
    Campaign.objects.update(is_current=False)
    response = client.post(reverse("import-list"), {"kind": "assignments", "campaign": "", "file": _roster([])})
    assert "选择" in response.content.decode()
    bad = client.post(reverse("import-list"), {"kind": "units", "file": SimpleUploadedFile("x.txt", b"x")})
    assert ".xlsx" in bad.content.decode()
    assert ImportJob.objects.count() == 0


def test_help_plans_filed_and_late(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world.campaign.plan_due_date = "2026-05-20"
    world.campaign.save()
    client.force_login(world.official_a)
    bad = client.post(reverse("help-plan"), {"file": SimpleUploadedFile("plan.pdf", b"not a pdf")})
    assert "不是真正的PDF" in bad.content.decode()
    zipped = client.post(reverse("help-plan"), {"file": SimpleUploadedFile("方案.docx", samples.plain_zip())})
    assert "“方案.docx”不是真正的Word文档：其内容是ZIP类型的文件" in zipped.content.decode()
    assert not HelpPlan.objects.exists() and not any(tmp_path.rglob("*.*"))
    client.post(reverse("help-plan"), {"file": SimpleUploadedFile("方案.pdf", b"%PDF-1.4 plan"), "summary": "三年计划"})
    assert HelpPlan.objects.get().unit == world.unit_a
    client.force_login(world.admin)
    page = client.get(reverse("plan-status")).content.decode()
    table = page.split('id="plans"')[1]
    assert "甲县经信局" in table and "乙县经信局" in table
    assert "迟交12天" in table  # 20 May → 1 June, for the units that did not file
    assert "1个单位未报送帮扶方案" not in page  # 甲县商务局 and 乙县经信局 are both missing
    assert "2个单位未报送帮扶方案" in page


def test_a_refiled_plan_replaces_the_file_once_committed(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.official_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("help-plan"), {"file": SimpleUploadedFile("方案.pdf", samples.PDF)})
    first = HelpPlan.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("help-plan"), {"file": SimpleUploadedFile("方案.docx", samples.docx())})
    plan = HelpPlan.objects.get()
    assert plan.file.name.endswith(".docx") and plan.file.name != first
    assert [path.name for path in tmp_path.rglob("*.*")] == ["方案.docx"]


def test_an_import_upload_is_judged_before_it_is_stored(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.admin)
    bomb = client.post(
        reverse("import-list"), {"kind": "enterprises", "file": SimpleUploadedFile("名册.xlsx", samples.xlsx_bomb())}
    )
    assert "“名册.xlsx”解压后将达到172MB，超过上限50MB" in bomb.content.decode()
    zipped = client.post(
        reverse("import-list"), {"kind": "enterprises", "file": SimpleUploadedFile("名册.xlsx", samples.plain_zip())}
    )
    assert "不是真正的Excel工作簿" in zipped.content.decode()
    settings.ZOUFANG_IMPORT_MAX_BYTES = 1024 * 1024
    large = client.post(
        reverse("import-list"), {"kind": "units", "file": SimpleUploadedFile("名册.csv", b"a,b\n" * 300_000)}
    )
    assert "每个文件不能超过1MB" in large.content.decode()
    assert ImportJob.objects.count() == 0 and not any(tmp_path.rglob("*.*"))


def test_official_created_moved_deactivated_and_sets_a_password(client, world):
    client.force_login(world.admin)
    form = {
        "username": "newbie",
        "name": "新干部",
        "unit": world.unit_a.pk,
        "role": "official",
        "rank": "staff",
        "phone": "13900000000",
        "email": "",
        "is_active": "on",
    }
    response = client.post(reverse("official-create"), form)
    newbie = Official.objects.get(username="newbie")
    assert response["Location"] == reverse("official-edit", args=[newbie.pk])
    assert not newbie.has_usable_password()
    page = client.post(reverse("official-edit", args=[newbie.pk]), {"reset": "1"}).content.decode()
    link = page.split('id="reset-link" value="')[1].split('"')[0]
    client.logout()
    confirm = client.get(link, follow=True)
    set_url = confirm.redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "a-long-new-password-7", "new_password2": "a-long-new-password-7"})
    newbie.refresh_from_db()
    assert newbie.check_password("a-long-new-password-7")
    assert client.get(link, follow=True).context["validlink"] is False  # one time only
    client.force_login(world.admin)
    client.post(reverse("official-edit", args=[newbie.pk]), {**form, "unit": world.unit_a2.pk, "is_active": ""})
    newbie.refresh_from_db()
    assert newbie.unit == world.unit_a2 and not newbie.is_active
    duplicate = client.post(reverse("official-create"), {**form, "username": "off_a"})
    assert "已被使用" in duplicate.content.decode()


def test_making_a_set_password_link_keeps_the_form_as_the_record_is(client, world):
    """The button sends no form: the page after it shows the official's own
    values (before, a blank form with 必填 errors and the rank at its first
    choice, which a save would have written)."""
    client.force_login(world.admin)
    official = world.official_a
    page = client.post(reverse("official-edit", args=[official.pk]), {"reset": "1"}).content.decode()
    assert 'id="reset-link"' in page
    assert "该字段是必填项" not in page and "This field is required" not in page
    assert f'value="{official.name}"' in page
    assert re.search(rf'<option value="{official.rank}" selected>', page)
    assert re.search(rf'<option value="{official.unit_id}" selected>', page)


def test_campaigns_one_current(client, world):
    client.force_login(world.admin)
    client.post(
        reverse("campaign-list"),
        {
            "name": "2027年行动",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "units_per_enterprise": "3",
            "visit_every_days": "90",
            "is_current": "on",
        },
    )
    assert list(Campaign.objects.filter(is_current=True).values_list("name", flat=True)) == ["2027年行动"]
    reversed_dates = client.post(
        reverse("campaign-list"),
        {
            "name": "反",
            "start_date": "2027-02-01",
            "end_date": "2027-01-01",
            "units_per_enterprise": "1",
            "visit_every_days": "30",
        },
    )
    assert "结束日期早于开始日期" in reversed_dates.content.decode()


def test_a_unit_sees_its_enterprises_and_partners(client, world):
    partner = OfficialFactory(unit=world.unit_a2, rank="deputy", phone="13712345678")
    world.assignment_a.units.filter(unit=world.unit_a2).update(contact=partner)
    client.force_login(world.official_a)
    page = client.get(reverse("our-enterprises")).content.decode()
    assert "甲企业" in page and "甲县商务局" in page and "13712345678" in page
    assert "乙企业" not in page


def test_a_checked_import_shows_each_changed_field_before_and_after_and_downloads_them_all(client, world):
    from enterprises import services

    header = "统一社会信用代码,企业名称,所在区划,行业门类,企业规模,重点企业\n"
    row = f"{world.enterprise_a.credit_code},甲企业（新名）,市/甲县/甲镇,金融业,大型,是\n"
    job = services.import_job_start(
        actor=world.admin, kind="enterprises", upload=SimpleUploadedFile("e.csv", (header + row).encode())
    )
    services.import_job_run(job.pk, "check")
    client.force_login(world.admin)
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    changes = page.split('id="changes"')[1]
    assert "企业名称：</span><del>甲企业</del> → <ins>甲企业（新名）</ins>" in changes
    assert "行业门类：</span><del>" in changes and "<ins>金融业</ins>" in changes
    sheet = load_workbook(io.BytesIO(b"".join(client.get(reverse("import-changes", args=[job.pk])).streaming_content)))
    rows = list(sheet.active.iter_rows(values_only=True))
    assert rows[0] == ("行", "识别字段", "导入结果", "变更内容")
    assert rows[1][0] == 2 and "企业名称：甲企业 → 甲企业（新名）" in rows[1][3]
