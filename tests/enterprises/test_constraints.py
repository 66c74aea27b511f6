"""Invariants the database holds by itself, whatever code writes."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from enterprises.models import AssignmentUnit, Campaign, Enterprise, Official, Region
from issues.models import IssueEvent

from ..factories import AssignmentFactory, AssignmentUnitFactory, CampaignFactory, HelpUnitFactory


def immediate():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS assignmentunit_rules IMMEDIATE")


def test_fourth_unit_is_refused_by_the_database(world, pg_only):
    assignment = world.assignment_a  # two units already, mode 3
    AssignmentUnitFactory(assignment=assignment, unit=world.unit_a3)
    with pytest.raises(IntegrityError, match="allows 3"), transaction.atomic():
        AssignmentUnitFactory(assignment=assignment, unit=world.unit_a4)
        immediate()
    assert AssignmentUnit.objects.filter(assignment=assignment).count() == 3


def test_mode_one_campaign_allows_one_unit(world, pg_only):
    campaign = CampaignFactory(units_per_enterprise=1)
    assignment = AssignmentFactory(campaign=campaign, enterprise=world.enterprise_a_other)
    AssignmentUnitFactory(assignment=assignment, unit=world.unit_a, is_lead=True)
    with pytest.raises(IntegrityError, match="allows 1"), transaction.atomic():
        AssignmentUnitFactory(assignment=assignment, unit=world.unit_a2)
        immediate()


def test_exactly_one_lead(world, pg_only):
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentUnitFactory(assignment=world.assignment_a, unit=world.unit_a3, is_lead=True)  # partial unique index
    with pytest.raises(IntegrityError, match="exactly one lead"), transaction.atomic():
        AssignmentUnit.objects.filter(assignment=world.assignment_a).update(is_lead=False)
        immediate()
    # Swapping the lead in two statements is fine: the check runs at the end.
    with transaction.atomic():
        AssignmentUnit.objects.filter(assignment=world.assignment_a, unit=world.unit_a).update(is_lead=False)
        AssignmentUnit.objects.filter(assignment=world.assignment_a, unit=world.unit_a2).update(is_lead=True)
        immediate()
    assert AssignmentUnit.objects.get(assignment=world.assignment_a, is_lead=True).unit == world.unit_a2


def test_issue_events_are_append_only(world, make_issue):
    issue = make_issue("assigned")
    event = IssueEvent.objects.filter(issue=issue).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        IssueEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        IssueEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.note == ""


@pytest.mark.parametrize(
    "write",
    [
        lambda w: Enterprise.objects.filter(pk=w.enterprise_a.pk).update(credit_code="91350100M000100Y4Z"),
        lambda w: Enterprise.objects.filter(pk=w.enterprise_a.pk).update(credit_code=w.enterprise_b.credit_code),
        lambda w: Campaign.objects.filter(pk=CampaignFactory().pk).update(is_current=True),
        lambda w: Campaign.objects.filter(pk=w.campaign.pk).update(units_per_enterprise=4),
        lambda w: Official.objects.filter(pk=w.official_a.pk).update(unit=None),
        lambda w: Region.objects.create(name="甲镇", parent=w.county_a),
        lambda w: HelpUnitFactory(name="甲县经信局", region=w.county_a),
        lambda w: w.make_issue_raw(status="assigned"),
    ],
    ids=[
        "credit-code-form",
        "credit-code-unique",
        "one-current-campaign",
        "mode-1-to-3",
        "official-needs-unit",
        "region-name-per-parent",
        "unit-name-per-region",
        "assigned-needs-unit",
    ],
)
def test_check_and_unique_constraints(world, make_issue, write):
    def make_issue_raw(status):
        issue = make_issue("registered")
        from issues.models import Issue

        Issue.objects.filter(pk=issue.pk).update(status=status)

    world.make_issue_raw = make_issue_raw
    with pytest.raises(IntegrityError), transaction.atomic():
        write(world)
