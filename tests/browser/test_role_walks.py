"""Every role's day, walked in Chromium in Chinese: the official on a phone,
the supervisor and the administrator at a laptop's 1366×768. Each page on
the way is checked by `Walk.step` (tests/browser/walk.py): no script or
console error, no failed request, nothing scrolling sideways, no English,
no date broken over two lines, no serious axe-core violation."""

import datetime
import re

import pytest
from openpyxl import Workbook

from enterprises.models import HelpUnit, Official
from issues import bulletins
from issues.models import Issue
from visits import services as visit_services
from visits.models import Visit

from .. import samples
from .conftest import PHONE
from .test_phone import official_pages
from .walk import BROKEN_DATES, Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


# A page with one of each fault the walk looks for.
FAULTY = """<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8"><title>走访</title></head><body><main>
<h1>问题台账</h1><p>Nothing here</p>
<div style="width: 2000px">宽</div>
<div style="width: 40px">办结时限2026-11-24</div>
<input type="text">
<img src="/no-such-image.png" alt="图">
<script src="/cut-off.js"></script>
<script>console.error("坏了"); undefinedFunction();</script>
</main></body></html>"""


def test_the_walk_finds_each_fault(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.route(f"{live_server.url}/faulty/", lambda route: route.fulfill(body=FAULTY, content_type="text/html"))
    page.route(f"{live_server.url}/cut-off.js", lambda route: route.abort())
    me = Walk(page, role="test", origin=live_server.url, screenshot=lambda page, name: None)
    try:
        with pytest.raises(AssertionError) as failed:
            me.go("/faulty/", "faulty")
    finally:
        context.close()
    report = str(failed.value)
    for fault in (
        f"console: 坏了 at {live_server.url}/faulty/:7",
        "script error: undefinedFunction is not defined",
        "404: GET " + live_server.url + "/no-such-image.png",
        f"request failed: GET {live_server.url}/cut-off.js",
        "scrolls sideways: div",
        "English: 'Nothing here'",
        "date on two lines: 2026-11-24 in div",
        "axe label (critical, 1 nodes): ['input']",
    ):
        assert fault in report, report


def walk(page, role, live_server, screenshot):
    names = frozenset(Official.objects.values_list("username", flat=True))
    return Walk(page, role=role, origin=live_server.url, screenshot=screenshot, data=names)


def test_the_officials_day_on_a_phone(signed_in, live_server, live_world, screenshot):
    w = live_world
    me = walk(signed_in("off_a", viewport=PHONE), "official", live_server, screenshot)
    page = me.go("/", "my-work")
    assert "甲企业" in page.inner_text("#my-enterprises")
    page.click(".navbar-toggler")
    page.wait_for_selector("#nav.show")
    me.step("menu")

    page = me.go(f"/visits/new/?enterprise={w.enterprise_a.pk}", "visit-form")
    page.check("text=摸情况")
    page.fill("#participant-search", "商务")
    page.locator("[data-participant-id]", has_text=w.official_a2.name).click()
    # The chip names the colleague's unit in the language's brackets, as the server writes them.
    assert page.inner_text(f"#participant-chips [data-chip='{w.official_a2.pk}']").strip() == (
        f"{w.official_a2.name}（甲县商务局）\n×"
    )
    page.fill("#id_summary", "企业订单饱满，招工难，资金周转紧张。")
    taken = f"{datetime.date.today():%Y:%m:%d} 09:30:00"
    page.set_input_files(
        "#id_files", files=[{"name": "车间.jpg", "mimeType": "image/jpeg", "buffer": samples.photo(taken=taken)}]
    )
    page.click("#add-issue")
    page.select_option("#id_issues-0-category", "finance")
    page.fill("#id_issues-0-title", "流动资金紧张，希望协调续贷")
    me.step("visit-form-filled")

    page.click("#save-visit")
    page.wait_for_url("**/visits/*/")
    visit = Visit.objects.get()
    issue = Issue.objects.get(visit=visit)
    assert "走访已登记，挂号问题1个" in page.inner_text("main")
    # The photo says when and where the phone took it.
    assert f"拍摄于 {datetime.date.today():%Y-%m-%d} 09:30" in page.inner_text("main")
    assert "31.23039, 121.47369" in page.inner_text("main")
    me.step("visit")

    # A correction, with its reason, kept before and after in the visit's history.
    page.click("#correct-visit")
    page.wait_for_url(f"**/visits/{visit.pk}/correct/")
    page.fill("#id_summary", "企业订单饱满，技术工人招工难，流动资金周转紧张。")
    page.fill("#id_reason", "补充纪要内容")
    me.step("visit-correct")
    page.click("#save-correction")
    page.wait_for_url(f"**/visits/{visit.pk}/")
    assert "补充纪要内容" in page.inner_text("#visit-history")
    me.step("visit-corrected")

    page.click(f"a[href='/issues/{issue.pk}/']")
    page.wait_for_url(f"**/issues/{issue.pk}/")
    assert issue.number in page.inner_text("main")
    me.step("issue")

    me.go(f"/enterprises/{w.enterprise_a.pk}/", "enterprise")
    page = me.go("/issues/", "issues")
    assert issue.number in page.inner_text("main")
    me.go("/issues/inbox/", "inbox")
    me.go("/accounts/preferences/", "preferences")

    # A visit typed twice is withdrawn, with its reason; it leaves the visit list.
    twice = visit_services.visit_record(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=datetime.date.today(),
        form="onsite",
        purposes=["situation"],
        summary="企业订单饱满，招工难，资金周转紧张。",
    )
    page = me.go(f"/visits/{twice.pk}/", "visit-twice")
    page.click("#withdraw-visit summary")
    page.fill("#id_reason", "重复录入")
    page.click("#withdraw-visit button[type=submit]")
    page.wait_for_selector("#withdrawn")
    assert "重复录入" in page.inner_text("#withdrawn")
    me.step("visit-withdrawn")
    page = me.go("/visits/", "visits")
    assert f"/visits/{twice.pk}/" not in page.content() and f"/visits/{visit.pk}/" in page.content()


@pytest.fixture
def supervisors_ledger(live_world, make_issue):
    """Issues in every supervisor's queue, and this month's bulletin."""
    w = live_world
    waiting = make_issue("registered")
    make_issue("registered", category="land")
    make_issue("resolved")
    make_issue("in_progress", extra=("request_extension",))
    make_issue("in_progress", category="land", extra=("escalate",))
    make_issue("closed")
    start, end = bulletins.month_of(datetime.date.today())
    bulletin = bulletins.bulletin_make(actor=w.supervisor_a, region=w.county_a, start=start, end=end)
    return waiting, bulletin


def test_the_supervisors_day(signed_in, live_server, live_world, screenshot, supervisors_ledger):
    waiting, bulletin = supervisors_ledger
    me = walk(signed_in("sup_a", viewport=LAPTOP), "supervisor", live_server, screenshot)
    page = me.go("/", "home")
    assert page.get_attribute("#queue-dispatch [data-count]", "data-count") == "2"

    page = me.go("/supervise/dispatch/", "dispatch")
    row = page.locator(f"#dispatch-{waiting.pk}")
    # A unit outside the team: the row lists its team; every other unit joins when it is opened.
    other = live_world.unit_a4
    select = row.locator("select[name=assign-unit]")
    assert select.locator(f"option[value='{other.pk}']").count() == 0
    select.focus()
    select.select_option(str(other.pk))
    row.get_by_role("button", name="交办", exact=True).click()  # not the duplicate hint's merge
    page.locator(f"#dispatch-{waiting.pk}.border-success").wait_for()  # answered in place
    me.step("dispatch-done")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.responsible_unit_id) == ("assigned", other.pk)

    page.click(f"#dispatch-{waiting.pk} a[href='/issues/{waiting.pk}/']")
    page.wait_for_url(f"**/issues/{waiting.pk}/")
    me.step("issue")

    page = me.go("/supervise/verification/", "verification")
    assert page.locator("[id^=verify-]").count() == 1
    page = me.go("/supervise/extensions/", "extensions")
    assert page.locator(".extension-row").count() == 1
    me.go("/supervise/escalations/", "escalations")
    page = me.go("/supervise/dashboard/", "dashboard")
    assert page.inner_text("#fig-registered") == "6"
    # A rate's counts in the language's brackets: 100%（1 / 1）.
    assert re.search(r"\d+%（\d+ / \d+）", page.inner_text("#fig-follow-up-rate"))
    assert not re.search(r"[()]", page.inner_text("#more-figures") + page.inner_text("#visit-figures"))
    page = me.go("/supervise/bulletins/", "bulletins")
    page.click(f"a[href='/supervise/bulletins/{bulletin.pk}/']")
    page.wait_for_url(f"**/supervise/bulletins/{bulletin.pk}/")
    me.step("bulletin")

    page = me.go("/issues/?status=registered&status=assigned&category=finance", "issues-filtered")
    assert page.inner_text("h1 small") == "1"
    export = page.request.get(live_server.url + page.get_attribute("#export", "href"))
    assert export.status == 200
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_the_administrators_day(signed_in, live_server, live_world, screenshot, tmp_path, settings):
    from config.celery_app import app

    settings.MEDIA_ROOT = tmp_path / "media"
    app.conf.task_always_eager = True
    w = live_world
    me = walk(signed_in("admin1", viewport=LAPTOP), "admin", live_server, screenshot)
    try:
        page = me.go("/", "home")
        assert page.locator("#gaps #gap-teams").count() == 1

        me.go("/enterprises/", "enterprises")
        me.go("/manage/board/", "teams")
        me.go("/manage/officials/", "officials")
        me.go(f"/manage/officials/{w.official_a.pk}/", "official")

        book = Workbook()
        book.active.append(["单位名称", "所在区划", "单位类型", "一把手", "联系人", "联系电话"])
        book.active.append(["甲县科学技术局", "市/甲县", "职能部门", "王建国", "李明", "13700001111"])
        book.save(tmp_path / "单位.xlsx")
        page = me.go("/manage/imports/", "imports")
        page.select_option("#id_kind", "units")
        page.set_input_files("#id_file", str(tmp_path / "单位.xlsx"))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#job-status[data-status=checked]")
        me.step("import-checked")
        page.click("#apply")
        page.wait_for_selector("#job-status[data-status=applied]")
        me.step("import-applied")
        assert HelpUnit.objects.filter(name="甲县科学技术局", region=w.county_a).exists()

        me.go("/manage/plans/", "help-plans")
        me.go("/manage/campaigns/", "campaigns")
        page = me.go("/manage/audit/", "audit")
        assert "甲县科学技术局" in page.inner_text("main")
    finally:
        app.conf.task_always_eager = False


def test_no_date_breaks_over_two_lines_on_a_phone(signed_in, live_server, live_world, supervisors_ledger, make_issue):
    """A date (2026-11-24) is read whole: at 390 px none of the official's
    pages (and an issue signed for, with its dates and times) or the
    supervisor's desks shows one split over two lines."""
    signed_for = make_issue("in_progress")
    broken = {}
    official = signed_in("off_a", viewport=PHONE)
    for path in [*official_pages(live_world), f"/issues/{signed_for.pk}/"]:
        official.goto(live_server.url + path)
        broken[f"off_a {path}"] = official.evaluate(BROKEN_DATES)
    supervisor = signed_in("sup_a", viewport=PHONE)
    for path in (
        "/",
        "/supervise/dispatch/",
        "/supervise/verification/",
        "/supervise/extensions/",
        "/supervise/escalations/",
        "/issues/",
    ):
        supervisor.goto(live_server.url + path)
        broken[f"sup_a {path}"] = supervisor.evaluate(BROKEN_DATES)
    assert sum(len(dates) for dates in broken.values()) == 0, {path: d for path, d in broken.items() if d}
