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
from core.forms import DateInput

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
    # A period of visits, and whether the enterprise had one in it (the dashboard's coverage leads here).
    visit_from = django_filters.DateFilter(method="period_bound", label=_("Visits from"), widget=DateInput())
    visit_to = django_filters.DateFilter(method="period_bound", label=_("Visits to"), widget=DateInput())
    visited_in_period = YesNoFilter(method="filter_visited_in_period", label=_("Visited in the period"))
    unit_visited_in_period = YesNoFilter(
        method="filter_unit_visited_in_period", label=_("Visited by the help unit in the period")
    )

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
            "visit_from",
            "visit_to",
            "visited_in_period",
            "unit_visited_in_period",
        ]

    def filter_unit(self, queryset, name, value):
        rows = AssignmentUnit.objects.filter(unit=value, assignment__enterprise=OuterRef("pk"))
        if campaign := self.form.cleaned_data.get("campaign"):
            rows = rows.filter(assignment__campaign=campaign)  # the unit helps it in that campaign
        return queryset.filter(Exists(rows))

    def period_bound(self, queryset, name, value):
        return queryset  # read by the two filters below

    def _visits_in_period(self):
        from visits.models import Visit

        data = self.form.cleaned_data
        visits = Visit.objects.restrict(getattr(self.request, "user", None)).filter(enterprise=OuterRef("pk"))
        if data.get("visit_from"):
            visits = visits.filter(date__gte=data["visit_from"])
        if data.get("visit_to"):
            visits = visits.filter(date__lte=data["visit_to"])
        if data.get("campaign"):
            visits = visits.filter(campaign=data["campaign"])
        return visits

    def filter_visited_in_period(self, queryset, name, value):
        visited = Exists(self._visits_in_period())
        return queryset.filter(visited) if value else queryset.exclude(visited)

    def filter_unit_visited_in_period(self, queryset, name, value):
        visits = self._visits_in_period()
        if unit := self.form.cleaned_data.get("unit"):
            visits = visits.filter(participant_rows__unit=unit)
        visited = Exists(visits)
        return queryset.filter(visited) if value else queryset.exclude(visited)

    def filter_visited(self, queryset, name, value):
        """Visited within the current campaign's visit frequency (e.g. 90 days)."""
        from core import clock
        from visits.models import Visit

        campaign = Campaign.objects.current()
        days = campaign.visit_every_days if campaign else 90
        since = clock.today() - datetime.timedelta(days=days)
        visits = Visit.objects.restrict(getattr(self.request, "user", None))
        recent = Exists(visits.filter(enterprise=OuterRef("pk"), date__gte=since))
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
