import django_filters
from django.conf import settings
from django.db.models import Q

from core import calendar, clock
from core.filters import IdFilter, RegionSubtreeFilter, SearchFilterSet, visible_enterprises, visible_units

from .choices import WORKING_STATUSES, Category, Priority, Source, Status
from .models import Issue


class IssueFilter(SearchFilterSet):
    search_fields = ("number", "title", "enterprise__name", "enterprise__credit_code")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    # Every id filter offers only what the user may see (no names leak through a dropdown).
    enterprise = django_filters.ModelChoiceFilter(queryset=visible_enterprises)
    responsible_unit = django_filters.ModelChoiceFilter(queryset=visible_units)
    visit = django_filters.NumberFilter()
    unit = IdFilter(queryset=visible_units, method="filter_unit", label="Responsible or co-handling unit")
    region = RegionSubtreeFilter(path_field="enterprise__region__path")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    due_soon = django_filters.BooleanFilter(method="filter_due_soon")
    escalated = django_filters.BooleanFilter(field_name="escalated_at", lookup_expr="isnull", exclude=True)
    extension_pending = django_filters.BooleanFilter()
    registered_from = django_filters.DateFilter(field_name="registered_at", lookup_expr="date__gte")
    registered_to = django_filters.DateFilter(field_name="registered_at", lookup_expr="date__lte")

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
            "overdue",
            "due_soon",
            "escalated",
            "extension_pending",
            "registered_from",
            "registered_to",
        ]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(pk__in=Issue.objects.handled_by_unit(value.pk).values("pk"))

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=WORKING_STATUSES, due_date__lt=clock.today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_due_soon(self, queryset, name, value):
        today = clock.today()
        horizon = calendar.add_working_days(today, settings.ZOUFANG_DUE_SOON_WORKING_DAYS)
        soon = Q(status__in=WORKING_STATUSES, due_date__gte=today, due_date__lte=horizon)
        return queryset.filter(soon) if value else queryset.exclude(soon)
