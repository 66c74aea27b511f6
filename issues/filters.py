import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core import clock
from core.filters import IdFilter, SearchFilterSet, YesNoFilter
from core.forms import DateInput, MonthInput
from enterprises.filters import RegionSubtreeFilter, restricted, visible_enterprises, visible_units
from enterprises.models import Campaign, Region
from enterprises.scope import handled_by_listed

from . import deadlines, figures
from .choices import Category, NoticeKind, Priority, Source, Status
from .models import Issue, SuperviseNotice


# The page's drop-downs, with only what they show (a province has 3,000
# units and as many towns).
def _unit_choices(request):
    return visible_units(request).only("id", "name")


def _region_choices(request):
    return restricted(Region)(request).only("id", "name", "path")


class IssueFilter(SearchFilterSet):
    search_fields = ("number", "title", "enterprise__name", "enterprise__credit_code")
    page_fields = (
        "q",
        "status",
        "category",
        "unit",
        "region",
        "overdue",
        "due_soon",
        "escalated",
        "registered_from",
        "registered_to",
    )
    # Columns of the issue itself: no row can come twice, so no DISTINCT
    # (django-filter's default for a multiple choice) over the whole row.
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple, distinct=False
    )
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices, label=_("Category"), widget=forms.CheckboxSelectMultiple, distinct=False
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("Source"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    # Every id filter offers only what the user may see (no names leak through a dropdown).
    enterprise = django_filters.ModelChoiceFilter(queryset=visible_enterprises, label=_("Enterprise"))
    campaign = django_filters.ModelChoiceFilter(queryset=restricted(Campaign), label=_("Campaign"))
    responsible_unit = django_filters.ModelChoiceFilter(queryset=visible_units, label=_("Responsible unit"))
    visit = django_filters.NumberFilter(label=_("Visit"))
    unit = IdFilter(queryset=_unit_choices, method="filter_unit", label=_("Responsible or co-handling unit"))
    region = RegionSubtreeFilter(path_field="enterprise__region__path", queryset=_region_choices, label=_("Region"))
    enterprise_region = django_filters.ModelChoiceFilter(
        field_name="enterprise__region", queryset=restricted(Region), label=_("Region (directly in it)")
    )
    overdue = YesNoFilter(method="filter_overdue", label=_("Overdue"))
    due_soon = YesNoFilter(method="filter_due_soon", label=_("Due soon"))
    escalated = YesNoFilter(field_name="escalated_at", lookup_expr="isnull", exclude=True, label=_("Escalated"))
    extension_pending = YesNoFilter(label=_("Extension pending"))
    registered_from = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__gte", label=_("Registered from"), widget=DateInput()
    )
    registered_to = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__lte", label=_("Registered to"), widget=DateInput()
    )
    closed_from = django_filters.DateFilter(
        field_name="closed_at", lookup_expr="date__gte", label=_("Closed from"), widget=DateInput()
    )
    closed_to = django_filters.DateFilter(
        field_name="closed_at", lookup_expr="date__lte", label=_("Closed to"), widget=DateInput()
    )
    # The issues behind one of the supervisors' figures (where the dashboard's numbers lead).
    figure = django_filters.ChoiceFilter(choices=figures.CHOICES, method="filter_figure", label=_("Figure"))

    class Meta:
        model = Issue
        fields = [
            "q",
            "status",
            "category",
            "source",
            "priority",
            "enterprise",
            "campaign",
            "visit",
            "responsible_unit",
            "unit",
            "region",
            "enterprise_region",
            "overdue",
            "due_soon",
            "escalated",
            "extension_pending",
            "registered_from",
            "registered_to",
            "closed_from",
            "closed_to",
            "figure",
        ]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(handled_by_listed(value.pk))

    def filter_figure(self, queryset, name, value):
        return queryset.filter(figures.COUNTED, figures.condition(value, clock.today()))

    def filter_overdue(self, queryset, name, value):
        overdue = deadlines.overdue(clock.today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_due_soon(self, queryset, name, value):
        soon = deadlines.due_soon(clock.today())
        return queryset.filter(soon) if value else queryset.exclude(soon)


class NoticeFilter(SearchFilterSet):
    """The 督办 ladder's notices (issues.ladder), for supervisors."""

    search_fields = ("number", "issue__number", "issue__title", "issue__enterprise__name", "unit__name")
    page_fields = ("q", "kind", "unit", "region", "month")
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices, label=_("Kind"))
    unit = django_filters.ModelChoiceFilter(queryset=visible_units, label=_("Unit"))
    region = RegionSubtreeFilter(path_field="issue__enterprise__region__path", label=_("Region"))
    month = django_filters.DateFilter(
        method="filter_month", input_formats=["%Y-%m"], label=_("Month issued"), widget=MonthInput()
    )
    issued_from = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", label=_("Issued from"), widget=DateInput()
    )
    issued_to = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", label=_("Issued to"), widget=DateInput()
    )

    class Meta:
        model = SuperviseNotice
        fields = ["q", "kind", "unit", "region", "month", "issued_from", "issued_to"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(issued_on__year=value.year, issued_on__month=value.month)
