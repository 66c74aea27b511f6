from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday on a weekday,
    or a make-up working day (调休) on a weekend. Admins keep these as data
    because China's schedule moves every year."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["holiday", "workday"]), name="calendarday_kind_valid"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


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
