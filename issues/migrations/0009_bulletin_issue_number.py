"""A bulletin's issue number (期号), issuing office and issue date, and one
current bulletin per region and period with the superseded ones kept.

Bulletins made before: the latest of each region and period stays current,
the earlier ones become its superseded versions; numbers are given per
region and year in the order the periods were first made; the issuing
office is the unit of whoever made it (else the region's name) and the
issue date the day it was made."""

from django.db import migrations, models
from django.utils import timezone


def number_existing(apps, schema_editor):
    Bulletin = apps.get_model("issues", "Bulletin")
    rows = list(Bulletin.objects.select_related("region", "created_by__unit").order_by("created_at", "id"))
    periods: dict = {}
    for row in rows:
        periods.setdefault((row.region_id, row.period_start, row.period_end), []).append(row)
    numbers: dict = {}
    for (region_id, start, _end), versions in sorted(periods.items(), key=lambda item: item[1][0].created_at):
        key = (region_id, start.year)
        numbers[key] = numbers.get(key, 0) + 1
        for index, row in enumerate(versions):
            row.year = start.year
            row.number = numbers[key]
            row.version = index + 1
            unit = row.created_by.unit if row.created_by_id and row.created_by.unit_id else None
            row.office = unit.name if unit else row.region.name
            row.issued_on = timezone.localdate(row.created_at)
            following = versions[index + 1] if index + 1 < len(versions) else None
            row.superseded_at = following.created_at if following else None
            row.save(update_fields=["year", "number", "version", "office", "issued_on", "superseded_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0004_import_changes"),
        ("issues", "0008_closure_loop"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulletin",
            name="year",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="year"),
        ),
        migrations.AddField(
            model_name="bulletin",
            name="number",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="issue number"),
        ),
        migrations.AddField(
            model_name="bulletin",
            name="version",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="version"),
        ),
        migrations.AddField(
            model_name="bulletin",
            name="office",
            field=models.CharField(default="", max_length=100, verbose_name="issuing office"),
        ),
        migrations.AddField(
            model_name="bulletin",
            name="issued_on",
            field=models.DateField(null=True, verbose_name="issue date"),
        ),
        migrations.AddField(
            model_name="bulletin",
            name="superseded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="superseded at"),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="bulletin",
            name="year",
            field=models.PositiveSmallIntegerField(verbose_name="year"),
        ),
        migrations.AlterField(
            model_name="bulletin",
            name="number",
            field=models.PositiveSmallIntegerField(verbose_name="issue number"),
        ),
        migrations.AlterField(
            model_name="bulletin",
            name="office",
            field=models.CharField(max_length=100, verbose_name="issuing office"),
        ),
        migrations.AlterField(
            model_name="bulletin",
            name="issued_on",
            field=models.DateField(verbose_name="issue date"),
        ),
        migrations.AddConstraint(
            model_name="bulletin",
            constraint=models.UniqueConstraint(
                condition=models.Q(("superseded_at__isnull", True)),
                fields=("region", "period_start", "period_end"),
                name="bulletin_one_current_per_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="bulletin",
            constraint=models.UniqueConstraint(
                condition=models.Q(("superseded_at__isnull", True)),
                fields=("region", "year", "number"),
                name="bulletin_number_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="bulletin",
            constraint=models.UniqueConstraint(
                fields=("region", "period_start", "period_end", "version"), name="bulletin_version_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="bulletin",
            constraint=models.CheckConstraint(
                condition=models.Q(("number__gte", 1), ("version__gte", 1)), name="bulletin_numbers_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="bulletin",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_start__lte", models.F("period_end"))), name="bulletin_period_ordered"
            ),
        ),
    ]
