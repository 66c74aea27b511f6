"""The issue ledger is shown in the admin, never edited: every state change
goes through issues.services, which writes its event, stamps its time and
recomputes the deadlines; an edit here would do none of that."""

from django import forms
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import AdministratorsOnlyAdmin, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin

from . import channels, schemes, scoring
from .models import (
    Delivery,
    ExtensionRequest,
    FollowUp,
    Issue,
    IssueEvent,
    SchemeLimit,
    ScoringRule,
    SuperviseNotice,
    TimeLimitScheme,
)


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

    def save_model(self, request, obj, form, change):
        # Choosing another preset brings its limits (the refinements stay);
        # "custom" keeps what the form holds, to be edited.
        if change and "preset" in form.changed_data and obj.preset in schemes.PRESETS and obj.preset != "custom":
            for field, days in schemes.PRESETS[obj.preset].items():
                setattr(obj, field, days)
            self.message_user(request, _("The limits of %(p)s were applied.") % {"p": obj.get_preset_display()})
        super().save_model(request, obj, form, change)

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


# A scoring rule's points: one field per metric of scoring.METRICS (and the
# points off per item for a deduction), so a metric added there appears here.
WEIGHT_FIELDS = {f"weight__{name}": name for name in scoring.METRICS}
PER_ITEM_FIELDS = {f"per_item__{name}": name for name, m in scoring.METRICS.items() if m.kind == scoring.DEDUCTION}


def _metric_fields() -> dict:
    fields = {}
    for field, name in WEIGHT_FIELDS.items():
        fields[field] = forms.IntegerField(label=scoring.METRICS[name].label, required=False)
    for field, name in PER_ITEM_FIELDS.items():
        label = format_lazy("{}: {}", scoring.METRICS[name].label, gettext_lazy("points off per item"))
        fields[field] = forms.DecimalField(label=label, required=False, decimal_places=2)
    return fields


class ScoringRuleForm(forms.ModelForm):
    """Reads the points typed per metric into the rule's weights; the
    service's check (scoring.rule_errors) judges them."""

    class Meta:
        model = ScoringRule
        fields = (
            "name",
            "is_active",
            "source",
            "source_url",
            "excellent_from",
            "good_from",
            "qualified_from",
            "min_items",
            "group_by_kind",
            "list_by",
            "red_places",
            "black_places",
            "red_from",
            "black_below",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        new = rule.pk is None and not rule.weights
        weights = scoring.PRESET["weights"] if new else rule.weights or {}
        per_item = scoring.PRESET["per_item"] if new else rule.per_item or {}
        for field, name in WEIGHT_FIELDS.items():
            if field in self.fields:
                self.fields[field].initial = weights.get(name, 0)
        for field, name in PER_ITEM_FIELDS.items():
            if field in self.fields:
                self.fields[field].initial = per_item.get(name)

    def clean(self):
        cleaned = super().clean()
        weights = {name: cleaned[field] for field, name in WEIGHT_FIELDS.items() if cleaned.get(field)}
        per_item = {
            name: float(cleaned[field]) for field, name in PER_ITEM_FIELDS.items() if cleaned.get(field) is not None
        }
        self.instance.weights, self.instance.per_item = weights, per_item
        return cleaned


ScoringRuleForm = type("ScoringRuleForm", (ScoringRuleForm,), _metric_fields())  # the fields per metric


@admin.register(ScoringRule)
class ScoringRuleAdmin(ServiceAdmin):
    """考核细则, written through scoring.scoring_rule_save: putting one in
    force retires the one that was."""

    form = ScoringRuleForm
    service_check = scoring.rule_errors
    service_save = scoring.scoring_rule_save
    instance_kwarg = "rule"
    service_fields = {
        "name",
        "source",
        "is_active",
        "excellent_from",
        "good_from",
        "qualified_from",
        "min_items",
        "list_by",
        "red_places",
        "black_places",
        "red_from",
        "black_below",
    }
    list_display = ("name", "is_active", "min_items", "group_by_kind", "list_by")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "is_active", "source", "source_url")}),
        (gettext_lazy("Points per metric (adding up to 100)"), {"fields": (*WEIGHT_FIELDS, *PER_ITEM_FIELDS)}),
        (gettext_lazy("Grades"), {"fields": ("excellent_from", "good_from", "qualified_from")}),
        (
            gettext_lazy("Ranking and the red and black lists"),
            {"fields": ScoringRuleForm.Meta.fields[7:]},
        ),
    )
