"""The issue ledger is shown in the admin, never edited: every state change
goes through issues.services, which writes its event, stamps its time and
recomputes the deadlines; an edit here would do none of that."""

from django.contrib import admin
from django.utils.translation import gettext as _

from core.admin import AdministratorsOnlyAdmin, ReadOnlyAdmin, ReadOnlyInline

from . import channels
from .models import DeadlinePolicy, Delivery, ExtensionRequest, Issue, IssueEvent, SuperviseNotice


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    # Edited here on purpose: the limits per category are configuration
    # with no service or rule beyond their database constraints (a known
    # category, positive days), which the model form checks.
    list_display = ("category", "accept_days", "resolve_days", "verify_days", "rework_days")
    search_fields = ("category",)


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


@admin.register(SuperviseNotice)
class SuperviseNoticeAdmin(ReadOnlyAdmin):
    """督办单 and 通报批评 as issued by the ladder (issues.ladder): records
    the assessment counts, so never edited or removed here."""

    list_display = ("number", "kind", "unit", "issue", "due_date", "days_overdue", "issued_on")
    list_filter = ("kind", ("unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("number", "issue__number", "issue__title", "unit__name")
    date_hierarchy = "issued_on"
    list_select_related = ("unit", "issue")


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
