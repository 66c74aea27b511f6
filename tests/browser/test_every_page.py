"""Every page of the site in Chromium, as the role it is for would open it
(the official at 390 px on a phone, the supervisor and the administrator at
1366 px), each checked as the role walks check theirs (tests/browser/walk.py):
no console or script error, no failed request, nothing scrolling sideways,
no English, no date on two lines, and no axe-core violation of critical or
serious impact. The pages are the Chinese pages test's (every HTML page the
URL configuration serves, filled from the permission matrix's world)."""

import datetime

import pytest
from django.utils import timezone

from core import clock
from enterprises.models import Official

from ..conftest import TODAY, build_full_world
from ..test_permission_matrix import Matrix, _admin_rows
from ..web.test_chinese_pages import PAGES, _roles
from .conftest import PHONE
from .walk import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
# Who opens a page, and on what: the first of its roles in this order.
OPENERS = (("official_a", "off_a", PHONE), ("supervisor_a", "sup_a", LAPTOP), ("admin", "admin1", LAPTOP))


@pytest.fixture
def full_world(transactional_db):
    with clock.frozen_at(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 0)))):
        w = build_full_world()
        _admin_rows(w)
    return Matrix(w)


def _plan(m) -> dict[str, list[tuple[str, str]]]:
    """Each role's pages: (url, name), every page opened by one role."""
    plan: dict[str, list[tuple[str, str]]] = {role: [] for role, _u, _v in OPENERS}
    for template, case in PAGES:
        roles = _roles(case)
        role = next((role for role, _u, _v in OPENERS if role in roles), None)
        if role is None:  # a public page: the official opens it signed in
            role = "official_a"
        obj = m.obj(case.family, "A") if case.family else None
        url = template.format(**{**(case.args(m, obj) if case.args else {}), **case.variants[0]})
        plan[role].append((url, template.strip("/").replace("/", "-").replace("{", "").replace("}", "") or "home"))
    return plan


def test_every_page_as_the_role_it_is_for(browser, live_server, full_world, screenshot):
    m = full_world
    names = frozenset(Official.objects.values_list("username", flat=True))
    plan = _plan(m)
    assert sum(len(pages) for pages in plan.values()) == len(PAGES) >= 40
    for role, username, viewport in OPENERS:
        context = browser.new_context(viewport=viewport, locale="zh-CN", has_touch=viewport == PHONE)
        try:
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "pw-for-tests")
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert page.url == f"{live_server.url}/", f"{username} did not sign in: {page.inner_text('main')[:300]}"
            me = Walk(page, role=f"every-{role}", origin=live_server.url, screenshot=screenshot, data=names)
            for url, name in plan[role]:
                if url.startswith("/accounts/reset/") or url == "/accounts/login/":
                    continue  # for someone signed out (the Chinese pages test reads them)
                if "<html" not in page.request.get(live_server.url + url).text():
                    continue  # a fragment htmx puts into a page (the colleague search)
                me.go(url, name)
        finally:
            context.close()
