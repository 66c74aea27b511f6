from django.contrib import admin

from .models import Visit, VisitParticipant


class VisitParticipantInline(admin.TabularInline):
    model = VisitParticipant
    extra = 0
    autocomplete_fields = ("official", "unit")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("date", "enterprise", "form", "created_by", "campaign")
    list_filter = ("form", "campaign")
    search_fields = ("enterprise__name", "summary")
    date_hierarchy = "date"
    autocomplete_fields = ("enterprise", "created_by")
    inlines = [VisitParticipantInline]
