"""A 督办单 as the unit receives it: reached from the issue's history, under
the content security policy, printed by Chromium on one A4 page with its
number on one line."""

import datetime
import re

import pytest

from issues import reminders
from issues.models import Issue, SuperviseNotice

from ..factories import OfficialFactory
from .conftest import DESKTOP
from .test_content_security_policy import Watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_notice_prints_on_one_a4_page(browser, signed_in, live_server, live_world, make_issue, screenshot):
    w = live_world
    OfficialFactory(username="head_a", name="钱局长", unit=w.unit_a, rank="head")
    issue = make_issue("in_progress")
    Issue.objects.filter(pk=issue.pk).update(
        due_date=datetime.date(2026, 6, 5), request="请协调银行续贷，企业流动资金缺口约三百万元。"
    )
    reminders.sweep(datetime.date(2026, 6, 8))
    notice = SuperviseNotice.objects.get()

    page = signed_in("off_a", viewport=DESKTOP)
    watched = Watched(page, live_server.url)
    watched.visit(f"/issues/{issue.pk}/")
    page.click(f"a[data-notice='{notice.pk}']")
    page.wait_for_selector("#notice")
    watched.collect("the notice")
    assert not watched.found, watched.found
    assert page.inner_text("#notice-number") == "甲县〔2026〕督办第1号"
    assert "钱局长" in page.inner_text("#notice-cc")
    screenshot(page, "notice")

    page.emulate_media(media="print")
    number = page.locator("#notice-number")
    line = float(number.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert number.bounding_box()["height"] < 1.5 * line  # one line, not wrapped
    assert not page.locator("nav").is_visible() and not page.locator("[data-print]").is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
