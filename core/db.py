"""Reads from a PostgreSQL streaming replica, where a page says so.

With DATABASE_REPLICA_URL set (config/settings/base.py) there is a second
alias, `replica`, and `ReplicaRouter` decides per query:

- every write goes to the primary (`default`), whatever the instance's
  origin, so a row read from the replica and saved goes back to the primary;
- a read goes to the replica only inside `reading_replica()` (a context
  variable, so one thread's or coroutine's choice never leaks into
  another's), and even there not inside a transaction on the primary: the
  reads of a write transaction (a lock, a check before an update) see the
  primary's rows;
- pages opt in with `replica_view`: the heavy read-only pages (the
  dashboard, a unit's score, the bulletins, the ledger's exports) and the
  stats API. They answer GET and HEAD from the replica; any other method
  reads from the primary throughout. Who is asking (the session, the user
  and their rights) is read from the primary before the view starts, so a
  replica a little behind never signs anyone out or in.

The replica may be behind by its replication lag (usually well under a
second): a figure written a moment ago may be missing from the dashboard for
that moment. So that a person sees their own write, a browser that has just
sent a write (POST, PUT, PATCH, DELETE) reads from the primary for
ZOUFANG_REPLICA_PIN_SECONDS (`PinToPrimaryMiddleware`, a cookie). A replica
that cannot be reached is skipped: the page reads from the primary and the
log says why. Without DATABASE_REPLICA_URL none of this is installed."""

import contextlib
import contextvars
import functools
import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "zf_primary"
SAFE_METHODS = ("GET", "HEAD")

_replica_wanted = contextvars.ContextVar("zoufang_replica_wanted", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_in_use() -> bool:
    """Whether a read made here and now goes to the replica."""
    return _replica_wanted.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block


@contextlib.contextmanager
def reading_replica():
    """Reads inside go to the replica (when there is one), except those inside
    a transaction on the primary; writes go to the primary as always."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def _replica_reachable() -> bool:
    try:
        # A cursor, not ensure_connection(): a kept connection is health-checked first.
        connections[REPLICA].cursor().close()
    except DatabaseError:
        logger.warning("the replica cannot be reached: reading from the primary", exc_info=True)
        return False
    return True


def replica_view(view):
    """A page whose GET and HEAD read from the replica (see the module's
    docstring for what stays on the primary)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        # Who is asking, from the primary: the session and the user (lazy
        # until now) are loaded before the replica is chosen.
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018  # evaluates the lazy user
        if (
            request.method not in SAFE_METHODS
            or PIN_COOKIE in request.COOKIES
            or not replica_configured()
            or not _replica_reachable()
        ):
            return view(request, *args, **kwargs)
        with reading_replica():
            return view(request, *args, **kwargs)

    return wrapped


class PinToPrimaryMiddleware:
    """After a browser's write, its reads stay on the primary for a few
    seconds (the replica may not have the write yet): the page it is sent to
    next shows what it just did."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and request.method != "OPTIONS":
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.ZOUFANG_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class ReplicaRouter:
    """Writes to the primary; reads to the replica only inside reading_replica()."""

    def db_for_read(self, model, **hints):
        return REPLICA if replica_in_use() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: one database as far as
        # relations go.
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
