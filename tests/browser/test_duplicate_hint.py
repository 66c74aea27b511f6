"""An official on a phone records a visit whose issue repeats one the
enterprise raised before: the form asks first, naming the earlier issue;
linked, the earlier issue records that the enterprise raised it again and
no second issue is registered. Every page is checked as the walks check
theirs (tests/browser/walk.py)."""

import pytest

from enterprises.models import Official
from issues import services
from issues.models import Issue

from .conftest import PHONE
from .walk import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_issue_raised_again_is_linked_not_registered_twice(signed_in, live_server, live_world, screenshot):
    w = live_world
    earlier = services.issue_register(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        category="infrastructure",
        title="厂区经常停电",
        description="线路老化，每月停电两三次，影响生产。",
    )
    names = frozenset(Official.objects.values_list("username", flat=True))
    me = Walk(
        signed_in("off_a", viewport=PHONE), role="hint", origin=live_server.url, screenshot=screenshot, data=names
    )
    page = me.go(f"/visits/new/?enterprise={w.enterprise_a.pk}", "visit-form")
    page.check("text=摸情况")
    page.fill("#id_summary", "企业反映停电问题仍未解决。")
    page.click("#add-issue")
    page.select_option("#id_issues-0-category", "infrastructure")
    page.fill("#id_issues-0-title", "厂区又停电了")
    page.fill("#id_issues-0-description", "线路老化，上周又停电两次。")
    page.click("#save-visit")
    hint = page.locator("#issues-0-similar")
    hint.wait_for()
    me.step("asked", sent_back=True)
    assert earlier.number in hint.inner_text() and "反映过类似问题" in hint.inner_text()
    hint.locator(f"#issues-0-again-{earlier.pk}").check()
    page.click("#save-visit")
    page.wait_for_url("**/visits/*/")
    me.step("linked")
    assert Issue.objects.count() == 1
    assert earlier.events.filter(action="raised_again").count() == 1
    page = me.go(f"/issues/{earlier.pk}/", "issue")
    assert "企业再次反映" in page.inner_text("#timeline")
