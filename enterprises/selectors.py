"""Reads of master data, always through each model's visible_to."""

from django.db.models import Prefetch

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
