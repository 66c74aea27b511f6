"""Reads of master data, always through each model's visible_to."""

from django.db.models import OuterRef, Prefetch, Subquery

from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region


def region_list(*, user):
    return Region.objects.visible_to(user).select_related("parent")


def unit_list(*, user):
    return HelpUnit.objects.visible_to(user).select_related("region")


def official_list(*, user):
    return Official.objects.visible_to(user).select_related("unit")


def enterprise_list(*, user):
    return Enterprise.objects.visible_to(user).select_related("region")


def campaign_list(*, user):
    return Campaign.objects.visible_to(user)


def assignment_list(*, user):
    return (
        Assignment.objects.visible_to(user)
        .select_related("campaign", "enterprise", "leader")
        .prefetch_related(
            Prefetch(
                "units",
                queryset=AssignmentUnit.objects.select_related("unit", "responsible", "contact").order_by(
                    "-is_lead", "unit__name"
                ),
            )
        )
    )


def last_visit_by_unit(unit_id, enterprise_ref="enterprise"):
    """Subquery: the latest visit date to an enterprise by one unit's people."""
    from visits.models import Visit

    return Subquery(
        Visit.objects.filter(enterprise=OuterRef(enterprise_ref), participant_rows__unit_id=unit_id)
        .order_by("-date")
        .values("date")[:1]
    )


def last_visit_any(enterprise_ref="pk"):
    from visits.models import Visit

    return Subquery(Visit.objects.filter(enterprise=OuterRef(enterprise_ref)).order_by("-date").values("date")[:1])


def enterprise_directory(*, user):
    """The enterprise list page: each row with its last visit."""
    return enterprise_list(user=user).annotate(last_visit=last_visit_any())


def unit_assignments(*, user, campaign):
    """The enterprises the user's unit helps in a campaign (My work), each with
    the date of the unit's last visit."""
    if campaign is None or user.unit_id is None:
        return Assignment.objects.none()
    return (
        assignment_list(user=user)
        .filter(campaign=campaign, units__unit_id=user.unit_id)
        .annotate(last_visit=last_visit_by_unit(user.unit_id))
        .order_by("last_visit", "enterprise__name")
    )


def enterprise_get(*, user, pk: int) -> Enterprise:
    return enterprise_list(user=user).get(pk=pk)


def enterprise_team(*, user, enterprise: Enterprise, campaign):
    """The enterprise's 三帮一 team in a campaign, or None."""
    if campaign is None:
        return None
    return assignment_list(user=user).filter(campaign=campaign, enterprise=enterprise).first()
