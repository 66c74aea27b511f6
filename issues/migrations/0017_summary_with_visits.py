"""The summary now holds the visits too (visits.summary): a summary built
before them is marked stale, so post_migrate (ensure_current) adds both up."""

from django.db import migrations


def mark_stale(apps, schema_editor):
    from django.utils import timezone

    apps.get_model("issues", "FigureSummary").objects.filter(pk=1).update(stale_since=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0016_list_indexes"),
        ("visits", "0005_visit_summary"),
    ]

    operations = [migrations.RunPython(mark_stale, migrations.RunPython.noop)]
