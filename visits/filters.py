import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core import clock
from core.filters import IdFilter, SearchFilterSet, YesNoFilter
from core.forms import DateInput
from enterprises.filters import (
    EnterpriseFilter,
    RegionSubtreeFilter,
    restricted,
    visible_enterprises,
    visible_officials,
    visible_units,
)
from enterprises.models import Campaign

from .choices import VisitForm, VisitPurpose
from .models import Visit, VisitParticipant
from .selectors import visit_due_since


class VisitFilter(SearchFilterSet):
    search_fields = ("summary", "enterprise__name", "enterprise__credit_code")
    page_fields = ("q", "date_from", "date_to", "form", "purpose", "region", "unit")
    form = django_filters.ChoiceFilter(choices=VisitForm.choices, label=_("Form"))
    purpose = django_filters.ChoiceFilter(choices=VisitPurpose.choices, method="filter_purpose", label=_("Purpose"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"), widget=DateInput())
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"), widget=DateInput())
    region = RegionSubtreeFilter(path_field="enterprise__region__path", label=_("Region"))
    enterprise = django_filters.ModelChoiceFilter(queryset=visible_enterprises, label=_("Enterprise"))
    campaign = django_filters.ModelChoiceFilter(queryset=restricted(Campaign), label=_("Campaign"))
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


class EnterpriseVisitFilter(EnterpriseFilter):
    """The enterprise list's filters with the ones that read visits: visited
    within the campaign's frequency, and visited (by a help unit) in a period,
    where the dashboard's coverage figures lead. Visits are read through
    restrict(user), so a filter never counts a visit the user cannot open."""

    page_fields = (*EnterpriseFilter.page_fields, "visited")
    visited = YesNoFilter(method="filter_visited", label=_("Visited within the campaign's frequency"))
    # A period of visits, and whether the enterprise had one in it (the dashboard's coverage leads here).
    visit_from = django_filters.DateFilter(method="period_bound", label=_("Visits from"), widget=DateInput())
    visit_to = django_filters.DateFilter(method="period_bound", label=_("Visits to"), widget=DateInput())
    visited_in_period = YesNoFilter(method="filter_visited_in_period", label=_("Visited in the period"))
    unit_visited_in_period = YesNoFilter(
        method="filter_unit_visited_in_period", label=_("Visited by the help unit in the period")
    )

    class Meta(EnterpriseFilter.Meta):
        fields = [
            *EnterpriseFilter.Meta.fields,
            "visited",
            "visit_from",
            "visit_to",
            "visited_in_period",
            "unit_visited_in_period",
        ]

    def period_bound(self, queryset, name, value):
        return queryset  # read by the two filters below

    def _visits(self):
        """The row's visits that the user may open."""
        return Visit.objects.restrict(getattr(self.request, "user", None)).filter(enterprise=OuterRef("pk"))

    def _visits_in_period(self):
        data = self.form.cleaned_data
        visits = self._visits()
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
        """Visited within the current campaign's visit frequency (selectors.visit_due_since)."""
        since = visit_due_since(Campaign.objects.current(), clock.today())
        visits = self._visits()
        recent = Exists(visits.filter(date__gte=since) if since else visits)
        return queryset.filter(recent) if value else queryset.exclude(recent)
