import django.db.models.deletion
from django.db import migrations, models


def delete_unsaved_uploads(apps, schema_editor):
    """Files uploaded for a visit that was never saved (forms sent back before
    files were stored only with their visit): nobody can reach them."""
    VisitAttachment = apps.get_model("visits", "VisitAttachment")
    for attachment in VisitAttachment.objects.filter(visit__isnull=True).iterator():
        attachment.file.delete(save=False)
        attachment.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0002_attachments"),
    ]

    operations = [
        migrations.RunPython(delete_unsaved_uploads, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="visitattachment",
            name="visit",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="visits.visit",
                verbose_name="visit",
            ),
        ),
    ]
