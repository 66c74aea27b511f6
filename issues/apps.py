from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("Issue ledger")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ScoringRule

        # The scoring rule decides who is named on the red and black lists:
        # its changes are audited like master data.
        auditlog.register(ScoringRule, exclude_fields=["id"])
