"""Visits are shown in the admin, never edited: visits.services records a
visit with its participants, their units and its issues in one checked
transaction, which an edit here would bypass."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Visit, VisitChange, VisitParticipant


class VisitParticipantInline(ReadOnlyInline):
    model = VisitParticipant
    fields = ("official", "unit")
    readonly_fields = fields


class VisitChangeInline(ReadOnlyInline):
    model = VisitChange
    fields = ("kind", "at", "actor", "reason", "fields")
    readonly_fields = fields


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    """Withdrawn visits too, marked: the admin is where one is looked for."""

    list_display = ("date", "enterprise", "form", "created_by", "campaign", "withdrawn_at")
    list_filter = ("form", "campaign", ("withdrawn_at", admin.EmptyFieldListFilter))
    search_fields = ("enterprise__name", "summary")
    date_hierarchy = "date"
    list_select_related = ("enterprise", "created_by", "campaign")
    inlines = [VisitParticipantInline, VisitChangeInline]
    exclude = ("purposes",)
    readonly_fields = ("purposes_shown",)

    @admin.display(description=_("purposes"))
    def purposes_shown(self, visit):
        return "、".join(visit.purpose_labels())

    def get_queryset(self, request):
        return Visit.all_objects.restrict(request.user).select_related(*self.list_select_related)
