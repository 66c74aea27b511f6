"""Working days (工作日): Monday to Friday, except the holidays and plus the
make-up working days held as CalendarDay rows (loaded from the official
schedule by core.holidays, edited by admins).

A year with no CalendarYear row is not known: its days count Monday to
Friday alone, and `missing_years` says so, so the pages can report it
rather than let a guess pass for the schedule."""

import datetime

from core.models import CalendarDay, CalendarYear

_DAY = datetime.timedelta(days=1)


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind"))


def _is_working(day: datetime.date, overrides: dict[datetime.date, str]) -> bool:
    kind = overrides.get(day)
    if kind == CalendarDay.Kind.HOLIDAY:
        return False
    if kind == CalendarDay.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    return _is_working(day, _overrides(day, day))


def _add(start: datetime.date, days: int, overrides, end: datetime.date) -> datetime.date | None:
    """The `days`-th working day after `start`, or None past `end`."""
    day, counted = start, 0
    while day < end:
        day += _DAY
        if _is_working(day, overrides):
            counted += 1
            if counted == days:
                return day
    return None


def add_span(days: int) -> int:
    """Calendar days that surely hold `days` working days: even the Spring
    Festival week cannot push n working days past 2n + 30 calendar days."""
    return 2 * days + 30


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `start` (start itself does not count).
    One query for the calendar window, whatever `days` is."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    span = add_span(days)
    while True:  # widen and retry if the generous window ever falls short
        end = start + datetime.timedelta(days=span)
        found = _add(start, days, _overrides(start, end), end)
        if found is not None:
            return found
        span *= 2


class Window:
    """The calendar between two dates, read in one query, for pages that
    count many deadlines against one day."""

    def __init__(self, start: datetime.date, end: datetime.date):
        self.start, self.end = start, end
        self._overrides = _overrides(start, end)

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """working_days_between, within the window."""
        return _count(start, end, self._overrides)

    def subtract(self, end: datetime.date, days: int) -> datetime.date:
        """subtract_working_days, within the window (or with a query of its own before it)."""
        if end - datetime.timedelta(days=subtract_span(days)) < self.start:
            return subtract_working_days(end, days)
        return _subtract(end, days, self._overrides)

    def add(self, start: datetime.date, days: int) -> datetime.date:
        """add_working_days, within the window (or with a query of its own past it)."""
        if days == 0:
            return start
        return _add(start, days, self._overrides, self.end) or add_working_days(start, days)


def _count(start: datetime.date, end: datetime.date, overrides) -> int:
    """Working days in (start, end]: the weekdays counted by arithmetic, then
    each holiday on a weekday taken off and each make-up Saturday or Sunday
    added (a page counts hundreds of deadlines against years of calendar)."""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    count = 5 * weeks + sum(1 for offset in range(1, rest + 1) if (first + offset) % 7 < 5)
    for day, kind in overrides.items():
        if start < day <= end:
            if kind == CalendarDay.Kind.HOLIDAY and day.weekday() < 5:
                count -= 1
            elif kind == CalendarDay.Kind.WORKDAY and day.weekday() >= 5:
                count += 1
    return sign * count


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days in (start, end]; negative when end is before start.
    "3 working days left" / "overdue by 2 working days"."""
    return _count(start, end, _overrides(min(start, end), max(start, end)))


def subtract_span(days: int) -> int:
    """Calendar days that surely hold `days` working days looking back:
    3n + 40, Spring Festival included."""
    return 3 * days + 40


def _subtract(end: datetime.date, days: int, overrides) -> datetime.date:
    day, counted = end, 0
    while counted < days:
        if _is_working(day, overrides):
            counted += 1
        day -= _DAY
    return day


def subtract_working_days(end: datetime.date, days: int) -> datetime.date:
    """The latest day d with `days` working days in (d, end]: "overdue by at
    least n working days" is `due_date <= subtract_working_days(today, n)`.
    One query for the calendar window."""
    return _subtract(end, days, _overrides(end - datetime.timedelta(days=subtract_span(days)), end))


# Years with no calendar ---------------------------------------------------------------


def missing_years(start: datetime.date, end: datetime.date) -> list[int]:
    """The years from `start`'s to `end`'s (both included) whose holidays
    and make-up working days are not loaded: their deadlines skip only the
    weekends. One query."""
    first, last = min(start, end).year, max(start, end).year
    known = set(CalendarYear.objects.filter(year__range=(first, last)).values_list("year", flat=True))
    return [year for year in range(first, last + 1) if year not in known]


def missing_years_ahead(today: datetime.date) -> list[int]:
    """The years to warn about: this year and the next, which the deadlines
    set today reach. (The State Council publishes a year's schedule around
    November of the year before; until a package or an admin brings it, the
    warning stands.)"""
    return missing_years(today, datetime.date(today.year + 1, 1, 1))
