"""The issue ledger is shown in the admin, never edited: every state change
goes through issues.services, which writes its event, stamps its time and
recomputes the deadlines; an edit here would do none of that."""

from django.contrib import admin
from django.utils.translation import gettext as _

from core.admin import AdministratorsOnlyAdmin, ReadOnlyAdmin, ReadOnlyInline

from . import channels, schemes
from .models import Delivery, ExtensionRequest, FollowUp, Issue, IssueEvent, SchemeLimit, TimeLimitScheme


class SchemeLimitInline(admin.TabularInline):
    model = SchemeLimit
    extra = 1


@admin.register(TimeLimitScheme)
class TimeLimitSchemeAdmin(admin.ModelAdmin):
    # Edited here on purpose: a campaign's limits are configuration with no
    # rule beyond their database constraints (positive days, a complex-item
    # limit no shorter than the usual one), which the model form checks. A
    # new scheme starts from its preset's limits (issues.schemes.PRESETS).
    list_display = ("campaign", "preset", "accept_days", "answer_days", "resolve_days", "complex_resolve_days")
    inlines = [SchemeLimitInline]
    actions = ["reset_to_preset"]

    def get_changeform_initial_data(self, request):
        preset = request.GET.get("preset") or schemes.DEFAULT_PRESET
        return {"preset": preset, **schemes.PRESETS.get(preset, schemes.PRESETS[schemes.DEFAULT_PRESET])}

    @admin.action(description=_("Reset to the preset's limits (refinements removed)"))
    def reset_to_preset(self, request, queryset):
        for scheme in queryset.select_related("campaign"):
            schemes.scheme_choose(campaign=scheme.campaign, preset=scheme.preset)
        self.message_user(request, _("%(n)d schemes reset.") % {"n": queryset.count()})


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("issue", "round", "channel", "verdict", "called_on", "called_by")
    list_filter = ("verdict", "channel")
    search_fields = ("issue__number", "contact", "words")
    list_select_related = ("issue", "called_by")


class IssueEventInline(ReadOnlyInline):
    model = IssueEvent
    fields = ("created_at", "action", "actor", "actor_unit", "from_status", "to_status", "note")
    readonly_fields = fields


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "enterprise", "category", "status", "responsible_unit", "due_date")
    list_filter = ("status", "category", "source", "priority", ("responsible_unit", admin.RelatedOnlyFieldListFilter))
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


@admin.register(Delivery)
class DeliveryAdmin(AdministratorsOnlyAdmin):
    """Reminders that left the app, with every attempt. Shown to
    administrators only; the one thing done here is sending again a delivery
    whose outcome is unknown or that failed, once someone has checked the
    robot's group or the mailbox (channels.send_again)."""

    list_display = ("created_at", "channel", "target", "subject", "status", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("target", "subject")
    readonly_fields = ("channel", "digest", "unit", "target", "subject", "body", "status", "attempts")
    readonly_fields += ("created_at", "claimed_at", "sent_at")
    actions = ["send_again"]

    @admin.action(description=_("Send again (unknown or failed only)"))
    def send_again(self, request, queryset):
        count = channels.send_again(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(n)d deliveries queued to be sent again.") % {"n": count})
