"""A supervisor dispatches, verifies and closes an issue an official
registered, and sees the dashboard's closure rate change."""

import pytest

from issues import services
from issues.models import Issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatch_verify_close_and_the_dashboard_moves(signed_in, live_server, live_world, screenshot):
    w = live_world
    issue = services.issue_register(
        actor=w.official_a, enterprise=w.enterprise_a, category="finance", title="贷款续贷难"
    )
    other = services.issue_register(actor=w.official_a, enterprise=w.enterprise_a, category="land", title="用地指标")

    sup = signed_in("sup_a")
    sup.goto(f"{live_server.url}/supervise/dashboard/")
    assert sup.inner_text("#fig-registered") == "2"
    assert sup.inner_text("#fig-closure-rate") == "0%"

    sup.goto(f"{live_server.url}/supervise/dispatch/")
    row = sup.locator(f"#dispatch-{issue.pk}")
    assert row.locator("select[name=assign-unit]").input_value() == str(w.unit_a.pk)  # the lead unit, suggested
    screenshot(sup, "dispatch-desk")
    row.locator("button[type=submit]").click()
    # The row answers in place (htmx): what was done, the rest of the desk as it was.
    done = sup.locator(f"#dispatch-{issue.pk}.border-success")
    done.wait_for()
    assert "已交由甲县经信局承办" in done.inner_text() and sup.locator(f"#dispatch-{other.pk} form").count() == 1
    issue.refresh_from_db()
    assert (issue.status, issue.responsible_unit_id) == ("assigned", w.unit_a.pk)

    # The unit's side (signing for and resolving) is the officials' pages, tested elsewhere.
    services.issue_accept(actor=w.official_a, issue_id=issue.pk)
    services.issue_resolve(actor=w.official_a, issue_id=issue.pk, outcome="solved", note="已协调银行续贷")

    sup.goto(f"{live_server.url}/supervise/verification/")
    card = sup.locator(f"#verify-{issue.pk}")
    call = card.locator("form[data-action-form=follow_up]")
    call.locator("select[name=follow_up-channel]").select_option("phone")
    call.locator("input[name=follow_up-contact], textarea[name=follow_up-contact]").fill("王经理")
    call.locator("select[name=follow_up-verdict]").select_option("satisfied")
    call.locator("textarea[name=follow_up-note]").fill("贷款已续贷。")
    call.locator("button[type=submit]").click()
    sup.wait_for_url(f"{live_server.url}/supervise/verification/")
    card.locator("form[data-action-form=close] button[type=submit]").click()
    sup.wait_for_url(f"{live_server.url}/supervise/verification/")
    issue.refresh_from_db()
    assert issue.status == "closed"

    sup.goto(f"{live_server.url}/supervise/dashboard/")
    assert sup.inner_text("#fig-closed") == "1"
    assert sup.inner_text("#fig-closure-rate") == "50%"  # one of two registered
    screenshot(sup, "dashboard")

    # The rate opens the issues it counts: the one closed, and the list says so.
    sup.click("#fig-closure-rate a")
    sup.wait_for_selector("#filters-in-force")
    assert sup.inner_text("h1 small") == "1"
    assert sup.locator("#issue-table tbody tr").count() == 1 and "贷款续贷难" in sup.inner_text("#issue-table")
    assert "已销号" in sup.inner_text("#filters-in-force")
    screenshot(sup, "dashboard-drill-down")
    # The week view's table opens the week's registrations.
    sup.goto(f"{live_server.url}/supervise/dashboard/?trend=week")
    sup.click("#trend-table-toggle")
    sup.locator("#trend-table a").first.click()
    sup.wait_for_selector("#filters-in-force")
    assert sup.inner_text("h1 small") == "2"
    assert Issue.objects.get(pk=other.pk).status == "registered"
