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

        from django.db.models.signals import post_migrate

        from enterprises import signals

        # The dashboard's summary: built once after migrate (instant on an
        # empty ledger), added up again when an enterprise or region moves.
        post_migrate.connect(_build_summary, sender=self)
        signals.moved.connect(_summary_moved, dispatch_uid="issues.summary.moved")


def _build_summary(sender, using="default", **kwargs):
    """Only once every migration is applied (a migration test may stop halfway)."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    from . import summary

    if using != "default":
        return
    executor = MigrationExecutor(connections[using])
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        summary.ensure_current()


def _summary_moved(sender, **kwargs):
    from . import summary

    summary.mark_stale()
