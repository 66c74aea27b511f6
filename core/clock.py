"""The one place services read the time.

`frozen_at` lets demo data and imports record past events with their real
dates; it is a context variable, so threads and requests never share it.
"""

import contextlib
import datetime
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[datetime.datetime | None] = ContextVar("zoufang_frozen_now", default=None)


def now() -> datetime.datetime:
    return _frozen.get() or timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(moment: datetime.datetime):
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
