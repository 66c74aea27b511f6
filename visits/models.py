from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from enterprises.models import Campaign, Enterprise, HelpUnit, Official
from enterprises.scope import ScopedQuerySet

from .choices import VisitForm


class CountedVisits(models.Manager.from_queryset(ScopedQuerySet)):
    """The visits in force. A withdrawn visit keeps its page and its trace
    (VisitChange) but counts nowhere: no list, figure, coverage, reminder or
    export reaches it through `Visit.objects`; only its own page does,
    through `Visit.all_objects`."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class Visit(TimeStampedModel):
    """走访. Visit person-times (走访人次) are its participants summed. Never
    edited in silence: a correction or a withdrawal carries a reason and is
    kept as a VisitChange (visits.services)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="visits"
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField(_("date"))
    form = models.CharField(_("form"), max_length=16, choices=VisitForm.choices, default=VisitForm.ONSITE)
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    # The enterprise's situation at the visit (optional snapshot).
    output_value = models.DecimalField(_("output (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    revenue = models.DecimalField(_("revenue (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    order_book = models.CharField(_("order book"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        Official, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="recorded_visits"
    )
    participants = models.ManyToManyField(
        Official, verbose_name=_("participants"), through="VisitParticipant", related_name="visits"
    )
    # Raised by every correction, so two people correcting at once cannot
    # overwrite each other (the second is refused and shown the first).
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = CountedVisits()
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(form__in=VisitForm.values), name="visit_form_valid"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "-date"], name="visit_enterprise_date"),
            models.Index(fields=["date", "id"], name="visit_date"),  # the visit list's order
            # Coverage: has this enterprise a visit in the campaign and period (one probe each).
            models.Index(fields=["enterprise", "campaign", "date"], name="visit_enterprise_campaign"),
        ]

    def __str__(self):
        return f"{self.date} {self.enterprise}"

    def purpose_labels(self) -> list[str]:
        from .choices import VisitPurpose

        labels = dict(VisitPurpose.choices)
        return [str(labels.get(value, value)) for value in self.purposes]


class VisitParticipant(models.Model):
    """An official on a visit, with the unit they visited for (kept as it was
    that day, even if the official later moves)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="participant_rows")
    official = models.ForeignKey(Official, verbose_name=_("official"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(HelpUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="visit_rows")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit participant")
        verbose_name_plural = _("visit participants")
        constraints = [models.UniqueConstraint(fields=["visit", "official"], name="visitparticipant_once")]
        indexes = [models.Index(fields=["unit", "visit"], name="visitparticipant_by_unit")]

    def __str__(self):
        return f"{self.official_id}@{self.visit_id}"


class VisitAttachment(models.Model):
    """A photo or document of a visit, stored with the visit in one
    transaction (visits.services.visit_record) or not at all."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(Official, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to="visits/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    # A photo's own EXIF (core.photos): when it was taken and, if the phone
    # gave it, where.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name

    @property
    def taken_another_day(self) -> bool:
        """A photo taken on another day than the visit's: worth a second look."""
        return self.taken_at is not None and timezone.localdate(self.taken_at) != self.visit.date


class VisitChange(models.Model):
    """A correction or the withdrawal of a visit: who, when, why, and each
    field's value before and after (as shown on the page)."""

    class Kind(models.TextChoices):
        CORRECT = "correct", _("Correction")
        WITHDRAW = "withdraw", _("Withdrawal")

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(Official, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), max_length=2000)
    # [{"field": name, "label": verbose name, "before": text, "after": text}]
    fields = models.JSONField(_("changed fields"), default=list, blank=True)

    class Meta:
        verbose_name = _("visit change")
        verbose_name_plural = _("visit changes")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["correct", "withdraw"]), name="visitchange_kind_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="visitchange_reason_given"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.visit_id}"

    def lines(self) -> list[tuple[str, str, str]]:
        """Each changed field as (label, before, after), in the reader's language."""
        from .choices import VisitPurpose

        forms, purposes = dict(VisitForm.choices), dict(VisitPurpose.choices)

        def shown(name, value) -> str:
            if value in (None, "", []):
                return "—"
            if name == "form":
                return str(forms.get(value, value))
            if name == "purposes":
                return "、".join(str(purposes.get(v, v)) for v in value)
            if name == "participants":
                return "、".join(value)
            return str(value)

        return [
            (
                str(Visit._meta.get_field(item["field"]).verbose_name),
                shown(item["field"], item["before"]),
                shown(item["field"], item["after"]),
            )
            for item in self.fields
        ]


class VisitCell(models.Model):
    """The dashboard's visit figures kept added up (visits.summary): the
    visits to enterprises in one region or below it, in one month and
    campaign, and the person-times on them; `unit_id` 0 for every visit,
    else the visits a unit's people took part in and their person-times.
    Every visit is added to a cell of each region above its enterprise, so a
    region's figures are one cell per month. visit_record keeps it current in
    the visit's transaction. Rows here are never read by a page directly."""

    month = models.DateField()
    campaign_id = models.IntegerField()  # 0: no campaign
    region_id = models.IntegerField()
    unit_id = models.IntegerField()  # 0: every visit
    visits = models.IntegerField(default=0)
    person_times = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("visit figure cell")
        verbose_name_plural = _("visit figure cells")
        constraints = [
            # A region's months are one range of this index.
            models.UniqueConstraint(fields=["region_id", "campaign_id", "month", "unit_id"], name="visitcell_key"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} region {self.region_id} unit {self.unit_id}: {self.visits}"
