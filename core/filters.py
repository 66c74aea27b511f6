"""FilterSet helpers every app shares."""

import datetime

import django_filters
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core import clock

from . import search
from .forms import quicken
from .models import AuditEntry


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """`true` / `false` in the query string (as the API takes them), shown as
    Any / Yes / No."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", _("Any")), ("true", _("Yes")), ("false", _("No")))


def YesNoFilter(**kwargs):
    kwargs.setdefault("widget", YesNoWidget)
    return django_filters.BooleanFilter(**kwargs)


_lazy_label = lazy(django_filters.utils.label_for_filter, str)


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with `q`: a case-insensitive match over `search_fields`
    (the rule, and its indexes, in core.search). `page_fields`, when set,
    are the filters a page's form shows."""

    search_fields: tuple[str, ...] = ()
    page_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    @classmethod
    def get_filters(cls):
        """The filters, each labelled lazily: django-filter makes a missing
        label from the field's verbose name as a plain string, in the
        language of whichever request (the API schema's, say) asked first,
        and keeps it for every page after."""
        filters = super().get_filters()
        for field in filters.values():
            if field._label is None and cls._meta.model is not None:
                field._label = _lazy_label(cls._meta.model, field.field_name, field.lookup_expr, field.exclude)
        return filters

    @property
    def form(self):
        form = super().form
        if not getattr(form, "quickened", False):
            form.quickened = True
            quicken(form)  # the drop-downs of a province's units and towns
        return form

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
        return queryset.filter(search.matches(queryset.model, self.search_fields, value, using=queryset.db))


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.ModelChoiceFilter):
    """A reference by id to a related object, filtered by a method."""


def _audited_models():
    from auditlog.registry import auditlog

    models = sorted(auditlog.get_models(), key=lambda model: str(model._meta.verbose_name))
    return [(model._meta.label_lower, model._meta.verbose_name) for model in models]


class AuditEntryFilter(SearchFilterSet):
    """The audit trail's filters: who, the kind of record, the action, the
    days (in local time); `cid` narrows to one import's entries."""

    search_fields = ("object_repr", "remote_addr")
    page_fields = ("q", "actor", "model", "action", "date_from", "date_to")
    actor = django_filters.CharFilter(method="filter_actor", label=_("Who (user name or name)"))
    model = django_filters.ChoiceFilter(choices=_audited_models, method="filter_model", label=_("Kind of record"))
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices, label=_("Action"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))
    cid = django_filters.CharFilter(label=_("Correlation"))

    class Meta:
        model = AuditEntry
        fields = ["q", "actor", "model", "action", "date_from", "date_to", "cid"]

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(actor__username=value) | Q(actor__name__icontains=value)) if value else queryset

    def filter_model(self, queryset, name, value):
        app_label, _sep, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)

    # Whole local days, as a range on the indexed time.
    def filter_from(self, queryset, name, value):
        return queryset.filter(timestamp__gte=clock.day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(timestamp__lt=clock.day_start(value + datetime.timedelta(days=1)))
