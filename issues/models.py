from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import Campaign, Enterprise, HelpUnit, Official
from enterprises.scope import ScopedQuerySet, handled_by
from visits.models import Visit

from .choices import (
    Action,
    Category,
    ExtensionStatus,
    NoticeKind,
    Outcome,
    Priority,
    Satisfaction,
    Source,
    Status,
)


class DeadlinePolicy(models.Model):
    """Default limits per category, in working days (DOMAIN.md, Deadlines)."""

    category = models.CharField(_("category"), max_length=16, choices=Category.choices, unique=True)
    accept_days = models.PositiveSmallIntegerField(_("sign for within (working days)"), default=1)
    resolve_days = models.PositiveSmallIntegerField(_("resolve within (working days)"), default=15)
    verify_days = models.PositiveSmallIntegerField(_("verify within (working days)"), default=5)
    rework_days = models.PositiveSmallIntegerField(_("rework within (working days)"), default=5)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=Category.values), name="deadlinepolicy_category_valid"),
            models.CheckConstraint(
                condition=Q(accept_days__gte=1, resolve_days__gte=1, verify_days__gte=1, rework_days__gte=1),
                name="deadlinepolicy_days_positive",
            ),
        ]

    def __str__(self):
        return self.get_category_display()


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
        return self.filter(handled_by(unit_id))

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
    due_date = models.DateField(_("resolve by"), null=True, blank=True)
    verify_due_date = models.DateField(_("verify by"), null=True, blank=True)

    # Stamps of every transition: rates are computed from these, never from
    # a "last modified" time.
    registered_at = models.DateTimeField(_("registered at"))
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=24, choices=Satisfaction.choices, blank=True)

    objects = IssueQuerySet.as_manager()

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
            models.Index(fields=["responsible_unit", "status"], name="issue_unit_status"),
            models.Index(fields=["enterprise", "status"], name="issue_enterprise_status"),
            models.Index(fields=["status", "registered_at"], name="issue_status_registered"),
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
        return f"{self.issue_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"


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
                        "supervise_notice",
                        "criticism",
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
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    unit = models.ForeignKey(HelpUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
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
        return f"{self.channel} → {self.target}"


class Bulletin(models.Model):
    """通报: the monthly document supervisors used to write by hand — ranking
    by unit, overdue issues, units that have not visited, plans missing —
    kept as it was on the day it was made."""

    region = models.ForeignKey(
        "enterprises.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        Official, verbose_name=_("made by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("contents"), default=dict)
    file = models.FileField(_("XLSX file"), upload_to="bulletins/%Y/")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-period_end", "-created_at"]

    def __str__(self):
        return f"{self.region} {self.period_start}–{self.period_end}"


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
