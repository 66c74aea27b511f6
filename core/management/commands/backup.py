from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or SQLite's online backup) and the media (folder or S3 bucket) "
        "into one tar archive with a manifest. Default: VAR_DIR/backups/zoufang-<time>.tar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="the archive to write (must not exist)")

    def handle(self, *args, output=None, **options):
        try:
            path, manifest = backup.create_backup(output=output)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{path}\n  {backup.describe(manifest)}")
