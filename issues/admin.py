from django.contrib import admin

from .models import DeadlinePolicy, ExtensionRequest, Issue, IssueEvent


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ("category", "accept_days", "resolve_days", "verify_days", "rework_days")
    search_fields = ("category",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """State changes only through issues.services, which writes the events;
    the admin shows the ledger but does not edit it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IssueEventInline(admin.TabularInline):
    model = IssueEvent
    extra = 0
    fields = ("created_at", "action", "actor", "actor_unit", "from_status", "to_status", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "enterprise", "category", "status", "responsible_unit", "due_date")
    list_filter = ("status", "category", "source", "priority", "responsible_unit")
    search_fields = ("number", "title", "enterprise__name")
    date_hierarchy = "registered_at"
    list_select_related = ("enterprise", "responsible_unit")
    inlines = [IssueEventInline]


@admin.register(IssueEvent)
class IssueEventAdmin(ReadOnlyAdmin):
    list_display = ("issue", "action", "actor", "from_status", "to_status", "created_at")
    list_filter = ("action",)
    search_fields = ("issue__number", "note")
    list_select_related = ("issue", "actor")


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ("issue", "unit", "old_due_date", "new_due_date", "status", "requested_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("issue__number", "reason")
    list_select_related = ("issue", "unit")
