from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes, named in the reader's language (its permissions say the app)."""

    default = False
    verbose_name = _("Sign-in protection")


class CoreConfig(AppConfig):
    default = True  # the module holds django-axes' config too
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from auditlog.registry import auditlog

        from . import audit, checks  # noqa: F401  (importing checks registers them)
        from .models import CalendarDay, CalendarYear

        audit.connect()
        # The holiday calendar moves every deadline: its changes are audited.
        auditlog.register(CalendarDay, exclude_fields=["id"])
        auditlog.register(CalendarYear, exclude_fields=["id"])
