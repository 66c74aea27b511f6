"""The phone pages at 390 px: every control a finger taps is at least 44 px
tall — buttons, fields, drop-downs, the nav's toggler and brand, a tick with
its label (the .form-check row), a chip's ×. Links inside text are exempt."""

import pytest

from core import clock
from issues import intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAPPED = (
    "main button, main .btn, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
    "main select, main textarea, main .form-check, nav .navbar-toggler, nav .navbar-brand"
)


def test_every_control_on_a_phone_page_is_a_finger_tall(signed_in, live_server, live_world):
    w = live_world
    visit = intake.visit_record_with_issues(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=clock.today(),
        form="onsite",
        purposes=["situation"],
        summary="了解情况",
        issues=[intake.RaisedIssue(category="finance", title="融资难")],
    )
    issue = visit.issues.get()
    page = signed_in("off_a", viewport={"width": 390, "height": 800})
    small = {}
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
