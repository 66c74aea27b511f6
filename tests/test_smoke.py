"""Runs on the embedded SQLite default too (make test runs it there), so the
`make run` path cannot rot: migrations, the demo seed, pages and the API."""

import pytest
from django.core.management import call_command

from core.models import CalendarDay, CalendarYear
from enterprises.models import Official
from issues.models import CommonProblem, Issue, MeetingItem

from .conftest import api_client

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


@pytest.fixture
def demo(db):
    call_command("seed_demo", enterprises=70, stdout=open("/dev/null", "w"))


def test_seed_demo_builds_every_state_and_runs_once(demo):
    statuses = set(Issue.objects.values_list("status", flat=True))
    assert statuses == {"registered", "assigned", "in_progress", "resolved", "closed", "cancelled"}
    assert {"admin", "supervisor", "official"} <= set(Official.objects.values_list("username", flat=True))
    assert Official.objects.get(username="official").check_password("zoufang-demo")
    # The official calendar, loaded by the seed as by `make run`.
    assert CalendarYear.objects.filter(year=2026, source="package").exists()
    assert CalendarDay.objects.get(date="2026-02-28").kind == "workday"
    # The radar's proposals, and the widest confirmed and waiting on a coordination meeting's agenda.
    assert CommonProblem.objects.filter(status="proposed").exists()
    waiting = MeetingItem.objects.select_related("common_problem").get()
    assert waiting.common_problem.status == "on_agenda" and waiting.common_problem.issues.count() >= 3
    count = Issue.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert Issue.objects.count() == count


def test_demo_logins_use_the_api(demo):
    client = api_client()
    token = client.post("/api/v1/auth/token/", {"username": "official", "password": "zoufang-demo"}, format="json")
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    mine = client.get("/api/v1/issues/").json()["count"]
    everything = api_client(Official.objects.get(username="supervisor")).get("/api/v1/issues/").json()["count"]
    assert 0 < mine < everything
    stats = client.get("/api/v1/stats/", {"group_by": "category"})
    assert stats.status_code == 200 and stats.json()["results"]


def test_pages_and_docs_serve(client, demo):
    assert client.get("/").status_code == 302  # to sign in
    assert client.get("/accounts/login/").status_code == 200
    client.force_login(Official.objects.get(username="official"))
    for path in ("/", "/enterprises/", "/visits/", "/issues/", "/visits/new/"):
        assert client.get(path).status_code == 200, path
    client.force_login(Official.objects.get(username="supervisor"))
    for path in ("/supervise/dashboard/", "/supervise/dashboard/?trend=week"):
        response = client.get(path)
        assert response.status_code == 200 and response.content.count(b'data-count="') > 20, path
    for path in ("/supervise/escalations/", "/supervise/dispatch/", "/visits/person-times/"):
        assert client.get(path).status_code == 200, path
    some_issue = Issue.objects.filter(status="in_progress").first()
    assert client.get(f"/issues/{some_issue.pk}/").status_code in (200, 404)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()
    assert client.get("/admin/login/").status_code == 200


def test_openapi_schema_is_valid_and_complete(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in ("/api/v1/issues/{id}/close/", "/api/v1/issues/{id}/events/", "/api/v1/stats/", "/api/v1/assignments/"):
        assert path in schema
