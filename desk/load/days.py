"""Days and moments for the load generator: core.calendar's working days,
read once for the whole span and answered from arrays (a million issues ask
for tens of millions of them), and times as seconds on a local clock.

A day is its index from `first`; a moment is day × 86400 + the second of
that day, in China Standard Time (UTC+8 all year: no daylight saving), so
`moment // 86400` is the local date the services' `clock.today()` gives.
`add` and `between` answer as core.calendar.add_working_days and
working_days_between do (the tests hold them to it)."""

import datetime

from core.models import CalendarDay

DAY = 86400


class Days:
    def __init__(self, first: datetime.date, last: datetime.date):
        overrides = dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind"))
        self.first = first
        count = (last - first).days + 1
        self.dates = [first + datetime.timedelta(days=i) for i in range(count)]
        self.iso = [day.isoformat() for day in self.dates]
        self.working = []
        for day in self.dates:
            kind = overrides.get(day)
            self.working.append(kind == CalendarDay.Kind.WORKDAY or (kind is None and day.weekday() < 5))
        self.cum = []  # working days in [first, day]
        total = 0
        for working in self.working:
            total += working
            self.cum.append(total)
        self.workdays = [i for i, working in enumerate(self.working) if working]
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+08" for s in range(DAY)]

    def index(self, day: datetime.date) -> int:
        return (day - self.first).days

    def add(self, day: int, n: int) -> int:
        """The n-th working day after `day` (which does not count)."""
        return day if n == 0 else self.workdays[self.cum[day] + n - 1]

    def back(self, day: int, n: int) -> int:
        """The n-th working day before `day` (a working day itself)."""
        return self.workdays[self.cum[day] - 1 - n]

    def between(self, start: int, end: int) -> int:
        """Working days in (start, end]."""
        return self.cum[end] - self.cum[start]

    def on_or_after(self, day: int) -> int:
        """`day` if it is a working day, else the next one."""
        return day if self.working[day] else self.add(day, 1)

    def stamp(self, moment: int) -> str:
        return f"{self.iso[moment // DAY]} {self.times[moment % DAY]}"

    def date(self, moment: int) -> datetime.date:
        return self.dates[moment // DAY]
