"""One table of bad master data, driven through every interface that writes
it: the importer, the web pages (forms and the assignment board), the API
and the Django admin. Each interface must refuse with the rule's own message
(enterprises.rules, asked here directly), under the field or column it
concerns, and write nothing. Where an interface does not offer the field at
all, the test proves that instead."""

import datetime
import io
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from enterprises import rules
from enterprises.imports import IMPORTERS, read_rows
from enterprises.models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, ImportJob, Official, Region

from ..conftest import api_client
from ..factories import make_credit_code

NOT_OFFERED = object()
BAD_CODE = "91350100M000100Y44"  # the check character should be 3


@dataclass
class Case:
    """A bad input and where each interface puts the refusal: the rule's
    field (API, forms, admin) and the importer's row and column."""

    name: str
    code: str
    field: str
    column: tuple[int, str] | None
    rule: callable  # world → [RuleError]: the rule asked directly
    extra: dict = field(default_factory=dict)


def official_values(world, **change):
    official = world.official_a
    values = {name: getattr(official, name) for name in ("username", "name", "role", "rank", "phone", "email")}
    return {**values, "unit": official.unit_id, **change}


def slot(unit, lead=False, responsible=None, contact=None):
    return rules.UnitSlot(unit=unit, is_lead=lead, responsible=responsible, contact=contact)


CASES = [
    Case(
        "bad-email",
        "invalid_email",
        "email",
        (2, "邮箱"),
        lambda w: rules.official_errors(official_values(w, email="not-an-email")),
        {"email": "not-an-email"},
    ),
    Case(
        "short-phone",
        "invalid_phone",
        "phone",
        (2, "手机"),
        lambda w: rules.official_errors(official_values(w, phone="1381234")),
        {"phone": "1381234"},
    ),
    Case(
        "bad-credit-code",
        "invalid_credit_code",
        "credit_code",
        (2, "统一社会信用代码"),
        lambda w: rules.enterprise_errors(
            {"credit_code": BAD_CODE, "name": "新企业", "region": w.town_a.pk, "industry": "C", "size": "medium"}
        ),
    ),
    Case(
        "non-leader-as-county-leader",
        "leader_not_county_leader",
        "leader",
        (2, "县级领导"),
        lambda w: rules.team_errors(mode=3, leader=w.official_a, units=[slot(w.unit_a, True)]),
    ),
    Case(
        "contact-from-another-unit",
        "contact_not_in_unit",
        "units",
        (2, "具体联系人"),
        lambda w: rules.team_errors(mode=3, leader=None, units=[slot(w.unit_a, True, contact=w.official_b)]),
    ),
    Case(
        "too-many-units",
        "too_many_units",
        "units",
        (5, "帮扶单位"),
        lambda w: rules.team_errors(
            mode=3, leader=None, units=[slot(w.unit_a, True), slot(w.unit_a2), slot(w.unit_a3), slot(w.unit_a4)]
        ),
    ),
    Case(
        "two-leads",
        "second_lead",
        "units",
        (3, "是否牵头"),
        lambda w: rules.team_errors(mode=3, leader=None, units=[slot(w.unit_a, True), slot(w.unit_a2, True)]),
    ),
    Case(
        "campaign-end-before-start",
        "dates_reversed",
        "end_date",
        None,
        lambda w: rules.campaign_errors(
            {
                "name": "反",
                "start_date": datetime.date(2027, 2, 1),
                "end_date": datetime.date(2027, 1, 1),
                "units_per_enterprise": 3,
                "visit_every_days": 30,
            }
        ),
    ),
]


def master_data():
    """Everything an interface could have written, as plain values."""
    return (
        list(Region.objects.order_by("pk").values_list("pk", "name", "parent_id", "level", "code")),
        list(HelpUnit.objects.order_by("pk").values_list("pk", "name", "region_id", "contact_phone")),
        list(Official.objects.order_by("pk").values_list("pk", "username", "unit_id", "rank", "phone", "email")),
        list(Enterprise.objects.order_by("pk").values_list("pk", "credit_code", "name", "contact_phone")),
        list(Campaign.objects.order_by("pk").values_list("pk", "name", "start_date", "end_date")),
        list(Assignment.objects.order_by("pk").values_list("pk", "enterprise_id", "leader_id")),
        # A team's rows are rewritten whole, so they compare without their ids.
        sorted(
            AssignmentUnit.objects.values_list("assignment_id", "unit_id", "is_lead", "responsible_id", "contact_id")
        ),
    )


# The importer -------------------------------------------------------------------------------


def _import(world, kind, rows, campaign=None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in IMPORTERS[kind].columns])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    headers, body = read_rows(buffer, "sheet.xlsx")
    report = IMPORTERS[kind](actor=world.admin, campaign=campaign).apply(headers, body)
    return {(error["row"], error["column"]): error["reason"] for error in report.errors}


def _pairing(world, *rows):
    code = world.enterprise_a_other.credit_code
    return _import(world, "assignments", [[code, "", *row] for row in rows], campaign=world.campaign)


def _official_row(world, **change):
    values = {"phone": "13800000000", "email": "", **change}
    return ["newbie", "新干部", "甲县经信局", "", "工作人员", "干部", values["phone"], values["email"]]


IMPORTER = {
    "bad-email": lambda w, c: _import(w, "officials", [_official_row(w, **c.extra)]),
    "short-phone": lambda w, c: _import(w, "officials", [_official_row(w, **c.extra)]),
    "bad-credit-code": lambda w, c: _import(
        w, "enterprises", [[BAD_CODE, "新企业", "市/甲县/甲镇", "", "C", "中型", "否", "否", "", "", "", ""]]
    ),
    # Pairing rows: leader, unit, unit's region, lead?, responsible, contact.
    "non-leader-as-county-leader": lambda w, c: _pairing(w, ["off_a", "甲县经信局", "", "是", "", ""]),
    "contact-from-another-unit": lambda w, c: _pairing(w, ["", "甲县经信局", "", "是", "", "off_b"]),
    "too-many-units": lambda w, c: _pairing(
        w,
        ["", "甲县经信局", "", "是", "", ""],
        ["", "甲县商务局", "", "否", "", ""],
        ["", "甲县水务局", "", "否", "", ""],
        ["", "甲县税务局", "", "否", "", ""],
    ),
    "two-leads": lambda w, c: _pairing(w, ["", "甲县经信局", "", "是", "", ""], ["", "甲县商务局", "", "是", "", ""]),
}


def _no_campaign_importer(world, case):
    # Campaigns are a handful a year: made on their page, not imported.
    assert "campaigns" not in IMPORTERS
    assert all(
        importer.kind != "campaigns" and "开始日期" not in [c.header for c in importer.columns]
        for importer in IMPORTERS.values()
    )
    return NOT_OFFERED


IMPORTER["campaign-end-before-start"] = _no_campaign_importer


# The web pages --------------------------------------------------------------------------------


def _official_page(world, client, case):
    form = {
        "username": "newbie",
        "name": "新干部",
        "unit": world.unit_a.pk,
        "role": "official",
        "rank": "staff",
        "phone": "13900000000",
        "email": "",
        "is_active": "on",
        **case.extra,
    }
    response = client.post(reverse("official-create"), form)
    assert response.status_code == 200  # sent back, not saved
    return response.context["form"].errors[case.field]


def _roster_page(world, client, case):
    # The web's way to add enterprises is the import page (there is no
    # one-by-one enterprise form outside the Django admin); the check runs
    # in the worker (eager here) and the page lists the refusals.
    workbook = Workbook()
    workbook.active.append([column.header for column in IMPORTERS["enterprises"].columns])
    workbook.active.append([BAD_CODE, "新企业", "市/甲县/甲镇", "", "C", "中型", "否", "否", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("名册.xlsx", buffer.getvalue())
    with case.capture(execute=True):
        client.post(reverse("import-list"), {"kind": "enterprises", "file": upload})
    job = ImportJob.objects.get()
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'id="apply"' not in page
    return [error["reason"] for error in job.errors if error["column"] == "统一社会信用代码"]


def _board(world, client, enterprise, op, **data):
    url = reverse("board-change", args=[world.campaign.pk, enterprise.pk, op])
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return [response.context["error"]]


def _board_too_many(world, client, case):
    # enterprise_a has 经信局 and 商务局; the third was added before the
    # snapshot (see `prepare`), the fourth is refused.
    return _board(world, client, world.enterprise_a, "add", unit=world.unit_a4.pk)


def _board_two_leads(world, client, case):
    # The board has no way to mark a second lead: "make lead" moves the
    # one lead there is (and back, so the snapshot still holds).
    def leads():
        return list(world.assignment_a.units.filter(is_lead=True).values_list("unit_id", flat=True))

    assert leads() == [world.unit_a.pk]
    assert _board(world, client, world.enterprise_a, "lead", unit=world.unit_a2.pk) == [None]
    assert leads() == [world.unit_a2.pk]
    _board(world, client, world.enterprise_a, "lead", unit=world.unit_a.pk)
    assert leads() == [world.unit_a.pk]
    return NOT_OFFERED


def _campaign_page(world, client, case):
    response = client.post(
        reverse("campaign-list"),
        {
            "name": "反",
            "start_date": "2027-02-01",
            "end_date": "2027-01-01",
            "units_per_enterprise": "3",
            "visit_every_days": "30",
        },
    )
    assert response.status_code == 200
    return response.context["form"].errors[case.field]


WEB = {
    "bad-email": _official_page,
    "short-phone": _official_page,
    "bad-credit-code": _roster_page,
    "non-leader-as-county-leader": lambda w, client, c: _board(
        w, client, w.enterprise_a, "leader", leader=w.official_a.pk
    ),
    "contact-from-another-unit": lambda w, client, c: _board(
        w, client, w.enterprise_a, "people", unit=w.unit_a.pk, contact=w.official_b.pk
    ),
    "too-many-units": _board_too_many,
    "two-leads": _board_two_leads,
    "campaign-end-before-start": _campaign_page,
}


# The API --------------------------------------------------------------------------------------------

API = {
    "bad-email": lambda w, c: (
        "officials",
        {"username": "newbie", "unit": w.unit_a.pk, "role": "official", "rank": "staff", **c.extra},
    ),
    "short-phone": lambda w, c: (
        "officials",
        {"username": "newbie", "unit": w.unit_a.pk, "role": "official", "rank": "staff", **c.extra},
    ),
    "bad-credit-code": lambda w, c: (
        "enterprises",
        {"credit_code": BAD_CODE, "name": "新企业", "region": w.town_a.pk, "industry": "C", "size": "medium"},
    ),
    "non-leader-as-county-leader": lambda w, c: (
        "assignments",
        {
            "campaign": w.campaign.pk,
            "enterprise": w.enterprise_a_other.pk,
            "leader": w.official_a.pk,
            "units": [{"unit": w.unit_a.pk, "is_lead": True}],
        },
    ),
    "contact-from-another-unit": lambda w, c: (
        "assignments",
        {
            "campaign": w.campaign.pk,
            "enterprise": w.enterprise_a_other.pk,
            "units": [{"unit": w.unit_a.pk, "is_lead": True, "contact": w.official_b.pk}],
        },
    ),
    "too-many-units": lambda w, c: (
        "assignments",
        {
            "campaign": w.campaign.pk,
            "enterprise": w.enterprise_a_other.pk,
            "units": [
                {"unit": w.unit_a.pk, "is_lead": True},
                {"unit": w.unit_a2.pk},
                {"unit": w.unit_a3.pk},
                {"unit": w.unit_a4.pk},
            ],
        },
    ),
    "two-leads": lambda w, c: (
        "assignments",
        {
            "campaign": w.campaign.pk,
            "enterprise": w.enterprise_a_other.pk,
            "units": [{"unit": w.unit_a.pk, "is_lead": True}, {"unit": w.unit_a2.pk, "is_lead": True}],
        },
    ),
    "campaign-end-before-start": lambda w, c: (
        "campaigns",
        {"name": "反", "start_date": "2027-02-01", "end_date": "2027-01-01", "visit_every_days": 30},
    ),
}


# The Django admin -----------------------------------------------------------------------------------


def _admin_official(world, client, case):
    official = world.official_a
    data = {
        "username": official.username,
        "first_name": "",
        "last_name": "",
        "email": official.email,
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "name": official.name,
        "unit": official.unit_id,
        "role": official.role,
        "rank": official.rank,
        "phone": official.phone,
        "email_notifications": "on",
        **case.extra,
    }
    response = client.post(reverse("admin:enterprises_official_change", args=[official.pk]), data)
    assert response.status_code == 200  # the form, sent back
    return response.context["adminform"].form.errors[case.field]


def _admin_enterprise(world, client, case):
    data = {
        "credit_code": BAD_CODE,
        "name": "新企业",
        "region": world.town_a.pk,
        "address": "",
        "industry": "C",
        "size": "medium",
        "legal_representative": "",
        "contact_name": "",
        "contact_phone": "",
        "tags": "[]",
        "is_active": "on",
    }
    response = client.post(reverse("admin:enterprises_enterprise_add"), data)
    assert response.status_code == 200
    return response.context["adminform"].form.errors[case.field]


def _admin_campaign(world, client, case):
    data = {
        "name": "反",
        "start_date": "2027-02-01",
        "end_date": "2027-01-01",
        "units_per_enterprise": "3",
        "visit_every_days": "30",
        "plan_due_date": "",
    }
    response = client.post(reverse("admin:enterprises_campaign_add"), data)
    assert response.status_code == 200
    return response.context["adminform"].form.errors[case.field]


def _admin_teams_read_only(world, client, case):
    # Teams change on the assignment board only; the admin shows them.
    change = reverse("admin:enterprises_assignment_change", args=[world.assignment_a.pk])
    page = client.get(change)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert "leader" not in page.context["adminform"].form.fields  # shown as text, not a field
    assert client.post(change, {"leader": world.official_a.pk}).status_code == 403
    assert client.get(reverse("admin:enterprises_assignment_add")).status_code == 403
    return NOT_OFFERED


ADMIN = {
    "bad-email": _admin_official,
    "short-phone": _admin_official,
    "bad-credit-code": _admin_enterprise,
    "non-leader-as-county-leader": _admin_teams_read_only,
    "contact-from-another-unit": _admin_teams_read_only,
    "too-many-units": _admin_teams_read_only,
    "two-leads": _admin_teams_read_only,
    "campaign-end-before-start": _admin_campaign,
}


# The test -------------------------------------------------------------------------------------------------


@pytest.fixture
def eager_celery():
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


def prepare(world, case, interface):
    """What a case needs before the snapshot (a full team to overfill)."""
    from enterprises import services

    if interface == "web" and case.name == "too-many-units":
        assignment = world.assignment_a
        services.assignment_add_unit(actor=world.admin, assignment_id=assignment.pk, unit=world.unit_a3)


@pytest.mark.parametrize("interface", ["importer", "web", "api", "admin"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_interface_refuses_with_the_rules_message(
    world, client, case, interface, eager_celery, django_capture_on_commit_callbacks
):
    with translation.override("zh-hans"):
        expected = case.rule(world)
    assert [(error.code, error.field) for error in expected] == [(case.code, case.field)]
    message = expected[0].message
    with translation.override("en"):
        assert case.rule(world)[0].message != message  # the pages speak Chinese: a real translation

    world.admin.is_staff = world.admin.is_superuser = True  # may open the Django admin
    world.admin.save()
    client.force_login(world.admin)  # stamps last_login: before the snapshot
    prepare(world, case, interface)
    before = master_data()

    case.capture = django_capture_on_commit_callbacks
    if interface == "importer":
        shown = IMPORTER[case.name](world, case)
        if shown is not NOT_OFFERED:
            assert shown == {case.column: message}
    elif interface == "web":
        shown = WEB[case.name](world, client, case)
        if shown is not NOT_OFFERED:
            assert shown == [message]
    elif interface == "api":
        path, payload = API[case.name](world, case)
        response = api_client(world.admin).post(f"/api/v1/{path}/", payload, format="json")
        assert response.status_code == 400
        body = response.json()
        assert (body["code"], body["detail"], body["errors"]) == (case.code, message, {case.field: [message]})
    else:
        shown = ADMIN[case.name](world, client, case)
        if shown is not NOT_OFFERED:
            assert shown == [message]

    assert master_data() == before


def test_the_admin_saves_through_the_service(world, client):
    """What the admin accepts it writes as the service would: a code typed
    in lower case is stored in capitals, and a new current campaign retires
    the old one instead of tripping the one-current constraint."""
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    code = make_credit_code()
    response = client.post(
        reverse("admin:enterprises_enterprise_add"),
        {
            "credit_code": code.lower(),
            "name": "新企业",
            "region": world.town_a.pk,
            "industry": "C",
            "size": "medium",
            "tags": "[]",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Enterprise.objects.get(name="新企业").credit_code == code
    response = client.post(
        reverse("admin:enterprises_campaign_add"),
        {
            "name": "2027年行动",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "units_per_enterprise": "3",
            "visit_every_days": "90",
            "is_current": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(Campaign.objects.filter(is_current=True).values_list("name", flat=True)) == ["2027年行动"]
    # Master data is deactivated, never deleted, here as in the API.
    delete = reverse("admin:enterprises_enterprise_delete", args=[world.enterprise_a.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Enterprise.objects.filter(pk=world.enterprise_a.pk).exists()


def test_the_admin_refuses_a_non_admin_staff_member_politely(world, client):
    """The service, not the admin, decides who writes master data: a staff
    account with the admin's permission but without the admin role gets the
    service's refusal as a message, not a 500, and nothing is written."""
    from django.contrib.auth.models import Permission

    staff = world.supervisor_a
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_campaign", "view_campaign"]))
    client.force_login(staff)
    before = master_data()
    response = client.post(
        reverse("admin:enterprises_campaign_add"),
        {
            "name": "越权",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "units_per_enterprise": "3",
            "visit_every_days": "90",
        },
        follow=True,
    )
    assert response.status_code == 200
    with translation.override("zh-hans"):
        refusal = translation.gettext("Only administrators may change master data.")
    assert [str(m) for m in response.context["messages"]] == [refusal]
    assert master_data() == before


@pytest.mark.parametrize(
    "url",
    [
        "admin:enterprises_assignment_add",
        "admin:enterprises_helpplan_add",
        "admin:visits_visit_add",
        "admin:issues_issue_add",
        "admin:issues_issueevent_add",
        "admin:issues_extensionrequest_add",
    ],
)
def test_models_written_by_their_own_services_are_read_only_in_the_admin(world, client, url):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    assert client.get(reverse(url)).status_code == 403
    changelist = reverse(url.replace("_add", "_changelist"))
    assert client.get(changelist).status_code == 200  # still shown


def test_every_admin_page_opens(world, client):
    """Each registered model's list and, where the admin may add, its form
    render (a list_display naming a field that moved would 500 here)."""
    from django.contrib import admin

    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200, model
        add = client.get(reverse(f"{name}_add"))
        assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403), model
        first = model.objects.first()
        if first is not None:
            assert client.get(reverse(f"{name}_change", args=[first.pk])).status_code == 200, model
