import datetime

import pytest
from django.urls import reverse

from issues.models import IssueEvent


def act(client, issue, action, **fields):
    data = {f"{action}-{key}": value for key, value in fields.items()}
    return client.post(reverse("issue-action", args=[issue.pk, action]), data, follow=True)


def test_the_page_offers_exactly_the_allowed_actions(client, world, make_issue):
    issue = make_issue("assigned")
    client.force_login(world.official_a)
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    offered = {part.split('"')[0] for part in page.split('data-action-form="')[1:]}
    assert offered == {"accept", "return", "request_extension"}
    client.force_login(world.official_a2)  # co-handling unit: nothing until in progress
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    assert "data-action-form" not in page and "没有可办理的操作" in page


def test_unit_works_an_issue_through_the_pages(client, world, make_issue):
    issue = make_issue("assigned")
    client.force_login(world.official_a)
    assert "已完成：签收" in act(client, issue, "accept", version=issue.version).content.decode()
    act(client, issue, "feedback", note="已对接银行")
    response = act(client, issue, "request_extension", new_due_date="2026-07-31", reason="需审批")
    assert "延期待审批" in response.content.decode()
    act(client, issue, "resolve", outcome="partly_solved", note="部分解决")
    issue.refresh_from_db()
    assert issue.status == "resolved"
    actions = list(IssueEvent.objects.filter(issue=issue).values_list("action", flat=True))
    assert actions == ["register", "assign", "accept", "feedback", "request_extension", "resolve"]
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    for label in ("挂号", "交办", "签收", "反馈", "申请延期", "办结", "已对接银行"):
        assert label in page.split('id="timeline"')[1]


@pytest.mark.parametrize(
    "action, fields, message",
    [
        ("resolve", {"outcome": "unsolvable", "note": ""}, "请填写说明"),
        ("return", {"reason": "  "}, "请填写理由"),
        ("request_extension", {"new_due_date": "2026-06-01", "reason": "x"}, "必须晚于当前办结时限"),
        ("close", {"note": "x"}, "不能“销号”"),
    ],
)
def test_refusals_are_shown_and_change_nothing(client, world, make_issue, action, fields, message):
    issue = make_issue("in_progress" if action != "return" else "assigned")
    events = IssueEvent.objects.count()
    client.force_login(world.supervisor_a if action == "close" else world.official_a)
    page = act(client, issue, action, **fields).content.decode()
    assert message in page
    assert IssueEvent.objects.count() == events


def test_a_stale_page_gets_a_conflict_message(client, world, make_issue):
    issue = make_issue("assigned")
    seen = issue.version
    from issues import services

    services.issue_accept(actor=world.official_a_colleague, issue_id=issue.pk)
    client.force_login(world.official_a)
    page = act(client, issue, "request_extension", new_due_date="2026-07-31", reason="x", version=seen).content.decode()
    assert "已被他人修改" in page
    assert not issue.extensions.exists()


def test_actions_outside_scope_are_404(client, world, make_issue):
    issue = make_issue("assigned")
    client.force_login(world.official_b)
    assert client.post(reverse("issue-action", args=[issue.pk, "accept"])).status_code == 404
    client.force_login(world.official_a)
    assert client.post(reverse("issue-action", args=[issue.pk, "delete"])).status_code == 404
    assert client.get(reverse("issue-action", args=[issue.pk, "accept"])).status_code == 405


def test_issue_list_sorts_and_filters(client, world, make_issue):
    first = make_issue("in_progress", category="land")
    second = make_issue("in_progress", category="finance")
    client.force_login(world.supervisor_a)
    by_number = client.get(reverse("issue-list"), {"sort": "number"}).content.decode()
    assert by_number.index(first.number) < by_number.index(second.number)
    newest = client.get(reverse("issue-list"), {"sort": "-number"}).content.decode()
    assert newest.index(second.number) < newest.index(first.number)
    only_land = client.get(reverse("issue-list"), {"category": "land"}).content.decode()
    assert first.number in only_land and second.number not in only_land


def test_returning_an_issue_that_leaves_the_scope_lands_on_my_work(client, world, make_issue):
    from issues import services as issue_services

    issue = make_issue("registered")
    issue_services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=world.unit_a4)
    client.force_login(world.official_a4)
    response = client.post(reverse("issue-action", args=[issue.pk, "return"]), {"return-reason": "不属于本单位职责"})
    assert response.status_code == 302 and response["Location"] == reverse("my-work")
    issue.refresh_from_db()
    assert issue.status == "registered"


def test_preferences_refuse_a_bad_address_in_the_rules_words(client, world):
    client.force_login(world.official_a)
    response = client.post(reverse("preferences"), {"email": "a" * 300 + "@example.com"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    world.official_a.refresh_from_db()
    assert world.official_a.email == ""


LIST_REQUESTS = {
    "page 1": {},
    "a deep page": {"page": 3},
    "a unit and a state": {"unit": "unit_a2", "status": "in_progress"},
    "searched, page 2": {"q": "批量", "page": 2},
    "a category by deadline, page 2": {"category": "land", "sort": "due", "page": 2},
    "a region, sorted by enterprise": {"region": "town_a", "sort": "enterprise"},
}


@pytest.mark.parametrize("params", LIST_REQUESTS.values(), ids=LIST_REQUESTS.keys())
def test_the_issue_lists_queries_do_not_grow_with_the_ledger(client, world, params):
    """The same request over a ledger of 180 and of 580 issues runs the same
    queries: every page has a next one at both sizes, so each counts its
    rows (up to the cap) the same way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import bulk_issues

    params = {key: getattr(world, value).pk if key in ("unit", "region") else value for key, value in params.items()}
    client.force_login(world.supervisor_a)

    def queries() -> list[str]:
        client.get(reverse("issue-list"), params)  # (the session and the user, as on any page)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("issue-list"), params)
        assert page.status_code == 200 and page.context["page"].has_next()
        assert not any("DISTINCT" in query["sql"] for query in captured.captured_queries)
        return [query["sql"] for query in captured.captured_queries]

    bulk_issues(world, 180)
    small = queries()
    bulk_issues(world, 400, start=181)
    assert len(queries()) == len(small) <= 16, small


def test_a_refused_form_on_the_issue_page_comes_back_as_typed(client, world, make_issue):
    """An extension refused for its date: the page comes back with the date
    and the reason as typed and the reason for the refusal by the field (it
    used to go back to an empty form)."""
    issue = make_issue("in_progress")
    client.force_login(world.official_a)
    response = client.post(
        reverse("issue-action", args=[issue.pk, "request_extension"]),
        {"request_extension-new_due_date": "2026-06-01", "request_extension-reason": "需要等待省里审批"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and not issue.extensions.exists()
    form = page.split('id="action-request_extension"')[1].split("</form>")[0]
    assert 'value="2026-06-01"' in form and "需要等待省里审批" in form
    assert "必须晚于当前办结时限" in form and 'id="action-request_extension-errors"' in form


def test_after_a_conflict_the_typed_form_stands_against_the_issue_as_it_now_is(client, world, make_issue):
    from issues import services

    issue = make_issue("in_progress")
    seen = issue.version
    services.issue_feedback(actor=world.official_a_colleague, issue_id=issue.pk, note="同事已反馈")
    client.force_login(world.official_a)
    data = {
        "request_extension-new_due_date": (issue.due_date + datetime.timedelta(days=10)).isoformat(),
        "request_extension-reason": "等待审批",
        "request_extension-version": seen,
    }
    page = client.post(reverse("issue-action", args=[issue.pk, "request_extension"]), data).content.decode()
    assert "已被他人修改" in page and "同事已反馈" in page and not issue.extensions.exists()
    issue.refresh_from_db()
    assert f'name="request_extension-version" value="{issue.version}"' in page
    again = dict(data, **{"request_extension-version": issue.version})
    client.post(reverse("issue-action", args=[issue.pk, "request_extension"]), again)
    assert issue.extensions.count() == 1  # sent again, knowingly
