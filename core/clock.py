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


def day_start(day: datetime.date) -> datetime.datetime:
    """The start of a local day, as a moment: ranges of moments use the
    indexes on times, where a range of dates computed from them would not."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@contextlib.contextmanager
def frozen_at(moment: datetime.datetime):
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
