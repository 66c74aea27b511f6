"""A real Celery worker against the real Redis that `make test` started."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from .processes import free_port, stop

pytestmark = pytest.mark.celery
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("REDIS_URL is not set: run the suite through `make test`, which starts Redis")
    return url


@pytest.fixture
def start_worker(redis_url, tmp_path, settings):
    """Start worker processes on the test database and the same MEDIA_ROOT;
    every one still running is stopped afterwards."""
    from django.db import connection

    settings.MEDIA_ROOT = tmp_path / "media"
    started = []
    logs.clear()

    def start(name="test", **extra_env):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "DATABASE_URL": os.environ.get("DATABASE_URL", "").rsplit("/", 1)[0]
            + "/"
            + connection.settings_dict["NAME"],
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **extra_env,
        }
        path = tmp_path / f"worker-{name}.log"
        log = open(path, "w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-n",
                f"{name}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        wait_until_ready(process, path)
        logs.append(path)
        return process

    yield start
    for process, log in started:
        stop(process)
        log.close()


@pytest.fixture
def worker(start_worker):
    return start_worker()


@pytest.fixture
def celery_app(redis_url):
    from config.celery_app import app

    app.conf.broker_url = redis_url
    app.conf.result_backend = redis_url
    yield app
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.conf.result_backend = settings.CELERY_RESULT_BACKEND


# The logs of the workers the running test started, shown when it fails.
logs: list[Path] = []


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(process: subprocess.Popen, path: Path, timeout: float = 60) -> None:
    """A worker is ready when it says so; one that exits or stays silent fails
    the test with what it printed, so a failure says why."""
    deadline = time.monotonic() + timeout
    while " ready." not in path.read_text(errors="replace"):
        if process.poll() is not None:
            raise AssertionError(f"the worker exited with {process.returncode}:\n{tail(path)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker was not ready after {timeout:.0f} s:\n{tail(path)}")
        time.sleep(0.1)


def wait_for(result, timeout=60):
    deadline = time.monotonic() + timeout
    while not result.ready():
        if time.monotonic() > deadline:
            said = "\n".join(f"--- {path.name}\n{tail(path)}" for path in logs)
            raise AssertionError(f"the task did not finish in time\n{said}")
        time.sleep(0.2)
    return result.get(timeout=1)


def test_ping_round_trip_through_redis(celery_app, worker):
    from core.tasks import ping

    result = ping.delay("你好")
    assert wait_for(result)["echo"] == "你好"


@pytest.mark.django_db(transaction=True)
def test_reminder_sweep_runs_in_the_worker_on_the_database(celery_app, worker, world, make_issue):
    import datetime

    from django.utils import timezone

    from core import calendar
    from issues.models import Issue, Reminder
    from issues.tasks import reminder_sweep

    from .factories import OfficialFactory

    head = OfficialFactory(username="head_a", unit=world.unit_a, rank="head")
    # The worker runs on the real clock, so the due dates are set around it.
    today = timezone.localdate()
    overdue, later = make_issue("in_progress"), make_issue("in_progress")
    Issue.objects.filter(pk=overdue.pk).update(due_date=today - datetime.timedelta(days=10))
    Issue.objects.filter(pk=later.pk).update(due_date=today + datetime.timedelta(days=60))
    result = wait_for(reminder_sweep.delay())
    assert result["date"] == today.isoformat()
    # (The assignments above also sent event notices through the worker.)
    assert result["added"] == Reminder.objects.exclude(item_key__startswith="event:").count()
    told = set(Reminder.objects.filter(recipient=head).exclude(kind="assigned").values_list("kind", "issue_id"))
    # Deadline reminders go out on working days only.
    assert (("overdue", overdue.pk) in told) == calendar.is_working_day(today)
    assert ("overdue", later.pk) not in told
    assert Reminder.objects.filter(recipient=head, digest__isnull=True).count() == 0
    again = wait_for(reminder_sweep.delay())
    assert (again["added"], again["digests"]) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_an_import_is_checked_and_applied_by_the_worker(celery_app, worker, world):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from enterprises import services
    from enterprises.models import Enterprise, ImportJob

    from .factories import make_credit_code

    book = Workbook()
    book.active.append(["统一社会信用代码", "企业名称", "所在区划", "行业门类", "企业规模"])
    for index in range(300):
        book.active.append([make_credit_code(), f"后台导入{index}", "市/甲县/甲镇", "C", "小型"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = services.import_job_start(
        actor=world.admin, kind="enterprises", upload=SimpleUploadedFile("big.xlsx", buffer.getvalue())
    )

    def wait(status):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == status:
                return
            time.sleep(0.2)
        said = "\n".join(tail(path) for path in logs)
        raise AssertionError(f"the job stayed {job.status}\n{said}")

    wait(ImportJob.Status.CHECKED)
    assert (job.total_rows, job.counts["create"], job.error_count) == (300, 300, 0)
    assert not Enterprise.objects.filter(name__startswith="后台导入").exists()
    services.import_job_apply(actor=world.admin, job=job)
    wait(ImportJob.Status.APPLIED)
    assert Enterprise.objects.filter(name__startswith="后台导入").count() == 300


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_and_a_new_one_sends_the_rest_none_twice(celery_app, start_worker, world):
    import signal

    from issues.models import Digest, Reminder
    from issues.tasks import reminder_sweep

    from .factories import OfficialFactory

    OfficialFactory(username="head_a", unit=world.unit_a, rank="head")
    OfficialFactory(username="head_a2", unit=world.unit_a2, rank="head")
    doomed = start_worker("doomed", ZOUFANG_SWEEP_PAUSE_AFTER_RECORD="60")
    reminder_sweep.delay()
    deadline = time.monotonic() + 60
    while not Reminder.objects.exists():  # recorded, not yet digested
        assert time.monotonic() < deadline, "the sweep never recorded anything"
        time.sleep(0.2)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    recorded = Reminder.objects.count()
    assert recorded > 0 and not Digest.objects.exists()

    start_worker("fresh")
    result = wait_for(reminder_sweep.delay())  # the next beat tick
    assert result["added"] == 0 and result["digests"] > 0
    assert Reminder.objects.count() == recorded
    assert not Reminder.objects.filter(digest__isnull=True).exists()
    assert sum(len(d.items) for d in Digest.objects.all()) == recorded  # each told once
    again = wait_for(reminder_sweep.delay())
    assert (again["added"], again["digests"]) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_tell_each_thing_once(celery_app, start_worker, world):
    from issues.models import Digest, Reminder
    from issues.tasks import reminder_sweep

    from .factories import OfficialFactory

    for index in range(5):
        OfficialFactory(username=f"head_a{index}", unit=world.unit_a, rank="head")
    start_worker("one")
    start_worker("two")
    results = [wait_for(result) for result in [reminder_sweep.delay(), reminder_sweep.delay()]]
    rows = Reminder.objects.count()
    assert rows > 0 and sum(r["added"] for r in results) == rows
    assert rows == Reminder.objects.values("recipient", "kind", "item_key", "day").distinct().count()
    assert not Reminder.objects.filter(digest__isnull=True).exists()
    assert sum(len(d.items) for d in Digest.objects.all()) == rows


@pytest.mark.django_db(transaction=True)
def test_after_redis_was_down_the_next_sweep_catches_up(start_worker, world, tmp_path, make_issue):
    """Redis (the broker) goes down: no sweep can even be queued. When it is
    back, the worker reconnects and the next sweep tells everything still due,
    because the sweep reads the ledger, not a backlog of queued work."""
    import shutil
    import socket

    from celery import Celery

    from issues.models import Reminder

    from .factories import OfficialFactory

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    command = [
        shutil.which("redis-server"),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]

    def redis():
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return process
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis did not start")

    OfficialFactory(username="head_a", unit=world.unit_a, rank="head")
    server = redis()
    # A client of its own for the broker that goes away, so the suite's app
    # keeps its connections.
    client = Celery("outage-client", broker=url, backend=url, set_as_current=False)
    client.conf.broker_connection_retry = False
    client.conf.broker_connection_max_retries = 0
    try:
        start_worker("patient", CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url)
        server.terminate()
        server.wait(10)
        with pytest.raises(Exception):  # noqa: B017 - kombu raises its own OperationalError
            client.send_task("issues.tasks.reminder_sweep", retry=False)
        assert not Reminder.objects.exists()
        server = redis()  # back the next day
        client = Celery("outage-client-2", broker=url, backend=url, set_as_current=False)
        result = wait_for(client.send_task("issues.tasks.reminder_sweep"), timeout=90)
        assert result["added"] == Reminder.objects.count() > 0
        assert not Reminder.objects.filter(digest__isnull=True).exists()
    finally:
        server.terminate()
        server.wait(10)
