"""The closure loop in the browser: an official resolves with evidence, the
帮扶办 calls the enterprise back (不满意), the issue returns to the unit, is
resolved again, a second call (满意) and 销号; the dashboard's 回访率 and
satisfaction move with it."""

import pytest

from issues import services
from issues.models import FollowUp, IssueAttachment

from ..samples import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def resolve_on_the_page(page, live_server, issue, note, tmp_path=None):
    page.goto(f"{live_server.url}/issues/{issue.pk}/")
    form = page.locator("form[data-action-form=resolve]")
    form.locator("select[name=resolve-outcome]").select_option("solved")
    form.locator("textarea[name=resolve-note]").fill(note)
    if tmp_path is not None:
        photo = tmp_path / "放款现场.png"
        photo.write_bytes(PNG)
        form.locator("input[name=resolve-files]").set_input_files(str(photo))
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/issues/{issue.pk}/")
    assert "已完成" in page.inner_text(".alert-success")


def call_back(sup, live_server, issue, verdict, words, rework=False):
    sup.goto(f"{live_server.url}/supervise/verification/")
    form = sup.locator(f"#verify-{issue.pk} form[data-action-form=follow_up]")
    assert form.locator("select[name=follow_up-verdict]").input_value() == ""  # no verdict pre-set
    form.locator("select[name=follow_up-channel]").select_option("phone")
    form.locator("textarea[name=follow_up-contact]").fill("王经理(财务总监)")
    form.locator("select[name=follow_up-verdict]").select_option(verdict)
    form.locator("textarea[name=follow_up-note]").fill(words)
    if rework:
        form.locator("input[name=follow_up-caused_by_handling]").check()
    form.locator("button[type=submit]").click()
    sup.wait_for_url(f"{live_server.url}/supervise/verification/")


def figures(sup, live_server):
    sup.goto(f"{live_server.url}/supervise/dashboard/")
    return (
        sup.inner_text("#fig-follow-up-rate strong"),
        sup.inner_text("#fig-satisfaction-rate strong"),
    )


def test_resolve_with_evidence_call_back_unsatisfied_rework_call_again_and_close(
    signed_in, live_server, live_world, screenshot, tmp_path
):
    w = live_world
    w.enterprise_a.contact_name, w.enterprise_a.contact_phone = "王经理", "13812345678"
    w.enterprise_a.save()
    issue = services.issue_register(actor=w.official_a, enterprise=w.enterprise_a, category="finance", title="贷款难")
    services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=w.unit_a)
    services.issue_accept(actor=w.official_a, issue_id=issue.pk)

    sup = signed_in("sup_a")
    assert figures(sup, live_server) == ("—", "—")  # nothing resolved yet

    official = signed_in("off_a")
    resolve_on_the_page(official, live_server, issue, "已协调农商行,放款300万元", tmp_path)
    evidence = IssueAttachment.objects.get(issue=issue)
    assert evidence.name == "放款现场.png" and evidence.kind == "photo"
    assert figures(sup, live_server)[0] == "—"  # resolved today: the call is not due until tomorrow

    # The desk shows what the closure rests on: the explanation, the evidence, the contact.
    sup.goto(f"{live_server.url}/supervise/verification/")
    card = sup.locator(f"#verify-{issue.pk}")
    text = card.inner_text()
    for shown in ("已协调农商行,放款300万元", "放款现场.png", "王经理", "13812345678"):
        assert shown in text, shown
    screenshot(sup, "verification-desk-evidence")
    call_back(sup, live_server, issue, "unsatisfied", "实际只放款100万元", rework=True)
    issue.refresh_from_db()
    assert issue.status == "in_progress"  # back to the unit
    assert sup.locator(f"#verify-{issue.pk}").count() == 0

    official.goto(f"{live_server.url}/issues/{issue.pk}/")
    assert "实际只放款100万元" in official.inner_text("#timeline")
    resolve_on_the_page(official, live_server, issue, "剩余200万元已放款")
    issue.refresh_from_db()
    assert issue.status == "resolved"

    call_back(sup, live_server, issue, "satisfied", "资金已全部到位")
    sup.locator(f"#verify-{issue.pk} form[data-action-form=close] button[type=submit]").click()
    sup.wait_for_url(f"{live_server.url}/supervise/verification/")
    issue.refresh_from_db()
    assert (issue.status, issue.satisfaction) == ("closed", "satisfied")
    assert list(FollowUp.objects.filter(issue=issue).values_list("round", "verdict")) == [
        (1, "unsatisfied"),
        (2, "satisfied"),
    ]
    assert figures(sup, live_server) == ("100%", "100%")  # called back 1 / 1, satisfied 1 / 1
    screenshot(sup, "dashboard-after-closure-loop")

    sup.goto(f"{live_server.url}/issues/{issue.pk}/")
    history = sup.inner_text("#timeline")
    assert history.count("回访") >= 2 and "放款现场.png" in history
