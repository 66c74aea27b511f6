"""Test suite: `make test` sets DATABASE_URL and REDIS_URL to servers it started."""

import os

# make test runs the suite in two processes (pytest-xdist): each has its own
# test database (pytest-django names it), its own var directory and its own
# Redis database. What it starts (servers, workers) inherits these as they
# are, and no worker name to add again.
_WORKER = os.environ.pop("PYTEST_XDIST_WORKER", "")  # gw0, gw1, … or none
if _WORKER:
    if os.environ.get("ZOUFANG_VAR_DIR"):
        os.environ["ZOUFANG_VAR_DIR"] = os.path.join(os.environ["ZOUFANG_VAR_DIR"], _WORKER)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = f"{os.environ['REDIS_URL'].rsplit('/', 1)[0]}/{int(_WORKER[2:]) + 1}"

from .base import *  # noqa: E402, F403
from .base import REST_FRAMEWORK  # noqa: E402

SECRET_KEY = "test-only-not-a-secret"  # nosec B105  # the test suite's settings, never served
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # make test's own Redis, from the start, so no test leaves the app
    # holding a connection pool to another broker.
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL

# Throttling is tested on its own, at the shipped rates
# (tests/core/test_throttles.py); elsewhere the suite and the servers it
# starts send many requests a second as one user from one address.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {scope: None for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
}

# Each test starts with an empty cache (tests/conftest.py); the tests of the
# Redis cache point at make test's Redis themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # A query that runs away fails its test within a minute, with its SQL in
    # the error, instead of holding CI until its 90-minute limit.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c statement_timeout=60000"  # noqa: F405
