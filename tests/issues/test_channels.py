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

from core.models import OutboxMessage
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
    # The set-up's own assignment notice is not what these tests are about.
    OutboxMessage.objects.all().delete()
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
    # Overdue, and its 督办单 (issues.ladder): each told to two people, posted once.
    assert body.count(w.overdue.number) == 2 and body.count("甲县〔2026〕督办第1号") == 1
    assert f"/issues/{w.overdue.pk}/" in body


def test_email_is_chinese_with_links(overdue, settings):
    settings.ZOUFANG_SITE_URL = "https://zf.example.cn"
    reminders.sweep(TODAY)
    delivery = Delivery.objects.get(channel="email")
    assert channels.attempt(delivery.pk) == "sent"
    message = mail.outbox[-1]
    assert message.subject.startswith("走访提醒") and message.to == ["head_a@example.cn"]
    assert f"https://zf.example.cn/issues/{overdue.overdue.pk}/" in message.body
    delivery.refresh_from_db()
    assert delivery.status == "sent" and [a["ok"] for a in delivery.attempts] == [True]
    assert channels.attempt(delivery.pk) == "" and len(mail.outbox) == 1  # never twice


def later(minutes):
    """The clock moved on by `minutes`, and beat's relay ran."""
    import datetime

    from django.utils import timezone

    from core import clock, outbox

    moment = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 0)))
    with clock.frozen_at(moment + datetime.timedelta(minutes=minutes)):
        return outbox.relay()


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
    assert hook.status == "pending" and len(robot.requests) == 1  # refused; the retry waits 30 s
    assert later(0) == 0
    assert later(1) == 2  # the robot's and the e-mail's retries
    assert later(1) == 0
    assert later(3) == 2  # 60 s after the second try
    hook.refresh_from_db()
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
    assert email.status == "pending" and [a["outcome"] for a in email.attempts] == ["pending"] * 3


def test_a_channel_that_never_recovers_is_given_up(overdue, eager_celery, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "tests.issues.test_channels.BrokenEmail"
    settings.ZOUFANG_DELIVERY_MAX_RETRIES = 2
    with django_capture_on_commit_callbacks(execute=True):
        reminders.sweep(TODAY)
    for minutes in (1, 3, 10):
        later(minutes)
    email = Delivery.objects.get(channel="email")
    assert email.status == "failed" and [a["outcome"] for a in email.attempts] == ["pending", "pending", "failed"]
    assert later(60) == 0  # nothing more waits


def test_a_post_whose_answer_never_comes_is_not_sent_again(overdue, eager_celery, settings):
    """The robot took the message and the line went quiet: it may have been
    posted, so it is not posted again (at most once), and says so."""
    import socket

    settings.ZOUFANG_WEBHOOK_TIMEOUT = 0.5
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts the connection and the request, never answers
    try:
        overdue.unit_a.webhook_url = f"http://127.0.0.1:{listener.getsockname()[1]}/robot/send"
        overdue.unit_a.save()
        reminders.sweep(TODAY)
        hook = Delivery.objects.get(channel="webhook")
        assert channels.attempt(hook.pk) == "unknown"
    finally:
        listener.close()
    hook.refresh_from_db()
    assert hook.status == "unknown" and "timed out" in hook.attempts[-1]["detail"]
    later(60)  # every task the sweep queued runs, this one's too
    assert channels.attempt(hook.pk) == ""
    hook.refresh_from_db()
    assert hook.status == "unknown" and len(hook.attempts) == 1
    assert channels.send_again([hook.pk]) == 1  # an administrator who checked the group
    hook.refresh_from_db()
    assert hook.status == "pending" and hook.attempts[-1]["outcome"] == "again"


def test_a_worker_that_died_while_sending_leaves_it_unknown(overdue):
    import datetime

    from core import clock

    reminders.sweep(TODAY)
    delivery = Delivery.objects.get(channel="email")
    # Claimed, then the worker was killed mid-send: nothing was recorded after.
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_at=clock.now() - datetime.timedelta(minutes=10)
    )
    result = reminders.sweep(TODAY)
    delivery.refresh_from_db()
    assert result["interrupted"] == 1 and delivery.status == "unknown" and len(mail.outbox) == 0
    assert reminders.sweep(TODAY)["interrupted"] == 0


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

    reminders.sweep(TODAY)  # handed to a broker that lost them (the relay never ran here)
    OutboxMessage.objects.update(sent_at=clock.now())
    delivery = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=delivery.pk).update(created_at=clock.now() - datetime.timedelta(hours=3))
    result = reminders.sweep(TODAY)
    assert result["resent"] == 1 and later(0) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and len(mail.outbox) == 1
    assert reminders.sweep(TODAY)["resent"] == 0
