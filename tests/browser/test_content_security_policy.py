"""Every page type, as each role, under the content security policy: the
browser reports no violation (no inline script, handler or style, nothing
from elsewhere), and what replaced the inline code still works (the charts
and their tooltips, the language switch, the print button, the import
progress bar, htmx swaps, the API docs and the Django admin)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enterprises import services as enterprise_services
from enterprises.models import Official
from issues import bulletins
from issues.intake import RaisedIssue, visit_record_with_issues
from visits.services import Snapshot

from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright injects it outside the page's
# policy) and keeps every violation the page reports.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(
    e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber
  );
});
"""

COMMON = ["/", "/enterprises/", "/visits/", "/issues/", "/issues/inbox/", "/accounts/preferences/"]


class Watched:
    """A page whose violations (events and console messages) are collected per URL."""

    def __init__(self, page, base):
        self.page, self.base, self.found = page, base, {}
        self._console = []
        page.add_init_script(WATCH)
        page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            self._console.append(message.text)

    def visit(self, path, ready=None):
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers, path
        self.page.wait_for_load_state("networkidle")
        if ready:
            self.page.wait_for_selector(ready)
        self.collect(path)
        return self.page

    def collect(self, label):
        self.page.wait_for_timeout(100)  # violation events are queued as tasks
        seen = self.page.evaluate("window.__csp.splice(0)") + self._console
        self._console = []
        if seen:
            self.found.setdefault(label, []).extend(seen)


@pytest.fixture
def pages(live_server, live_world, make_issue, settings, tmp_path):
    from config.celery_app import app

    settings.MEDIA_ROOT = tmp_path / "media"
    w = live_world
    app.conf.task_always_eager = True
    today = datetime.date.today()
    visit = visit_record_with_issues(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=today,
        form="onsite",
        purposes=["situation"],
        summary="企业订单饱满。",
        snapshot=Snapshot(output_value=Decimal("1200"), revenue=Decimal("980"), headcount=310),  # 一企一档's bars
        issues=[RaisedIssue(category="people", title="招工难")],
    )
    issue = make_issue("in_progress", extra=("request_extension",))
    make_issue("registered")
    make_issue("resolved")
    make_issue("in_progress", extra=("escalate",))
    make_issue("closed")
    bulletin = bulletins.bulletin_make(
        actor=w.supervisor_a,
        region=w.county_a,
        start=today.replace(day=1),
        end=(today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1),
    )
    Official.objects.filter(pk=w.admin.pk).update(is_staff=True, is_superuser=True)
    roster = "统一社会信用代码,企业名称,所在区划,行业门类,企业规模\n123,坏代码企业,市/甲县/甲镇,C,小型\n".encode()
    job = enterprise_services.import_job_start(
        actor=w.admin, kind="enterprises", upload=SimpleUploadedFile("名册.csv", roster)
    )
    yield {"visit": visit, "issue": issue, "bulletin": bulletin, "job": job}
    app.conf.task_always_eager = False


def test_every_page_as_each_role_passes_the_policy(browser, signed_in, live_server, live_world, pages):
    w, base = live_world, live_server.url
    found = {}

    # Signed out: the sign-in page and a 404.
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    anonymous = Watched(context.new_page(), base)
    anonymous.visit("/accounts/login/")
    missing = anonymous.page.goto(base + "/no-such-page/")
    assert missing.status == 404
    anonymous.collect("/no-such-page/")
    found.update({f"anonymous {k}": v for k, v in anonymous.found.items()})
    context.close()

    issue, visit = pages["issue"], pages["visit"]
    official = Watched(signed_in("off_a"), base)
    for path in [
        *COMMON,
        f"/enterprises/{w.enterprise_a.pk}/",
        f"/enterprises/{w.enterprise_a.pk}/profile/",
        "/enterprises/ours/",
        "/enterprises/plan/",
        "/visits/person-times/",
        f"/visits/{visit.pk}/",
        f"/issues/{issue.pk}/",
    ]:
        official.visit(path)
    # The visit form: htmx swaps in the participant search, a script clones an issue form.
    page = official.visit("/visits/new/")
    page.fill("#participant-search", "商务")
    page.wait_for_selector("[data-participant-id]")
    page.click("#add-issue")
    page.wait_for_selector("#id_issues-0-title")
    official.collect("/visits/new/ (search, add an issue)")
    # The language switch sends its form without an inline handler.
    page = official.visit("/issues/")
    page.select_option("select.zf-lang", "en")
    page.wait_for_selector("html[lang=en]")
    page.select_option("select.zf-lang", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")
    official.collect("/issues/ (language switch)")
    found.update({f"official {k}": v for k, v in official.found.items()})

    supervisor = Watched(signed_in("sup_a"), base)
    for path in [
        *COMMON,
        "/supervise/dispatch/",
        "/supervise/verification/",
        "/supervise/extensions/",
        "/supervise/escalations/",
        "/supervise/bulletins/",
    ]:
        supervisor.visit(path)
    # The charts draw from the external script, and their tooltip's markers are classes.
    page = supervisor.visit("/supervise/dashboard/", ready="#trend-chart canvas")
    assert page.locator("#category-chart canvas").count() == 1
    box = page.locator("#trend-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#trend-chart .zf-marker")
    assert "已挂号" in page.inner_text("#trend-chart")
    supervisor.collect("/supervise/dashboard/ (tooltip)")
    # The bulletin's print button calls print() from the external script.
    page = supervisor.visit(f"/supervise/bulletins/{pages['bulletin'].pk}/")
    page.evaluate("window.print = function () { window.__printed = true; }")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") is True
    supervisor.collect("/supervise/bulletins/<pk>/ (print)")
    found.update({f"supervisor {k}": v for k, v in supervisor.found.items()})

    admin = Watched(signed_in("admin1"), base)
    for path in [
        *COMMON,
        "/manage/board/",
        "/manage/campaigns/",
        "/manage/plans/",
        "/manage/officials/",
        "/manage/officials/new/",
        f"/manage/officials/{w.official_a.pk}/",
        "/manage/imports/",
        "/admin/",
        "/admin/enterprises/official/",
        f"/admin/enterprises/official/{w.official_a.pk}/change/",
        "/admin/enterprises/official/add/",
        f"/admin/issues/issue/{issue.pk}/change/",
    ]:
        admin.visit(path)
    # The import page's progress bar takes its width from data-width, set by script.
    page = admin.visit(f"/manage/imports/{pages['job'].pk}/", ready="#job-status[data-status=checked]")
    bar = page.locator(".progress-bar")
    assert bar.evaluate("e => e.style.width") == bar.get_attribute("data-width") + "%" == "100%"
    # The API docs: Swagger UI from the sidecar, its start-up script fetched, not inline.
    page = admin.visit("/api/docs/", ready=".swagger-ui .info")
    assert "Zoufang API" in page.inner_text(".swagger-ui .info")
    found.update({f"admin {k}": v for k, v in admin.found.items()})

    assert found == {}

    # The watch sees a violation when there is one, and the policy blocks it.
    page = admin.visit("/")
    page.evaluate(
        """document.body.insertAdjacentHTML("beforeend",
          '<img src="/static/none.png" onerror="window.__ran = true"><div style="color: red"></div>')"""
    )
    page.wait_for_timeout(300)
    blocked = page.evaluate("window.__csp")
    assert any(line.startswith("script-src-attr") for line in blocked), blocked
    assert any(line.startswith("style-src-attr") for line in blocked), blocked
    assert page.evaluate("window.__ran") is None
