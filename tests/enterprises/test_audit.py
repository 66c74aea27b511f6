"""Every change to master data, accounts, roles and 三帮一 teams is on the audit
trail with who and the values before and after, whichever interface made it
(services, the Django admin, imports in bulk); an import costs no query per
row for its audit."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEntry
from enterprises import services
from enterprises.imports import IMPORTERS, read_rows
from enterprises.models import Campaign, Enterprise, ImportJob, Region

from ..factories import OfficialFactory, make_credit_code
from .test_imports import ASSIGNMENT_HEADERS, ENTERPRISE_HEADERS, enterprise_row, pairing, xlsx

Action = AuditEntry.Action


def last(obj, action=None):
    rows = AuditEntry.objects.filter(content_type__model=obj._meta.model_name, object_id=obj.pk)
    if action is not None:
        rows = rows.filter(action=action)
    return rows.select_related("actor").latest("pk")


@pytest.mark.smoke
def test_master_data_changes_are_recorded_with_actor_before_and_after(world):
    admin = world.admin
    region = services.region_save(actor=admin, name="新镇", level="township", parent=world.county_a)
    created = last(region, Action.CREATE)
    assert created.actor == admin and created.changes["name"] == [None, "新镇"]
    assert created.changes["parent"] == [None, "甲县"]  # a related row by its name
    services.region_save(actor=admin, region=region, name="新城镇", parent=world.county_b)
    moved = last(region, Action.UPDATE)
    assert moved.changes == {"name": ["新镇", "新城镇"], "parent": ["甲县", "乙县"]}

    services.unit_save(actor=admin, unit=world.unit_b, contact_phone="13800000001", webhook_secret="s3cret-value")
    unit = last(world.unit_b)
    assert unit.changes["contact_phone"] == ["", "13800000001"]
    assert unit.changes["webhook_secret"] == ["", "******"]  # that it changed, never what it is

    enterprise = world.enterprise_b
    services.enterprise_save(actor=admin, enterprise=enterprise, is_key=False, tags=["外贸"])
    assert last(enterprise).changes == {"is_key": [True, False], "tags": [[], ["外贸"]]}

    # Making a campaign current retires the other one (one UPDATE, no signal):
    # both are on the trail.
    newer = services.campaign_save(
        actor=admin,
        name="2027年行动",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2027, 12, 31),
        is_current=True,
    )
    assert last(newer, Action.CREATE).changes["is_current"] == [None, True]
    assert last(world.campaign, Action.UPDATE).changes == {"is_current": [True, False]}
    assert last(world.campaign).actor == admin


def test_roles_accounts_and_passwords_are_recorded_without_the_hash(world):
    official = world.official_a
    services.official_save(actor=world.admin, official=official, role="supervisor", rank="deputy", unit=world.unit_a2)
    change = last(official, Action.UPDATE)
    assert change.actor == world.admin
    assert change.changes == {
        "role": ["official", "supervisor"],
        "rank": ["staff", "deputy"],
        "unit": ["甲县经信局", "甲县商务局"],
    }
    services.official_save(actor=world.admin, official=official, is_active=False, password="a-long-new-password-9")
    change = last(official, Action.UPDATE)
    assert change.changes["is_active"] == [True, False]
    assert set(change.changes) == {"is_active", "credentials_changed_at"}  # the password only as the time it changed
    official.refresh_from_db()
    assert official.password not in str(change.changes) and change.serialized_data is None
    # Signing in changes last_login, which is the sign-in's entry, not a change.
    before = AuditEntry.objects.filter(action=Action.UPDATE).count()
    Client().force_login(world.official_b)
    assert AuditEntry.objects.filter(action=Action.UPDATE).count() == before


def test_team_changes_are_recorded_on_the_assignment_as_a_whole(world):
    admin, assignment = world.admin, world.assignment_a
    services.assignment_add_unit(actor=admin, assignment_id=assignment.pk, unit=world.unit_a3)
    added = last(assignment, Action.UPDATE)
    before, after = added.changes["units"]
    assert [member["unit"] for member in before] == ["甲县经信局", "甲县商务局"]
    assert [member["unit"] for member in after] == ["甲县经信局", "甲县商务局", "甲县水务局"]
    assert after[0]["lead"] is True and added.actor == admin
    services.assignment_set_people(
        actor=admin, assignment_id=assignment.pk, unit=world.unit_a, responsible=world.official_a, contact=None
    )
    people = last(assignment, Action.UPDATE).changes["units"]
    assert people[0][0]["responsible"] is None and people[1][0]["responsible"] == str(world.official_a)
    services.assignment_set_leader(actor=admin, assignment_id=assignment.pk, leader=None)
    assert last(assignment, Action.UPDATE).changes == {"leader": [str(world.leader), None]}
    # The same team again changes nothing and records nothing.
    count = AuditEntry.objects.count()
    services.assignment_make_lead(actor=admin, assignment_id=assignment.pk, unit=world.unit_a)
    assert AuditEntry.objects.count() == count


def test_a_help_plan_filed_is_recorded(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = services.help_plan_submit(
        actor=world.official_a, campaign=world.campaign, upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4 x")
    )
    entry = last(plan, Action.CREATE)
    assert entry.actor == world.official_a
    filed = last(plan)
    assert filed.changes["submitted_by"] == [None, str(world.official_a)]
    assert filed.changes["file"][1].endswith(".pdf")


def test_a_change_in_the_django_admin_is_recorded(world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client(REMOTE_ADDR="10.20.30.40")
    client.force_login(world.admin)
    url = reverse("admin:enterprises_helpunit_change", args=[world.unit_b.pk])
    form = {
        "name": "乙县工信局",
        "kind": world.unit_b.kind,
        "region": world.unit_b.region_id,
        "head_name": "",
        "contact_name": "",
        "contact_phone": "",
        "webhook_url": "",
        "webhook_secret": "",
        "is_active": "on",
    }
    assert client.post(url, form).status_code == 302
    entry = last(world.unit_b, Action.UPDATE)
    assert entry.actor == world.admin and entry.remote_addr == "10.20.30.40"
    assert entry.changes == {"name": ["乙县经信局", "乙县工信局"]}


def _enterprise_sheet(rows):
    buffer = xlsx(ENTERPRISE_HEADERS, rows)
    return SimpleUploadedFile("名录.xlsx", buffer.getvalue())


def test_an_import_is_recorded_upload_apply_and_every_row(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    other_admin = OfficialFactory(username="admin2", unit=None, role="admin")
    code = make_credit_code()
    rows = [
        enterprise_row(code, name="导入新企业"),
        enterprise_row(world.enterprise_b.credit_code, name="乙企业（更名）"),
    ]
    with django_capture_on_commit_callbacks(execute=False):  # the worker's part is run below
        job = services.import_job_start(actor=world.admin, kind="enterprises", upload=_enterprise_sheet(rows))
    services.import_job_run(job.pk, "check")
    with django_capture_on_commit_callbacks(execute=False):
        services.import_job_apply(actor=other_admin, job=ImportJob.objects.get(pk=job.pk))
    services.import_job_run(job.pk, "apply")

    trail = AuditEntry.objects.filter(cid=f"import-{job.pk}").select_related("actor").order_by("pk")
    events = [(entry.additional_data["stage"], entry.actor) for entry in trail if entry.action == Action.IMPORT]
    assert events == [("uploaded", world.admin), ("apply_requested", other_admin), ("applied", world.admin)]
    applied = trail.filter(action=Action.IMPORT).last()
    assert applied.additional_data["counts"] == {"create": 1, "update": 1, "unchanged": 0, "error": 0}
    assert applied.additional_data["file"] == "名录.xlsx" and applied.additional_data["rows"] == 2
    created = trail.get(action=Action.CREATE)
    assert created.object_id == Enterprise.objects.get(credit_code=code).pk and created.actor == world.admin
    assert created.changes["credit_code"] == [None, code] and created.changes["region"] == [None, "甲镇"]
    updated = trail.get(action=Action.UPDATE)
    assert updated.object_id == world.enterprise_b.pk
    assert updated.changes["name"] == ["乙企业", "乙企业（更名）"]
    assert updated.changes["region"] == ["乙镇", "甲镇"]
    assert updated.changes["is_key"] == [True, False]
    assert "industry" not in updated.changes  # unchanged values are not listed


def test_every_import_kind_records_its_rows(world):
    def apply(kind, headers, rows, campaign=None):
        head, body = read_rows(xlsx(headers, rows), "data.xlsx")
        report = IMPORTERS[kind](actor=world.admin, campaign=campaign).apply(head, body)
        assert report.clean, report.errors

    apply("regions", ["区划全称", "层级", "区划代码"], [["市/甲县/新镇", "乡镇/街道", ""]])
    region = Region.objects.get(name="新镇")
    assert last(region).changes == {"name": [None, "新镇"], "parent": [None, "甲县"], "level": [None, "township"]}
    apply("regions", ["区划全称", "层级", "区划代码"], [["市/甲县/新镇", "区/县", ""]])
    assert last(region, Action.UPDATE).changes == {"level": ["township", "county"]}
    apply(
        "units", [c.header for c in IMPORTERS["units"].columns], [["甲县经信局", "市/甲县", "职能部门", "钱七", "", ""]]
    )
    assert last(world.unit_a, Action.UPDATE).changes == {"head_name": [world.unit_a.head_name or "", "钱七"]}
    apply(
        "officials",
        [c.header for c in IMPORTERS["officials"].columns],
        [["off_a", world.official_a.name, "甲县商务局", "", "工作人员", "督查", "", ""]],
    )
    assert last(world.official_a, Action.UPDATE).changes == {
        "role": ["official", "supervisor"],
        "unit": ["甲县经信局", "甲县商务局"],
    }
    code = world.enterprise_a.credit_code  # today: 经信局 (lead) + 商务局, leader "leader"
    apply(
        "assignments",
        ASSIGNMENT_HEADERS,
        [pairing(code, "甲县水务局", True, leader="leader"), pairing(code, "甲县经信局", False, contact="off_a2")],
        campaign=world.campaign,
    )
    team = last(world.assignment_a, Action.UPDATE)
    assert team.actor == world.admin and "leader" not in team.changes
    before, after = team.changes["units"]
    assert [(m["unit"], m["lead"]) for m in before] == [("甲县经信局", True), ("甲县商务局", False)]
    assert after == [
        {"unit": "甲县水务局", "lead": True, "responsible": None, "contact": None},
        {"unit": "甲县经信局", "lead": False, "responsible": None, "contact": str(world.official_a_colleague)},
    ]
    assert team.object_repr == f"{world.campaign} · {world.enterprise_a}"


def test_an_import_s_audit_costs_no_query_per_row(world):
    def applied_queries(kind, headers, rows, campaign=None):
        head, body = read_rows(xlsx(headers, rows), "data.xlsx")
        importer = IMPORTERS[kind](actor=world.admin, campaign=campaign)
        with CaptureQueriesContext(connection) as queries:
            assert importer.apply(head, body).clean
        return len(queries)

    small = applied_queries("enterprises", ENTERPRISE_HEADERS, [enterprise_row(make_credit_code()) for _ in range(3)])
    large = applied_queries("enterprises", ENTERPRISE_HEADERS, [enterprise_row(make_credit_code()) for _ in range(40)])
    assert large == small
    assert AuditEntry.objects.filter(action=Action.CREATE, object_repr="新企业有限公司").count() == 43

    def teams(count):
        codes = [enterprise.credit_code for enterprise in Enterprise.objects.filter(name="新企业有限公司")[:count]]
        rows = [
            pairing(code, name, lead) for code in codes for name, lead in (("甲县水务局", True), ("甲县税务局", False))
        ]
        return applied_queries("assignments", ASSIGNMENT_HEADERS, rows, campaign=Campaign.objects.get())

    assert teams(3) == teams(40)


def test_no_entry_for_an_apply_that_writes_nothing(world):
    head, body = read_rows(xlsx(ENTERPRISE_HEADERS, [enterprise_row("91350100M000100Y44")]), "data.xlsx")
    count = AuditEntry.objects.count()
    assert not IMPORTERS["enterprises"](actor=world.admin).apply(head, body).clean
    assert AuditEntry.objects.count() == count
