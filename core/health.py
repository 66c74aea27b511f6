"""GET /health/ for the reverse proxy and monitoring (django-health-check):
the database, Redis when the broker is Redis, a Celery worker answering a
ping, and beat's last heartbeat. 200 when all pass, 503 when one fails;
?format=json (or Accept: application/json) for machines.

Callers are not signed in (a proxy, a monitor), and an intranet server is
attacked from inside too, so the answer names each check and says ok or
unavailable, nothing more: no versions, host names, ports or error text.
Administrators signed in also get the reason; the full error goes to the log."""

import asyncio
import dataclasses
import datetime

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from core.models import Heartbeat

BEAT = "beat"


def record_heartbeat(name: str = BEAT) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"last_run": timezone.now()})


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """Beat sent core.tasks.heartbeat and a worker ran it within
    ZOUFANG_HEARTBEAT_STALE_SECONDS (a few minutes)."""

    name: str = BEAT

    def run(self):
        # Checks run in threads of their own: open and close this thread's connection.
        with connection.temporary_connection():
            last_run = Heartbeat.objects.filter(name=self.name).values_list("last_run", flat=True).first()
        if last_run is None:
            raise ServiceUnavailable("beat has not run its heartbeat yet")
        age = (timezone.now() - last_run).total_seconds()
        if age > settings.ZOUFANG_HEARTBEAT_STALE_SECONDS:
            raise ServiceUnavailable(f"beat's last heartbeat ran {age:.0f} s ago")


def redis_broker_url() -> str | None:
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else None


def checks() -> list[tuple[str, HealthCheck]]:
    named: list[tuple[str, HealthCheck]] = [("database", Database())]
    url = redis_broker_url()
    if url:
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        named.append(("redis", Redis(client_factory=lambda: RedisClient.from_url(url, socket_timeout=3))))
    # limit=1: the first worker's answer is enough, no waiting out the timeout.
    named.append(("worker", Ping(timeout=datetime.timedelta(seconds=2), limit=1)))
    named.append(("beat", BeatHeartbeat()))
    return named


class HealthView(HealthCheckView):
    """The library's view (it runs the checks concurrently, never cached),
    answering in the shape above instead of its own pages and feeds."""

    async def get(self, request, *args, **kwargs):
        named = checks()
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for _name, check in named))
        user = await request.auser()
        detailed = user.is_authenticated and getattr(user, "is_admin", False)
        failed = any(result.error for result in results)
        body = {"status": "unavailable" if failed else "ok", "checks": {}}
        for (name, _check), result in zip(named, results, strict=True):
            if result.error is None:
                body["checks"][name] = "ok"
            else:
                body["checks"][name] = str(result.error) if detailed else "unavailable"
        status = 503 if failed else 200
        if request.GET.get("format") == "json" or "application/json" in request.headers.get("accept", ""):
            return JsonResponse(body, status=status)
        lines = [body["status"], *(f"{name}: {state}" for name, state in body["checks"].items())]
        return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8", status=status)
