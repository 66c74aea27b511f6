"""API throttling (core.throttles): a script hammering the API gets 429 in
the API's error shape, one user's flood does not slow another, the token
endpoint limits attempts per address whatever the user names, the counters
are shared between server processes through Redis, and a Redis outage lets
requests through instead of answering 500."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import base

from ..conftest import api_client
from ..factories import OfficialFactory
from ..processes import free_port

ROOT = Path(__file__).resolve().parents[2]
CHEAP = "/api/v1/regions/?page_size=1"
SHIPPED = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


def redis_cache(url: str) -> dict:
    backend = "django.core.cache.backends.redis.RedisCache"
    return {"default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": "zoufang"}}


def rates(settings, **changed):
    """The shipped rates (the test settings turn throttling off), changed as asked."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**SHIPPED, **changed},
    }


def test_the_shipped_rates():
    assert SHIPPED == {"burst": "120/min", "sustained": "2000/hour", "sign_in": "20/min"}


def test_a_script_hammering_the_api_gets_429_and_others_do_not(world, settings):
    rates(settings)
    script, colleague = api_client(world.official_a), api_client(world.official_a_colleague)
    statuses = [script.get(CHEAP).status_code for _request in range(121)]
    assert statuses == [200] * 120 + [429]
    refused = script.get(CHEAP)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled" and set(body) == {"code", "detail"}
    assert 0 < int(refused["Retry-After"]) <= 60
    # Writes are refused too, and nothing is written.
    posted = script.post("/api/v1/issues/", {"enterprise": world.enterprise_a.pk, "title": "x"}, format="json")
    assert posted.status_code == 429
    # Counted per user: a colleague in the same unit, at the same address, goes on.
    assert colleague.get(CHEAP).status_code == 200


def test_the_token_endpoint_limits_attempts_per_address(world, settings):
    # Spraying one password over many user names passes the per-name lockout,
    # not the per-address rate (20 a minute).
    rates(settings)
    api = api_client()
    statuses = [
        api.post("/api/v1/auth/token/", {"username": f"guess{n}", "password": "123456"}, format="json").status_code
        for n in range(21)
    ]
    assert statuses == [400] * 20 + [429]
    right = api.post("/api/v1/auth/token/", {"username": "off_a", "password": "pw-for-tests"}, format="json")
    assert right.status_code == 429 and right.json()["code"] == "throttled"


@pytest.mark.django_db(transaction=True)
def test_the_counts_are_shared_between_processes_through_redis(settings):
    """gunicorn's workers are processes: each must see what the others counted."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("REDIS_URL is not set: run the suite through `make test`, which starts Redis")
    settings.CACHES = redis_cache(url)
    rates(settings, burst="3/min")
    user = OfficialFactory()
    api = api_client(user)
    assert [api.get(CHEAP).status_code for _request in range(3)] == [200, 200, 200]
    # Another process with the same settings finds this user's allowance spent.
    probe = (
        "import django; django.setup();"
        "from types import SimpleNamespace;"
        "from core.throttles import BurstRateThrottle;"
        f"user = SimpleNamespace(is_authenticated=True, pk={user.pk});"
        "request = SimpleNamespace(user=user, META={'REMOTE_ADDR': '10.0.0.9'}, headers={});"
        "print(BurstRateThrottle().allow_request(request, None))"
    )
    env = {
        **os.environ,
        # The settings a server runs with (the test settings keep a memory cache).
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_CACHE_URL": url,
        "ZOUFANG_API_BURST_RATE": "3/min",
    }
    other = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr[-2000:]
    assert other.stdout.strip().splitlines()[-1] == "False"
    assert api.get(CHEAP).status_code == 429
    from django.core.cache import cache

    cache.delete(f"throttle_burst_{user.pk}")


def test_a_redis_outage_lets_requests_through(world, settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    rates(settings, burst="1/min")
    api = api_client(world.official_a)
    assert [api.get(CHEAP).status_code for _request in range(3)] == [200, 200, 200]
