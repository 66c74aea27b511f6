"""Sending reminders out of the app: e-mail through Django's mail API, and a
DingTalk/WeCom-style JSON POST to a unit's chat robot, signed when the unit
has a secret. Each attempt is appended to the Delivery's log."""

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core import clock

from .models import Delivery


class DeliveryFailed(Exception):
    pass


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
    except Exception as exc:
        raise DeliveryFailed(str(exc)[:300]) from exc
    # DingTalk and WeCom answer 200 with {"errcode": 0} on success.
    try:
        code = json.loads(text).get("errcode", 0)
    except (ValueError, AttributeError):
        code = 0
    if code:
        raise DeliveryFailed(f"errcode {code}: {text[:200]}")
    return "ok"


def _email(delivery: Delivery) -> str:
    try:
        send_mail(delivery.subject, delivery.body, None, [delivery.target], fail_silently=False)
    except Exception as exc:
        raise DeliveryFailed(str(exc)[:300]) from exc
    return "ok"


def attempt(delivery_id: int) -> bool:
    """One attempt. The row is locked while it is sent (SKIP LOCKED), so two
    workers holding the same task never send it twice; True when sent or
    already done, DeliveryFailed when this attempt failed (and is logged)."""
    failure = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("unit")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return True
        send = _email if delivery.channel == Delivery.Channel.EMAIL else _post
        try:
            detail = send(delivery)
        except DeliveryFailed as error:
            failure = error
            _log(delivery, ok=False, detail=str(error))
        else:
            _log(delivery, ok=True, detail=detail)
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, sent_at=clock.now())
    if failure is not None:
        raise failure
    return True


def _log(delivery: Delivery, *, ok: bool, detail: str) -> None:
    entry = {"at": clock.now().isoformat(), "ok": ok, "detail": detail}
    delivery.attempts = [*delivery.attempts, entry]
    Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts)


def give_up(delivery_id: int) -> None:
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(status=Delivery.Status.FAILED)
