"""An official logs a visit with two issues on a phone, a colleague works one
of them through to resolved, and the timeline shows every step."""

import datetime

import pytest

from issues import services
from issues.models import Issue
from visits.models import Visit

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_a_wrong_password(browser, live_server, live_world, screenshot):
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "off_a")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("#login-error")
    assert page.input_value("#id_username") == "off_a"
    screenshot(page, "sign-in-error")
    page.close()


def test_visit_with_two_issues_then_a_colleague_works_one(signed_in, live_server, live_world, screenshot):
    w = live_world
    page = signed_in("off_a", viewport=PHONE)
    page.click("text=甲企业")
    page.locator("a.btn", has_text="走访登记").first.click()
    assert page.locator("#id_enterprise").input_value() == str(w.enterprise_a.pk)
    page.check("text=摸情况")
    page.check("text=宣讲政策")
    page.fill("#participant-search", "商务")
    page.locator("[data-participant-id]", has_text=w.official_a2.name).click()
    page.fill("#id_summary", "企业订单饱满,招工难,资金周转紧张。")
    page.fill("#id_headcount", "320")
    page.click("#add-issue")
    page.select_option("#id_issues-0-category", "people")
    page.fill("#id_issues-0-title", "技术工人招工难")
    page.fill("#id_issues-0-request", "组织专场招聘会")
    page.click("#add-issue")
    page.select_option("#id_issues-1-category", "finance")
    page.fill("#id_issues-1-title", "流动资金紧张")
    screenshot(page, "visit-form-phone")
    page.click("#save-visit")
    page.wait_for_url("**/visits/*/")
    assert "走访已登记，挂号问题2个" in page.inner_text("main")
    visit = Visit.objects.get()
    assert set(visit.participant_rows.values_list("official__username", flat=True)) == {"off_a", "off_a_partner"}
    issues = {issue.title: issue for issue in Issue.objects.filter(visit=visit)}
    assert set(issues) == {"技术工人招工难", "流动资金紧张"}

    page.goto(f"{live_server.url}/")
    waiting = page.inner_text("#registered")
    assert "技术工人招工难" in waiting and "流动资金紧张" in waiting
    assert "甲企业" in page.inner_text("#recent-visits")
    screenshot(page, "my-work-phone")

    # The supervisor's dispatch desk is another issue's page; assign here.
    issue = issues["流动资金紧张"]
    services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=w.unit_a, co_units=[w.unit_a2])

    colleague = signed_in("off_a2")
    assert issue.number in colleague.inner_text("#to-sign")
    screenshot(colleague, "my-work-desktop")
    colleague.click(f"text={issue.number}")
    colleague.click("form[data-action-form=accept] button[type=submit]")
    assert "已完成：签收" in colleague.inner_text("main")
    colleague.fill("#id_feedback-note", "已对接县农商行,正在办理续贷。")
    colleague.click("form[data-action-form=feedback] button[type=submit]")
    issue.refresh_from_db()
    new_date = (issue.due_date + datetime.timedelta(days=14)).isoformat()
    colleague.fill("#id_request_extension-new_due_date", new_date)
    colleague.fill("#id_request_extension-reason", "需报县金融办审批。")
    colleague.click("form[data-action-form=request_extension] button[type=submit]")
    assert "延期待审批" in colleague.inner_text("main")
    colleague.select_option("#id_resolve-outcome", "solved")
    colleague.click("form[data-action-form=resolve] button[type=submit]")
    assert "请填写说明" in colleague.inner_text("main")  # every outcome is explained
    colleague.select_option("#id_resolve-outcome", "solved")
    colleague.fill("#id_resolve-note", "农商行已续贷300万元。")
    colleague.click("form[data-action-form=resolve] button[type=submit]")
    assert "已完成：办结" in colleague.inner_text("main")
    timeline = colleague.inner_text("#timeline")
    for step in ("挂号", "交办", "签收", "反馈", "申请延期", "办结", "已对接县农商行"):
        assert step in timeline, step
    assert [e for e in colleague.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.action)")] == [
        "register",
        "assign",
        "accept",
        "feedback",
        "request_extension",
        "resolve",
    ]
    screenshot(colleague, "issue-page")
    issue.refresh_from_db()
    assert issue.status == "resolved"


def test_a_wrong_value_keeps_everything_typed(signed_in, live_server, live_world, screenshot):
    page = signed_in("off_a", viewport=PHONE)
    page.goto(f"{live_server.url}/visits/new/?enterprise={live_world.enterprise_a.pk}")
    page.fill("#id_date", "2099-01-01")
    page.check("text=推项目")
    page.fill("#id_summary", "座谈了解项目进展。")
    page.fill("#id_order_book", "订单排到明年三月")
    page.click("#add-issue")
    page.select_option("#id_issues-0-category", "land")
    page.fill("#id_issues-0-title", "新厂房用地指标不足")
    page.click("#add-issue")
    page.select_option("#id_issues-1-category", "approvals")  # title left empty: half typed
    page.click("#save-visit")
    assert "其余已填写的内容都已保留" in page.inner_text("#form-errors")
    assert "晚于今天" in page.inner_text("main")
    assert page.input_value("#id_summary") == "座谈了解项目进展。"
    assert page.input_value("#id_order_book") == "订单排到明年三月"
    assert page.input_value("#id_issues-0-title") == "新厂房用地指标不足"
    assert page.input_value("#id_issues-1-category") == "approvals"
    assert page.is_checked("text=推项目")
    screenshot(page, "visit-form-errors-phone")
    assert Visit.objects.count() == 0
    # Fix the two mistakes and save: nothing has to be typed again.
    page.fill("#id_date", datetime.date.today().isoformat())
    page.fill("#id_issues-1-title", "环评审批进度慢")
    page.click("#save-visit")
    page.wait_for_url("**/visits/*/")
    assert Issue.objects.count() == 2
