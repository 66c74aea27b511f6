import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.validators import CREDIT_CODE_PATTERN, validate_credit_code

from . import signals
from .choices import EnterpriseSize, Industry, Rank, RegionLevel, Role, UnitKind
from .scope import ScopedQuerySet


class RegionQuerySet(ScopedQuerySet):
    def subtree(self, region):
        return self.filter(path__startswith=region.path)


class Region(TimeStampedModel):
    """行政区划. `path` is the chain of ids from the root ("/1/4/17/"), so
    "this region and everything below it" is one indexed prefix match."""

    name = models.CharField(_("name"), max_length=64)
    code = models.CharField(_("division code"), max_length=12, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices, default=RegionLevel.TOWNSHIP)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_per_parent"),
            models.CheckConstraint(condition=models.Q(level__in=RegionLevel.values), name="region_level_valid"),
        ]
        indexes = [models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"])]

    choice_label = "name"  # what __str__ shows: drop-downs read it without building rows

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @staticmethod
    def chain(path: str) -> list[int]:
        """The ids in a path, from the root down ("/1/4/17/" → [1, 4, 17])."""
        return [int(part) for part in path.strip("/").split("/")]

    def save(self, *args, **kwargs):
        # The path is a derived index, so it is kept right here, for every way
        # a region is written (service, admin, import, fixture).
        with transaction.atomic():
            if self.pk is None:
                self.path = f"/new-{uuid.uuid4().hex}/"
                super().save(*args, **kwargs)
                kwargs = {}
            else:
                super().save(*args, **kwargs)
            parent_path = (
                Region.objects.filter(pk=self.parent_id).values_list("path", flat=True).get() if self.parent_id else "/"
            )
            new_path = f"{parent_path}{self.pk}/"
            if new_path != self.path:
                if parent_path.startswith(self.path):
                    raise ValueError("a region cannot be moved below itself")
                old = self.path
                Region.objects.filter(path__startswith=old).update(
                    path=Concat(Value(new_path), Substr("path", len(old) + 1))
                )
                self.path = new_path
                if not old.startswith("/new-"):
                    signals.moved.send(sender=Region)


class HelpUnit(TimeStampedModel):
    """帮扶单位."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, default=UnitKind.DEPARTMENT)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units")
    head_name = models.CharField(_("head"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    webhook_url = models.URLField(_("chat robot webhook"), blank=True)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("help unit")
        verbose_name_plural = _("help units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="helpunit_unique_name_per_region"),
            models.CheckConstraint(condition=models.Q(kind__in=UnitKind.values), name="helpunit_kind_valid"),
        ]

    choice_label = "name"  # what __str__ shows: drop-downs read it without building rows

    def __str__(self):
        return self.name


class OfficialManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class Official(AbstractUser):
    """干部: a user who belongs to one help unit."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    unit = models.ForeignKey(
        HelpUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="officials"
    )
    rank = models.CharField(_("rank"), max_length=16, choices=Rank.choices, default=Rank.STAFF)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICIAL)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email_notifications = models.BooleanField(_("e-mail notifications"), default=True)
    # When the password last changed: API tokens issued before it stop working.
    credentials_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True, editable=False)

    objects = OfficialManager()

    class Meta:
        verbose_name = _("official")
        verbose_name_plural = _("officials")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="official_role_valid"),
            models.CheckConstraint(condition=models.Q(rank__in=Rank.values), name="official_rank_valid"),
            # Officials and supervisors act for a unit; only admins may have none.
            models.CheckConstraint(
                condition=Q(role=Role.ADMIN) | Q(is_superuser=True) | Q(unit__isnull=False),
                name="official_unit_required",
            ),
        ]

    def __str__(self):
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username

    def set_password(self, raw_password):
        # Every way a password is set (services, the reset link, the admin,
        # createsuperuser) comes through here.
        super().set_password(raw_password)
        self.credentials_changed_at = timezone.now()

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN)

    @property
    def is_supervisor(self) -> bool:
        return self.is_active and self.role == Role.SUPERVISOR


class Enterprise(TimeStampedModel):
    """企业."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="enterprises")
    address = models.CharField(_("address"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices)
    size = models.CharField(_("size"), max_length=8, choices=EnterpriseSize.choices, default=EnterpriseSize.SMALL)
    is_above_scale = models.BooleanField(_("above designated size"), default=False)
    is_key = models.BooleanField(_("key enterprise"), default=False)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    # What a search reads through its character-pair index, and the codes it
    # matches from their start (core.search; migration 0006).
    search_document = ("name", "legal_representative")
    search_codes = ("credit_code",)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=CREDIT_CODE_PATTERN), name="enterprise_credit_code_form"
            ),
            models.CheckConstraint(condition=Q(industry__in=Industry.values), name="enterprise_industry_valid"),
            models.CheckConstraint(condition=Q(size__in=EnterpriseSize.values), name="enterprise_size_valid"),
        ]
        indexes = [
            models.Index(fields=["region", "is_key"], name="enterprise_region_key"),
            # The enterprise list's order (and the issue list's sort by enterprise).
            models.Index(fields=["name", "id"], name="enterprise_name"),
            # A search by credit code, from its start (core.search).
            models.Index(fields=["credit_code"], name="enterprise_code_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    choice_label = "name"  # what __str__ shows: drop-downs read it without building rows

    def __str__(self):
        return self.name


class CampaignQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(is_current=True).first()


class Campaign(TimeStampedModel):
    """帮扶行动."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    units_per_enterprise = models.PositiveSmallIntegerField(_("units per enterprise"), default=3)
    visit_every_days = models.PositiveSmallIntegerField(_("visit at least every (days)"), default=90)
    plan_due_date = models.DateField(_("help plan due date"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaign_dates_ordered"),
            models.CheckConstraint(
                condition=Q(units_per_enterprise__gte=1, units_per_enterprise__lte=3), name="campaign_mode_1_to_3"
            ),
            models.CheckConstraint(condition=Q(visit_every_days__gte=1), name="campaign_visit_every_positive"),
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="campaign_one_current"),
        ]

    choice_label = "name"  # what __str__ shows: drop-downs read it without building rows

    def __str__(self):
        return self.name


class Assignment(TimeStampedModel):
    """帮扶关系: one enterprise in one campaign, its county leader and units.
    The unit rows' count and single lead are held by the database (see the
    constraints on AssignmentUnit and the trigger in migration 0002)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="assignments"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="assignments"
    )
    leader = models.ForeignKey(
        Official,
        verbose_name=_("county leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_assignments",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["campaign", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "enterprise"], name="assignment_one_per_enterprise"),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.enterprise}"


class AssignmentUnit(models.Model):
    """One help unit on an assignment, with its first responsible person
    (第一责任人) and its specific contact (具体联系人)."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="units"
    )
    unit = models.ForeignKey(HelpUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments")
    is_lead = models.BooleanField(_("lead unit"), default=False)
    responsible = models.ForeignKey(
        Official,
        verbose_name=_("first responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact = models.ForeignKey(
        Official, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment unit")
        verbose_name_plural = _("assignment units")
        ordering = ["assignment", "-is_lead", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "unit"], name="assignmentunit_unit_once"),
            models.UniqueConstraint(fields=["assignment"], condition=Q(is_lead=True), name="assignmentunit_one_lead"),
        ]
        indexes = [models.Index(fields=["unit", "assignment"], name="assignmentunit_by_unit")]

    def __str__(self):
        return _("%(unit)s (lead)") % {"unit": self.unit} if self.is_lead else str(self.unit)


class HelpPlan(TimeStampedModel):
    """帮扶方案: one per unit per campaign."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="plans")
    unit = models.ForeignKey(HelpUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="plans")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        Official, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="plans/%Y/", blank=True)
    summary = models.TextField(_("summary"), blank=True, max_length=5000)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("help plan")
        verbose_name_plural = _("help plans")
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="helpplan_one_per_unit")]

    def __str__(self):
        return f"{self.campaign} · {self.unit}"


class ImportJob(TimeStampedModel):
    """One upload of a master-data spreadsheet: checked (dry run) first, then,
    if clean, applied as a whole. Large files run in the Celery worker and
    report their progress here."""

    class Kind(models.TextChoices):
        REGIONS = "regions", _("Regions")
        UNITS = "units", _("Help units")
        OFFICIALS = "officials", _("Officials")
        ENTERPRISES = "enterprises", _("Enterprises")
        ASSIGNMENTS = "assignments", _("Assignments")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    created_by = models.ForeignKey(Official, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("outcome counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("error count"), default=0)
    changes = models.JSONField(_("rows that change"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    CHANGES_SHOWN = 500  # on the page; every change is in its download

    @property
    def changes_shown(self) -> list:
        return self.changes[: self.CHANGES_SHOWN]

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["regions", "units", "officials", "enterprises", "assignments"]),
                name="importjob_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="assignments") | Q(campaign__isnull=False), name="importjob_assignments_need_campaign"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def is_clean(self) -> bool:
        return self.status == self.Status.CHECKED and self.error_count == 0

    @property
    def percent(self) -> int:
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0
