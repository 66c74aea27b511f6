"""The audit trail's own plumbing: sign-ins, failed sign-ins and sign-outs on
the page and the token endpoint, exports, the actor of entries written in a
request, an API call or a task, and that no password hash is ever kept."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse

from core import audit
from core.models import AuditEntry, CalendarDay

from ..conftest import api_client

PASSWORD = "pw-for-tests"
Action = AuditEntry.Action


def entries(action):
    return list(AuditEntry.objects.filter(action=action).select_related("actor").order_by("pk"))


@pytest.mark.smoke
def test_a_failed_sign_in_is_recorded_with_the_name_typed_and_the_address(world, settings):
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "off_a", "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    known, unknown = entries(Action.SIGN_IN_FAILED)
    assert known.actor is None and known.remote_addr == "10.1.2.3"
    assert known.object_id == world.official_a.pk and known.object_repr == "off_a"
    assert known.additional_data == {"via": "page", "username": "off_a"}
    assert unknown.object_pk == "" and unknown.object_repr == "nobody"
    # The failure that reaches the limit says it locked the name out.
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "off_a", "password": "wrong"})
    assert entries(Action.SIGN_IN_FAILED)[-1].additional_data["locked_out"] is True
    assert "wrong" not in json.dumps(list(AuditEntry.objects.values("additional_data", "object_repr", "changes")))


def test_sign_in_and_out_on_the_page_are_recorded(world):
    client = Client(REMOTE_ADDR="10.9.8.7")
    assert client.post(reverse("login"), {"username": "sup_a", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    (signed_in,) = entries(Action.SIGN_IN)
    (signed_out,) = entries(Action.SIGN_OUT)
    for entry in (signed_in, signed_out):
        assert entry.actor == world.supervisor_a and entry.remote_addr == "10.9.8.7"
        assert entry.object_id == world.supervisor_a.pk
    assert signed_in.additional_data == {"via": "page"}


def test_the_token_endpoint_records_sign_ins_and_failures(world):
    api = api_client()
    api.post("/api/v1/auth/token/", {"username": "off_b", "password": "wrong"}, format="json")
    assert (
        api.post("/api/v1/auth/token/", {"username": "off_b", "password": PASSWORD}, format="json").status_code == 200
    )
    (failed,) = entries(Action.SIGN_IN_FAILED)
    (signed_in,) = entries(Action.SIGN_IN)
    assert failed.additional_data == {"via": "api", "username": "off_b"} and failed.actor is None
    assert signed_in.actor == world.official_b and signed_in.additional_data == {"via": "api"}
    assert signed_in.remote_addr == "127.0.0.1"


def test_an_export_is_recorded_with_its_list_filter_and_row_count(world, make_issue):
    make_issue()
    make_issue()
    client = Client(REMOTE_ADDR="10.0.0.5")
    client.force_login(world.supervisor_a)
    response = client.get(reverse("issue-export"), {"status": "registered", "q": "融资"})
    assert response.status_code == 200
    (export,) = entries(Action.EXPORT)
    assert export.actor == world.supervisor_a and export.remote_addr == "10.0.0.5"
    details = export.additional_data
    assert details["path"] == reverse("issue-export") and details["rows"] == 2
    assert details["filter"] == {"status": "registered", "q": "融资"}
    assert details["file"].startswith("issues-") and export.object_repr == details["file"]


def test_visit_and_master_data_exports_are_recorded_too(world):
    client = Client()
    client.force_login(world.admin)
    client.get(reverse("visit-export"))
    client.get(reverse("master-export", args=["enterprises"]))
    visits, enterprises = entries(Action.EXPORT)
    assert visits.additional_data["path"] == reverse("visit-export") and visits.additional_data["rows"] == 0
    assert enterprises.additional_data["rows"] == 3 and enterprises.actor == world.admin


def test_a_bulletin_download_is_recorded(world, settings, tmp_path):
    from issues import bulletins

    settings.MEDIA_ROOT = tmp_path
    bulletin = bulletins.bulletin_make(
        actor=world.supervisor_a, region=world.county_a, start=datetime.date(2026, 5, 1), end=datetime.date(2026, 5, 31)
    )
    client = Client()
    client.force_login(world.supervisor_a)
    assert client.get(reverse("bulletin-file", args=[bulletin.pk])).status_code == 200
    (export,) = entries(Action.EXPORT)
    assert export.actor == world.supervisor_a
    assert export.additional_data["bulletin"] == str(bulletin)
    assert export.additional_data["rows"] == bulletins.row_count(bulletin.data)


def test_the_actor_is_the_token_user_the_acting_one_or_none(world):
    from enterprises import services

    # An API call signed in with a token: DRF signs it in after the middleware ran.
    api = api_client(world.admin)
    response = api.patch(f"/api/v1/units/{world.unit_b.pk}/", {"head_name": "王五"}, format="json")
    assert response.status_code == 200
    change = AuditEntry.objects.get(action=Action.UPDATE, object_id=world.unit_b.pk)
    assert change.actor == world.admin and change.remote_addr == "127.0.0.1"
    assert change.changes == {"head_name": [world.unit_b.head_name, "王五"]}
    # A service called outside any request (a task, a command) names its actor.
    services.unit_save(actor=world.admin, unit=world.unit_b, head_name="赵六")
    latest = AuditEntry.objects.filter(object_id=world.unit_b.pk).latest("pk")
    assert latest.actor == world.admin and latest.remote_addr is None
    # A write with no actor anywhere says so.
    with audit.acting(None):
        CalendarDay.objects.create(date="2026-10-01", kind="holiday", name="国庆节")
    created = AuditEntry.objects.get(action=Action.CREATE, content_type__model="calendarday")
    assert created.actor is None and created.changes["name"] == [None, "国庆节"]


def test_the_holiday_calendar_edited_in_the_django_admin_is_audited(world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client()
    client.force_login(world.admin)
    add = reverse("admin:core_calendarday_add")
    assert client.post(add, {"date": "2026-10-08", "kind": "holiday", "name": "国庆节"}).status_code == 302
    (created,) = AuditEntry.objects.filter(action=Action.CREATE, content_type__model="calendarday")
    assert created.actor == world.admin and created.changes["kind"] == [None, "holiday"]


def test_no_password_or_hash_is_ever_recorded(world):
    from enterprises import services

    client = Client()
    # The admin sets a password through the service, a user sets one through
    # the one-time link, a new account is made with one in the Django admin.
    services.official_save(actor=world.admin, official=world.official_a, password="a-new-long-password-1")
    link = services.official_reset_link(actor=world.admin, official=world.official_b)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "another-long-pass-2", "new_password2": "another-long-pass-2"})
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    client.post(
        reverse("admin:enterprises_official_add"),
        {
            "username": "made_in_admin",
            "password1": "third-long-password-3",
            "password2": "third-long-password-3",
            "usable_password": "true",
            "role": "admin",
            "rank": "staff",
        },
    )
    hashes = [
        world.official_a.__class__.objects.get(username=name).password for name in ("off_a", "off_b", "made_in_admin")
    ]
    recorded = json.dumps(
        list(AuditEntry.objects.values("changes", "additional_data", "serialized_data", "object_repr", "changes_text")),
        ensure_ascii=False,
    )
    token = link.rstrip("/").rsplit("/", 1)[-1]
    for secret in [*hashes, token, "a-new-long-password-1", "another-long-pass-2", "third-long-password-3", "md5$"]:
        assert secret not in recorded
    (made,) = AuditEntry.objects.filter(action=Action.PASSWORD_LINK)
    assert made.actor == world.admin and made.object_id == world.official_b.pk
    assert "password" not in recorded
    # …and yet each password change is on the trail, as the time it changed.
    changed = AuditEntry.objects.filter(changes__has_key="credentials_changed_at")
    assert {entry.object_repr for entry in changed} >= {str(world.official_a), str(world.official_b)}


def test_changes_read_in_words_choices_relations_and_permissions(db):
    """The trail shows a choice by its words, a reverse relation by the rows'
    name and a permission (stored by Django in English) in Chinese."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import translation

    from core.audit import change_lines
    from enterprises.models import Enterprise, Official
    from issues.models import TimeLimitScheme

    def lines(model, changes):
        entry = AuditEntry(content_type=ContentType.objects.get_for_model(model), changes=changes)
        return [tuple(line) for line in change_lines(entry)]

    with translation.override("zh-hans"):
        assert lines(Enterprise, {"size": ["small", "medium"]}) == [("规模", "小型", "中型")]
        assert lines(Official, {"role": [None, "supervisor"]})[0][1:] == ("—", "督查")
        assert lines(TimeLimitScheme, {"limits": ["x", "y"]})[0][0] != "limits"
        permission = {"type": "m2m", "operation": "add", "objects": ["企业与帮扶单位 | 企业 | Can view enterprise"]}
        assert lines(Official, {"user_permissions": permission})[0][2] == "企业与帮扶单位 | 企业 | 可查看企业"
