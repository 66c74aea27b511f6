"""FilterSet helpers every app shares."""

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from enterprises.models import Region


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with `q`: a case-insensitive match over `search_fields`."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="filter_q", label="Search")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


@extend_schema_field(OpenApiTypes.INT)
class RegionSubtreeFilter(django_filters.ModelChoiceFilter):
    """A region and everything below it, matched on the region path."""

    def __init__(self, *args, path_field: str, **kwargs):
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("method", self._subtree)
        self.path_field = path_field
        super().__init__(*args, **kwargs)

    def _subtree(self, queryset, name, value):
        return queryset.filter(**{f"{self.path_field}__startswith": value.path}) if value else queryset


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.ModelChoiceFilter):
    """A reference by id to a related object, filtered by a method."""


def _user(request):
    return getattr(request, "user", None)


def visible_units(request):
    """Choices for a unit filter: only the units the user may see, so a
    dropdown never lists names outside the scope."""
    from enterprises.models import HelpUnit

    return HelpUnit.objects.visible_to(_user(request)).order_by("name")


def visible_officials(request):
    from enterprises.models import Official

    return Official.objects.visible_to(_user(request)).order_by("name")


def visible_enterprises(request):
    from enterprises.models import Enterprise

    return Enterprise.objects.visible_to(_user(request)).order_by("name")
