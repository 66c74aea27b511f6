"""Visits are shown in the admin, never edited: visits.services records a
visit with its participants, their units and its issues in one checked
transaction, which an edit here would bypass."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Visit, VisitParticipant


class VisitParticipantInline(ReadOnlyInline):
    model = VisitParticipant
    fields = ("official", "unit")
    readonly_fields = fields


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("date", "enterprise", "form", "created_by", "campaign")
    list_filter = ("form", "campaign")
    search_fields = ("enterprise__name", "summary")
    date_hierarchy = "date"
    list_select_related = ("enterprise", "created_by", "campaign")
    inlines = [VisitParticipantInline]
