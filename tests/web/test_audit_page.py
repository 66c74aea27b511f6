"""The audit trail as administrators read it (the 管理 page and the Django
admin), filtered by who, kind of record, action and day; nobody else reads it,
on a page, in the Django admin or through the API."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import audit
from core.models import AuditEntry
from enterprises import services

from ..conftest import api_client

Action = AuditEntry.Action


@pytest.fixture
def trail(world):
    """A sign-in failure, an export and a change by two people."""
    Client().post(reverse("login"), {"username": "off_b", "password": "wrong"})
    services.unit_save(actor=world.admin, unit=world.unit_b, head_name="王五")
    services.assignment_make_lead(actor=world.admin, assignment_id=world.assignment_a.pk, unit=world.unit_a2)
    with audit.acting(world.supervisor_a):
        audit.record_export(name="issues-20260601.xlsx", rows=7)
    return world


def page_of(client, **params):
    response = client.get(reverse("audit-list"), params)
    assert response.status_code == 200
    return response.content.decode().split('id="audit-entries"')[1]


@pytest.mark.smoke
def test_admins_read_the_trail_with_before_and_after(client, trail):
    client.force_login(trail.admin)
    table = page_of(client)
    assert "王五" in table and "乙县经信局" in table and "一把手" in table  # the field by its Chinese name
    assert "登录失败" in table and "off_b" in table
    assert "issues-20260601.xlsx" in table and "导出" in table
    # A team's change: its units before and after, the lead marked.
    assert "帮扶单位" in table and "甲县商务局 · 牵头单位" in table


def test_the_trail_filters_by_who_kind_action_and_day(client, trail):
    client.force_login(trail.admin)
    assert "王五" in page_of(client, actor="admin1") and "issues-2026" not in page_of(client, actor="admin1")
    assert "issues-2026" in page_of(client, actor=trail.supervisor_a.name)
    assert "王五" in page_of(client, model="enterprises.helpunit")
    assert "off_b" not in page_of(client, model="enterprises.helpunit")
    only_failures = page_of(client, action=Action.SIGN_IN_FAILED)
    assert "off_b" in only_failures and "王五" not in only_failures
    today = timezone.localdate()
    assert "王五" in page_of(client, date_from=today, date_to=today)
    assert "王五" not in page_of(client, date_to=today - datetime.timedelta(days=1))
    assert "王五" not in page_of(client, date_from=today + datetime.timedelta(days=1))


def test_the_page_costs_the_same_queries_for_many_entries(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    for number in range(60):
        services.unit_save(actor=world.admin, unit=world.unit_b, head_name=f"王{number}")
    client.get(reverse("audit-list"))  # warm the content-type cache, as a running server has it
    with django_assert_max_num_queries(8):
        table = page_of(client)
    assert table.split("<tbody>")[1].count("<tr>") == 50  # one page


@pytest.mark.parametrize("user", ["official_a", "supervisor_a"])
def test_no_one_else_reads_the_trail_on_a_page_or_in_the_django_admin(client, trail, user):
    person = getattr(trail, user)
    assert client.get(reverse("audit-list")).status_code == 302
    client.force_login(person)
    assert client.get(reverse("audit-list")).status_code == 403
    assert "audit-list" not in client.get(reverse("my-work")).content.decode()
    # Even a staff account given Django's view permission is refused: the
    # trail is for administrators.
    person.is_staff = True
    person.save()
    person.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(person)
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 403
    assert client.get(reverse("admin:core_auditentry_change", args=[AuditEntry.objects.first().pk])).status_code == 403
    assert audit.entry_list(user=person).count() == 0


def test_the_django_admin_shows_it_read_only_to_admins(client, trail, django_assert_max_num_queries):
    trail.admin.is_staff = True
    trail.admin.save()
    client.force_login(trail.admin)
    for number in range(60):
        services.unit_save(actor=trail.admin, unit=trail.unit_a, head_name=f"赵{number}")
    client.get(reverse("admin:core_auditentry_changelist"))  # warm the content-type cache
    with django_assert_max_num_queries(12):  # whatever the number of entries shown
        listing = client.get(reverse("admin:core_auditentry_changelist"), {"action__exact": Action.UPDATE})
    assert listing.status_code == 200 and "赵59" in listing.content.decode()
    entry = AuditEntry.objects.filter(action=Action.UPDATE, object_id=trail.unit_b.pk).latest("pk")
    detail = client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).content.decode()
    assert "王五" in detail and 'name="_save"' not in detail
    assert "<title>修改 乙县经信局" in detail
    assert client.post(reverse("admin:core_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403


@pytest.mark.parametrize("user", ["official_a", "supervisor_a", "admin"])
def test_the_api_shows_no_audit_to_anyone(trail, user):
    api = api_client(getattr(trail, user))
    root = api.get("/api/v1/").json()
    assert not any("audit" in name for name in root)
    assert api.get("/api/v1/audit/").status_code == 404
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "audit" not in schema.lower()
    official = api.get(f"/api/v1/officials/{trail.official_a.pk}/").json()
    assert not {"password", "changes", "credentials_changed_at"} & set(official)
