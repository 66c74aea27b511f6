"""Backup and restore: the database and the uploads (the media folder, or the
S3 bucket when ZOUFANG_S3_BUCKET is set: they are read and written through
the default storage) in one tar archive with a manifest (when, which code,
which migrations, how many rows of each table, a checksum of every file).

PostgreSQL is dumped with pg_dump (custom format) inside an exported
snapshot, so the row counts in the manifest are those of the dump itself;
the embedded SQLite file is copied with SQLite's online backup API. A
restore goes into an empty database and an empty media folder or bucket
(--force replaces the database and moves a media folder aside; a bucket
must be empty), refuses a backup whose migrations the code does not have,
and checks every file's checksum and every table's row count afterwards."""

import datetime
import hashlib
import io
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess  # nosec B404  # runs pg_dump, pg_restore and git with fixed arguments, never a shell
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
DUMP_NAMES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclass
class Restored:
    manifest: dict
    counts: dict[str, int]
    files: int
    migrations_to_apply: list[str] = field(default_factory=list)
    media_moved_to: Path | None = None


# -- what the manifest records ---------------------------------------------


def _tables() -> list[str]:
    """Every table of an installed model, many-to-many tables included."""
    names = {model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed}
    return sorted(names)


def _count_rows(cursor, tables: list[str], quote) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # nosec B608  # table names come from the models, quoted
        counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations(cursor) -> list[str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _code_migrations() -> set[str]:
    return {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}


def _app_version() -> dict:
    version = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())["project"]["version"]
    commit = os.environ.get("ZOUFANG_COMMIT", "")
    if not commit and shutil.which("git"):
        found = subprocess.run(  # nosec B603 B607  # fixed arguments; git from PATH as any developer runs it
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        commit = found.stdout.strip() if found.returncode == 0 else ""
    return {"version": version, "commit": commit or "unknown"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _on_disk(storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def _media_names(storage) -> list[str]:
    """Every stored upload's name: the media folder's files (never through a
    symbolic link), or the objects under the bucket's prefix."""
    if _on_disk(storage):
        root = Path(storage.location)
        return [path.relative_to(root).as_posix() for path in _media_files(root)]
    names, folders = [], [""]
    while folders:
        folder = folders.pop()
        subfolders, files = storage.listdir(folder)
        names += [posixpath.join(folder, name) for name in files]
        folders += [posixpath.join(folder, name) for name in subfolders]
    return sorted(names)


def _media_place(storage) -> str:
    if _on_disk(storage):
        return str(storage.location)
    return f"the bucket {storage.bucket_name}" + (f" under {storage.location}/" if storage.location else "")


def _stored_sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- PostgreSQL's tools ------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: ZOUFANG_PG_BIN, else PATH, else the newest
    /usr/lib/postgresql/*/bin (Debian's server packages)."""
    folder = os.environ.get("ZOUFANG_PG_BIN")
    if folder:
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return str(candidates[-1])


def _pg_environment() -> dict:
    """libpq's variables for the default database, so no password is on a command line."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "PGDATABASE": db["NAME"],
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
    }
    if db.get("HOST"):
        env["PGHOST"] = db["HOST"]
    if db.get("PORT"):
        env["PGPORT"] = str(db["PORT"])
    sslmode = db.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, env=_pg_environment(), capture_output=True, text=True)  # nosec B603  # fixed arguments
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


# -- backup ------------------------------------------------------------------


def default_output() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"zoufang-{stamp}.tar"


def _dump_postgresql(target: Path) -> tuple[list[str], dict[str, int]]:
    # One snapshot for the dump and for the manifest's counts: pg_dump joins
    # the snapshot this transaction exports, and the transaction stays open
    # until pg_dump is done.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        migrations = _applied_migrations(cursor)
        counts = _count_rows(cursor, _tables(), connection.ops.quote_name)
        _run([pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={target}"], "pg_dump")
    return migrations, counts


def _dump_sqlite(target: Path) -> tuple[list[str], dict[str, int]]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        migrations = _applied_migrations(cursor)
        counts = _count_rows(cursor, _tables(), connection.ops.quote_name)
    finally:
        copy.close()
    return migrations, counts


def create_backup(*, output: Path | None = None) -> tuple[Path, dict]:
    """Write the archive (mode 600: it holds password hashes) and return its
    path and manifest."""
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"cannot back up a {vendor} database")
    output = Path(output or default_output())
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        raise BackupError(f"{output} exists already")
    storage = default_storage
    with tempfile.TemporaryDirectory(dir=output.parent) as work:
        dump = Path(work) / DUMP_NAMES[vendor]
        migrations, counts = _dump_postgresql(dump) if vendor == "postgresql" else _dump_sqlite(dump)
        # Media after the database: uploads are new files, never rewritten, so
        # every file the dump names is here (a newer upload is harmless).
        names = _media_names(storage)
        sizes = {name: storage.size(name) for name in names}
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "app": _app_version(),
            "database": {
                "vendor": vendor,
                "file": dump.name,
                "bytes": dump.stat().st_size,
                "sha256": _sha256(dump),
            },
            "migrations": migrations,
            "counts": counts,
            "media": {
                "files": len(names),
                "bytes": sum(sizes.values()),
                "sha256": {name: _stored_sha256(storage, name) for name in names},
            },
        }
        partial = output.with_name(output.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(descriptor, "wb") as stream,
            tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(timezone.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=dump.name, recursive=False)
            for name in names:
                member = tarfile.TarInfo(f"media/{name}")
                member.size, member.mtime, member.mode = sizes[name], info.mtime, 0o600
                with storage.open(name, "rb") as source:
                    tar.addfile(member, source)
        partial.rename(output)
    return output, manifest


# -- restore -----------------------------------------------------------------


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive) as tar:
            member = tar.getmember(MANIFEST)
            manifest = json.loads(tar.extractfile(member).read())
    except (OSError, KeyError, tarfile.TarError, ValueError) as error:
        raise BackupError(f"{archive} is not a Zoufang backup ({error})") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')} is not {FORMAT}")
    return manifest


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _clear_database() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    # SQLite: the online backup replaces every page of the file.


def _media_member(name: str) -> PurePosixPath | None:
    """The path under the media folder a member writes, or None for a name that
    would leave it (absolute, '..')."""
    path = PurePosixPath(name)
    if path.parts[:1] != ("media",) or len(path.parts) < 2 or ".." in path.parts or path.is_absolute():
        return None
    return PurePosixPath(*path.parts[1:])


def restore_backup(*, archive: Path, force: bool = False) -> Restored:
    archive = Path(archive)
    manifest = read_manifest(archive)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"the backup holds a {vendor} database; this one is {connection.vendor}")
    unknown = sorted(set(manifest["migrations"]) - _code_migrations())
    if unknown:
        raise BackupError(
            "the backup comes from code with migrations this code does not have "
            f"({', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}): restore it with that code"
        )
    to_apply = sorted(_code_migrations() - set(manifest["migrations"]))
    storage = default_storage
    media_root = Path(storage.location) if _on_disk(storage) else None
    database_empty = _database_is_empty()
    media_empty = not (media_root.exists() and any(media_root.iterdir())) if media_root else not _media_names(storage)
    if not force and not (database_empty and media_empty):
        places = (("the database", database_empty), (_media_place(storage), media_empty))
        what = " and ".join(name for name, empty in places if not empty)
        raise BackupError(f"{what} is not empty: restore into an empty one, or pass --force to replace it")
    if not media_empty and media_root is None:
        # A folder is moved aside; a bucket's objects cannot be, and are not deleted here.
        raise BackupError(f"{_media_place(storage)} is not empty: restore into an empty bucket or prefix")

    moved = None
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive) as tar:
        dump = Path(work) / manifest["database"]["file"]
        with tar.extractfile(tar.getmember(manifest["database"]["file"])) as source, open(dump, "wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        if _sha256(dump) != manifest["database"]["sha256"]:
            raise BackupError("the database dump does not match its checksum: the archive is damaged")

        if not database_empty:
            _clear_database()
        if not media_empty:
            moved = media_root.with_name(f"{media_root.name}.replaced-{timezone.now():%Y%m%d-%H%M%S}")
            media_root.rename(moved)
        if vendor == "postgresql":
            _run(
                [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                 f"--dbname={connection.settings_dict['NAME']}", str(dump)],
                "pg_restore",
            )  # fmt: skip
        else:
            connection.ensure_connection()
            source = sqlite3.connect(dump)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        connection.close()

        expected = manifest["media"]["sha256"]
        written = 0
        for member in tar.getmembers():
            relative = _media_member(member.name)
            if relative is None or not member.isfile():
                continue
            digest = hashlib.sha256()
            with tar.extractfile(member) as source, tempfile.TemporaryFile(dir=work) as copy:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    copy.write(chunk)
                if expected.get(str(relative)) != digest.hexdigest():
                    raise BackupError(f"media/{relative} does not match its checksum: the archive is damaged")
                copy.seek(0)
                if storage.save(str(relative), File(copy)) != str(relative):
                    raise BackupError(f"media/{relative} was stored under another name")
            written += 1
        if written != len(expected):
            raise BackupError(f"the archive holds {written} of the {len(expected)} media files its manifest lists")

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        counts = _count_rows(cursor, sorted(set(manifest["counts"]) & tables), connection.ops.quote_name)
    differ = {table: (n, counts.get(table)) for table, n in manifest["counts"].items() if counts.get(table) != n}
    if differ:
        raise BackupError(f"restored row counts differ from the manifest's (expected, found): {differ}")
    return Restored(manifest=manifest, counts=counts, files=written, migrations_to_apply=to_apply, media_moved_to=moved)


def describe(manifest: dict) -> str:
    created = datetime.datetime.fromisoformat(manifest["created_at"])
    rows = sum(manifest["counts"].values())
    app = manifest["app"]
    return (
        f"{timezone.localtime(created):%Y-%m-%d %H:%M} · {app['version']} ({app['commit'][:12]}) · "
        f"{manifest['database']['vendor']} · {len(manifest['migrations'])} migrations · {rows} rows in "
        f"{len(manifest['counts'])} tables · {manifest['media']['files']} media files"
    )
