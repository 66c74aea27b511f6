"""Reminders leave the app by e-mail and chat robot: retried with back-off,
every attempt recorded, one failing channel never blocking another."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from issues import channels, reminders
from issues.models import Delivery, Issue

from ..factories import OfficialFactory
from .test_reminders import TODAY


class Robot:
    """A chat robot on 127.0.0.1 that fails its first `fail` requests."""

    def __init__(self, fail=2):
        self.fail, self.requests = fail, []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.requests.append((self.path, json.loads(body)))
                ok = len(robot.requests) > robot.fail
                self.send_response(200 if ok else 500)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0}' if ok else b"busy")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=t"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    server = Robot(fail=2)
    yield server
    server.close()


@pytest.fixture
def eager_celery():
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


@pytest.fixture
def overdue(world, make_issue):
    w = world
    w.head_a = OfficialFactory(username="head_a", unit=w.unit_a, rank="head", email="head_a@example.cn")
    w.deputy_a = OfficialFactory(
        username="deputy_a", unit=w.unit_a, rank="deputy", email="deputy@example.cn", email_notifications=False
    )
    issue = make_issue("in_progress")
    Issue.objects.filter(pk=issue.pk).update(due_date="2026-05-20")
    w.overdue = issue
    return w


def test_deliveries_follow_addresses_preferences_and_robots(overdue, robot):
    w = overdue
    w.unit_a.webhook_url, w.unit_a.webhook_secret = robot.url, "SEC-123"
    w.unit_a.save()
    reminders.sweep(TODAY)
    emails = Delivery.objects.filter(channel="email")
    assert list(emails.values_list("target", flat=True)) == ["head_a@example.cn"]  # deputy turned e-mail off
    robots = Delivery.objects.filter(channel="webhook")
    assert robots.count() == 1 and robots.get().unit == w.unit_a
    body = robots.get().body
    assert body.count(w.overdue.number) == 1  # told to two people, posted once
    assert f"/issues/{w.overdue.pk}/" in body


def test_email_is_chinese_with_links(overdue, settings):
    settings.ZOUFANG_SITE_URL = "https://zf.example.cn"
    reminders.sweep(TODAY)
    delivery = Delivery.objects.get(channel="email")
    assert channels.attempt(delivery.pk) is True
    message = mail.outbox[-1]
    assert message.subject.startswith("走访提醒") and message.to == ["head_a@example.cn"]
    assert f"https://zf.example.cn/issues/{overdue.overdue.pk}/" in message.body
    delivery.refresh_from_db()
    assert delivery.status == "sent" and [a["ok"] for a in delivery.attempts] == [True]
    assert channels.attempt(delivery.pk) is True and len(mail.outbox) == 1  # never twice


def test_robot_failing_at_first_is_retried_signed_and_recorded(
    overdue, robot, eager_celery, django_capture_on_commit_callbacks, settings
):
    w = overdue
    settings.EMAIL_BACKEND = "tests.issues.test_channels.BrokenEmail"  # the e-mail channel is down
    w.unit_a.webhook_url, w.unit_a.webhook_secret = robot.url, "SEC-123"
    w.unit_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        reminders.sweep(TODAY)
    hook = Delivery.objects.get(channel="webhook")
    assert hook.status == "sent"
    assert [a["ok"] for a in hook.attempts] == [False, False, True]
    assert len(robot.requests) == 3
    path, payload = robot.requests[-1]
    assert payload["msgtype"] == "markdown" and w.overdue.number in payload["markdown"]["text"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    expected = base64.b64encode(
        hmac.new(b"SEC-123", f"{query['timestamp'][0]}\nSEC-123".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["t"]
    email = Delivery.objects.get(channel="email")
    assert email.status in ("pending", "failed") and not any(a["ok"] for a in email.attempts)
    assert len(email.attempts) >= 1  # tried, recorded, and it did not stop the robot


def test_a_channel_that_never_recovers_is_given_up(overdue, eager_celery, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "tests.issues.test_channels.BrokenEmail"
    settings.ZOUFANG_DELIVERY_MAX_RETRIES = 2
    with django_capture_on_commit_callbacks(execute=True):
        reminders.sweep(TODAY)
    email = Delivery.objects.get(channel="email")
    assert email.status == "failed" and len(email.attempts) == 3


class BrokenEmail:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_a_user_turns_email_off(client, overdue):
    from django.urls import reverse

    client.force_login(overdue.head_a)
    client.post(reverse("preferences"), {"email": "new@example.cn"})  # box left unticked
    overdue.head_a.refresh_from_db()
    assert (overdue.head_a.email, overdue.head_a.email_notifications) == ("new@example.cn", False)
    reminders.sweep(TODAY)
    assert not Delivery.objects.filter(channel="email").exists()
    assert overdue.head_a.digests.count() == 1  # the inbox still has it


def test_deliveries_whose_task_was_lost_are_sent_by_a_later_sweep(overdue, eager_celery, settings):
    import datetime

    from core import clock

    reminders.sweep(TODAY)  # the tasks were never queued: as if Redis was down
    delivery = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=delivery.pk).update(created_at=clock.now() - datetime.timedelta(hours=3))
    result = reminders.sweep(TODAY)
    delivery.refresh_from_db()
    assert result["requeued"] == 1 and delivery.status == "sent" and len(mail.outbox) == 1
    assert reminders.sweep(TODAY)["requeued"] == 0
