"""The official holiday schedule (国务院办公厅 关于部分节假日安排的通知), loaded
from the `chinesecalendar` package into CalendarDay rows: each year the
package knows, its holidays (with their Chinese names) and its make-up
working days (调休上班).

Run by `manage.py load_calendar` (from `make run`, the stack's start and
the demo seed). What the package gave is the package's, and a later version
of it may correct it: the load brings those rows in line, adding, changing
and removing. What an administrator entered or edited by hand (source
admin) is never touched, and a year an administrator keeps by hand
(CalendarYear with source admin) is left alone whole. A second run with the
same package reads two small tables and writes nothing."""

import dataclasses
import datetime

from django.db import transaction

from core import audit, clock
from core.models import AuditEntry, CalendarDay, CalendarSource, CalendarYear

PACKAGE = "chinesecalendar"


@dataclasses.dataclass
class Load:
    """What one load did."""

    version: str
    years: list[int]  # the years loaded from the package
    kept_years: list[int]  # years the package knows that an administrator keeps by hand
    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept_days: int = 0  # days of the loaded years an administrator entered or edited, left as they are

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def package_schedule() -> tuple[str, range, dict[datetime.date, tuple[str, str]]]:
    """(version, the years it knows, date → (kind, name)) from the package."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    holiday, workday = CalendarDay.Kind.HOLIDAY.value, CalendarDay.Kind.WORKDAY.value
    days = {day: (holiday, Holiday(name).chinese) for day, name in chinese_calendar.holidays.items()}
    for day, name in chinese_calendar.workdays.items():
        days[day] = (workday, f"{Holiday(name).chinese}调休上班")
    # The package's own rule for the years it supports (utils._validate_date):
    # from its first holiday's year to its last.
    first, last = min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year
    return chinese_calendar.__version__, range(first, last + 1), days


@transaction.atomic
def calendar_load() -> Load:
    version, known, schedule = package_schedule()
    kept_years = set(CalendarYear.objects.filter(source=CalendarSource.ADMIN).values_list("year", flat=True))
    years = [year for year in known if year not in kept_years]
    load = Load(version=version, years=years, kept_years=sorted(kept_years & set(known)))
    if not years:
        return load
    wanted = {day: entry for day, entry in schedule.items() if day.year in years}
    existing = {
        row.date: row
        for row in CalendarDay.objects.filter(
            date__range=(datetime.date(years[0], 1, 1), datetime.date(years[-1], 12, 31))
        )
        if row.date.year in years
    }
    create, update = [], []
    for day, (kind, name) in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            create.append(CalendarDay(date=day, kind=kind, name=name, source=CalendarSource.PACKAGE))
        elif row.source != CalendarSource.PACKAGE:
            load.kept_days += 1
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            update.append(row)
    gone, admins_own = [], 0
    for day, row in existing.items():
        if day not in wanted:
            if row.source == CalendarSource.PACKAGE:
                gone.append(row.pk)
            else:
                admins_own += 1
    load.kept_days += admins_own
    # ignore_conflicts: a day an administrator adds meanwhile stays theirs.
    load.created = len(CalendarDay.objects.bulk_create(create, ignore_conflicts=True))
    load.updated = CalendarDay.objects.bulk_update(update, ["kind", "name"]) if update else 0
    load.deleted = CalendarDay.objects.filter(pk__in=gone, source=CalendarSource.PACKAGE).delete()[0] if gone else 0
    _mark_years(years, fresh=load.changed)
    if load.changed:
        # Bulk writes send no signals: the load is one entry of the audit trail.
        audit.record(
            AuditEntry.Action.IMPORT,
            model=CalendarYear,
            object_repr=f"{PACKAGE} {version}: {years[0]}–{years[-1]}",
            data={
                "package": f"{PACKAGE} {version}",
                "years": f"{years[0]}–{years[-1]}",
                "created": load.created,
                "updated": load.updated,
                "deleted": load.deleted,
                "kept": load.kept_days,
            },
        )
    return load


def _mark_years(years: list[int], *, fresh: bool) -> None:
    """Record the years as loaded from the package; their time moves only
    when their days did (an unchanged run writes nothing)."""
    now = clock.now()
    marked = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source=CalendarSource.PACKAGE, loaded_at=now) for year in years if year not in marked],
        ignore_conflicts=True,
    )
    if fresh and marked:
        CalendarYear.objects.filter(year__in=marked, source=CalendarSource.PACKAGE).update(loaded_at=now)
