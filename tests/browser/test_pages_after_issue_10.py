"""The pages issue 10 touched, in a real browser at phone and desk width:
deadline marks on the issue list, issue page and My work, the bulletin's
summary that says when it was judged, the enterprise and visit lists (now
the desk's), and the sign-in page locked after repeated failures."""

import datetime

import pytest

from issues import bulletins, services
from issues.models import Issue

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_touched_pages_render_at_both_widths(
    browser, signed_in, live_server, live_world, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    w = live_world
    late = services.issue_register(
        actor=w.official_a, enterprise=w.enterprise_a, category="finance", title="贷款续贷难"
    )
    services.issue_assign(actor=w.supervisor_a, issue_id=late.pk, unit=w.unit_a)
    services.issue_accept(actor=w.official_a, issue_id=late.pk)
    Issue.objects.filter(pk=late.pk).update(due_date=datetime.date.today() - datetime.timedelta(days=14))

    official = signed_in("off_a", viewport=PHONE)
    assert official.locator(".list-group-item-danger").count() >= 1  # My work marks the late issue
    screenshot(official, "my-work-deadlines-phone")
    official.goto(f"{live_server.url}/issues/?overdue=true")
    assert official.locator("tr.table-danger").count() == 1
    screenshot(official, "issue-list-overdue-phone")
    official.goto(f"{live_server.url}/issues/{late.pk}/")
    assert official.locator(".badge.text-bg-danger").count() == 1  # overdue by n working days
    screenshot(official, "issue-page-overdue-phone")
    official.goto(f"{live_server.url}/enterprises/")
    assert official.locator("text=甲企业").count() >= 1
    screenshot(official, "enterprise-list-phone")
    official.goto(f"{live_server.url}/visits/")
    screenshot(official, "visit-list-phone")

    today = datetime.date.today()
    bulletin = bulletins.bulletin_make(
        actor=w.supervisor_a,
        region=w.county_a,
        start=today.replace(day=1),
        end=(today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1),
    )
    supervisor = signed_in("sup_a", viewport=DESKTOP)
    supervisor.goto(f"{live_server.url}/supervise/bulletins/{bulletin.pk}/")
    summary = supervisor.inner_text("#bulletin-overdue-summary")
    assert f"{today.year}年{today.month}月{today.day}日" in summary and "1个问题逾期" in summary
    assert supervisor.locator("#bulletin-overdue tbody tr").count() == 1
    screenshot(supervisor, "bulletin-running-month")

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.fill("#id_username", "off_b")
        page.fill("#id_password", "wrong")
        page.click("button[type=submit]")
    page.fill("#id_username", "off_b")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    assert page.locator("#login-locked").is_visible()
    screenshot(page, "sign-in-locked-phone")
    context.close()
