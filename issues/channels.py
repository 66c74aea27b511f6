"""Sending reminders out of the app: e-mail through Django's mail API, and a
DingTalk/WeCom-style JSON POST to a unit's chat robot, signed when the unit
has a secret. Each attempt is appended to the Delivery's log, and each
delivery goes out at most once (see `attempt`)."""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core import clock, outbox

from .models import Delivery


class NotSent(Exception):
    """The channel refused or could not be reached: nothing went out, so the
    delivery may be tried again."""


class OutcomeUnknown(Exception):
    """The message may have gone out (the line dropped or timed out after it
    was sent): trying again could send it twice, so it is not retried."""


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's robot signature: HMAC-SHA256 over "timestamp\\nsecret",
    base64, URL-encoded, added as `timestamp` and `sign`."""
    if not secret:
        return url
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def _post(delivery: Delivery) -> str:
    payload = {"msgtype": "markdown", "markdown": {"title": delivery.subject, "text": delivery.body}}
    request = urllib.request.Request(
        signed_url(delivery.target, delivery.unit.webhook_secret if delivery.unit else ""),
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        # The target is a unit's webhook, a web address by enterprises.rules (URLValidator), never file:.
        with urllib.request.urlopen(request, timeout=settings.ZOUFANG_WEBHOOK_TIMEOUT) as response:  # nosec B310
            text = response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # the robot answered, and refused
        raise NotSent(f"HTTP {exc.code}: {exc.reason}"[:300]) from exc
    except urllib.error.URLError as exc:  # urllib's word for "could not connect or send the request"
        raise NotSent(str(exc.reason)[:300]) from exc
    except (OSError, http.client.HTTPException) as exc:  # sent, then no answer
        raise OutcomeUnknown(f"{type(exc).__name__}: {exc}"[:300]) from exc
    # DingTalk and WeCom answer 200 with {"errcode": 0} on success.
    try:
        code = json.loads(text).get("errcode", 0)
    except (ValueError, AttributeError):
        code = 0
    if code:
        raise NotSent(f"errcode {code}: {text[:200]}")
    return "ok"


# Failures that happen before a mail server accepted anything.
REFUSED = (
    ConnectionRefusedError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPNotSupportedError,
)


def _email(delivery: Delivery) -> str:
    try:
        send_mail(delivery.subject, delivery.body, None, [delivery.target], fail_silently=False)
    except REFUSED as exc:
        raise NotSent(f"{type(exc).__name__}: {exc}"[:300]) from exc
    except Exception as exc:
        raise OutcomeUnknown(f"{type(exc).__name__}: {exc}"[:300]) from exc
    return "ok"


def attempt(delivery_id: int) -> str:
    """One attempt, sent at most once. The delivery is claimed (pending →
    sending) and that is committed before anything goes out, so no lock or
    transaction is held over the network and a second worker holding the same
    task finds nothing to claim. Then it ends sent; or pending again with a
    retry in the outbox (the channel refused), failed after the last retry;
    or unknown (it may have gone out). A worker that dies while sending
    leaves it sending, and `settle_interrupted` calls that unknown.
    Returns the status it ended in, or "" when there was nothing to claim."""
    now = clock.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, claimed_at=now
    )
    if not claimed:
        return ""
    delivery = Delivery.objects.select_related("unit").get(pk=delivery_id)
    send = _email if delivery.channel == Delivery.Channel.EMAIL else _post
    try:
        detail = send(delivery)
    except NotSent as refusal:
        return _refused(delivery, str(refusal))
    except OutcomeUnknown as unknown:
        return _finish(delivery, Delivery.Status.UNKNOWN, ok=False, detail=str(unknown))
    return _finish(delivery, Delivery.Status.SENT, ok=True, detail=detail)


def _refused(delivery: Delivery, detail: str) -> str:
    """Back-off of 30 s, 60 s, 120 s … between tries, as outbox messages due
    then (no retry is held in a worker's memory, where a restart would lose
    it); failed for good after ZOUFANG_DELIVERY_MAX_RETRIES retries."""
    since = [entry.get("outcome") for entry in delivery.attempts]
    if "again" in since:  # an administrator's "send again" starts the count anew
        since = since[len(since) - since[::-1].index("again") :]
    refusals = since.count(Delivery.Status.PENDING) + 1
    if refusals > settings.ZOUFANG_DELIVERY_MAX_RETRIES:
        return _finish(delivery, Delivery.Status.FAILED, ok=False, detail=detail)
    with transaction.atomic():
        status = _finish(delivery, Delivery.Status.PENDING, ok=False, detail=detail)
        retry_at = clock.now() + datetime.timedelta(seconds=30 * 2 ** (refusals - 1))
        outbox.send("issues.tasks.deliver", delivery.pk, due_at=retry_at)
    return status


def _finish(delivery: Delivery, status: str, *, ok: bool, detail: str) -> str:
    now = clock.now()
    attempts = [*delivery.attempts, {"at": now.isoformat(), "ok": ok, "detail": detail, "outcome": status}]
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=status, attempts=attempts, sent_at=now if ok else None
    )
    return status


def settle_interrupted(now) -> int:
    """Deliveries left sending well past any channel's timeout: the worker
    died mid-attempt, and whether the message went out cannot be known. They
    end unknown, never sent again by themselves; an administrator who has
    checked may send one again (`send_again`)."""
    stale = now - datetime.timedelta(seconds=settings.ZOUFANG_WEBHOOK_TIMEOUT + settings.ZOUFANG_SENDING_GRACE_SECONDS)
    interrupted = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).values_list("pk", "attempts")
    )
    entry = {"at": now.isoformat(), "ok": False, "detail": "interrupted while sending", "outcome": "unknown"}
    for pk, attempts in interrupted:
        Delivery.objects.filter(pk=pk, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.UNKNOWN, attempts=[*attempts, entry]
        )
    return len(interrupted)


@transaction.atomic
def send_again(delivery_ids: list[int]) -> int:
    """An administrator's decision to send unknown or failed deliveries once
    more (having checked the robot's group or the mailbox)."""
    rows = list(
        Delivery.objects.select_for_update()
        .filter(pk__in=delivery_ids, status__in=[Delivery.Status.UNKNOWN, Delivery.Status.FAILED])
        .values_list("pk", "attempts")
    )
    entry = {"at": clock.now().isoformat(), "ok": False, "detail": "sent again by an administrator", "outcome": "again"}
    for pk, attempts in rows:
        Delivery.objects.filter(pk=pk).update(status=Delivery.Status.PENDING, attempts=[*attempts, entry])
    outbox.send_many("issues.tasks.deliver", [(pk,) for pk, _attempts in rows])
    return len(rows)
