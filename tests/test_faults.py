"""Faults, with the real processes: a web server, a Celery worker and beat,
each a process of its own, and a Redis that goes away while people work."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from .processes import Browser, RedisServer, free_port, stop

pytestmark = pytest.mark.celery
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def processes(tmp_path, settings):
    """Start manage.py / celery processes on the test database; each is
    stopped afterwards, and its log is shown when a wait fails."""
    from django.db import connection

    settings.MEDIA_ROOT = tmp_path / "media"
    started = []

    def start(name, argv, ready, **extra_env):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"],
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **extra_env,
        }
        path = tmp_path / f"{name}.log"
        log = open(path, "w")
        process = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log, path))
        deadline = time.monotonic() + 60
        while ready not in path.read_text(errors="replace"):
            assert process.poll() is None, f"{name} exited:\n{path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{name} was not ready:\n{path.read_text()[-3000:]}"
            time.sleep(0.1)
        return process

    start.logs = lambda: "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for _, _, p in started)
    yield start
    for process, log, _path in started:
        stop(process)
        log.close()


@pytest.fixture
def own_redis(tmp_path):
    """A Redis the test may stop and start; stopped afterwards whatever happened
    (a test that failed half-way used to leave it running)."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def eventually(check, what, logs, timeout=90):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}, still not after {timeout} s\n{logs()}"
        time.sleep(0.5)


def enterprises_sheet(rows: int) -> bytes:
    from openpyxl import Workbook

    from .factories import make_credit_code

    book = Workbook()
    book.active.append(["统一社会信用代码", "企业名称", "所在区划", "行业门类", "企业规模"])
    for index in range(rows):
        book.active.append([make_credit_code(), f"断网导入{index}", "市/甲县/甲镇", "C", "小型"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_redis_away_for_a_minute_loses_nothing_and_answers_no_500(
    processes, live_world, make_issue, own_redis, tmp_path
):
    """Before the outbox: assigning answered 500 although it was saved and its
    notice was never sent; bulk dispatch stopped after the first issue; an
    import stayed "queued" for ever."""
    from enterprises.models import Enterprise, ImportJob
    from issues.models import Issue, IssueEvent, Reminder

    from .factories import OfficialFactory

    w = live_world
    OfficialFactory(username="head_a", unit=w.unit_a, rank="head")
    OfficialFactory(username="head_a2", unit=w.unit_a2, rank="head")
    issues = [make_issue("registered") for _ in range(4)]
    redis = own_redis
    broker = {"CELERY_BROKER_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url, "ZOUFANG_RELAY_SECONDS": "2"}
    port = free_port()
    web = processes("web", ["manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], "Quit the server", **broker)
    worker = processes(
        "worker",
        ["-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO", "-n", "faults@%h"],
        " ready.",
        **broker,
    )
    processes(
        "beat",
        ["-m", "celery", "-A", "config", "beat", "--schedule", str(tmp_path / "beat"), "--loglevel=INFO"],
        "beat: Starting",
        ZOUFANG_SWEEP_SECONDS="3600",
        **broker,
    )
    supervisor, admin = Browser(f"http://127.0.0.1:{port}"), Browser(f"http://127.0.0.1:{port}")
    supervisor.sign_in(w.supervisor_a.username, "pw-for-tests")
    admin.sign_in(w.admin.username, "pw-for-tests")

    redis.stop()
    away = time.monotonic()
    bulk = [("unit", str(w.unit_a2.pk)), *[("issues", str(i.pk)) for i in issues[:3]]]
    one = [("assign-unit", str(w.unit_a.pk)), ("assign-due_date", "2026-12-31"), ("assign-note", "企业要求年底前")]
    one.append(("assign-version", str(issues[3].version)))
    upload = {"file": ("outage.xlsx", enterprises_sheet(50))}
    answers = [
        supervisor.post(reverse("dispatch-bulk"), bulk)[0],
        supervisor.post(reverse("issue-action", args=[issues[3].pk, "assign"]), one)[0],
        admin.post(reverse("import-list"), [("kind", "enterprises")], upload)[0],
    ]
    assert all(code in (200, 302) for code in answers), f"{answers}\n{processes.logs()}"
    assert set(Issue.objects.filter(pk__in=[i.pk for i in issues]).values_list("status", flat=True)) == {"assigned"}
    job = ImportJob.objects.get()
    assert job.status == "queued"
    time.sleep(max(0, 60 - (time.monotonic() - away)))  # a minute without the broker
    assert web.poll() is None and worker.poll() is None, processes.logs()
    assert not Reminder.objects.exists() and ImportJob.objects.get().status == "queued"

    redis.start()
    events = list(IssueEvent.objects.filter(issue__in=issues, action="assign").values_list("pk", flat=True))
    keys = [f"event:{pk}" for pk in events]
    told = Reminder.objects.filter(item_key__in=keys)
    eventually(lambda: told.values("item_key").distinct().count() == 4, "not every notice was sent", processes.logs)
    eventually(lambda: ImportJob.objects.get().status == "checked", "the import was not checked", processes.logs)
    status, _body = admin.post(reverse("import-detail", args=[job.pk]), [])
    assert status == 302
    eventually(lambda: ImportJob.objects.get().status == "applied", "the import was not applied", processes.logs)
    assert Enterprise.objects.filter(name__startswith="断网导入").count() == 50
    time.sleep(3)  # another relay or two: nothing is handed over twice
    assert told.count() == told.values("recipient", "item_key").distinct().count() == 4
    redis.stop()


class HangingRobot:
    """A chat robot that takes the request and never answers, so a worker can
    be killed while its POST is in flight."""

    def __init__(self):
        import socket
        import threading

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/robot/send"
        self.requests, self.connections = [], []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            self.requests.append(self.read_request(connection))

    @staticmethod
    def read_request(connection) -> bytes:
        """The whole request: one recv may return the headers alone when the
        body comes in a packet of its own (it did on a busy machine)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _sep, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _colon, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_post_leaves_it_unknown_and_it_is_never_posted_twice(
    processes, live_world, make_issue, settings
):
    """Before: a worker killed while a chat-robot POST was in flight left the
    delivery pending, and it was posted again."""
    import signal

    from core import outbox
    from issues import reminders, services
    from issues.models import Delivery

    from .factories import OfficialFactory

    w = live_world
    robot = HangingRobot()
    try:
        OfficialFactory(username="head_a", unit=w.unit_a, rank="head")
        w.unit_a.webhook_url = robot.url
        w.unit_a.save()
        broker = {"CELERY_BROKER_URL": os.environ["REDIS_URL"], "CELERY_RESULT_BACKEND": ""}
        argv = ["-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
        doomed = processes("doomed", [*argv, "-n", "doomed@%h"], " ready.", **broker)
        issue = make_issue("registered")
        services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=w.unit_a)  # its notice goes to the robot
        eventually(lambda: len(robot.requests) == 1, "the robot was never called", processes.logs)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        hook = Delivery.objects.get(channel="webhook")
        assert hook.status == "sending" and b"POST /robot/send" in robot.requests[0]

        processes("fresh", [*argv, "-n", "fresh@%h"], " ready.", **broker)
        settings.ZOUFANG_WEBHOOK_TIMEOUT, settings.ZOUFANG_SENDING_GRACE_SECONDS = 1, 0
        time.sleep(1.5)
        result = reminders.sweep()  # the next beat tick
        hook.refresh_from_db()
        assert result["interrupted"] == 1 and hook.status == "unknown"
        outbox.relay()
        time.sleep(3)  # time for anything queued to reach the fresh worker
        # (The sweep may post news of its own; the notice is never posted again.)
        assert sum(issue.number.encode() in request for request in robot.requests) == 1
        hook.refresh_from_db()
        assert hook.status == "unknown" and [a["outcome"] for a in hook.attempts] == ["unknown"]
    finally:
        robot.close()


def test_postgresql_restarted_while_issues_are_registered(tmp_path):
    """In-flight requests fail cleanly (503, "nothing was saved", Retry-After),
    the next ones succeed, and every issue the API said it registered exists
    with its event; none exists half-written."""
    import json
    import threading

    from .processes import PostgresServer

    database = PostgresServer().start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database.url,
        "DATABASE_CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "",
        "REDIS_URL": "",
    }
    run = lambda *argv: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, check=True, capture_output=True
    )
    web = None
    try:
        run("migrate", "--noinput")
        run("shell", "-c", "from tests.conftest import build_world; build_world()")
        port = free_port()
        log = open(tmp_path / "web.log", "w")
        web = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = Browser(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.request("/accounts/login/")[0] == 200:
                    break
            except OSError:  # not listening yet
                pass
            assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
            time.sleep(0.2)
        body = json.dumps({"username": "off_a", "password": "pw-for-tests"}).encode()
        status, answer = client.request("/api/v1/auth/token/", body, {"Content-Type": "application/json"})
        assert status == 200, answer
        token = json.loads(answer)["token"]
        headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
        enterprise = json.loads(client.request("/api/v1/enterprises/", None, headers)[1])["results"][0]["id"]

        answers, finished = [], threading.Event()

        def register():
            index = 0
            while not finished.is_set():
                index += 1
                issue = {"enterprise": enterprise, "category": "finance", "title": f"重启中登记{index}"}
                status, text = client.request("/api/v1/issues/", json.dumps(issue).encode(), headers)
                answers.append((status, text))

        worker = threading.Thread(target=register)
        worker.start()
        time.sleep(1)
        for _ in range(3):
            database.restart()
            time.sleep(0.5)
        time.sleep(1)
        finished.set()
        worker.join(30)
        after = [
            client.request(
                "/api/v1/issues/",
                json.dumps({"enterprise": enterprise, "category": "finance", "title": f"重启后{n}"}).encode(),
                headers,
            )[0]
            for n in range(3)
        ]
    finally:
        if web is not None:
            stop(web)
        counts = None
        if (database.data / "postmaster.pid").exists():
            script = (
                "from issues.models import Issue, IssueEvent; import json; "
                "print(json.dumps([list(Issue.objects.values_list('title', flat=True)), "
                "IssueEvent.objects.filter(action='register').count()]))"
            )
            counts = json.loads(run("shell", "-c", script).stdout.decode().strip().splitlines()[-1])
        database.stop()
    statuses = [status for status, _text in answers]
    assert set(statuses) <= {201, 503}, [a for a in answers if a[0] not in (201, 503)][:3]
    assert after == [201, 201, 201]
    titles, register_events = counts
    said_registered = {json.loads(text)["title"] for status, text in answers if status == 201}
    assert said_registered <= set(titles)  # every 201 is in the database
    assert len(titles) == register_events  # and nothing is half-written
    refused = [json.loads(text) for status, text in answers if status == 503]
    assert all(body["code"] == "unavailable" for body in refused)
