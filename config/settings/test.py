"""Test suite: `make test` sets DATABASE_URL and REDIS_URL to servers it started."""

import os

from .base import *  # noqa: F403

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

if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # A query that runs away fails its test within a minute, with its SQL in
    # the error, instead of holding CI until its 90-minute limit.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c statement_timeout=60000"  # noqa: F405
