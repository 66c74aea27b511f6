"""A period of days split into whole months and the days around them: the
summaries (issues.summary, visits.summary) keep figures per month, and the
days of a period that do not fill a month are counted from the ledger."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass


def month_after(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Split:
    """The months first_month..last_month (month starts, inclusive; None:
    unbounded) and the day ranges around them, each [start, end)."""

    first_month: datetime.date | None
    last_month: datetime.date | None
    edges: tuple[tuple[datetime.date, datetime.date], ...]


def split(
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    *,
    any_between: Callable[[datetime.date, datetime.date], bool],
) -> Split | None:
    """Split date_from..date_to (inclusive). A month counts as whole when the
    period holds every day of it on which something was recorded
    (`any_between(start, end)` says whether anything was in [start, end)):
    so a period up to today takes this month whole. None when no month is."""
    first = date_from
    if date_from is not None and date_from.day != 1:
        first = date_from.replace(day=1)
        if any_between(first, date_from):
            first = month_after(date_from)
    last = None
    if date_to is not None:
        last = date_to.replace(day=1)
        end = month_after(date_to)
        if date_to != end - datetime.timedelta(days=1) and any_between(date_to + datetime.timedelta(days=1), end):
            last = (last - datetime.timedelta(days=1)).replace(day=1)
    if first is not None and last is not None and first > last:
        return None
    edges = []
    if date_from is not None and first is not None and date_from < first:
        edges.append((date_from, first))
    if date_to is not None and last is not None and date_to >= month_after(last):
        edges.append((month_after(last), date_to + datetime.timedelta(days=1)))
    return Split(first_month=first, last_month=last, edges=tuple(edges))
