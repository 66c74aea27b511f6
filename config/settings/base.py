"""Settings shared by every environment; each value that differs per machine
comes from the environment. No secret has a default here."""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ZOUFANG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "core.apps.AxesConfig",  # django-axes
    "csp",
    "health_check",
    "core",
    "enterprises",
    "visits",
    "issues",
    "desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "desk.context_processors.navigation",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An SQLite file is the embedded default so `make run` needs no server;
# DATABASE_URL switches to PostgreSQL, which tests and production use.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zoufang.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A kept connection is checked before a request uses it, so a restarted
        # database costs the request in flight, not the next one.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The threaded server, the Celery worker and beat share the file. In WAL
    # mode readers never wait for the writer. A transaction that began with a
    # read and then writes cannot wait for another writer (SQLite answers
    # "database is locked" at once, whatever the timeout), so every atomic
    # block takes the write lock at BEGIN (IMMEDIATE) and queues there for up
    # to `timeout` seconds; then the lifecycle's version check gives the 409.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # NORMAL is durable across application crashes in WAL mode; only a
            # power cut may lose the last commits.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# A PostgreSQL streaming replica (README, "Running on several machines"):
# with DATABASE_REPLICA_URL set, the dashboard, the unit scores, the
# bulletins, the stats API and the ledger's exports read from it
# (core.db.replica_view); every write and every other read, the session and
# the signed-in user's rights included, stays on the primary. It may be a
# second behind; without the variable there is one database and no router.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
    # A replica that is down costs a page three seconds, then it reads from the primary.
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 3
    # A test run makes no database of its own on a read-only standby.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.db.ReplicaRouter"]
    MIDDLEWARE += ["core.db.PinToPrimaryMiddleware"]
# After a write, a browser reads from the primary this long (its own write may
# not have reached the replica yet).
ZOUFANG_REPLICA_PIN_SECONDS = int(os.environ.get("ZOUFANG_REPLICA_PIN_SECONDS", "10"))
# Behind PgBouncer in transaction mode a cursor does not outlive its
# transaction, so .iterator() (the exports) cannot stream through a named
# one: DATABASE_DISABLE_SERVER_SIDE_CURSORS=true for the primary, and
# DATABASE_REPLICA_DISABLE_SERVER_SIDE_CURSORS=true if the replica is
# reached through such a pool too (README, "Running on several machines").
for _alias, _variable in (("default", "DATABASE_"), ("replica", "DATABASE_REPLICA_")):
    if _alias in DATABASES and env_bool(f"{_variable}DISABLE_SERVER_SIDE_CURSORS"):
        DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "enterprises.Official"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "core.validators.MinimumLengthValidator"},  # Django's, its refusal in Chinese
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The project's catalogue (make messages), then a hand-kept one for the
# framework's and packages' strings their own catalogues leave in English
# (Django 5's newer admin strings, django-axes, django-auditlog).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "upstream"]
FORMAT_MODULE_PATH = ["config.formats"]  # amounts grouped by threes in Chinese (config/formats/zh_Hans)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Uploads (visit files, evidence, help plans, bulletins, import files) live in
# MEDIA_ROOT, or, with ZOUFANG_S3_BUCKET set, in a bucket of an S3-compatible
# store (MinIO, Ceph, a cloud's object storage) that every web host and
# worker shares. Either way they are private: the app's own views check who
# asks and stream the file (never a public or signed URL).


def media_storage(environ) -> dict:
    """The storage of uploads as the environment `environ` asks for it."""
    if not environ.get("ZOUFANG_S3_BUCKET"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["ZOUFANG_S3_BUCKET"],
            "endpoint_url": environ.get("ZOUFANG_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("ZOUFANG_S3_REGION") or None,
            # Unset, boto3 looks for its own (AWS_ACCESS_KEY_ID …, an instance role).
            "access_key": environ.get("ZOUFANG_S3_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("ZOUFANG_S3_SECRET_ACCESS_KEY") or None,
            "location": environ.get("ZOUFANG_S3_PREFIX", ""),
            # An intranet store is reached by address, rarely by bucket sub-domains.
            "addressing_style": environ.get("ZOUFANG_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,
            # A second upload of the same name gets a name of its own, as on disk.
            "file_overwrite": False,
        },
    }


MEDIA_STORAGE = media_storage(os.environ)
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Content security policy (django-csp): scripts, styles, fonts and images come
# from this server only (everything is vendored under static/), nothing runs
# inline (no <script> blocks, no on…= handlers, no eval) and no inline style
# attribute or <style> block applies. Styles are strict too: Bootstrap and
# ECharts set styles through the DOM (element.style), which the policy allows,
# so 'unsafe-inline' buys nothing the app needs and would let injected markup
# restyle a page (a fake sign-in box over the real one). Bootstrap's CSS draws
# its small icons (select arrows, close buttons) from data: images. No page is
# framed, and forms post only back here. The Django admin and the API docs
# (the split Swagger view, css/swagger.css) pass it as it is: no view needs a
# relaxed policy (tests/browser/test_content_security_policy.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Nothing a request needs lives on one web host: sessions are rows in the
# database every host shares (not the cache: a Redis restart or eviction
# would sign everyone out, and the database is there anyway), and so are
# django-axes' failed sign-ins and lockouts; the API throttles count in the
# cache, which is Redis whenever Redis is configured (below).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_ENABLE_ADMIN = False  # core.admin shows its records under words of our own
LOGIN_URL = "login"
# Sign-in lockout: five failures for one user name from one address lock it
# there for 15 minutes, on the sign-in page and the token endpoint alike.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("ZOUFANG_SIGN_IN_ATTEMPTS", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("ZOUFANG_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.signin.locked_out"
# API tokens live a week, and die at once when the password changes.
ZOUFANG_TOKEN_HOURS = int(os.environ.get("ZOUFANG_TOKEN_HOURS", str(7 * 24)))
# Sessions end after two idle hours and after twelve hours whatever happens
# (core.middleware.SessionLifetimeMiddleware); the cookie never outlives that.
ZOUFANG_SESSION_IDLE_MINUTES = int(os.environ.get("ZOUFANG_SESSION_IDLE_MINUTES", "120"))
ZOUFANG_SESSION_MAX_HOURS = int(os.environ.get("ZOUFANG_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = ZOUFANG_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
LOGIN_REDIRECT_URL = "my-work"
LOGOUT_REDIRECT_URL = "login"

# Uploads and imports (core.uploads judges each file by its content). A
# photo or document is at most 10 MB and a visit carries at most 20 of them;
# a multipart body past files × size (plus the form) is refused before it is
# read, and so is more than twice that many files. Form fields and JSON
# bodies: 2.5 MB; an uploaded file is held in memory up to 2.5 MB, then
# spooled to a temporary file. An import file is at most 10 MB and 20,000
# rows; an .xlsx or .docx may inflate to 50 MB at most, and no part of it
# more than 100 to 1 (zip bombs).
ZOUFANG_UPLOAD_MAX_BYTES = int(os.environ.get("ZOUFANG_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
ZOUFANG_UPLOAD_MAX_FILES = int(os.environ.get("ZOUFANG_UPLOAD_MAX_FILES", "20"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440
DATA_UPLOAD_MAX_NUMBER_FILES = 2 * ZOUFANG_UPLOAD_MAX_FILES
_request_default = ZOUFANG_UPLOAD_MAX_FILES * ZOUFANG_UPLOAD_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE
ZOUFANG_REQUEST_MAX_BYTES = int(os.environ.get("ZOUFANG_REQUEST_MAX_BYTES", str(_request_default)))
FILE_UPLOAD_HANDLERS = [
    "core.uploads.RequestSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
ZOUFANG_IMPORT_MAX_BYTES = int(os.environ.get("ZOUFANG_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
ZOUFANG_IMPORT_MAX_ROWS = int(os.environ.get("ZOUFANG_IMPORT_MAX_ROWS", "20000"))
ZOUFANG_ZIP_MAX_INFLATED_BYTES = int(os.environ.get("ZOUFANG_ZIP_MAX_INFLATED_BYTES", str(50 * 1024 * 1024)))
ZOUFANG_ZIP_MAX_RATIO = int(os.environ.get("ZOUFANG_ZIP_MAX_RATIO", "100"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "PAGE_SIZE": 20,
    # A busy official's client makes a few requests a screen; a script
    # hammering the API makes hundreds a minute and gets 429 (core.throttles).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.BurstRateThrottle", "core.throttles.SustainedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "burst": os.environ.get("ZOUFANG_API_BURST_RATE", "120/min") or None,
        "sustained": os.environ.get("ZOUFANG_API_SUSTAINED_RATE", "2000/hour") or None,
        # POST /api/v1/auth/token/ per address, beside the per-user lockout.
        "sign_in": os.environ.get("ZOUFANG_API_SIGN_IN_RATE", "20/min") or None,
    },
    # The throttles count by REMOTE_ADDR, which core.proxy has already set to
    # the client's address behind a trusted proxy (one rule, for the lockout too).
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Zoufang API",
    "DESCRIPTION": "Enterprise visits, 三帮一 help units and the issue ledger.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from the vendored sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"IssueStatusEnum": "issues.choices.Status"},
}

# Celery. The embedded default is Kombu's filesystem transport, which a worker
# and beat on one machine share without Redis; CELERY_BROKER_URL=redis://…
# switches to Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker waits for a broker that went away, however long, instead of
# exiting after a hundred tries; what the web wrote meanwhile waits in the
# outbox (core/outbox.py).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 3
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Kombu 5.7 keeps its exchange table in "control" under the working
        # directory unless told otherwise.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Hands over what the outbox still holds (the broker was away, or a retry
    # waited for its time).
    "outbox-relay": {
        "task": "core.tasks.relay_outbox",
        "schedule": float(os.environ.get("ZOUFANG_RELAY_SECONDS", "60")),
    },
    "reminder-sweep": {
        "task": "issues.tasks.reminder_sweep",
        "schedule": float(os.environ.get("ZOUFANG_SWEEP_SECONDS", "900")),
    },
    "resume-import-jobs": {"task": "enterprises.tasks.resume_import_jobs", "schedule": 900.0},
    # Hourly, and it makes each month's bulletins once: a missed tick is caught up.
    "monthly-bulletins": {"task": "issues.tasks.monthly_bulletins", "schedule": 3600.0},
    # The dashboard's summary (issues.summary): a rebuild missed or a changed
    # setting is caught up within the hour (it does nothing when current).
    "figure-summary": {"task": "issues.tasks.rebuild_figures", "schedule": 3600.0},
    # The radar of common problems (issues.common), nightly at 02:30.
    "radar": {"task": "issues.tasks.radar", "schedule": crontab(hour=2, minute=30)},
    # Beat's pulse: a worker stamps it in core.Heartbeat, /health/ reads it.
    "heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": float(os.environ.get("ZOUFANG_HEARTBEAT_SECONDS", "60")),
        "options": {"expires": 60.0},
    },
}
# /health/ reports beat down when its last heartbeat is older than this.
ZOUFANG_HEARTBEAT_STALE_SECONDS = int(os.environ.get("ZOUFANG_HEARTBEAT_STALE_SECONDS", "300"))

# The Django cache holds the API throttles' counters (nothing that must
# survive). gunicorn's workers must share them, or each would count alone, so
# with Redis as the broker the cache is Redis too (DJANGO_CACHE_URL names
# another one, e.g. another database number). The embedded default is each
# process's memory, enough for `make run`'s single server process.
_cache_url = os.environ.get("DJANGO_CACHE_URL") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
if _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "zoufang",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Reminder thresholds, in working days from the holiday calendar.
ZOUFANG_DUE_SOON_WORKING_DAYS = int(os.environ.get("ZOUFANG_DUE_SOON_WORKING_DAYS", "2"))
# Whether a 基本满意 verdict counts as satisfied in the satisfaction rate (schemes differ).
ZOUFANG_BASICALLY_SATISFIED_COUNTS = os.environ.get("ZOUFANG_BASICALLY_SATISFIED_COUNTS", "1") == "1"
ZOUFANG_EXTENSION_WAITING_WORKING_DAYS = int(os.environ.get("ZOUFANG_EXTENSION_WAITING_WORKING_DAYS", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Reminder channels.
ZOUFANG_SITE_URL = os.environ.get("ZOUFANG_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ZOUFANG_WEBHOOK_TIMEOUT = float(os.environ.get("ZOUFANG_WEBHOOK_TIMEOUT", "10"))
ZOUFANG_DELIVERY_MAX_RETRIES = int(os.environ.get("ZOUFANG_DELIVERY_MAX_RETRIES", "6"))
# A delivery still "sending" this long after the channel's timeout was cut
# off by a dying worker: its outcome is unknown and it is not sent again.
ZOUFANG_SENDING_GRACE_SECONDS = float(os.environ.get("ZOUFANG_SENDING_GRACE_SECONDS", "120"))
# A pause between recording reminders and sending digests: 0 in real use; the
# crash test sets it so it can kill a worker at exactly that point.
ZOUFANG_SWEEP_PAUSE_AFTER_RECORD = float(os.environ.get("ZOUFANG_SWEEP_PAUSE_AFTER_RECORD", "0"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "zoufang@localhost")

# Audit trail (core.audit): django-auditlog records every change to master
# data, accounts and roles, with before and after, into core.AuditEntry, where
# sign-ins, failed sign-ins, exports and imports are recorded too; the
# request's user and address are attached by the middleware.
INSTALLED_APPS += ["auditlog"]
MIDDLEWARE += ["core.middleware.AuditContextMiddleware"]
AUDITLOG_LOGENTRY_MODEL = "core.AuditEntry"
# Its own entry table is swapped out, so its migrations (which would make it
# anyway, referencing the officials) are not run.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_STORE_JSON_CHANGES = True
# A unit or a region by its name at the time, not an id that says nothing later.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
# A secret (a webhook's) shows that it changed, never what it is.
AUDITLOG_MASK_CALLABLE = "core.audit.mask"

# The benchmark suite (make bench, benchmarks/suite) reads each answer's query
# count from an X-Query-Count header (core.middleware.QueryCountHeaderMiddleware).
# Off unless asked for: it tells any client how a page is built.
if env_bool("ZOUFANG_QUERY_COUNT_HEADER"):
    MIDDLEWARE = ["core.middleware.QueryCountHeaderMiddleware", *MIDDLEWARE]
