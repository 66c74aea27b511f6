"""GET /health/ (core.health): healthy with a real worker and beat on the
test stack (PostgreSQL, Redis) and on the embedded `make run` default
(SQLite, the filesystem broker); 503 naming the failing check when the
worker is gone or beat's heartbeat is stale; nothing about hosts for
callers who are not administrators."""

import datetime
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from core.health import record_heartbeat
from core.models import Heartbeat

from ..processes import stop
from ..test_celery import celery_app, redis_url, start_worker, tail, wait_until_ready  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "config"]


def ask(server, path: str, session: str | None = None) -> tuple[int, str, dict]:
    """GET over real HTTP, as the proxy does (the live server's thread also
    keeps the async view clear of the browser tests' event loop)."""
    request = urllib.request.Request(server.url + path)
    if session:
        request.add_header("Cookie", f"sessionid={session}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def as_json(answer) -> tuple[int, dict]:
    return answer[0], json.loads(answer[1])


def wait_for_heartbeat(has_run, process, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not has_run():
        if process.poll() is not None:
            raise AssertionError(f"beat exited with {process.returncode}:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no heartbeat after {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.2)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_healthy_with_a_real_worker_and_beat(live_server, celery_app, start_worker, redis_url, tmp_path):  # noqa: F811
    from django.db import connection

    start_worker()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": redis_url,
        "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"],
        "ZOUFANG_HEARTBEAT_SECONDS": "1",
    }
    log = tmp_path / "beat.log"
    with open(log, "w") as out:
        beat = subprocess.Popen(
            [*CELERY, "beat", "--loglevel=INFO", "-s", str(tmp_path / "schedule")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_heartbeat(Heartbeat.objects.filter(name="beat").exists, beat, log)
        answer = ask(live_server, "/health/?format=json")
    finally:
        stop(beat)
    assert as_json(answer) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok"}},
    )
    assert "no-store" in answer[2]["Cache-Control"]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_unhealthy_without_a_worker_or_with_a_stale_beat(live_server, client, celery_app, live_world):  # noqa: F811
    record_heartbeat()
    answer = ask(live_server, "/health/?format=json")
    assert as_json(answer) == (
        503,
        {"status": "unavailable", "checks": {"database": "ok", "redis": "ok", "worker": "unavailable", "beat": "ok"}},
    )
    # Plain text for people and scripts, the same verdict.
    text = ask(live_server, "/health/")
    assert text[0] == 503 and text[1].splitlines()[:3] == ["unavailable", "database: ok", "redis: ok"]
    # Nothing about the machine for an anonymous caller: no host, address or port.
    for _status, body, _headers in (answer, text):
        assert socket.gethostname() not in body and "127.0.0.1" not in body and "redis://" not in body

    Heartbeat.objects.update(last_run=timezone.now() - datetime.timedelta(minutes=10))
    assert as_json(ask(live_server, "/health/?format=json"))[1]["checks"]["beat"] == "unavailable"
    Heartbeat.objects.all().delete()
    assert as_json(ask(live_server, "/health/?format=json"))[1]["checks"]["beat"] == "unavailable"

    # An administrator signed in is told why; an official is not.
    client.force_login(live_world.official_a)
    official = as_json(ask(live_server, "/health/?format=json", client.cookies["sessionid"].value))
    assert official[1]["checks"]["worker"] == "unavailable"
    client.force_login(live_world.admin)
    reasons = as_json(ask(live_server, "/health/?format=json", client.cookies["sessionid"].value))[1]["checks"]
    assert reasons["worker"] == "Unavailable: Celery workers unavailable"
    assert reasons["beat"] == "Unavailable: beat has not run its heartbeat yet"


def test_healthy_on_the_make_run_default(tmp_path):
    """SQLite and Kombu's filesystem broker, a real worker and beat, no Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "REDIS_URL", "ZOUFANG_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_ALLOWED_HOSTS="testserver",
        ZOUFANG_VAR_DIR=str(tmp_path / "var"),
        ZOUFANG_HEARTBEAT_SECONDS="1",
    )
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    database = tmp_path / "var" / "zoufang.sqlite3"

    def has_run():
        with sqlite3.connect(database) as db:
            return db.execute("SELECT count(*) FROM core_heartbeat WHERE name = 'beat'").fetchone()[0] == 1

    processes = []
    try:
        for name, args in (("worker", ["worker", "--pool=solo", "-n", "embedded@%h"]), ("beat", ["beat"])):
            log = tmp_path / f"{name}.log"
            with open(log, "w") as out:
                process = subprocess.Popen(
                    [*CELERY, *args, "--loglevel=INFO"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            processes.append(process)
            if name == "worker":
                wait_until_ready(process, log)
        wait_for_heartbeat(has_run, processes[1], tmp_path / "beat.log")
        asked = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.test import Client;"
                "r = Client().get('/health/?format=json'); print(r.status_code); print(r.content.decode())",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for process in processes:
            stop(process)
    assert asked.returncode == 0, asked.stderr[-2000:]
    status, body = asked.stdout.strip().splitlines()[-2:]
    assert status == "200", body
    assert body == '{"status": "ok", "checks": {"database": "ok", "worker": "ok", "beat": "ok"}}'
