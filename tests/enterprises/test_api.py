"""Master data over the API: admins write, everyone reads within scope, bad
input is a 400 with a specific code and leaves the database as it was."""

import pytest

from enterprises.models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region

from ..conftest import api_client
from ..factories import make_credit_code

ENTERPRISE = {"name": "丰乐新材料有限公司", "industry": "C", "size": "medium", "is_key": True}


def counts():
    return tuple(
        m.objects.count() for m in (Region, HelpUnit, Official, Enterprise, Campaign, Assignment, AssignmentUnit)
    )


def test_admin_creates_master_data_end_to_end(world):
    client = api_client(world.admin)
    region = client.post("/api/v1/regions/", {"name": "新镇", "parent": world.county_a.pk}, format="json")
    assert region.status_code == 201, region.json()
    assert region.json()["path"] == f"{world.county_a.path}{region.json()['id']}/"
    unit = client.post(
        "/api/v1/units/", {"name": "县科技局", "region": world.county_a.pk, "kind": "department"}, format="json"
    )
    assert unit.status_code == 201, unit.json()
    official = client.post(
        "/api/v1/officials/",
        {
            "username": "kjj",
            "password": "a-long-password-1",
            "name": "科技局干部",
            "unit": unit.json()["id"],
            "role": "official",
            "rank": "deputy",
            "phone": "13800000000",
        },
        format="json",
    )
    assert official.status_code == 201, official.json()
    assert "password" not in official.json()
    assert Official.objects.get(username="kjj").check_password("a-long-password-1")
    enterprise = client.post(
        "/api/v1/enterprises/",
        {**ENTERPRISE, "credit_code": make_credit_code(), "region": region.json()["id"]},
        format="json",
    )
    assert enterprise.status_code == 201, enterprise.json()
    campaign = client.post(
        "/api/v1/campaigns/",
        {
            "name": "2027年行动",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "units_per_enterprise": 3,
            "visit_every_days": 90,
            "plan_due_date": "2027-03-31",
        },
        format="json",
    )
    assert campaign.status_code == 201, campaign.json()
    assignment = client.post(
        "/api/v1/assignments/",
        {
            "campaign": campaign.json()["id"],
            "enterprise": enterprise.json()["id"],
            "leader": world.leader.pk,
            "units": [
                {"unit": unit.json()["id"], "is_lead": True, "responsible": official.json()["id"]},
                {"unit": world.unit_a.pk, "contact": world.official_a.pk},
            ],
        },
        format="json",
    )
    assert assignment.status_code == 201, assignment.json()
    units = assignment.json()["units"]
    assert [u["is_lead"] for u in units] == [True, False]
    assert units[1]["contact_name"] == world.official_a.name


def test_patch_updates_through_the_service(world):
    client = api_client(world.admin)
    response = client.patch(f"/api/v1/enterprises/{world.enterprise_a.pk}/", {"size": "large"}, format="json")
    assert response.status_code == 200
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.size == "large"
    new = client.post(
        "/api/v1/campaigns/",
        {"name": "2027年行动", "start_date": "2027-01-01", "end_date": "2027-12-31", "is_current": True},
        format="json",
    )
    assert new.status_code == 201, new.json()
    assert list(Campaign.objects.filter(is_current=True).values_list("name", flat=True)) == ["2027年行动"]


@pytest.mark.parametrize("who", ["official_a", "supervisor_a"])
def test_only_admins_write_master_data(world, who):
    before = counts()
    client = api_client(getattr(world, who))
    response = client.post(
        "/api/v1/enterprises/",
        {**ENTERPRISE, "credit_code": make_credit_code(), "region": world.town_a.pk},
        format="json",
    )
    assert response.status_code == 403
    assert client.patch(f"/api/v1/units/{world.unit_a.pk}/", {"name": "改名"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/units/{world.unit_a.pk}/").status_code == 403
    # Not even admins delete: history keeps its units (deactivate instead).
    assert api_client(world.admin).delete(f"/api/v1/units/{world.unit_a.pk}/").status_code == 405
    assert counts() == before


@pytest.mark.parametrize(
    "path, payload, code, field",
    [
        (
            "enterprises",
            {**ENTERPRISE, "credit_code": "91350100M000100Y44", "region": "town_a"},
            "invalid_credit_code",
            "credit_code",
        ),
        (
            "enterprises",
            {**ENTERPRISE, "credit_code": "existing", "region": "town_a"},
            "duplicate_credit_code",
            "credit_code",
        ),
        ("enterprises", {**ENTERPRISE, "credit_code": "fresh", "region": 999999}, "does_not_exist", "region"),
        (
            "enterprises",
            {**ENTERPRISE, "name": "长" * 201, "credit_code": "fresh", "region": "town_a"},
            "max_length",
            "name",
        ),
        (
            "enterprises",
            {**ENTERPRISE, "industry": "Z", "credit_code": "fresh", "region": "town_a"},
            "invalid_choice",
            "industry",
        ),
        ("units", {"name": "x", "region": 999999}, "does_not_exist", "region"),
        ("units", {"name": "甲县经信局", "region": "county_a"}, "duplicate", "name"),
        (
            "officials",
            {"username": "weak", "password": "123", "unit": "unit_a", "role": "official"},
            "weak_password",
            "password",
        ),
        ("officials", {"username": "nounit", "role": "supervisor"}, "unit_required", "unit"),
        ("officials", {"username": "x", "role": "king", "unit": "unit_a"}, "invalid_choice", "role"),
        (
            "campaigns",
            {"name": "反", "start_date": "2027-02-01", "end_date": "2027-01-01"},
            "dates_reversed",
            "end_date",
        ),
        (
            "campaigns",
            {"name": "四帮一", "start_date": "2027-01-01", "end_date": "2027-02-01", "units_per_enterprise": 4},
            "invalid_mode",
            "units_per_enterprise",
        ),
        (
            "assignments",
            {
                "campaign": "campaign",
                "enterprise": "enterprise_a_other",
                "units": [{"unit": "unit_a", "is_lead": True}, {"unit": "unit_a2", "is_lead": True}],
            },
            "second_lead",
            "units",
        ),
        (
            "assignments",
            {
                "campaign": "campaign",
                "enterprise": "enterprise_a_other",
                "units": [
                    {"unit": "unit_a", "is_lead": True},
                    {"unit": "unit_a2"},
                    {"unit": "unit_a3"},
                    {"unit": "unit_a4"},
                ],
            },
            "too_many_units",
            "units",
        ),
        (
            "assignments",
            {
                "campaign": "campaign",
                "enterprise": "enterprise_a_other",
                "units": [{"unit": "unit_a"}, {"unit": "unit_a2"}],
            },
            "lead_required",
            "units",
        ),
        (
            "assignments",
            {
                "campaign": "campaign",
                "enterprise": "enterprise_a_other",
                "units": [{"unit": "unit_a", "is_lead": True}, {"unit": "unit_a"}],
            },
            "duplicate_unit",
            "units",
        ),
        (
            "assignments",
            {"campaign": "campaign", "enterprise": "enterprise_a", "units": []},
            "already_assigned",
            "enterprise",
        ),
        (
            "assignments",
            {"campaign": "campaign", "enterprise": "enterprise_a_other", "leader": "official_a"},
            "leader_not_county_leader",
            "leader",
        ),
        (
            "assignments",
            {
                "campaign": "campaign",
                "enterprise": "enterprise_a_other",
                "units": [{"unit": "unit_a", "is_lead": True, "responsible": "official_b"}],
            },
            "responsible_not_in_unit",
            "units",
        ),
    ],
)
def test_bad_master_data_is_refused_and_nothing_changes(world, path, payload, code, field):
    def resolve(value):
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if value == "existing":
            return world.enterprise_a.credit_code
        if value == "fresh":
            return make_credit_code()
        if isinstance(value, str) and hasattr(world, value) and value not in ("admin",):
            return getattr(world, value).pk
        return value

    before = counts()
    response = api_client(world.admin).post(f"/api/v1/{path}/", resolve(payload), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]
    assert field in body["errors"]
    assert counts() == before


def test_malformed_json_is_a_400(world):
    response = api_client(world.admin).post("/api/v1/regions/", '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


SCOPE = {
    # resource → who sees which world objects
    "enterprises": {
        "admin": {"enterprise_a", "enterprise_a_other", "enterprise_b"},
        "supervisor_a": {"enterprise_a", "enterprise_a_other"},
        "supervisor_b": {"enterprise_b"},
        "official_a": {"enterprise_a"},
        "official_b": {"enterprise_b"},
        "official_a4": set(),
    },
    "units": {
        "supervisor_a": {"office_a", "unit_a", "unit_a2", "unit_a3", "unit_a4"},
        "official_a": {"unit_a", "unit_a2"},
        "official_a4": {"unit_a4"},
        "official_b": {"unit_b"},
    },
    "assignments": {
        "supervisor_a": {"assignment_a"},
        "supervisor_b": {"assignment_b"},
        "official_a2": {"assignment_a"},
        "official_a4": set(),
    },
    "officials": {
        "official_b": {"official_b"},
        "official_a4": {"official_a4"},
    },
}


@pytest.mark.parametrize("resource, who", [(resource, who) for resource, users in SCOPE.items() for who in users])
def test_master_data_scope_through_the_api(world, resource, who):
    expected = {getattr(world, name).pk for name in SCOPE[resource][who]}
    client = api_client(getattr(world, who))
    listed = {row["id"] for row in client.get(f"/api/v1/{resource}/", {"page_size": 100}).json()["results"]}
    if resource == "officials":
        assert expected <= listed
        outside = {world.official_a.pk, world.supervisor_a.pk} - expected
        assert not (listed & outside)
    else:
        assert listed == expected
    # Every object of this kind in the world: in scope → 200, outside → 404.
    model = {"enterprises": Enterprise, "units": HelpUnit, "assignments": Assignment, "officials": Official}[resource]
    for obj in model.objects.all():
        status = client.get(f"/api/v1/{resource}/{obj.pk}/").status_code
        assert status == (200 if obj.pk in listed else 404), (obj, status)


def test_signed_out_sees_nothing(world):
    for resource in ("regions", "units", "officials", "enterprises", "campaigns", "assignments", "visits", "issues"):
        assert api_client().get(f"/api/v1/{resource}/").status_code == 401


def test_enterprise_filters_filter(world):
    client = api_client(world.admin)

    def names(**params):
        return {row["name"] for row in client.get("/api/v1/enterprises/", params).json()["results"]}

    assert names(q="乙") == {"乙企业"}
    assert names(q=world.enterprise_b.credit_code) == {"乙企业"}
    assert names(region=world.county_a.pk) == {"甲企业", "甲县未结对企业"}
    assert names(unit=world.unit_a2.pk) == {"甲企业"}
    assert names(campaign=world.campaign.pk) == {"甲企业", "乙企业"}
    Enterprise.objects.filter(pk=world.enterprise_b.pk).update(is_key=False, size="micro", industry="F")
    assert names(is_key="false") == {"乙企业"}
    assert names(size="micro") == {"乙企业"}
    assert names(industry="F") == {"乙企业"}


def test_unit_and_official_filters_filter(world):
    client = api_client(world.admin)
    units = {r["name"] for r in client.get("/api/v1/units/", {"region": world.county_b.pk}).json()["results"]}
    assert units == {"乙县帮扶办", "乙县经信局"}
    sups = {r["username"] for r in client.get("/api/v1/officials/", {"role": "supervisor"}).json()["results"]}
    assert sups == {"sup_a", "sup_b"}
    by_unit = {r["username"] for r in client.get("/api/v1/officials/", {"unit": world.unit_a.pk}).json()["results"]}
    assert by_unit == {"off_a", "off_a2"}
    leads = client.get("/api/v1/assignments/", {"lead_unit": world.unit_a2.pk}).json()["count"]
    assert leads == 0
    assert client.get("/api/v1/assignments/", {"lead_unit": world.unit_a.pk}).json()["count"] == 1
    regions = {r["name"] for r in client.get("/api/v1/regions/", {"within": world.county_a.pk}).json()["results"]}
    assert regions == {"甲县", "甲镇"}


def test_list_pagination_shape(world):
    body = api_client(world.admin).get("/api/v1/units/", {"page_size": 2}).json()
    assert set(body) == {"count", "count_capped", "next", "previous", "results"}
    assert body["count"] == 7 and len(body["results"]) == 2 and body["next"]


def test_a_units_chat_robot_address_is_never_read_back(world):
    world.unit_a2.webhook_url = "https://oapi.dingtalk.com/robot/send?access_token=secret"
    world.unit_a2.save()
    for user in (world.official_a, world.admin):
        rows = api_client(user).get("/api/v1/units/").json()["results"]
        assert rows and all("webhook_url" not in row and "webhook_secret" not in row for row in rows)
