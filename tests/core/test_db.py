"""Reads from a streaming replica (core.db): a real primary and hot standby
on loopback, the standby made with pg_basebackup -R and streaming. With the
standby's replay paused, a write on the primary is missing from the
dashboard, the stats API and the issue export, which read the standby, while
the session, the user and every write stay on the primary; resumed, the
pages catch up.

The suite's own database is no replica of anything, so this test copies its
schema into a primary of its own and points the `default` alias there (and
back) for its duration."""

import contextlib
import io
import subprocess
import time

import openpyxl
import psycopg2
import pytest
from django.db import close_old_connections, connections, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client
from django.urls import reverse

from core import db
from enterprises.models import Region
from issues import services as issue_services
from issues.models import Issue

from ..conftest import build_world
from ..processes import PrimaryServer, StandbyServer


def _sql(port: int, statement: str):
    with contextlib.closing(psycopg2.connect(host="127.0.0.1", port=port, user="zoufang", dbname="zoufang")) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchone()[0] if cursor.description else None


def _wait(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


def caught_up(primary: PrimaryServer, standby: StandbyServer) -> bool:
    """The standby has replayed everything the primary has written so far:
    up to the WAL's insert position, since with synchronous_commit off a
    commit can still sit in the WAL buffers, behind pg_current_wal_lsn()
    (which then said "caught up" too early when the machine was busy)."""
    target = _sql(primary.port, "SELECT pg_current_wal_insert_lsn()")
    return _sql(standby.port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")


@pytest.fixture
def streaming(transactional_db, django_db_blocker, settings):
    """A primary with the suite's schema and a standby streaming from it, as
    the `default` and `replica` aliases, with the replica router installed
    (the suite's test database is made first, to copy, and is `default`
    again afterwards)."""
    suite = connections["default"].settings_dict
    primary = PrimaryServer().start()
    standby = None
    original = connections["default"]
    try:
        # The suite's migrated test database, schema and triggers, into the primary.
        dump = primary.folder / "schema.pgdump"
        where = ["-h", suite["HOST"], "-p", str(suite["PORT"]), "-U", suite["USER"]]
        subprocess.run([f"{primary.bin}/pg_dump", *where, "-Fc", "-f", str(dump), suite["NAME"]], check=True)
        restore = [f"{primary.bin}/pg_restore", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "zoufang"]
        subprocess.run([*restore, "--no-owner", "--exit-on-error", "-d", "zoufang", str(dump)], check=True)
        standby = StandbyServer(primary).start()

        own = {**suite, "NAME": "zoufang", "USER": "zoufang", "PASSWORD": "", "HOST": "127.0.0.1", "OPTIONS": {}}
        with django_db_blocker.unblock():
            original.close()
            connections["default"] = DatabaseWrapper({**own, "PORT": str(primary.port)}, "default")
            # Kept open between requests and checked before each, as in production.
            replica = {**own, "PORT": str(standby.port), "CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": True}
            connections.settings[db.REPLICA] = replica
            settings.DATABASE_ROUTERS = ["core.db.ReplicaRouter"]
            settings.MIDDLEWARE = [*settings.MIDDLEWARE, "core.db.PinToPrimaryMiddleware"]
            try:
                yield primary, standby
            finally:
                for alias in ("default", db.REPLICA):
                    connections[alias].close()
                connections["default"] = original
                del connections.settings[db.REPLICA]
                with contextlib.suppress(AttributeError):
                    del connections[db.REPLICA]
    finally:
        for server in (standby, primary):
            if server is not None:
                server.stop()


def registered(response) -> int:
    assert response.status_code == 200, response.status_code
    return response.context["totals"]["registered"]


def stats_registered(client) -> int:
    response = client.get(reverse("api-stats"), {"group_by": "category"})
    assert response.status_code == 200, response.content[:300]
    return sum(row["registered"] for row in response.json()["results"])


def exported_rows(client) -> int:
    response = client.get(reverse("issue-export"))
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return len(list(book.active.iter_rows())) - 1  # less the header


def test_the_dashboard_reads_the_replica_and_every_write_goes_to_the_primary(streaming, frozen_today):
    primary, standby = streaming
    w = build_world()
    register = {"actor": w.official_a, "enterprise": w.enterprise_a, "category": "finance", "title": "融资难"}
    issue_services.issue_register(**register)
    _wait(lambda: caught_up(primary, standby), "the standby to replay the world")
    assert _sql(standby.port, "SELECT pg_is_in_recovery()"), "a standby, not a second primary"
    dashboard = reverse("dashboard")

    # Replay stops: from now on the standby shows the ledger as it was.
    _sql(standby.port, "SELECT pg_wal_replay_pause()")
    _wait(lambda: _sql(standby.port, "SELECT pg_get_wal_replay_pause_state()") == "paused", "replay to pause")

    # Signed in after the pause: the session row is on the primary only, and
    # the page is served, so the session and the user were read there.
    client = Client()
    client.force_login(w.supervisor_a)
    issue_services.issue_register(**register)
    assert Issue.objects.count() == 2
    assert Issue.objects.using(db.REPLICA).count() == 1
    assert registered(client.get(dashboard)) == 1, "the dashboard's figures come from the replica"
    assert stats_registered(client) == 1, "and so do the stats API's"
    assert exported_rows(client) == 1, "and the ledger's export, streamed from a cursor on the standby"

    with db.reading_replica():
        assert Issue.objects.count() == 1
        # A read inside a transaction on the primary goes to the primary.
        with transaction.atomic():
            assert Issue.objects.count() == 2
        # A write on the replica path goes to the primary: the row read from
        # the standby is saved there, not refused by the read-only standby.
        region = Region.objects.get(pk=w.county_a.pk)
        assert region._state.db == db.REPLICA
        region.name = "甲县（改）"
        region.save()
        issue_services.issue_register(**register)
    assert Region.objects.get(pk=w.county_a.pk).name == "甲县（改）"
    assert Region.objects.using(db.REPLICA).get(pk=w.county_a.pk).name == "甲县"
    assert Issue.objects.count() == 3 and Issue.objects.using(db.REPLICA).count() == 1

    # A browser that has just written reads from the primary for a while.
    pinned = Client()
    pinned.force_login(w.supervisor_a)
    assert pinned.post(reverse("inbox-read")).status_code == 302
    assert db.PIN_COOKIE in pinned.cookies
    assert registered(pinned.get(dashboard)) == 3
    assert registered(client.get(dashboard)) == 1

    # Replay resumes: the replica catches up, and so does the dashboard.
    _sql(standby.port, "SELECT pg_wal_replay_resume()")
    _wait(lambda: caught_up(primary, standby), "the standby to catch up")
    assert registered(client.get(dashboard)) == 3
    assert stats_registered(client) == 3 and exported_rows(client) == 3

    # A replica that cannot be reached is skipped: the page reads the primary.
    standby.pg_ctl("-m", "immediate", "stop")
    issue_services.issue_register(**register)
    close_old_connections()  # what a server does as a request starts (the test client does not)
    assert registered(client.get(dashboard)) == 4
