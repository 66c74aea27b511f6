"""The phone pages an official uses, at phone widths: nothing scrolls
sideways at 360 or 390 px, and at 390 px every control a finger taps is at
least 44 px tall — buttons, fields, drop-downs, the nav's toggler and brand,
a tick with its label (the .form-check row), a chip's ×. Links inside text
are exempt. The sign-in page is measured signed out."""

import pytest

from core import clock
from issues import intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 390)
TAPPED = (
    "main button, main .btn, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
    "main select, main textarea, main .form-check, nav .navbar-toggler, nav .navbar-brand"
)


def official_pages(w) -> list[str]:
    """The pages an official opens on a phone, with a visit and an issue of
    long Chinese text to fill them."""
    visit = intake.visit_record_with_issues(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=clock.today(),
        form="onsite",
        purposes=["situation"],
        summary="了解生产经营情况，企业订单饱满，用工紧张，希望协调技术工人招聘和流动资金贷款续贷。",
        issues=[intake.RaisedIssue(category="finance", title="流动资金紧张，贷款续贷困难，希望协调续贷和转贷资金")],
    )
    return [
        "/",
        "/visits/new/",
        f"/visits/{visit.pk}/",
        f"/issues/{visit.issues.get().pk}/",
        "/issues/",
        f"/enterprises/{w.enterprise_a.pk}/",
        "/enterprises/",
        "/visits/",
        "/issues/inbox/",
        "/accounts/preferences/",
    ]


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
    paths = official_pages(live_world)
    viewport = {"width": width, "height": 800}
    anonymous = browser.new_context(viewport=viewport, locale="zh-CN", has_touch=True).new_page()
    anonymous.goto(f"{live_server.url}/accounts/login/")
    found = {"/accounts/login/": _overflow(anonymous)}
    anonymous.context.close()
    page = signed_in("off_a", viewport=viewport)
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        found[path] = _overflow(page)
    assert not {path: wide for path, wide in found.items() if wide}


def test_every_control_on_a_phone_page_is_a_finger_tall(signed_in, live_server, live_world):
    paths = official_pages(live_world)
    page = signed_in("off_a", viewport={"width": 390, "height": 800})
    small = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        found = page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                 .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
                 .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} `
                           + `${Math.round(e.getBoundingClientRect().height)}px `
                           + (e.innerText || e.name || '').slice(0, 12))""",
            TAPPED,
        )
        if found:
            small[path] = found
    assert not small
