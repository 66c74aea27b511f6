import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.filters import IdFilter, SearchFilterSet, YesNoFilter

from .choices import EnterpriseSize, Industry, Rank, RegionLevel, Role, UnitKind
from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region

# Every choice a filter offers comes from the user's scope, so no drop-down
# lists a name outside it.


def restricted(model):
    """Choices for a filter: `model`'s rows the requesting user may see."""

    def choices(request):
        return model.objects.restrict(getattr(request, "user", None))

    return choices


def visible_units(request):
    return restricted(HelpUnit)(request).order_by("name")


def visible_officials(request):
    return restricted(Official)(request).order_by("name")


def visible_enterprises(request):
    return restricted(Enterprise)(request).order_by("name")


@extend_schema_field(OpenApiTypes.INT)
class RegionSubtreeFilter(django_filters.ModelChoiceFilter):
    """A region and everything below it, matched on the region path."""

    def __init__(self, *args, path_field: str, **kwargs):
        kwargs.setdefault("queryset", restricted(Region))
        kwargs.setdefault("method", self._subtree)
        self.path_field = path_field
        super().__init__(*args, **kwargs)

    def _subtree(self, queryset, name, value):
        return queryset.filter(**{f"{self.path_field}__startswith": value.path}) if value else queryset


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
    page_fields = ("q", "region", "industry", "size", "is_key", "is_above_scale", "unit")
    region = RegionSubtreeFilter(path_field="region__path", label=_("Region"))
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"))
    size = django_filters.ChoiceFilter(choices=EnterpriseSize.choices, label=_("Size"))
    is_key = YesNoFilter(label=_("Key enterprise"))
    is_above_scale = YesNoFilter(label=_("Above scale"))
    is_active = YesNoFilter(label=_("Active"))
    unit = IdFilter(queryset=visible_units, method="filter_unit", label=_("Help unit"))
    campaign = IdFilter(queryset=restricted(Campaign), method="filter_campaign", label=_("Assigned in campaign"))

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
            "campaign",
        ]

    def filter_unit(self, queryset, name, value):
        rows = AssignmentUnit.objects.filter(unit=value, assignment__enterprise=OuterRef("pk"))
        if campaign := self.form.cleaned_data.get("campaign"):
            rows = rows.filter(assignment__campaign=campaign)  # the unit helps it in that campaign
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
