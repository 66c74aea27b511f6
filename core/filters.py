"""FilterSet helpers every app shares."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """`true` / `false` in the query string (as the API takes them), shown as
    Any / Yes / No."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", _("Any")), ("true", _("Yes")), ("false", _("No")))


def YesNoFilter(**kwargs):
    kwargs.setdefault("widget", YesNoWidget)
    return django_filters.BooleanFilter(**kwargs)


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with `q`: a case-insensitive match over `search_fields`.
    `page_fields`, when set, are the filters a page's form shows."""

    search_fields: tuple[str, ...] = ()
    page_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    def page_form_fields(self):
        names = self.page_fields or tuple(self.form.fields)
        return [self.form[name] for name in names if name in self.form.fields]

    def page_hidden_params(self):
        """Filters in force that the page's form does not show (e.g. an
        enterprise picked on its own page), kept when the form is sent."""
        shown = set(self.page_fields or self.form.fields)
        return (
            [
                (name, value)
                for name in self.filters
                if name not in shown
                for value in self.data.getlist(name)
                if value != ""
            ]
            if hasattr(self.data, "getlist")
            else []
        )

    def page_hidden_filters(self):
        """The same filters as (label, value) in words, so a list reached
        from a link (a dashboard figure, an enterprise's page) says what
        it is narrowed to."""
        if not self.is_bound or not self.is_valid():
            return []
        shown = set(self.page_fields or self.form.fields)
        result = []
        for name, field in self.form.fields.items():
            value = self.form.cleaned_data.get(name)
            if name in shown or value in (None, "", [], ()):
                continue
            if isinstance(value, bool):
                value = _("Yes") if value else _("No")
            elif isinstance(value, str) and getattr(field, "choices", None):
                value = dict(field.choices).get(value, value)
            result.append((field.label or name, value))
        return result

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.ModelChoiceFilter):
    """A reference by id to a related object, filtered by a method."""
