from auditlog.models import AbstractLogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class CalendarSource(models.TextChoices):
    """Where a calendar day or year came from. The loader (core.holidays)
    writes and rewrites only what the package gave; what an administrator
    entered or edited is theirs, and the loader leaves it as it is."""

    PACKAGE = "package", _("Official schedule (chinesecalendar)")
    ADMIN = "admin", _("Entered by an administrator")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday, or a make-up
    working day (调休) on a weekend. Loaded from the State Council's schedule
    (`manage.py load_calendar`) and edited by admins, because China's
    schedule moves every year."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CalendarSource.choices, default=CalendarSource.ADMIN)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["holiday", "workday"]), name="calendarday_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(source__in=["package", "admin"]), name="calendarday_source_valid"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose holidays and make-up working days are known: loaded from
    the package, or declared complete by an administrator who entered it by
    hand. A year with no row is not known, and core.calendar reports it
    (missing_years) instead of guessing; its deadlines still count the
    weekends alone. An administrator's year is left alone by the loader."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=16, choices=CalendarSource.choices, default=CalendarSource.ADMIN)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=["package", "admin"]), name="calendaryear_source_valid"
            ),
            models.CheckConstraint(condition=models.Q(year__range=(1949, 2200)), name="calendaryear_year_plausible"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_source_display()}"


class OutboxMessage(models.Model):
    """A task that must run because a transaction committed: written in that
    transaction, handed to the broker after it commits, and, while the broker
    is away, handed over again by the relay that beat runs every minute. A
    change that rolls back leaves no message; a broker outage delays the work
    and loses none of it (STYLE.md, the transactional outbox)."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
    sent_at = models.DateTimeField(_("handed to the broker at"), null=True, blank=True)
    tries = models.PositiveIntegerField(_("tries"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["due_at"], name="outbox_unsent", condition=models.Q(sent_at__isnull=True))]

    def __str__(self):
        return f"{self.task}{tuple(self.args)}"


class Heartbeat(models.Model):
    """When a periodic job last ran, one row per job: beat sends
    core.tasks.heartbeat every minute and the worker stamps it here, where the
    health check reads it. A table, not the cache: `make run`'s cache is each
    process's own memory (the web server would never see the worker's stamp),
    a cache may be flushed or evict the key, and the row survives restarts."""

    name = models.CharField(max_length=50, primary_key=True)
    last_run = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} {self.last_run:%Y-%m-%d %H:%M:%S}"


class AuditEntry(AbstractLogEntry):
    """One line of the audit trail: a change to master data, an account or a
    role (with the values before and after), a sign-in, a failed sign-in, an
    export or an import; who did it, when and from which address. The rows
    django-auditlog writes for tracked models land here too
    (AUDITLOG_LOGENTRY_MODEL), so the trail is one table to read and filter.
    Issue events are the ledger's own trail and are not repeated here."""

    class Action(models.IntegerChoices):
        # The first four are django-auditlog's and keep its values.
        CREATE = 0, _("created")
        UPDATE = 1, _("changed")
        DELETE = 2, _("deleted")
        ACCESS = 3, _("viewed")
        SIGN_IN = 10, _("signed in")
        SIGN_IN_FAILED = 11, _("failed sign-in")
        SIGN_OUT = 12, _("signed out")
        PASSWORD_LINK = 13, _("made a set-password link")
        EXPORT = 20, _("exported")
        IMPORT = 21, _("imported")

    # What it concerns: none for a failed sign-in with an unknown user name.
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("kind of record"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_repr = models.TextField(_("record"), blank=True)
    action = models.PositiveSmallIntegerField(_("action"), choices=Action.choices)
    changes = models.JSONField(_("before and after"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    timestamp = models.DateTimeField(_("when"), default=timezone.now)
    additional_data = models.JSONField(_("details"), null=True, blank=True)

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["-timestamp"], name="audit_newest_first"),
            models.Index(fields=["actor", "-timestamp"], name="audit_by_actor"),
            models.Index(fields=["content_type", "object_id"], name="audit_by_record"),
            models.Index(fields=["action", "-timestamp"], name="audit_by_action"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}".strip()


# django-axes' records of sign-ins, in the admin under words of our own: its
# models say themselves in English ("Attempted Access: …"), and its admin is
# turned off (AXES_ENABLE_ADMIN) for these proxies' (core.admin).


class SignInLockout(AccessAttempt):
    """Failed sign-ins counted for one user name and address: the lockout's
    count. Deleting one lifts that lockout."""

    class Meta:
        proxy = True
        verbose_name = _("sign-in failure count")
        verbose_name_plural = _("sign-in failure counts")

    def __str__(self):
        return _("%(user)s from %(address)s: %(n)d failed") % {
            "user": self.username,
            "address": self.ip_address,
            "n": self.failures_since_start,
        }


class SignInRecord(AccessLog):
    """A sign-in and its sign-out."""

    class Meta:
        proxy = True
        verbose_name = _("sign-in record")
        verbose_name_plural = _("sign-in records")

    def __str__(self):
        return _("%(user)s signed in at %(at)s") % {
            "user": self.username,
            "at": timezone.localtime(self.attempt_time).strftime("%Y-%m-%d %H:%M"),
        }


class SignInFailure(AccessFailureLog):
    """One failed sign-in."""

    class Meta:
        proxy = True
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self):
        return _("%(user)s failed to sign in at %(at)s") % {
            "user": self.username,
            "at": timezone.localtime(self.attempt_time).strftime("%Y-%m-%d %H:%M"),
        }
