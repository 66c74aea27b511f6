"""An admin imports the enterprise roster and the pairing table, fixes a gap
on the board, and a unit official then finds the enterprise and its partners."""

import pytest
from openpyxl import Workbook

from enterprises.models import Assignment, Enterprise

from ..factories import OfficialFactory, make_credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_celery():
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def workbook(path, headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def upload(page, live_server, kind, path):
    page.goto(f"{live_server.url}/manage/imports/")
    page.select_option("#id_kind", kind)
    page.set_input_files("#id_file", path)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#job-status[data-status=checked]")
    assert page.inner_text("#counts")
    page.click("#apply")
    page.wait_for_selector("#job-status[data-status=applied]")


def test_import_roster_and_pairing_then_fix_the_board(
    signed_in, live_server, live_world, eager_celery, tmp_path, screenshot, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = live_world
    deputy = OfficialFactory(
        username="jxj_deputy", name="经信副局长", unit=w.unit_a, rank="deputy", phone="13655556666"
    )
    codes = [make_credit_code(), make_credit_code()]
    roster = workbook(
        tmp_path / "名册.xlsx",
        ["统一社会信用代码", "企业名称", "所在区划", "行业门类", "企业规模", "重点企业"],
        [
            [codes[0], "青山精密机械有限公司", "市/甲县/甲镇", "C", "中型", "是"],
            [codes[1], "绿水食品有限公司", "市/甲县/甲镇", "制造业", "小型", "是"],
        ],
    )
    pairing = workbook(
        tmp_path / "结对表.xlsx",
        ["统一社会信用代码", "企业名称", "县级领导", "帮扶单位", "是否牵头", "第一责任人", "具体联系人"],
        [
            [codes[0], "青山精密机械有限公司", "leader", "甲县经信局", "是", "off_a", ""],
            [codes[0], "青山精密机械有限公司", "leader", "甲县商务局", "否", "", "off_a_partner"],
        ],
    )
    admin = signed_in("admin1")
    upload(admin, live_server, "enterprises", roster)
    assert Enterprise.objects.filter(credit_code__in=codes).count() == 2
    screenshot(admin, "import-applied")
    upload(admin, live_server, "assignments", pairing)
    enterprise = Enterprise.objects.get(credit_code=codes[0])
    team = Assignment.objects.get(campaign=w.campaign, enterprise=enterprise)
    assert team.units.count() == 2

    admin.goto(f"{live_server.url}/manage/board/?gaps=1&q=青山")
    row = admin.locator(f"#row-{enterprise.pk}")
    assert "2个单位（共3个）" in row.inner_text() and "未明确具体联系人" in row.inner_text()
    row.locator("select[name=unit]").select_option(str(w.unit_a3.pk))
    row.locator("button", has_text="添加").click()
    admin.wait_for_selector(f"#row-{enterprise.pk} tr[data-unit='{w.unit_a3.pk}']")
    row = admin.locator(f"#row-{enterprise.pk}")
    row.locator(f"tr[data-unit='{w.unit_a.pk}'] select[name=contact]").select_option(str(deputy.pk))
    # The row comes back redrawn with the contact named; 水务局 has no
    # officials yet, so its contact is the one gap left.
    admin.wait_for_selector(f"#row-{enterprise.pk} tr[data-unit='{w.unit_a.pk}'] select[name=contact]:not(.is-invalid)")
    assert admin.get_attribute(f"#row-{enterprise.pk}", "data-gaps") == "1"
    screenshot(admin, "assignment-board")
    rows = {u.unit_id: u for u in team.units.all()}
    assert set(rows) == {w.unit_a.pk, w.unit_a2.pk, w.unit_a3.pk}
    assert rows[w.unit_a.pk].contact == deputy and rows[w.unit_a.pk].is_lead

    official = signed_in("off_a")
    assert "青山精密机械有限公司" in official.inner_text("#my-enterprises")
    official.goto(f"{live_server.url}/enterprises/ours/")
    card = official.locator(".partner-card", has_text="青山精密机械有限公司")
    text = card.inner_text()
    assert "甲县商务局" in text and "甲县水务局" in text and "13655556666" in text
    screenshot(official, "our-enterprises")
