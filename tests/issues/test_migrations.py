"""Data migrations of the issue ledger, run against rows as they were."""

import importlib

from django.apps import apps as current
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from issues.models import TimeLimitScheme


def test_0008_makes_the_old_limits_each_campaigns_scheme(world):
    before = MigrationExecutor(connection).loader.project_state(("issues", "0007_delivery_at_most_once")).apps
    Policy = before.get_model("issues", "DeadlinePolicy")
    with connection.schema_editor() as editor:  # the table as it was (dropped by 0008; rolled back with the test)
        editor.create_model(Policy)
    Policy.objects.create(category="land", accept_days=2, resolve_days=30, verify_days=5, rework_days=10)
    Policy.objects.create(category="finance", accept_days=1, resolve_days=12, verify_days=7, rework_days=5)

    class Apps:
        def get_model(self, app_label, name):
            return Policy if name == "DeadlinePolicy" else current.get_model(app_label, name)

    importlib.import_module("issues.migrations.0008_closure_loop").policies_to_schemes(Apps(), None)
    scheme = TimeLimitScheme.objects.get(campaign=world.campaign)
    # Each category's resolve limit is a refinement; the others are held once, at the longest.
    assert dict(scheme.limits.values_list("category", "resolve_days")) == {"land": 30, "finance": 12}
    assert (scheme.preset, scheme.accept_days, scheme.verify_days, scheme.rework_days) == ("custom", 2, 7, 10)
    assert scheme.complex_resolve_days == 30
