from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from enterprises.models import Campaign, Enterprise, HelpUnit, Official
from enterprises.scope import ScopedQuerySet, handled_by_ids
from visits.models import Visit

from .choices import (
    Action,
    AnswerKind,
    Category,
    CommonStatus,
    ExtensionStatus,
    FollowUpChannel,
    ListBy,
    NoticeKind,
    Outcome,
    Priority,
    Satisfaction,
    Source,
    Status,
)


class TimeLimitScheme(models.Model):
    """时限方案: a campaign's limits for each step, in working days counted
    from the next working day (次日起算). Made from a preset (issues.schemes)
    and refined per category and priority by SchemeLimit rows; a campaign
    without one uses the default preset."""

    class Preset(models.TextChoices):
        SHANDONG = "shandong", _("Shandong 1/3/15 (30 for complex items)")
        HENAN = "henan_13710", _("Henan 13710")
        ZAOZHUANG = "zaozhuang", _("Zaozhuang 1/2/10/25")
        CUSTOM = "custom", _("Custom")

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="time_limits"
    )
    preset = models.CharField(
        _("preset"),
        max_length=16,
        choices=Preset.choices,
        default=Preset.SHANDONG,
        help_text=_("Choosing another preset applies its limits when saved; choose Custom to edit them."),
    )
    assign_days = models.PositiveSmallIntegerField(_("assign within (working days)"), default=1)
    accept_days = models.PositiveSmallIntegerField(_("sign for or return within (working days)"), default=1)
    answer_days = models.PositiveSmallIntegerField(_("first answer within (working days)"), default=3)
    resolve_days = models.PositiveSmallIntegerField(_("resolve within (working days)"), default=15)
    complex_resolve_days = models.PositiveSmallIntegerField(
        _("resolve complex items within (working days)"), default=30
    )
    follow_up_days = models.PositiveSmallIntegerField(_("return call within (working days)"), default=1)
    follow_up_again_days = models.PositiveSmallIntegerField(_("second return call within (working days)"), default=5)
    verify_days = models.PositiveSmallIntegerField(_("close within (working days)"), default=5)
    rework_days = models.PositiveSmallIntegerField(_("rework within (working days)"), default=5)
    extension_cap_days = models.PositiveSmallIntegerField(_("extensions at most (working days)"), default=30)
    progress_every_days = models.PositiveSmallIntegerField(_("progress note every (days)"), default=30)
    notice_after_days = models.PositiveSmallIntegerField(_("督办单 after (working days overdue)"), default=1)
    criticise_after_days = models.PositiveSmallIntegerField(_("通报批评 after the 督办单 (working days)"), default=5)

    class Meta:
        verbose_name = _("time-limit scheme")
        verbose_name_plural = _("time-limit schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(preset__in=["shandong", "henan_13710", "zaozhuang", "custom"]),
                name="timelimitscheme_preset_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    assign_days__gte=1,
                    accept_days__gte=1,
                    answer_days__gte=1,
                    resolve_days__gte=1,
                    follow_up_days__gte=1,
                    follow_up_again_days__gte=1,
                    verify_days__gte=1,
                    rework_days__gte=1,
                    progress_every_days__gte=1,
                    notice_after_days__gte=1,
                    criticise_after_days__gte=1,
                ),
                name="timelimitscheme_days_positive",
                violation_error_message=_("Every limit is at least one day."),
            ),
            models.CheckConstraint(
                condition=Q(complex_resolve_days__gte=F("resolve_days")),
                name="timelimitscheme_complex_not_shorter",
                violation_error_message=_("The limit for complex items cannot be shorter than the usual one."),
            ),
        ]

    def __str__(self):
        return f"{self.campaign}{pgettext('label', ': ')}{self.get_preset_display()}"


class SchemeLimit(models.Model):
    """A scheme's resolve limit for one category, one priority, or both
    (the most specific row wins)."""

    scheme = models.ForeignKey(
        TimeLimitScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="limits"
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, blank=True)
    resolve_days = models.PositiveSmallIntegerField(_("resolve within (working days)"))

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["category", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "category", "priority"], name="schemelimit_once"),
            models.CheckConstraint(
                condition=Q(category__in=["", *Category.values]) & Q(priority__in=["", *Priority.values]),
                name="schemelimit_choices_valid",
            ),
            models.CheckConstraint(
                condition=~Q(category="", priority=""), name="schemelimit_names_category_or_priority"
            ),
            models.CheckConstraint(condition=Q(resolve_days__gte=1), name="schemelimit_days_positive"),
        ]

    def __str__(self):
        return f"{self.category or '*'}/{self.priority or '*'}: {self.resolve_days}"


class RegisterCounter(models.Model):
    """The last register number handed out per year (2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("register counter")
        verbose_name_plural = _("register counters")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class IssueQuerySet(ScopedQuerySet):
    def handled_by_unit(self, unit_id):
        """Issues a unit is responsible for or co-handles."""
        return self.filter(pk__in=handled_by_ids(unit_id))

    def with_extension_pending(self):
        pending = ExtensionRequest.objects.filter(issue=OuterRef("pk"), status=ExtensionStatus.PENDING)
        return self.annotate(extension_pending=Exists(pending))


class Issue(models.Model):
    """问题 / 诉求 in the ledger. Its state changes only through
    issues.services, which writes one IssueEvent per change."""

    number = models.CharField(_("register number"), max_length=16, unique=True)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="issues"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.PROTECT, related_name="issues"
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="issues"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.VISIT)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    request = models.TextField(_("enterprise's request"), max_length=2000, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    is_complex = models.BooleanField(_("complex item"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    version = models.PositiveIntegerField(_("version"), default=1)

    responsible_unit = models.ForeignKey(
        HelpUnit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_issues",
    )
    co_units = models.ManyToManyField(
        HelpUnit, verbose_name=_("co-handling units"), blank=True, related_name="co_issues"
    )
    registered_by = models.ForeignKey(
        Official, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="registered_issues"
    )

    # Deadlines in force, recomputed on every transition (working days).
    accept_due_date = models.DateField(_("sign for by"), null=True, blank=True)
    answer_due_date = models.DateField(_("first answer by"), null=True, blank=True)
    due_date = models.DateField(_("resolve by"), null=True, blank=True)
    # The due date given at assignment: extensions are capped from it.
    assigned_due_date = models.DateField(_("resolve by, as assigned"), null=True, blank=True)
    progress_due_date = models.DateField(_("next progress note by"), null=True, blank=True)
    follow_up_due_date = models.DateField(_("return call by"), null=True, blank=True)
    verify_due_date = models.DateField(_("verify by"), null=True, blank=True)

    # Stamps of every transition: rates are computed from these, never from
    # a "last modified" time.
    registered_at = models.DateTimeField(_("registered at"))
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The last return call since the last 办结 that reached the enterprise.
    followed_up_at = models.DateTimeField(_("return call at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The common problem it is one case of (issues.common), if any.
    common_problem = models.ForeignKey(
        "CommonProblem",
        verbose_name=_("common problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issues",
    )

    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=24, choices=Satisfaction.choices, blank=True)

    objects = IssueQuerySet.as_manager()
    # What a search reads through its character-pair index, and the codes it
    # matches from their start (core.search; migration 0014).
    search_document = ("title",)
    search_codes = ("number",)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="issue_status_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="issue_category_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="issue_source_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="issue_priority_valid"),
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{4}-[0-9]{6,}$"), name="issue_number_form"),
            # Past "registered", an issue always has a responsible unit and a due date.
            models.CheckConstraint(
                condition=Q(status__in=[Status.REGISTERED, Status.CANCELLED])
                | Q(responsible_unit__isnull=False, due_date__isnull=False, assigned_at__isnull=False),
                name="issue_assigned_has_unit_and_due",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False, satisfaction__gt=""),
                name="issue_closed_is_stamped",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__in=["", *Satisfaction.values]), name="issue_satisfaction_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.RESOLVED, Status.CLOSED])
                | Q(resolved_at__isnull=False, outcome__gt=""),
                name="issue_resolved_is_stamped",
            ),
        ]
        indexes = [
            # The "what needs attention" polls: open work by deadline.
            models.Index(
                fields=["due_date"], name="issue_working_due", condition=Q(status__in=["assigned", "in_progress"])
            ),
            models.Index(fields=["accept_due_date"], name="issue_accept_due", condition=Q(status="assigned")),
            models.Index(fields=["verify_due_date"], name="issue_verify_due", condition=Q(status="resolved")),
            models.Index(fields=["follow_up_due_date"], name="issue_follow_up_due", condition=Q(status="resolved")),
            # The first answers not given: the live part of the dashboard's answer figure.
            models.Index(
                fields=["answer_due_date"], name="issue_answer_missing", condition=Q(answered_at__isnull=True)
            ),
            models.Index(
                fields=["progress_due_date"],
                name="issue_progress_due",
                condition=Q(status__in=["assigned", "in_progress"]),
            ),
            models.Index(fields=["responsible_unit", "status"], name="issue_unit_status"),
            models.Index(fields=["enterprise", "status"], name="issue_enterprise_status"),
            models.Index(fields=["status", "registered_at"], name="issue_status_registered"),
            # The issue list's sorts (newest first, by deadline) and the
            # filters it is most often narrowed by, in that order.
            models.Index(fields=["registered_at", "id"], name="issue_registered"),
            models.Index(fields=["due_date", "id"], name="issue_due"),
            models.Index(fields=["category", "registered_at"], name="issue_category_registered"),
            models.Index(fields=["campaign", "registered_at"], name="issue_campaign_registered"),
            # A search by register number, from its start (core.search).
            models.Index(fields=["number"], name="issue_number_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.CANCELLED)

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None


class IssueEvent(models.Model):
    """办理记录: one row per transition or feedback. Append-only: the database
    refuses UPDATE and DELETE on this table (migration 0002)."""

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    actor = models.ForeignKey(
        Official, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(
        HelpUnit, verbose_name=_("actor's unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"))
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=Action.values), name="issueevent_action_valid"),
        ]
        indexes = [
            models.Index(fields=["issue", "created_at"], name="issueevent_issue_time"),
            models.Index(fields=["action", "created_at"], name="issueevent_action_time"),
        ]

    def __str__(self):
        return f"{self.issue_id} {self.get_action_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class FollowUp(models.Model):
    """回访: the 帮扶办's return call to the enterprise after 办结, with its
    verdict in its own words. An unsatisfied verdict that the handling caused
    sends the issue back for rework, and a second call follows."""

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="follow_ups")
    event = models.OneToOneField(
        IssueEvent, verbose_name=_("event"), on_delete=models.PROTECT, related_name="follow_up"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    channel = models.CharField(_("channel"), max_length=16, choices=FollowUpChannel.choices)
    contact = models.CharField(_("spoke with"), max_length=100, blank=True)
    called_on = models.DateField(_("called on"))
    verdict = models.CharField(_("verdict"), max_length=24, choices=Satisfaction.choices, blank=True)
    words = models.TextField(_("the enterprise's words"), max_length=2000, blank=True)
    caused_by_handling = models.BooleanField(_("dissatisfaction caused by the handling"), default=False)
    called_by = models.ForeignKey(Official, verbose_name=_("called by"), on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("return call")
        verbose_name_plural = _("return calls")
        ordering = ["issue", "round"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "round"], name="followup_round_once"),
            models.CheckConstraint(condition=Q(channel__in=FollowUpChannel.values), name="followup_channel_valid"),
            # A call that reached the enterprise has its verdict; one that could not has none.
            models.CheckConstraint(
                condition=(Q(channel="none") & Q(verdict="") & ~Q(words=""))
                | (~Q(channel="none") & Q(verdict__in=["satisfied", "basically_satisfied", "unsatisfied"])),
                name="followup_verdict_matches_channel",
            ),
            # Only an unsatisfied verdict can send the issue back for rework.
            models.CheckConstraint(
                condition=Q(caused_by_handling=False) | Q(verdict="unsatisfied"), name="followup_rework_is_unsatisfied"
            ),
        ]

    def __str__(self):
        return f"{self.issue_id} #{self.round} {self.get_verdict_display() or self.get_channel_display()}"


class IssueAttachment(models.Model):
    """Evidence (photos, documents) given with a feedback or 办结, stored with
    its event in one transaction or not at all."""

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(IssueEvent, verbose_name=_("event"), on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(Official, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))
    file = models.FileField(_("file"), upload_to="issues/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=[("photo", _("Photo")), ("document", _("Document"))])
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["photo", "document"]), name="issueattachment_kind_valid")
        ]

    def __str__(self):
        return self.name


class ExtensionRequest(models.Model):
    """延期申请. At most one pending per issue (partial unique index)."""

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="extensions")
    unit = models.ForeignKey(HelpUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        Official, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    old_due_date = models.DateField(_("due date before"))
    new_due_date = models.DateField(_("requested due date"))
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("decision"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        Official, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), max_length=2000, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue"], condition=Q(status=ExtensionStatus.PENDING), name="extension_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(new_due_date__gt=models.F("old_due_date")), name="extension_moves_later"
            ),
            models.CheckConstraint(condition=Q(status__in=ExtensionStatus.values), name="extension_status_valid"),
        ]

    def __str__(self):
        return f"{self.issue} → {self.new_due_date}"


class Digest(models.Model):
    """One message to one person from one reminder run: every item it tells,
    in one place (the in-app inbox; e-mail and chat robots carry copies)."""

    recipient = models.ForeignKey(
        Official, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="digests"
    )
    created_at = models.DateTimeField(_("created at"))
    subject = models.CharField(_("subject"), max_length=200)
    items = models.JSONField(_("items"), default=list)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="digest_recipient_time"),
            models.Index(fields=["recipient"], name="digest_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return self.subject


class Reminder(models.Model):
    """One thing told to one person on one day. The unique constraint is what
    makes reminders exactly-once: retries, a second beat tick or a second
    worker insert nothing new."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        # Told daily to supervisors before the 督办 ladder; no longer written
        # (the ladder's notices replaced it), kept for the rows already sent.
        SUPERVISE = "supervise", _("Overdue past the threshold (督办)")
        SUPERVISE_NOTICE = "supervise_notice", _("Supervision notice (督办单)")
        CRITICISM = "criticism", _("Notice of criticism (通报批评)")
        EXTENSION_WAITING = "extension_waiting", _("Extension request waiting")
        VERIFY_WAITING = "verify_waiting", _("Resolved, waiting for verification")
        NOT_VISITED = "not_visited", _("Enterprise not visited")
        PLAN_LATE = "plan_late", _("Help plan late")
        ASSIGNED = "assigned", _("Assigned to your unit")
        RETURNED = "returned", _("Returned by the unit")
        REOPENED = "reopened", _("Sent back for rework")
        EXTENSION_DECIDED = "extension_decided", _("Extension decided")
        ANSWER_LATE = "answer_late", _("First answer late")
        PROGRESS_DUE = "progress_due", _("Monthly progress note due")
        FOLLOW_UP_WAITING = "follow_up_waiting", _("Resolved, waiting for a return call")
        RAISED_AGAIN = "raised_again", _("Raised again by the enterprise")

    recipient = models.ForeignKey(Official, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    item_key = models.CharField(_("item"), max_length=40)
    day = models.DateField(_("day"))
    issue = models.ForeignKey(Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("text"), max_length=300)
    run = models.UUIDField(_("run"))
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "item_key", "day"], name="reminder_once_a_day"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "due_soon",
                        "overdue",
                        "supervise",
                        "extension_waiting",
                        "verify_waiting",
                        "not_visited",
                        "plan_late",
                        "assigned",
                        "returned",
                        "reopened",
                        "extension_decided",
                        "answer_late",
                        "progress_due",
                        "follow_up_waiting",
                        "supervise_notice",
                        "criticism",
                        "raised_again",
                    ]
                ),
                name="reminder_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="reminder_undigested", condition=Q(digest__isnull=True))]

    def __str__(self):
        return f"{self.recipient_id} {self.kind} {self.item_key} {self.day}"


class Delivery(models.Model):
    """A copy of reminders sent out of the app: a digest by e-mail, or a
    unit's items to its chat robot. Every attempt is logged; a channel that
    refused is retried with back-off and never holds up the others. Sent at
    most once: an attempt whose outcome cannot be known (the worker died or
    the line dropped after the message went out) ends *unknown*, not retried."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Chat robot")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    digest = models.ForeignKey(
        Digest, verbose_name=_("digest"), null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    unit = models.ForeignKey(
        HelpUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target = models.CharField(_("to"), max_length=500)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.JSONField(_("attempts"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["email", "webhook"]), name="delivery_channel_valid"),
            models.CheckConstraint(
                condition=Q(channel="email", digest__isnull=False) | Q(channel="webhook", unit__isnull=False),
                name="delivery_has_its_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="delivery_pending", condition=Q(status="pending")),
            models.Index(fields=["claimed_at"], name="delivery_sending", condition=Q(status="sending")),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.target}"


class Bulletin(models.Model):
    """通报: the monthly document supervisors used to write by hand — ranking
    by unit, overdue issues, units that have not visited, common problems,
    plans missing — kept as it was on the day it was made.

    One is current per region and period (the database says so); making it
    again (regenerate) supersedes it with a new version that keeps its issue
    number (期号: per region and the year of its period, in order of making),
    and the superseded versions are kept, each with its file."""

    region = models.ForeignKey(
        "enterprises.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("issue number"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    office = models.CharField(_("issuing office"), max_length=100)
    issued_on = models.DateField(_("issue date"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        Official, verbose_name=_("made by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    data = models.JSONField(_("contents"), default=dict)
    file = models.FileField(_("XLSX file"), upload_to="bulletins/%Y/")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-period_end", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "period_start", "period_end"],
                condition=Q(superseded_at__isnull=True),
                name="bulletin_one_current_per_period",
            ),
            models.UniqueConstraint(
                fields=["region", "year", "number"],
                condition=Q(superseded_at__isnull=True),
                name="bulletin_number_once",
            ),
            models.UniqueConstraint(
                fields=["region", "period_start", "period_end", "version"], name="bulletin_version_once"
            ),
            models.CheckConstraint(condition=Q(number__gte=1, version__gte=1), name="bulletin_numbers_positive"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="bulletin_period_ordered"),
        ]

    def __str__(self):
        return f"{self.region} {self.period_start}–{self.period_end}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class ScoringRule(models.Model):
    """考核细则: how units are scored on their issues and drawn onto the
    red and black lists (红黑榜). The weights are points per metric of
    issues.scoring.METRICS, adding up to 100; deduction metrics also name
    the points taken off per counted item. One rule is in force at a time.
    issues.scoring.rule_errors is the one check of a rule."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    source = models.TextField(_("source document"), blank=True, help_text=_("The document the rule follows, and how."))
    source_url = models.URLField(_("source document's address"), max_length=500, blank=True)
    is_active = models.BooleanField(_("in force"), default=False)
    weights = models.JSONField(_("points per metric"), default=dict, blank=True)
    per_item = models.JSONField(_("points off per item"), default=dict, blank=True)
    excellent_from = models.PositiveSmallIntegerField(_("excellent from (points)"), default=90)
    good_from = models.PositiveSmallIntegerField(_("good from (points)"), default=80)
    qualified_from = models.PositiveSmallIntegerField(_("qualified from (points)"), default=60)
    min_items = models.PositiveSmallIntegerField(
        _("fewest items to be ranked"),
        default=3,
        help_text=_("Issues registered in the period and assigned to the unit."),
    )
    group_by_kind = models.BooleanField(
        _("rank each kind of unit apart"), default=True, help_text=_("Departments apart from townships.")
    )
    list_by = models.CharField(_("red and black lists by"), max_length=8, choices=ListBy.choices, default=ListBy.PLACES)
    red_places = models.PositiveSmallIntegerField(_("red list: top places"), default=3)
    black_places = models.PositiveSmallIntegerField(_("black list: bottom places"), default=3)
    red_from = models.DecimalField(_("red list: score from"), max_digits=5, decimal_places=2, null=True, blank=True)
    black_below = models.DecimalField(
        _("black list: score below"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="scoringrule_one_in_force"),
            models.CheckConstraint(
                condition=Q(qualified_from__gt=0, good_from__gt=F("qualified_from"), excellent_from__gt=F("good_from"))
                & Q(excellent_from__lte=100),
                name="scoringrule_bands_rise",
            ),
            models.CheckConstraint(condition=Q(min_items__gte=1), name="scoringrule_min_items_positive"),
            models.CheckConstraint(condition=Q(list_by__in=ListBy.values), name="scoringrule_list_by_valid"),
            models.CheckConstraint(
                condition=~Q(list_by=ListBy.SCORES)
                | Q(red_from__isnull=False, black_below__isnull=False, black_below__lte=F("red_from")),
                name="scoringrule_thresholds_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class NoticeCounter(models.Model):
    """The last serial handed out per issuing region, year and kind of
    notice (…〔2026〕督办第12号), incremented under its row lock."""

    region = models.ForeignKey(
        "enterprises.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("notice counter")
        verbose_name_plural = _("notice counters")
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "kind"], name="noticecounter_one_per_series"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.year} {self.kind}: {self.last_number}"


class SuperviseNotice(models.Model):
    """督办单 / 通报批评: a numbered document of the 督办 ladder (issues.ladder),
    issued to the unit responsible for an overdue issue and copied to its
    head, kept as it was issued. One of each kind per issue and due date in
    force: a sweep run twice issues nothing new, and a deadline moved by an
    extension starts the ladder again."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="supervise_notices"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    unit = models.ForeignKey(HelpUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="notices")
    # The issuing region (the county of the issue's enterprise): its name heads the number.
    region = models.ForeignKey(
        "enterprises.Region", verbose_name=_("issuing region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("serial"))
    number = models.CharField(_("document number"), max_length=100)
    issuer = models.CharField(_("issuing office"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    issued_at = models.DateTimeField(_("issued at"))
    due_date = models.DateField(_("due date it is about"))
    days_overdue = models.PositiveSmallIntegerField(_("working days overdue"))
    # The unit's heads as they were on the day: [{"id": …, "name": …}].
    copied_to = models.JSONField(_("copied to"), default=list, blank=True)
    text = models.TextField(_("text"))
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows notice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "kind", "due_date"], name="notice_once_per_due_date"),
            models.UniqueConstraint(fields=["region", "year", "kind", "serial"], name="notice_serial_once"),
            models.UniqueConstraint(fields=["region", "number"], name="notice_number_once"),
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="notice_kind_valid"),
            models.CheckConstraint(condition=Q(serial__gte=1, days_overdue__gte=1), name="notice_counts_positive"),
            models.CheckConstraint(
                condition=Q(kind=NoticeKind.NOTICE, follows__isnull=True)
                | Q(kind=NoticeKind.CRITICISM, follows__isnull=False),
                name="notice_criticism_follows_a_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "issued_on"], name="notice_unit_day"),
            models.Index(fields=["issued_on"], name="notice_day"),
        ]

    def __str__(self):
        return self.number


class FigureCell(models.Model):
    """The dashboard's figures kept added up (issues.summary): for the issues
    registered in one month, of one campaign, of enterprises in one region or
    below it, the number each figure counts, per unit, category, week
    registered, month and week closed (`dim` and `member`). Every issue is
    added to a cell of each region above its enterprise (`direct` for the
    enterprise's own region), so a region's figures are one cell per group.
    Only the part of each figure that does not change with the date is kept
    (issues.figures.settled); the lifecycle keeps it current in the same
    transaction. Rows here are never read by a page directly."""

    month = models.DateField()
    campaign_id = models.IntegerField()  # 0: no campaign
    region_id = models.IntegerField()
    direct = models.BooleanField()
    dim = models.CharField(max_length=2)
    member = models.CharField(max_length=16)  # "": no unit yet (dim "u")

    # One column per figure in issues.figures.SETTLED (a test pins the two lists).
    registered = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    follow_up_due = models.IntegerField(default=0)
    followed_up = models.IntegerField(default=0)
    ever_reopened = models.IntegerField(default=0)
    answer_due = models.IntegerField(default=0)
    answered_on_time = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    accepted_on_time = models.IntegerField(default=0)
    ever_assigned = models.IntegerField(default=0)
    ever_returned = models.IntegerField(default=0)
    ever_resolved = models.IntegerField(default=0)
    ever_supervised = models.IntegerField(default=0)
    ever_criticised = models.IntegerField(default=0)
    extensions_requested = models.IntegerField(default=0)
    extensions_approved = models.IntegerField(default=0)
    # The time from registration to closing, added up, in microseconds.
    time_to_close_us = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("figure cell")
        verbose_name_plural = _("figure cells")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "campaign_id", "region_id", "direct", "dim", "member"], name="figurecell_key"
            ),
        ]
        indexes = [models.Index(fields=["region_id", "dim", "month"], name="figurecell_region_dim")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_id} {self.dim}:{self.member}"


class FigureSummary(models.Model):
    """The one row saying whether the FigureCell rows may be read: built (by
    issues.summary.rebuild) and not made stale since by a change the
    lifecycle does not see (an enterprise or a region moved)."""

    built_at = models.DateTimeField(null=True)
    stale_since = models.DateTimeField(null=True)
    # figures.definitions() when it was built.
    definitions = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("figure summary state")
        verbose_name_plural = _("figure summary states")

    def __str__(self):
        return f"built {self.built_at}, stale since {self.stale_since}"


class CommonProblem(models.Model):
    """面上共性问题: one problem many enterprises raised, settled once (often
    at a coordination meeting) instead of issue by issue. Proposed by the
    radar (issues.radar) or by a supervisor, confirmed, put on a meeting's
    agenda, decided and closed by issues.common, which alone writes it; its
    issues point to it (Issue.common_problem). A dismissed proposal keeps the
    ids it grouped, so the radar does not propose them again."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # The deepest region holding every enterprise of its issues: who sees it
    # (none when they lie under two top regions: administrators alone).
    region = models.ForeignKey(
        "enterprises.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="common_problems",
    )
    status = models.CharField(_("status"), max_length=16, choices=CommonStatus.choices, default=CommonStatus.PROPOSED)
    # The radar's: how alike its issues read (average cosine) and the words they share.
    likeness = models.FloatField(_("likeness"), null=True, blank=True)
    words = models.JSONField(_("shared words"), default=list, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"))
    proposed_by = models.ForeignKey(
        Official, verbose_name=_("proposed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        Official, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer_kind = models.CharField(_("settled by"), max_length=16, choices=AnswerKind.choices, blank=True)
    answer = models.TextField(_("answer"), max_length=5000, blank=True)
    responsible_unit = models.ForeignKey(
        HelpUnit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="common_problems",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        Official, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        Official, verbose_name=_("dismissed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissal_reason = models.TextField(_("reason for dismissing"), max_length=2000, blank=True)
    # The ids of the issues a dismissed proposal grouped: not proposed together again.
    dismissed_ids = models.JSONField(_("issues dismissed together"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("common problem")
        verbose_name_plural = _("common problems")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CommonStatus.values), name="commonproblem_status_valid"),
            models.CheckConstraint(
                condition=Q(answer_kind__in=[*AnswerKind.values, ""]), name="commonproblem_answer_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["decided", "closed"]) | ~Q(answer=""), name="commonproblem_decided_has_answer"
            ),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismissal_reason=""), name="commonproblem_dismissal_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "region"], name="commonproblem_status_region")]

    def __str__(self):
        return self.title


class Meeting(models.Model):
    """协调例会: a meeting of a county's (or city's) leaders that settles what
    units could not alone: common problems and single issues on its agenda,
    each decided (who, what, by when). A decision is in force at once: it
    becomes an event on each issue it covers and their deadline (issues.meetings,
    which alone writes meetings). Issuing the minutes (印发纪要) ends it."""

    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    # Whose meeting: its level is the region's (county, city); supervisors of it and above see it.
    region = models.ForeignKey(
        "enterprises.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="meetings"
    )
    chair = models.CharField(_("chair"), max_length=100)
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.TextField(_("attending"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(Official, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("minutes issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        Official, verbose_name=_("minutes issued by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_at__isnull=True) | Q(issued_by__isnull=False), name="meeting_issued_by_someone"
            ),
        ]
        indexes = [models.Index(fields=["region", "held_on"], name="meeting_region_date")]

    def __str__(self):
        return f"{self.title}（{self.held_on:%Y-%m-%d}）"

    def covers(self, region_path: str | None) -> bool:
        """Whether a place (its region's path) lies in this meeting's region."""
        return region_path is not None and region_path.startswith(self.region.path)


class MeetingItemQuerySet(ScopedQuerySet):
    def waiting(self):
        """Not decided yet: waiting on its agenda (a problem or an issue waits on one at a time)."""
        return self.filter(decided_at__isnull=True)

    def decided(self):
        return self.filter(decided_at__isnull=False)


class MeetingItem(models.Model):
    """One item of a meeting's agenda: a common problem or a single issue, and
    once decided, the decision — what is to be done, by which unit (牵头),
    by when. A problem or issue waits on one agenda at a time."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    common_problem = models.ForeignKey(
        CommonProblem,
        verbose_name=_("common problem"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_items",
    )
    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), null=True, blank=True, on_delete=models.PROTECT, related_name="meeting_items"
    )
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(Official, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+")
    decision = models.TextField(_("decision"), max_length=2000, blank=True)
    unit = models.ForeignKey(
        HelpUnit,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_items",
    )
    # 配合: the units the decision names to work with the lead unit.
    co_units = models.ManyToManyField(HelpUnit, verbose_name=_("working with it"), blank=True, related_name="+")
    due_date = models.DateField(_("to be done by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        Official, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = MeetingItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(common_problem__isnull=True, issue__isnull=False)
                | Q(common_problem__isnull=False, issue__isnull=True),
                name="meetingitem_problem_or_issue",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | (~Q(decision="") & Q(decided_by__isnull=False)),
                name="meetingitem_decided_has_decision",
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=True, due_date__isnull=True) | Q(unit__isnull=False, due_date__isnull=False),
                name="meetingitem_unit_with_date",
            ),
            # Waiting on one agenda at a time (a decided item is history).
            models.UniqueConstraint(
                fields=["common_problem"],
                condition=Q(decided_at__isnull=True, common_problem__isnull=False),
                name="meetingitem_problem_waits_once",
            ),
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(decided_at__isnull=True, issue__isnull=False),
                name="meetingitem_issue_waits_once",
            ),
            models.UniqueConstraint(fields=["meeting", "position"], name="meetingitem_position_unique"),
        ]

    def __str__(self):
        return str(self.common_problem or self.issue)
