import datetime

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.filters import (
    IdFilter,
    RegionSubtreeFilter,
    SearchFilterSet,
    YesNoFilter,
    visible_enterprises,
    visible_officials,
    visible_units,
)

from .choices import EnterpriseSize, Industry, Rank, RegionLevel, Role, UnitKind
from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region


class RegionFilter(SearchFilterSet):
    search_fields = ("name", "code")
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    within = RegionSubtreeFilter(path_field="path", label="Within region")

    class Meta:
        model = Region
        fields = ["q", "parent", "level", "within"]


class HelpUnitFilter(SearchFilterSet):
    search_fields = ("name", "head_name", "contact_name")
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    region = RegionSubtreeFilter(path_field="region__path")

    class Meta:
        model = HelpUnit
        fields = ["q", "kind", "region", "is_active"]


class OfficialFilter(SearchFilterSet):
    search_fields = ("username", "name", "phone")
    unit = django_filters.ModelChoiceFilter(queryset=visible_units)
    role = django_filters.ChoiceFilter(choices=Role.choices)
    rank = django_filters.ChoiceFilter(choices=Rank.choices)

    class Meta:
        model = Official
        fields = ["q", "unit", "role", "rank", "is_active"]


class EnterpriseFilter(SearchFilterSet):
    search_fields = ("name", "credit_code", "legal_representative")
    page_fields = ("q", "region", "industry", "size", "is_key", "is_above_scale", "unit", "visited")
    region = RegionSubtreeFilter(path_field="region__path", label=_("Region"))
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"))
    size = django_filters.ChoiceFilter(choices=EnterpriseSize.choices, label=_("Size"))
    is_key = YesNoFilter(label=_("Key enterprise"))
    is_above_scale = YesNoFilter(label=_("Above scale"))
    is_active = YesNoFilter(label=_("Active"))
    unit = IdFilter(queryset=visible_units, method="filter_unit", label=_("Help unit"))
    visited = YesNoFilter(method="filter_visited", label=_("Visited within the campaign's frequency"))
    campaign = IdFilter(queryset=Campaign.objects.all(), method="filter_campaign", label=_("Assigned in campaign"))

    class Meta:
        model = Enterprise
        fields = [
            "q",
            "region",
            "industry",
            "size",
            "is_key",
            "is_above_scale",
            "is_active",
            "unit",
            "visited",
            "campaign",
        ]

    def filter_unit(self, queryset, name, value):
        rows = AssignmentUnit.objects.filter(unit=value, assignment__enterprise=OuterRef("pk"))
        return queryset.filter(Exists(rows))

    def filter_visited(self, queryset, name, value):
        """Visited within the current campaign's visit frequency (e.g. 90 days)."""
        from core import clock
        from visits.models import Visit

        campaign = Campaign.objects.current()
        days = campaign.visit_every_days if campaign else 90
        since = clock.today() - datetime.timedelta(days=days)
        recent = Exists(Visit.objects.filter(enterprise=OuterRef("pk"), date__gte=since))
        return queryset.filter(recent) if value else queryset.exclude(recent)

    def filter_campaign(self, queryset, name, value):
        return queryset.filter(Exists(Assignment.objects.filter(campaign=value, enterprise=OuterRef("pk"))))


class CampaignFilter(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Campaign
        fields = ["q", "is_current"]


class AssignmentFilter(SearchFilterSet):
    search_fields = ("enterprise__name", "enterprise__credit_code")
    enterprise = django_filters.ModelChoiceFilter(queryset=visible_enterprises)
    leader = django_filters.ModelChoiceFilter(queryset=visible_officials)
    unit = IdFilter(queryset=visible_units, method="filter_unit")
    lead_unit = IdFilter(queryset=visible_units, method="filter_lead_unit")

    class Meta:
        model = Assignment
        fields = ["q", "campaign", "enterprise", "leader", "unit", "lead_unit"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(Exists(AssignmentUnit.objects.filter(assignment=OuterRef("pk"), unit=value)))

    def filter_lead_unit(self, queryset, name, value):
        return queryset.filter(
            Exists(AssignmentUnit.objects.filter(assignment=OuterRef("pk"), unit=value, is_lead=True))
        )
