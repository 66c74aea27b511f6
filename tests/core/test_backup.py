"""manage.py backup and restore: a dump restored into an empty database and
media folder holds every issue, event and attachment (the same bytes), and
the issue events still refuse UPDATE and DELETE."""

import datetime
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from config.settings.base import media_storage
from core import backup
from visits import services as visit_services
from visits.models import VisitAttachment

from ..processes import S3Server

ROOT = Path(__file__).resolve().parent.parent.parent
PHOTO = b"\x89PNG\r\n\x1a\n" + os.urandom(4096)
MINUTES = b"%PDF-1.4\n" + os.urandom(70000)
COMPARED = ("issues_issue", "issues_issueevent", "visits_visit", "visits_visitattachment")


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def settings_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "ZOUFANG_"))}
    return {**env, "DJANGO_SETTINGS_MODULE": "config.settings.test", **overrides}


def rows(cursor, table: str) -> list[tuple]:
    cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # nosec B608  # the test's own table names
    return cursor.fetchall()


def dsn(name: str) -> dict:
    db = connection.settings_dict
    return {"dbname": name, "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"], "port": db["PORT"]}


@pytest.fixture
def ledger(live_world, make_issue, settings, tmp_path):
    """Issues in several states with their events, a visit with two files."""
    settings.MEDIA_ROOT = tmp_path / "media"
    w = live_world
    issues = [make_issue("closed"), make_issue("in_progress"), make_issue("cancelled"), make_issue("registered")]
    visit = visit_services.visit_record(
        summary="了解情况",
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=datetime.date.today() - datetime.timedelta(days=1),
        form="onsite",
        purposes=["situation"],
    )
    for name, content, kind in (("现场照片.png", PHOTO, "photo"), ("座谈纪要.pdf", MINUTES, "document")):
        VisitAttachment.objects.create(
            visit=visit,
            uploaded_by=w.official_a,
            file=ContentFile(content, name=name),
            name=name,
            kind=kind,
            size=len(content),
            content_type="image/png" if kind == "photo" else "application/pdf",
        )
    return issues


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_into_an_empty_database_whole(ledger, pg_only, settings, tmp_path):
    archive = tmp_path / "backups" / "zoufang.tar"
    call_command("backup", output=archive)
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds password hashes: its owner's only"
    manifest = backup.read_manifest(archive)
    assert manifest["counts"]["issues_issue"] == 4 and manifest["counts"]["visits_visitattachment"] == 2
    assert manifest["counts"]["issues_issueevent"] > 4
    assert "issues.0002_events_append_only_and_policies" in manifest["migrations"]
    assert manifest["media"]["files"] == 2 and manifest["app"]["version"]
    with tarfile.open(archive) as tar:
        dump = tar.extractfile("database.pgdump").read()
    assert dump.startswith(b"PGDMP"), "pg_dump's custom format"

    source = connection.settings_dict["NAME"]
    target = f"{source}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}"')
    restored_media = tmp_path / "restored-media"
    env = settings_env(
        DATABASE_URL=os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + target,
        DJANGO_MEDIA_ROOT=str(restored_media),
        ZOUFANG_VAR_DIR=str(tmp_path / "var"),
    )
    try:
        done = manage("restore", str(archive), env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "all 2 media files match" in done.stdout

        with psycopg2.connect(**dsn(source)) as before, psycopg2.connect(**dsn(target)) as after:
            old, new = before.cursor(), after.cursor()
            for table in COMPARED:
                assert rows(new, table) == rows(old, table), table
            new.execute("SELECT file, size FROM visits_visitattachment ORDER BY id")
            files = new.fetchall()
            assert [(restored_media / name).read_bytes() for name, _size in files] == [PHOTO, MINUTES]
            new.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'issues_issueevent'::regclass AND NOT tgisinternal"
            )
            assert new.fetchall(), "the append-only trigger on issue events"
            for statement in ("UPDATE issues_issueevent SET action = 'close'", "DELETE FROM issues_issueevent"):
                with pytest.raises(psycopg2.Error, match="issue events are append-only"):
                    new.execute(statement)
                after.rollback()
        after.close()
        before.close()

        # A second restore into the now full database is refused.
        again = manage("restore", str(archive), env=env)
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


@pytest.fixture
def s3(settings):
    """The media on a bucket of an S3-compatible server on loopback."""
    server = S3Server().start()
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(server.bucket("zoufang-media"))}
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_media_on_s3_reads_the_bucket_and_restores_into_an_empty_one(s3, ledger, pg_only, tmp_path):
    archive = tmp_path / "zoufang.tar"
    call_command("backup", output=archive)
    manifest = backup.read_manifest(archive)
    names = list(VisitAttachment.objects.order_by("pk").values_list("file", flat=True))
    assert sorted(manifest["media"]["sha256"]) == sorted(names)
    assert manifest["media"]["bytes"] == len(PHOTO) + len(MINUTES)
    assert not (tmp_path / "media").exists(), "nothing was read from or written to this host's disk"

    source = connection.settings_dict["NAME"]
    target = f"{source}_from_s3"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}"')
    env = settings_env(
        DATABASE_URL=os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + target,
        ZOUFANG_VAR_DIR=str(tmp_path / "var"),
        **s3.bucket("zoufang-restored", prefix="restored"),
    )
    try:
        done = manage("restore", str(archive), env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "all 2 media files match" in done.stdout
        restored = s3.objects("zoufang-restored")
        assert [restored[f"restored/{name}"] for name in names] == [PHOTO, MINUTES]
        # A bucket's objects cannot be moved aside as a folder is: --force is refused.
        again = manage("restore", "--force", str(archive), env=env)
        assert again.returncode != 0 and "restore into an empty bucket" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_from_newer_code_is_refused_before_anything_changes(ledger, pg_only, settings, tmp_path):
    archive = tmp_path / "zoufang.tar"
    backup.create_backup(output=archive)
    newer = tmp_path / "newer.tar"
    with tarfile.open(archive) as old, tarfile.open(newer, "w") as new:
        for member in old.getmembers():
            content = old.extractfile(member).read()
            if member.name == backup.MANIFEST:
                manifest = json.loads(content)
                manifest["migrations"].append("issues.9999_from_the_future")
                content = json.dumps(manifest).encode()
                member.size = len(content)
            new.addfile(member, io.BytesIO(content))
    with pytest.raises(backup.BackupError, match="issues.9999_from_the_future"):
        backup.restore_backup(archive=newer, force=True)
    assert connection.introspection.table_names(), "nothing was dropped"
    assert len(list((tmp_path / "media").rglob("*.*"))) == 2


def test_an_sqlite_backup_uses_the_online_backup_api_and_restores_whole(tmp_path):
    source = tmp_path / "source.sqlite3"
    env = settings_env(
        DATABASE_URL=f"sqlite:///{source}", DJANGO_MEDIA_ROOT=str(tmp_path / "media"), ZOUFANG_VAR_DIR=str(tmp_path)
    )
    for step in (["migrate", "-v0"], ["seed_demo", "--enterprises", "4"]):
        done = manage(*step, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    (tmp_path / "media" / "plans").mkdir(parents=True)
    (tmp_path / "media" / "plans" / "方案.pdf").write_bytes(MINUTES)
    archive = tmp_path / "zoufang.tar"
    done = manage("backup", "--output", str(archive), env=env)
    assert done.returncode == 0, done.stderr[-3000:]

    target = tmp_path / "restored.sqlite3"
    restored_env = {**env, "DATABASE_URL": f"sqlite:///{target}", "DJANGO_MEDIA_ROOT": str(tmp_path / "restored")}
    done = manage("restore", str(archive), env=restored_env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "restored" / "plans" / "方案.pdf").read_bytes() == MINUTES
    before, after = sqlite3.connect(source), sqlite3.connect(target)
    try:
        for table in COMPARED:
            assert rows(after.cursor(), table) == rows(before.cursor(), table), table
        assert len(rows(after.cursor(), "issues_issueevent")) > 10
        triggers = {name for (name,) in after.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"issueevent_no_update", "issueevent_no_delete"} <= triggers
        with pytest.raises(sqlite3.DatabaseError, match="issue events are append-only"):
            after.execute("DELETE FROM issues_issueevent")
    finally:
        before.close()
        after.close()
