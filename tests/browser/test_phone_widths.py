"""The phone pages at 360 and 390 px: nothing scrolls sideways. Each page is
measured as an official sees it (the visit form, an issue, an enterprise,
the lists, the preferences) and signed out (the sign-in page)."""

import pytest

from core import clock
from issues import intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 390)


def _overflow(page) -> list[str]:
    """The elements wider than the viewport, by tag, id and class: empty when
    nothing scrolls sideways."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5 && getComputedStyle(e).position !== 'fixed')
            .slice(0, 8)
            .map(e => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')}`
                      + ` right=${Math.round(e.getBoundingClientRect().right)}`);
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_no_phone_page_scrolls_sideways(browser, signed_in, live_server, live_world, width):
    w = live_world
    visit = intake.visit_record_with_issues(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=clock.today(),
        form="onsite",
        purposes=["situation"],
        summary="了解生产经营情况，企业订单饱满，用工紧张，希望协调技术工人招聘和流动资金贷款续贷。",
        issues=[intake.RaisedIssue(category="finance", title="流动资金紧张，贷款续贷困难，希望协调续贷和转贷资金")],
    )
    issue = visit.issues.get()
    viewport = {"width": width, "height": 800}
    anonymous = browser.new_context(viewport=viewport, locale="zh-CN", has_touch=True).new_page()
    anonymous.goto(f"{live_server.url}/accounts/login/")
    found = {"/accounts/login/": _overflow(anonymous)}
    anonymous.context.close()
    page = signed_in("off_a", viewport=viewport)
    for path in (
        "/",
        "/visits/new/",
        f"/visits/{visit.pk}/",
        f"/issues/{issue.pk}/",
        "/issues/",
        f"/enterprises/{w.enterprise_a.pk}/",
        "/enterprises/",
        "/visits/",
        "/issues/inbox/",
        "/accounts/preferences/",
    ):
        page.goto(f"{live_server.url}{path}")
        found[path] = _overflow(page)
    assert not {path: wide for path, wide in found.items() if wide}
