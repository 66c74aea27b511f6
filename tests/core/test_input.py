"""Input any signed-in user can send gets a clear answer, never a 500: ids are
parsed strictly (core.ids), the API takes no format suffixes, refuses a JSON
body nested too deeply, and answers its 404s and 500s in its JSON shape."""

import json

from django.test import Client

from core.ids import parse_id, parse_ids

from ..conftest import api_client


def test_ids_are_plain_ascii_digits_that_fit_an_integer():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7
    for bad in ("²", "٣", "1e3", "-1", "0", "", None, "12a", "9" * 19, "1 2", "０"):
        assert parse_id(bad) is None, bad
    assert parse_ids(["1", "²", "x", "3"]) == [1, 3]


def test_nasty_input_answers_cleanly(world, make_issue):
    issue = make_issue("in_progress")
    page = Client(raise_request_exception=False)
    page.force_login(world.supervisor_a)
    for path in (
        "/visits/new/?enterprise=²",
        "/issues/?enterprise=²",
        "/issues/?q=a%00b",
        "/issues/?q=%ED%A0%80",
        "/issues/export.xlsx?campaign=abc",
        "/enterprises/?campaign=²",
    ):
        assert page.get(path).status_code in (200, 400), path
    page.force_login(world.admin)
    assert page.get("/manage/board/?campaign=²").status_code in (200, 302)

    api = api_client(world.supervisor_a)
    api.raise_request_exception = False
    for path in (f"/api/v1/issues/{issue.pk}/events.json", f"/api/v1/issues/{issue.pk}.json", "/api/v1/nowhere/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found", path
    response = api.post(f"/api/v1/issues/{issue.pk}/close.json/", {"note": "x"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    deep = api.post(f"/api/v1/issues/{issue.pk}/escalate/", "[" * 5000 + "]" * 5000, content_type="application/json")
    assert deep.status_code == 400 and deep.json()["code"] == "parse_error"
    huge = api.post(
        f"/api/v1/issues/{issue.pk}/escalate/", '{"note": "x", "version": 1e999}', content_type="application/json"
    )
    assert huge.status_code == 400
    issue.refresh_from_db()
    assert issue.escalated_at is None  # nothing half written


def test_text_no_database_can_store_is_refused_in_words(world):
    """A NUL byte or an unpaired surrogate (JSON carries both) in master data,
    a password or an echoed choice answered 500; now a 400 that writes nothing."""
    from enterprises.models import Campaign, Official, Region

    admin = api_client(world.admin)
    admin.raise_request_exception = False
    before = (Region.objects.count(), Official.objects.count(), Campaign.objects.count())
    for path, body in (
        ("/api/v1/regions/", {"name": "\ud800", "level": "township", "parent": world.county_a.pk}),
        ("/api/v1/units/", {"name": "局\x00", "kind": "department", "region": world.county_a.pk}),
        ("/api/v1/officials/", {"username": "zz\x00", "role": "official", "rank": "staff", "unit": world.unit_a.pk}),
        ("/api/v1/officials/", {"username": "zz", "password": "\ud800" * 10, "unit": world.unit_a.pk}),
        ("/api/v1/campaigns/", {"name": "行动\x00", "start_date": "2027-01-01", "end_date": "2027-12-31"}),
        (
            "/api/v1/campaigns/",
            {"name": "行动", "start_date": "2027-01-01", "end_date": "2027-12-31", "visit_every_days": 40000},
        ),
    ):
        response = admin.post(path, json.dumps(body), content_type="application/json")  # escapes "\ud800"
        assert response.status_code == 400, (path, response.content)
        assert response.json()["code"] in ("invalid_text", "weak_password", "invalid_visit_every"), response.json()
    assert (Region.objects.count(), Official.objects.count(), Campaign.objects.count()) == before
    body = {"enterprise": world.enterprise_a.pk, "category": "\ud800", "title": "x"}
    response = api_client(world.official_a).post("/api/v1/issues/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "\ufffd" in response.json()["detail"]
