"""The issue API: actions over HTTP, their status codes and error bodies,
the history, and scope."""

import pytest

from issues import services as issue_services
from issues.models import Issue, IssueEvent

from ..conftest import api_client


def post(user, issue, action, payload=None, **extra):
    return api_client(user).post(f"/api/v1/issues/{issue.pk}/{action}/", payload or {}, format="json", **extra)


def test_token_login_then_token_auth(world):
    world.official_a.set_password("s3cret-pass!")
    world.official_a.save()
    client = api_client()
    response = client.post("/api/v1/auth/token/", {"username": "off_a", "password": "s3cret-pass!"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/issues/").status_code == 200
    bad = api_client().post("/api/v1/auth/token/", {"username": "off_a", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    assert api_client().get("/api/v1/issues/").status_code == 401


def test_register_then_walk_the_whole_lifecycle_over_http(world):
    created = api_client(world.official_a).post(
        "/api/v1/issues/",
        {"enterprise": world.enterprise_a.pk, "category": "land", "title": "用地指标不足", "request": "协调用地"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "registered" and body["number"].startswith("2026-")
    issue = Issue.objects.get(pk=body["id"])
    steps = [
        (world.supervisor_a, "assign", {"unit": world.unit_a.pk, "co_units": [world.unit_a2.pk]}, "assigned"),
        (world.official_a, "accept", {}, "in_progress"),
        (world.official_a2, "feedback", {"note": "已对接自然资源局"}, "in_progress"),
        (world.official_a, "request-extension", {"new_due_date": "2026-07-31", "reason": "需报批"}, "in_progress"),
        (world.supervisor_a, "approve-extension", {}, "in_progress"),
        (world.supervisor_a, "escalate", {"note": "用地共性问题"}, "in_progress"),
        (world.official_a, "resolve", {"outcome": "partly_solved", "note": "已解决部分指标"}, "resolved"),
        (
            world.supervisor_a,
            "follow-up",
            {
                "channel": "phone",
                "contact": "王经理",
                "verdict": "unsatisfied",
                "note": "仍有缺口",
                "caused_by_handling": True,
            },
            "in_progress",
        ),
        (world.official_a, "resolve", {"outcome": "solved", "note": "指标已全部落实"}, "resolved"),
        (
            world.supervisor_a,
            "follow-up",
            {"channel": "on_site", "contact": "王经理", "verdict": "satisfied"},
            "resolved",
        ),
        (world.supervisor_a, "close", {"note": "回访满意"}, "closed"),
    ]
    for user, action, payload, status in steps:
        response = post(user, issue, action, payload)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == status
    history = api_client(world.supervisor_a).get(f"/api/v1/issues/{issue.pk}/events/").json()
    assert [e["action"] for e in history] == [
        "register",
        "assign",
        "accept",
        "feedback",
        "request_extension",
        "approve_extension",
        "escalate",
        "resolve",
        "follow_up",
        "resolve",
        "follow_up",
        "close",
    ]
    assert history[-1]["from_status"] == "resolved" and history[-1]["to_status"] == "closed"
    assert history[3]["actor_unit_name"] == "甲县商务局"
    issue.refresh_from_db()
    assert issue.due_date.isoformat() == "2026-07-31"
    assert issue.satisfaction == "satisfied"
    assert list(issue.follow_ups.values_list("round", "verdict")) == [(1, "unsatisfied"), (2, "satisfied")]


def test_refusals_carry_status_code_and_message(world, make_issue):
    issue = make_issue("registered")
    events = IssueEvent.objects.count()
    conflict = post(world.supervisor_a, issue, "close", {"note": "x"})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "invalid_transition" and conflict.json()["detail"]
    forbidden = post(world.official_a, issue, "assign", {"unit": world.unit_a.pk})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "supervisor_only"
    bad = post(world.supervisor_a, issue, "assign", {"unit": 999999})
    assert bad.status_code == 400 and bad.json()["code"] == "does_not_exist"
    assert "unit" in bad.json()["errors"]
    past = post(world.supervisor_a, issue, "assign", {"unit": world.unit_a.pk, "due_date": "2020-01-01"})
    assert past.status_code == 400 and past.json()["code"] == "due_date_in_past"
    malformed = api_client(world.supervisor_a).post(
        f"/api/v1/issues/{issue.pk}/assign/", "{not json", content_type="application/json"
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "parse_error"
    too_long = post(world.supervisor_a, issue, "cancel", {"reason": "长" * 2001})
    assert too_long.status_code == 400 and too_long.json()["code"] == "max_length"
    # A reason left out is refused in the service's words, as on the page.
    missing = post(world.supervisor_a, issue, "cancel", {})
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    assert missing.json()["errors"] == {"reason": [missing.json()["detail"]]}
    bad_choice = post(world.supervisor_a, issue, "assign", {"unit": world.unit_a.pk, "due_date": "tomorrow"})
    assert bad_choice.status_code == 400 and bad_choice.json()["code"] == "invalid"
    issue.refresh_from_db()
    assert issue.status == "registered" and issue.version == 1
    assert IssueEvent.objects.count() == events


def test_stale_version_over_http_is_409(world, make_issue):
    issue = make_issue("resolved")
    ok = post(world.supervisor_a, issue, "escalate", {"note": "x", "version": issue.version})
    assert ok.status_code == 200
    stale = post(world.supervisor_a, issue, "close", {"note": "x", "version": issue.version})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"


def test_messages_are_chinese_by_default(world, make_issue):
    issue = make_issue("registered")
    response = post(world.supervisor_a, issue, "close", {"note": "x"})
    assert response.json()["detail"] == "问题当前为“已挂号”状态，不能“销号”。"
    missing = post(world.supervisor_a, issue, "cancel", {"reason": "  "})
    assert missing.json()["detail"] == "请填写理由。"


def test_english_messages_on_request(world, make_issue):
    issue = make_issue("registered")
    response = post(world.supervisor_a, issue, "close", {"note": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "not possible while the issue is Registered" in response.json()["detail"]


@pytest.mark.parametrize(
    "who, sees",
    [
        ("admin", True),
        ("supervisor_a", True),
        ("official_a", True),
        ("official_a2", True),
        ("supervisor_b", False),
        ("official_b", False),
        ("official_a4", False),
    ],
)
def test_issue_scope_through_the_api(world, make_issue, who, sees):
    issue = make_issue("in_progress")  # enterprise_a in county A, unit_a responsible, unit_a2 co-handling
    client = api_client(getattr(world, who))
    listed = {row["id"] for row in client.get("/api/v1/issues/").json()["results"]}
    assert (issue.pk in listed) is sees
    detail = client.get(f"/api/v1/issues/{issue.pk}/")
    assert detail.status_code == (200 if sees else 404)
    assert client.get(f"/api/v1/issues/{issue.pk}/events/").status_code == (200 if sees else 404)
    action = client.post(f"/api/v1/issues/{issue.pk}/feedback/", {"note": "x"}, format="json")
    if not sees:
        assert action.status_code == 404


def test_official_cannot_register_outside_scope(world):
    response = api_client(world.official_a).post(
        "/api/v1/issues/", {"enterprise": world.enterprise_b.pk, "category": "land", "title": "x"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "does_not_exist"
    assert Issue.objects.count() == 0


def test_issue_filters_filter(world, make_issue):
    open_issue = make_issue("in_progress", category="land")
    closed = make_issue("closed", category="finance")
    escalated = make_issue("registered", category="people", extra=("escalate",))
    client = api_client(world.supervisor_a)

    def ids(**params):
        return {row["id"] for row in client.get("/api/v1/issues/", params).json()["results"]}

    assert ids(status="closed") == {closed.pk}
    assert ids(category="land") == {open_issue.pk}
    assert ids(escalated="true") == {escalated.pk}
    assert ids(unit=world.unit_a2.pk) == {open_issue.pk, closed.pk}
    assert ids(q=closed.number) == {closed.pk}
    assert ids(region=world.county_b.pk) == set()
    assert ids(region=world.county_a.pk) == {open_issue.pk, closed.pk, escalated.pk}
    Issue.objects.filter(pk=open_issue.pk).update(due_date="2026-05-29")
    assert ids(overdue="true") == {open_issue.pk}
    assert ids(overdue="false") == {closed.pk, escalated.pk}


def test_issue_list_query_count_does_not_grow_with_rows(world, make_issue, django_assert_max_num_queries):
    for _ in range(3):
        make_issue("in_progress")
    client = api_client(world.supervisor_a)
    client.get("/api/v1/issues/")  # warm the token lookup path
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/v1/issues/").json()["count"] == 3
    for _ in range(12):
        make_issue("in_progress")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/issues/").json()["count"] == 15


def test_a_unit_returning_an_issue_that_leaves_its_scope_gets_the_result(world, make_issue):
    # 甲县税务局 is given an issue of an enterprise it does not help; returning it
    # ("not ours") takes the issue out of its scope, and the answer says what happened.
    issue = make_issue("registered")
    issue_services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=world.unit_a4)
    response = post(world.official_a4, issue, "return", {"reason": "不属于本单位职责"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["responsible_unit"]) == ("registered", None)
    assert api_client(world.official_a4).get(f"/api/v1/issues/{issue.pk}/").status_code == 404


@pytest.mark.parametrize(
    "params", [{}, {"page": 4}, {"unit": "unit_a2", "status": "in_progress"}, {"q": "批量问题", "page": 2}]
)
def test_the_api_lists_queries_do_not_grow_with_the_ledger(world, params):
    """The same request over a ledger of 180 and of 580 issues: the same
    queries, a count up to the cap at most, no DISTINCT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import bulk_issues

    params = {key: getattr(world, value).pk if key == "unit" else value for key, value in params.items()}
    client = api_client(world.supervisor_a)

    def queries() -> int:
        client.get("/api/v1/issues/", params)
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/api/v1/issues/", params).json()
        assert body["next"] and len(body["results"]) == 20
        assert not any("DISTINCT" in query["sql"] for query in captured.captured_queries)
        return len(captured)

    bulk_issues(world, 180)
    small = queries()
    bulk_issues(world, 400, start=181)
    assert queries() == small <= 9


# Duplicate hints (issues.similar) and raise-again over the API.

OUTAGE = {"category": "infrastructure", "title": "厂区经常停电", "description": "线路老化，今年停电七八次。"}


@pytest.fixture
def outage(world):
    return issue_services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE)


def similar(user, **query):
    return api_client(user).get("/api/v1/issues/similar/", query)


def test_similar_lists_the_enterprise_s_issues_a_new_one_reads_like(world, outage):
    found = similar(
        world.official_a, enterprise=world.enterprise_a.pk, title="厂区又停电了", description="线路老化停电"
    )
    assert found.status_code == 200
    (hint,) = found.json()
    assert (hint["id"], hint["number"], hint["status"], hint["linkable"]) == (
        outage.pk,
        outage.number,
        "registered",
        True,
    )
    assert similar(world.official_a, enterprise=world.enterprise_a.pk, title="电费太高，峰谷电价").json() == []


def test_similar_refuses_bad_input_by_its_field(world, outage):
    missing_title = similar(world.official_a, enterprise=world.enterprise_a.pk)
    assert missing_title.status_code == 400 and "title" in missing_title.json()["errors"]
    foreign = similar(world.official_b, enterprise=world.enterprise_a.pk, title="厂区经常停电")
    unknown = similar(world.official_b, enterprise=999999, title="厂区经常停电")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json()["code"] == unknown.json()["code"] == "does_not_exist"  # the same answer
    assert outage.number not in foreign.content.decode()


def test_registering_answers_with_the_issues_it_reads_like(world, outage):
    created = api_client(world.official_a).post(
        "/api/v1/issues/", {"enterprise": world.enterprise_a.pk, **OUTAGE}, format="json"
    )
    assert created.status_code == 201
    assert [hint["number"] for hint in created.json()["similar"]] == [outage.number]


def test_raise_again_over_the_api(world, outage):
    done = post(world.official_a2, outage, "raise-again", {"note": "又停电两次", "version": 1})
    assert done.status_code == 200 and done.json()["version"] == 2 and done.json()["status"] == "registered"
    event = IssueEvent.objects.filter(issue=outage).latest("id")
    assert (event.action, event.note, event.actor) == ("raised_again", "又停电两次", world.official_a2)


def test_raise_again_refusals(world, outage):
    blank = post(world.official_a, outage, "raise-again", {})
    assert blank.status_code == 400 and blank.json()["errors"] == {"note": [blank.json()["detail"]]}
    assert post(world.official_a, outage, "raise-again", {"note": "x", "version": 9}).status_code == 409
    assert post(world.official_b, outage, "raise-again", {"note": "x"}).status_code == 404
    missing = api_client(world.official_a).post("/api/v1/issues/999999/raise-again/", {"note": "x"}, format="json")
    assert missing.status_code == 404
    from issues import intake

    elsewhere = intake.visit_record_with_issues(
        actor=world.supervisor_a,
        enterprise=world.enterprise_a_other,
        date=outage.registered_at.date(),
        form="onsite",
        purposes=["situation"],
        summary="走访",
    )
    wrong_visit = post(world.supervisor_a, outage, "raise-again", {"note": "x", "visit": elsewhere.pk})
    assert wrong_visit.status_code == 400 and wrong_visit.json()["code"] == "visit_enterprise_mismatch"
    assert IssueEvent.objects.filter(issue=outage).count() == 1
