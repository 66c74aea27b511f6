from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("Issue ledger")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import SchemeLimit, ScoringRule, TimeLimitScheme

        # The scoring rule decides who is named on the red and black lists,
        # a time-limit scheme when an issue is late: their changes are
        # audited like master data (and like the holiday calendar).
        auditlog.register(ScoringRule, exclude_fields=["id"])
        auditlog.register(TimeLimitScheme, exclude_fields=["id"])
        auditlog.register(SchemeLimit, exclude_fields=["id"])
