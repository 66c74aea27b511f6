"""System checks that read the database (tag `database`: Django runs them
with `manage.py check --database default`, not on every command, since a
fresh database has no tables yet)."""

from django.core import checks
from django.db import DatabaseError

from core import calendar, clock


@checks.register(checks.Tags.database)
def calendar_years_loaded(app_configs=None, databases=None, **kwargs):
    """This year's and next year's holidays are loaded (core.calendar.missing_years_ahead)."""
    if not databases:
        return []
    try:
        missing = calendar.missing_years_ahead(clock.today())
    except DatabaseError:  # not migrated yet: migrate's business, not this check's
        return []
    if not missing:
        return []
    return [
        checks.Warning(
            f"No holiday calendar is loaded for {', '.join(map(str, missing))}: deadlines there skip only the "
            "weekends, not the holidays or the make-up working days.",
            hint="Run `manage.py load_calendar` (after upgrading chinesecalendar once the year's schedule is "
            "published), or enter the year's days in the admin and add it under calendar years.",
            id="core.W001",
        )
    ]
