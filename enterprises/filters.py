import django_filters
from django.db.models import Exists, OuterRef

from core.filters import IdFilter, RegionSubtreeFilter, SearchFilterSet

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
    role = django_filters.ChoiceFilter(choices=Role.choices)
    rank = django_filters.ChoiceFilter(choices=Rank.choices)

    class Meta:
        model = Official
        fields = ["q", "unit", "role", "rank", "is_active"]


class EnterpriseFilter(SearchFilterSet):
    search_fields = ("name", "credit_code", "legal_representative")
    region = RegionSubtreeFilter(path_field="region__path")
    industry = django_filters.ChoiceFilter(choices=Industry.choices)
    size = django_filters.ChoiceFilter(choices=EnterpriseSize.choices)
    unit = IdFilter(queryset=HelpUnit.objects.all(), method="filter_unit", label="Help unit")
    campaign = IdFilter(queryset=Campaign.objects.all(), method="filter_campaign", label="Assigned in campaign")

    class Meta:
        model = Enterprise
        fields = ["q", "region", "industry", "size", "is_key", "is_above_scale", "is_active", "unit", "campaign"]

    def filter_unit(self, queryset, name, value):
        rows = AssignmentUnit.objects.filter(unit=value, assignment__enterprise=OuterRef("pk"))
        return queryset.filter(Exists(rows))

    def filter_campaign(self, queryset, name, value):
        return queryset.filter(Exists(Assignment.objects.filter(campaign=value, enterprise=OuterRef("pk"))))


class CampaignFilter(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Campaign
        fields = ["q", "is_current"]


class AssignmentFilter(SearchFilterSet):
    search_fields = ("enterprise__name", "enterprise__credit_code")
    unit = IdFilter(queryset=HelpUnit.objects.all(), method="filter_unit")
    lead_unit = IdFilter(queryset=HelpUnit.objects.all(), method="filter_lead_unit")

    class Meta:
        model = Assignment
        fields = ["q", "campaign", "enterprise", "leader", "unit", "lead_unit"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(Exists(AssignmentUnit.objects.filter(assignment=OuterRef("pk"), unit=value)))

    def filter_lead_unit(self, queryset, name, value):
        return queryset.filter(
            Exists(AssignmentUnit.objects.filter(assignment=OuterRef("pk"), unit=value, is_lead=True))
        )
