import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.filters import (
    IdFilter,
    RegionSubtreeFilter,
    SearchFilterSet,
    visible_enterprises,
    visible_officials,
    visible_units,
)
from core.forms import DateInput
from enterprises.models import Campaign

from .choices import VisitForm, VisitPurpose
from .models import Visit, VisitParticipant


class VisitFilter(SearchFilterSet):
    search_fields = ("summary", "enterprise__name", "enterprise__credit_code")
    page_fields = ("q", "date_from", "date_to", "form", "purpose", "region", "unit")
    form = django_filters.ChoiceFilter(choices=VisitForm.choices, label=_("Form"))
    purpose = django_filters.ChoiceFilter(choices=VisitPurpose.choices, method="filter_purpose", label=_("Purpose"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"), widget=DateInput())
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"), widget=DateInput())
    region = RegionSubtreeFilter(path_field="enterprise__region__path", label=_("Region"))
    enterprise = django_filters.ModelChoiceFilter(queryset=visible_enterprises, label=_("Enterprise"))
    campaign = django_filters.ModelChoiceFilter(queryset=Campaign.objects.all(), label=_("Campaign"))
    unit = IdFilter(queryset=visible_units, method="filter_unit", label=_("Unit"))
    participant = IdFilter(queryset=visible_officials, method="filter_participant", label=_("Participant"))

    class Meta:
        model = Visit
        fields = [
            "q",
            "enterprise",
            "campaign",
            "form",
            "purpose",
            "date_from",
            "date_to",
            "region",
            "unit",
            "participant",
        ]

    def filter_purpose(self, queryset, name, value):
        # JSON list membership, written so it works on PostgreSQL and SQLite.
        return queryset.filter(purposes__icontains=f'"{value}"')

    def filter_unit(self, queryset, name, value):
        return queryset.filter(Exists(VisitParticipant.objects.filter(visit=OuterRef("pk"), unit=value)))

    def filter_participant(self, queryset, name, value):
        return queryset.filter(Exists(VisitParticipant.objects.filter(visit=OuterRef("pk"), official=value)))
