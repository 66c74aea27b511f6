from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by manage.py backup into an empty database and an empty media folder or bucket "
        "(--force replaces what is there), then check every file and every table's row count."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that has tables (they are dropped) and a media folder that has files "
            "(it is moved aside, not deleted); media in an S3 bucket must be restored into an empty one",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            done = backup.restore_backup(archive=archive, force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {archive}\n  {backup.describe(done.manifest)}")
        self.stdout.write(f"  every table's row count and all {done.files} media files match the manifest")
        if done.media_moved_to:
            self.stdout.write(f"  the media folder that was there is now {done.media_moved_to}")
        if done.migrations_to_apply:
            self.stdout.write(
                f"  this code has {len(done.migrations_to_apply)} migrations the backup has not: "
                "run manage.py migrate before serving"
            )
