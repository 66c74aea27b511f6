import pytest

from issues.models import Issue, IssueEvent
from visits.models import Visit

from .. import samples
from ..conftest import api_client
from ..samples import upload

VISIT = {"date": "2026-05-28", "form": "onsite", "purposes": ["situation", "policy"], "summary": "了解生产经营情况"}


def test_official_records_a_visit_with_two_issues(world):
    response = api_client(world.official_a).post(
        "/api/v1/visits/",
        {
            **VISIT,
            "enterprise": world.enterprise_a.pk,
            "participants": [world.official_a.pk, world.official_a_colleague.pk, world.official_a2.pk],
            "headcount": 320,
            "issues": [
                {"category": "finance", "title": "流动资金紧张", "request": "协调续贷"},
                {"category": "people", "title": "技术工人招工难"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["issue_count"] == 2
    assert {p["unit_name"] for p in body["participant_details"]} == {"甲县经信局", "甲县商务局"}
    visit = Visit.objects.get(pk=body["id"])
    assert visit.campaign == world.campaign and visit.headcount == 320
    issues = list(Issue.objects.filter(visit=visit).order_by("number"))
    assert [i.title for i in issues] == ["流动资金紧张", "技术工人招工难"]
    assert all(i.status == "registered" and i.source == "visit" for i in issues)
    assert IssueEvent.objects.filter(issue__visit=visit, action="register").count() == 2


@pytest.mark.parametrize(
    "change, code",
    [
        ({"date": "2026-06-02"}, "date_in_future"),
        ({"purposes": []}, "empty"),
        ({"purposes": ["sightseeing"]}, "invalid_choice"),
        ({"form": "letter"}, "invalid_choice"),
        ({"summary": "长" * 5001}, "max_length"),
        ({"issues": [{"category": "finance", "title": "ok"}, {"category": "finance", "title": ""}]}, "blank"),
        ({"issues": [{"category": "weather", "title": "x"}]}, "invalid_choice"),
        ({"enterprise": "enterprise_b"}, "does_not_exist"),
        ({"participants": ["official_b"]}, "does_not_exist"),
    ],
)
def test_bad_visit_is_refused_whole(world, change, code):
    payload = {
        **VISIT,
        "enterprise": world.enterprise_a.pk,
        "issues": [{"category": "land", "title": "用地"}],
        **change,
    }
    for key in ("enterprise",):
        if isinstance(payload[key], str):
            payload[key] = getattr(world, payload[key]).pk
    if "participants" in change:
        payload["participants"] = [getattr(world, name).pk for name in change["participants"]]
    response = api_client(world.official_a).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert Visit.objects.count() == 0 and Issue.objects.count() == 0


@pytest.mark.parametrize(
    "who, sees",
    [
        ("supervisor_a", True),
        ("official_a", True),
        ("official_a2", True),
        ("supervisor_b", False),
        ("official_b", False),
        ("official_a4", False),
    ],
)
def test_visit_scope(world, who, sees):
    created = (
        api_client(world.official_a)
        .post("/api/v1/visits/", {**VISIT, "enterprise": world.enterprise_a.pk}, format="json")
        .json()
    )
    client = api_client(getattr(world, who))
    assert (client.get("/api/v1/visits/").json()["count"] == 1) is sees
    assert client.get(f"/api/v1/visits/{created['id']}/").status_code == (200 if sees else 404)


def test_visit_filters_filter(world):
    client = api_client(world.official_a)
    first = client.post("/api/v1/visits/", {**VISIT, "enterprise": world.enterprise_a.pk}, format="json").json()
    second = client.post(
        "/api/v1/visits/",
        {
            **VISIT,
            "enterprise": world.enterprise_a.pk,
            "date": "2026-05-20",
            "form": "remote",
            "purposes": ["projects"],
            "participants": [world.official_a2.pk],
        },
        format="json",
    ).json()
    sup = api_client(world.supervisor_a)

    def ids(**params):
        return {row["id"] for row in sup.get("/api/v1/visits/", params).json()["results"]}

    assert ids(form="remote") == {second["id"]}
    assert ids(purpose="policy") == {first["id"]}
    assert ids(date_from="2026-05-25") == {first["id"]}
    assert ids(date_to="2026-05-25") == {second["id"]}
    assert ids(unit=world.unit_a2.pk) == {second["id"]}
    assert ids(participant=world.official_a.pk) == {first["id"]}
    assert ids(region=world.county_b.pk) == set()
    assert ids(q="生产经营") == {first["id"], second["id"]}


# Files: multipart/form-data, judged by content, stored only with the visit.


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


def multipart(world, files, **overrides):
    return {
        **VISIT,
        "enterprise": world.enterprise_a.pk,
        "issues[0]category": "finance",
        "issues[0]title": "流动资金紧张",
        "files": files,
        **overrides,
    }


def test_a_visit_with_files_through_the_api(world, media):
    files = [upload("现场.png", samples.PNG), upload("纪要.pdf", samples.PDF)]
    response = api_client(world.official_a).post("/api/v1/visits/", multipart(world, files), format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["issue_count"] == 1 and "files" not in body
    assert sorted((a["name"], a["kind"], a["size"]) for a in body["attachments"]) == [
        ("现场.png", "photo", len(samples.PNG)),
        ("纪要.pdf", "document", len(samples.PDF)),
    ]
    assert len(stored(media)) == 2
    listed = api_client(world.supervisor_a).get("/api/v1/visits/").json()["results"][0]
    assert {a["name"] for a in listed["attachments"]} == {"现场.png", "纪要.pdf"}


def test_a_mistake_beside_a_large_valid_file_stores_no_file_through_the_api(world, media):
    large = upload("现场.png", samples.PNG.ljust(9 * 1024 * 1024, b"\x00"))
    response = api_client(world.official_a).post(
        "/api/v1/visits/", multipart(world, [large], date="2030-01-01"), format="multipart"
    )
    assert response.status_code == 400 and response.json()["code"] == "date_in_future"
    assert Visit.objects.count() == 0 and stored(media) == []


def test_a_wav_named_webp_is_refused_through_the_api(world, media):
    response = api_client(world.official_a).post(
        "/api/v1/visits/", multipart(world, [upload("录音.webp", samples.WAV)]), format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "file_content" and "WAV" in body["errors"]["files"][0]
    assert Visit.objects.count() == 0 and stored(media) == []


def test_too_many_files_or_too_large_a_body_answers_413(world, media, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [upload(f"{n}.png", samples.PNG) for n in range(3)]
    response = api_client(world.official_a).post("/api/v1/visits/", multipart(world, files), format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    settings.ZOUFANG_REQUEST_MAX_BYTES = 1024 * 1024
    big = [upload("现场.png", samples.PNG.ljust(1024 * 1024, b"\x00"))]
    response = api_client(world.official_a).post("/api/v1/visits/", multipart(world, big), format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert Visit.objects.count() == 0 and stored(media) == []


def test_a_json_body_past_the_limit_answers_413_unread(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = {**VISIT, "enterprise": world.enterprise_a.pk, "summary": "长" * 5000}
    response = api_client(world.official_a).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert Visit.objects.count() == 0


def test_a_visit_is_corrected_and_withdrawn_through_the_api(world):
    client = api_client(world.official_a)
    created = client.post("/api/v1/visits/", {**VISIT, "enterprise": world.enterprise_a.pk}, format="json").json()
    url = f"/api/v1/visits/{created['id']}/"
    fixed = client.post(f"{url}correct/", {"reason": "日期记错", "version": 1, "date": "2026-05-27"}, format="json")
    assert fixed.status_code == 200, fixed.json()
    assert fixed.json()["date"] == "2026-05-27" and fixed.json()["summary"] == VISIT["summary"]  # the rest kept
    stale = client.post(f"{url}correct/", {"reason": "再改", "version": 1, "summary": "x"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    unexplained = client.post(f"{url}withdraw/", {"reason": "", "version": 2}, format="json")
    assert unexplained.status_code == 400 and Visit.objects.filter(pk=created["id"]).exists()
    assert api_client(world.official_b).post(f"{url}withdraw/", {"reason": "x", "version": 2}).status_code == 404
    assert client.post(f"{url}withdraw/", {"reason": "重复录入", "version": 2}, format="json").status_code == 204
    assert client.get(url).status_code == 404 and not Visit.objects.filter(pk=created["id"]).exists()
    assert Visit.all_objects.get(pk=created["id"]).changes.count() == 2
