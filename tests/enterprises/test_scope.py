"""The scope rule (enterprises.scope), walked: every scoped model and every
list, count, annotation and filter that reads a related scoped model, for an
official, a supervisor of another region and an admin.

The expectations are written here from the rule in words (README, DOMAIN.md),
independently of REACH, so a change to either shows up as a failure."""

import datetime

import pytest
from django.apps import apps
from django.urls import reverse

from enterprises.models import Enterprise
from enterprises.scope import REACH, ScopedQuerySet
from issues import intake
from issues import services as issue_services
from issues.models import ExtensionRequest, Issue, IssueEvent
from visits import services as visit_services
from visits.models import Visit, VisitParticipant

from ..conftest import api_client, drive
from ..factories import OfficialFactory


def test_every_scoped_model_is_declared_once_and_only_through_restrict():
    scoped = {
        model._meta.label for model in apps.get_models() if isinstance(model._default_manager.all(), ScopedQuerySet)
    }
    assert scoped == set(REACH)
    # Unrestricted querysets say so, restricted ones (and what is derived from them) too.
    assert not Issue.objects.all().is_restricted
    assert Issue.objects.restrict(None).filter(pk=1).order_by("pk").is_restricted


@pytest.fixture
def walk(world, make_issue):
    """Things in and out of the official's reach, in both counties."""
    w = world
    unit_a4_person = OfficialFactory(username="a4_person", unit=w.unit_a4)
    with_unit_a4 = dict(form="onsite", purposes=["situation"], summary="了解情况")

    def register(actor, enterprise):
        return issue_services.issue_register(actor=actor, enterprise=enterprise, category="land", title="用地")

    # On the enterprise unit_a helps, registered and handled by others: read by the team.
    team_issue = register(w.official_a2, w.enterprise_a)
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=team_issue.pk, unit=w.unit_a3)
    # On an enterprise unit_a does not help: one it handles, one it does not.
    handled = register(w.supervisor_a, w.enterprise_a_other)
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=handled.pk, unit=w.unit_a)
    not_ours = register(w.supervisor_a, w.enterprise_a_other)
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=not_ours.pk, unit=w.unit_a4)
    co_handled = register(w.supervisor_a, w.enterprise_a_other)
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=co_handled.pk, unit=w.unit_a4, co_units=[w.unit_a])
    # In the other county.
    far_issue = register(w.official_b, w.enterprise_b)
    issue_services.issue_assign(actor=w.supervisor_b, issue_id=far_issue.pk, unit=w.unit_b)
    # A visit by unit_a to the enterprise it helps; one by another unit to an
    # enterprise unit_a only handles an issue of (unit_a4 handles one
    # there too, so it may visit it); one in the other county.
    ours = visit_services.visit_record(
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=datetime.date(2026, 5, 20),
        **with_unit_a4,
    )
    theirs = visit_services.visit_record(
        actor=unit_a4_person,
        enterprise=w.enterprise_a_other,
        date=datetime.date(2026, 5, 28),
        **with_unit_a4,
    )
    far = visit_services.visit_record(
        actor=w.official_b,
        enterprise=w.enterprise_b,
        date=datetime.date(2026, 5, 25),
        **with_unit_a4,
    )

    # A visit unit_a took part in, where a colleague raised an issue that went
    # to another unit: the official sees the visit but not that issue.
    shared = intake.visit_record_with_issues(
        actor=w.official_a_colleague,
        enterprise=w.enterprise_a_other,
        date=datetime.date(2026, 2, 2),  # long before the campaign's 90 days
        issues=[intake.RaisedIssue(category="land", title="用地指标")],
        **with_unit_a4,
    )
    hidden = Issue.objects.get(visit=shared)
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=hidden.pk, unit=w.unit_a4)
    # Extension requests in reach and out of it.
    drive(handled, w, "accept")
    issue_services.issue_request_extension(
        actor=w.official_a, issue_id=handled.pk, new_due_date=datetime.date(2026, 8, 1), reason="用地报批"
    )
    issue_services.issue_accept(actor=unit_a4_person, issue_id=not_ours.pk)
    issue_services.issue_request_extension(
        actor=unit_a4_person, issue_id=not_ours.pk, new_due_date=datetime.date(2026, 8, 1), reason="用地报批"
    )
    return w, locals()


def official_sees(w, things):
    """The rule in words, for official_a of unit_a (甲县经信局)."""
    return {
        "enterprises": {w.enterprise_a.pk, w.enterprise_a_other.pk},
        "issues": {things[n].pk for n in ("team_issue", "handled", "co_handled")},
        "visits": {things["ours"].pk, things["shared"].pk},
        "units": {w.unit_a.pk, w.unit_a2.pk},
        "officials": {w.official_a.pk, w.official_a_colleague.pk, w.official_a2.pk, w.leader.pk},
    }


def test_each_model_restricts_to_the_rule_for_each_kind_of_user(walk):
    w, things = walk
    expected = official_sees(w, things)
    rows = {
        "enterprises": Enterprise.objects,
        "issues": Issue.objects,
        "visits": Visit.objects,
        "units": apps.get_model("enterprises.HelpUnit").objects,
        "officials": apps.get_model("enterprises.Official").objects,
    }
    for name, manager in rows.items():
        assert set(manager.restrict(w.official_a).values_list("pk", flat=True)) == expected[name], name
    # Rows reached through their parent follow it exactly.
    visible_issues = expected["issues"]
    assert set(IssueEvent.objects.restrict(w.official_a).values_list("issue", flat=True)) == visible_issues
    assert set(ExtensionRequest.objects.restrict(w.official_a).values_list("issue", flat=True)) == {
        things["handled"].pk
    }
    assert set(VisitParticipant.objects.restrict(w.official_a).values_list("visit", flat=True)) == expected["visits"]

    # A supervisor of the other county sees only that county; an admin sees everything.
    for label in REACH:
        model = apps.get_model(label)
        everything = set(model.objects.values_list("pk", flat=True))
        assert set(model.objects.restrict(w.admin).values_list("pk", flat=True)) == everything, label
        theirs = set(model.objects.restrict(w.supervisor_b).values_list("pk", flat=True))
        path = REACH[label].region
        if REACH[label].public:
            assert theirs == everything, label
        elif path is None:
            assert theirs == set(), label
        else:
            in_b = {
                pk
                for pk, region in model.objects.values_list("pk", f"{path}__path")
                if region and region.startswith(w.county_b.path)
            }
            assert theirs == in_b, label
    assert set(Issue.objects.restrict(w.supervisor_b).values_list("pk", flat=True)) == {things["far_issue"].pk}
    # Signed out or deactivated: nothing.
    w.official_a.is_active = False
    assert not Issue.objects.restrict(w.official_a).exists()


def test_pages_and_api_list_count_and_date_only_what_is_in_scope(client, walk):
    w, things = walk
    expected = official_sees(w, things)
    api = api_client(w.official_a)
    for resource, name in (("enterprises", "enterprises"), ("issues", "issues"), ("visits", "visits")):
        listed = {row["id"] for row in api.get(f"/api/v1/{resource}/", {"page_size": 100}).json()["results"]}
        assert listed == expected[name], resource
    assert {row["id"] for row in api.get("/api/v1/units/").json()["results"]} == expected["units"]
    assert {row["id"] for row in api.get("/api/v1/officials/").json()["results"]} == expected["officials"]

    client.force_login(w.official_a)
    for url, name in (("enterprise-list", "enterprises"), ("issue-list", "issues"), ("visit-list", "visits")):
        page = client.get(reverse(url)).context["page"]
        assert {row.pk for row in page.object_list} == expected[name], url
        assert page.paginator.count == len(expected[name]), url

    # The last-visit date and the "visited" filter read only visits the user may open:
    # 甲县未结对企业 was visited by 甲县税务局 on 28 May, a visit the official cannot see;
    # the last one they may see is their unit's, in February.
    rows = {row.pk: row for row in client.get(reverse("enterprise-list")).context["page"].object_list}
    assert rows[w.enterprise_a.pk].last_visit == datetime.date(2026, 5, 20)
    assert rows[w.enterprise_a_other.pk].last_visit == datetime.date(2026, 2, 2)
    visited = client.get(reverse("enterprise-list"), {"visited": "true"}).context["page"].object_list
    assert {row.pk for row in visited} == {w.enterprise_a.pk}
    not_visited = client.get(reverse("enterprise-list"), {"visited": "false"}).context["page"].object_list
    assert {row.pk for row in not_visited} == {w.enterprise_a_other.pk}
    # The visit list's count of issues raised counts only issues in scope.
    visits = {v.pk: v for v in client.get(reverse("visit-list")).context["page"].object_list}
    assert visits[things["shared"].pk].issue_count == 0
    api_visits = {row["id"]: row for row in api.get("/api/v1/visits/").json()["results"]}
    assert api_visits[things["shared"].pk]["issue_count"] == 0
    supervisor_view = api_client(w.supervisor_a).get(f"/api/v1/visits/{things['shared'].pk}/").json()
    assert supervisor_view["issue_count"] == 1
    # The enterprise page lists only the issues and visits in scope.
    page = client.get(reverse("enterprise-detail", args=[w.enterprise_a_other.pk])).context
    assert {issue.pk for issue in page["issues"]} == {things["handled"].pk, things["co_handled"].pk}
    assert [visit.pk for visit in page["visits"]] == [things["shared"].pk]
    # Drop-downs offer only what is in scope.
    unit_choices = client.get(reverse("issue-list")).context["filter"].form.fields["unit"].queryset
    assert set(unit_choices.values_list("pk", flat=True)) == expected["units"]

    # A guessed id outside the scope is a 404, page and API alike.
    outside = {
        "enterprise-detail": w.enterprise_b.pk,
        "issue-detail": things["not_ours"].pk,
        "visit-detail": things["theirs"].pk,
    }
    for url, pk in outside.items():
        assert client.get(reverse(url, args=[pk])).status_code == 404, url
    assert api.get(f"/api/v1/issues/{things['far_issue'].pk}/").status_code == 404
    assert api.get(f"/api/v1/issues/{things['not_ours'].pk}/events/").status_code == 404
    assert api.get(f"/api/v1/visits/{things['far'].pk}/").status_code == 404
    assert api.get(f"/api/v1/enterprises/{w.enterprise_b.pk}/").status_code == 404

    # Reading is not acting: the team's issue is read, but only its unit signs for it.
    response = api.post(f"/api/v1/issues/{things['team_issue'].pk}/accept/")
    assert (response.status_code, response.json()["code"]) == (403, "not_responsible_unit")


def test_a_supervisor_of_another_region_counts_nothing_of_this_one(client, walk):
    w, things = walk
    api = api_client(w.supervisor_b)
    stats = api.get("/api/v1/stats/", {"group_by": "unit"}).json()["results"]
    assert sum(row["registered"] for row in stats) == 1
    client.force_login(w.supervisor_b)
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.context["totals"]["registered"] == 1
    assert dashboard.context["visits"]["visits"] == 1
    enterprises = client.get(reverse("enterprise-list")).context["page"].object_list
    assert {row.pk: row.last_visit for row in enterprises} == {w.enterprise_b.pk: datetime.date(2026, 5, 25)}


def test_admin_lists_read_through_the_scope_too(client, walk):
    from django.contrib.auth.models import Permission

    w, things = walk
    view_issue = Permission.objects.get(codename="view_issue")
    w.admin.is_staff = True
    w.admin.save()
    w.admin.user_permissions.add(view_issue)
    client.force_login(w.admin)
    everything = client.get(reverse("admin:issues_issue_changelist")).context["cl"].result_count
    assert everything == Issue.objects.count()
    # A staff account of a supervisor of the other county, allowed to view issues.
    w.supervisor_b.is_staff = True
    w.supervisor_b.save()
    w.supervisor_b.user_permissions.add(view_issue)
    client.force_login(w.supervisor_b)
    changelist = client.get(reverse("admin:issues_issue_changelist"))
    assert {issue.pk for issue in changelist.context["cl"].result_list} == {things["far_issue"].pk}
    # Its side filter names only the units of the issues it lists.
    assert "甲县经信局" not in changelist.content.decode() and "乙县经信局" in changelist.content.decode()
    assert client.get(reverse("admin:issues_issue_change", args=[things["handled"].pk])).status_code == 302


def test_a_supervisor_judges_only_the_units_of_their_region(client, world):
    from ..factories import AssignmentUnitFactory

    # 乙县经信局 (the other county) also helps 甲企业: 甲县's supervisor neither sees
    # whether it filed its plan nor lists it as quiet; each quiet unit's link
    # leads to a list of exactly that many enterprises.
    AssignmentUnitFactory(assignment=world.assignment_a, unit=world.unit_b)
    client.force_login(world.supervisor_a)
    visits = client.get(reverse("dashboard")).context["visits"]
    assert "乙县经信局" not in {unit["name"] for unit in visits["quiet_units"]}
    assert "乙县经信局" not in {unit["name"] for unit in visits["plans_missing"]}
    assert visits["quiet_units"]
    for unit in visits["quiet_units"]:
        listed = client.get(unit["link"]).context["page"].paginator.count
        assert listed == unit["assigned"], unit["name"]


def test_an_official_sees_the_team_of_an_enterprise_they_work_for_and_its_people(world):
    from enterprises.models import Assignment, HelpUnit, Official

    from ..factories import AssignmentFactory, AssignmentUnitFactory

    w = world
    # 甲县经信局 handles an issue of 甲县未结对企业, whose team is 甲县税务局's.
    person = OfficialFactory(username="a4_head", unit=w.unit_a4)
    team = AssignmentFactory(campaign=w.campaign, enterprise=w.enterprise_a_other, leader=w.leader)
    AssignmentUnitFactory(assignment=team, unit=w.unit_a4, is_lead=True, responsible=person)
    issue = issue_services.issue_register(
        actor=w.supervisor_a, enterprise=w.enterprise_a_other, category="land", title="用地"
    )
    issue_services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=w.unit_a)
    assert Assignment.objects.restrict(w.official_a).filter(pk=team.pk).exists()
    assert HelpUnit.objects.restrict(w.official_a).filter(pk=w.unit_a4.pk).exists()
    assert Official.objects.restrict(w.official_a).filter(pk=person.pk).exists()
    assert api_client(w.official_a).get(f"/api/v1/officials/{person.pk}/").status_code == 200
    # 乙县's people stay out of reach.
    assert not Official.objects.restrict(w.official_a).filter(pk=w.official_b.pk).exists()


def test_a_visit_s_files_are_seen_by_whoever_sees_the_visit(client, world, tmp_path, settings):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    from visits.models import VisitAttachment

    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    visit = visit_services.visit_record(
        summary="了解情况",
        actor=world.official_a,
        enterprise=world.enterprise_a,
        date=datetime.date(2026, 5, 29),
        form="onsite",
        purposes=["situation"],
        files=[SimpleUploadedFile("现场.png", png)],
    )
    photo = visit.attachments.get()
    for user, sees in ((world.official_a, True), (world.supervisor_a, True), (world.official_b, False)):
        assert VisitAttachment.objects.restrict(user).filter(pk=photo.pk).exists() is sees
        client.force_login(user)
        assert client.get(reverse("attachment", args=[photo.pk])).status_code == (200 if sees else 404)
