"""The official schedule loaded from chinesecalendar (core.holidays,
`manage.py load_calendar`), against days worked out by hand from the State
Council's 2026 notice: the Spring Festival runs Sunday 15 to Monday 23
February, with Saturdays 14 and 28 February worked instead."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core import holidays
from core.calendar import add_working_days, is_working_day, missing_years
from core.models import AuditEntry, CalendarDay, CalendarYear

D = datetime.date


def day(date):
    return CalendarDay.objects.get(date=date)


def test_the_load_brings_the_spring_festival_and_its_make_up_saturdays(db):
    load = holidays.calendar_load()
    assert load.version == "1.11.0"  # the pin in requirements.txt
    assert load.years == list(range(2004, 2027))
    assert set(CalendarYear.objects.values_list("year", "source")) == {(y, "package") for y in range(2004, 2027)}
    monday = day(D(2026, 2, 16))
    assert (monday.kind, monday.name, monday.source) == ("holiday", "春节", "package")
    assert day(D(2026, 2, 15)).kind == "holiday" and day(D(2026, 2, 23)).kind == "holiday"
    assert not CalendarDay.objects.filter(date=D(2026, 2, 24)).exists()  # back to work on Tuesday
    for saturday in (D(2026, 2, 14), D(2026, 2, 28)):
        made_up = day(saturday)
        assert (made_up.kind, made_up.name, made_up.source) == ("workday", "春节调休上班", "package")
    assert day(D(2026, 10, 10)).name == "国庆节调休上班"
    # 2026: 33 days off in seven holidays, 6 Saturdays and Sundays worked.
    assert CalendarDay.objects.filter(date__year=2026, kind="holiday").count() == 33
    assert CalendarDay.objects.filter(date__year=2026, kind="workday").count() == 6
    assert load.created == CalendarDay.objects.count() > 700


def test_working_days_across_the_spring_festival(db):
    # Before the load 2026 is not known: weekends only. Thursday 12 February
    # + 3 working days = Fri 13, Mon 16, Tue 17.
    assert missing_years(D(2026, 1, 1), D(2026, 12, 31)) == [2026]
    assert add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 17)
    holidays.calendar_load()
    # Fri 13, Sat 14 (worked), then the festival to Mon 23: Tue 24 is the third.
    assert add_working_days(D(2026, 2, 12), 2) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)
    # Tue 24 … Fri 27 are the 3rd to 6th, Sat 28 (worked) the 7th, Mon 2 March the 8th.
    assert add_working_days(D(2026, 2, 12), 7) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 12), 8) == D(2026, 3, 2)
    assert is_working_day(D(2026, 2, 14)) and not is_working_day(D(2026, 2, 18))


def test_a_second_load_changes_nothing(db):
    holidays.calendar_load()
    rows = list(CalendarDay.objects.values_list("date", "kind", "name", "source"))
    years = list(CalendarYear.objects.values_list("year", "source", "loaded_at"))
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT)
    assert entry.additional_data["created"] == len(rows) and entry.object_repr == "chinesecalendar 1.11.0: 2004–2026"
    out = io.StringIO()
    call_command("load_calendar", stdout=out)
    assert "0 days added, 0 changed, 0 removed" in out.getvalue()
    assert list(CalendarDay.objects.values_list("date", "kind", "name", "source")) == rows
    assert list(CalendarYear.objects.values_list("year", "source", "loaded_at")) == years
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 1  # nothing to record


def test_an_administrators_days_are_kept_and_the_packages_brought_in_line(db):
    holidays.calendar_load()
    # An administrator makes Monday 23 February a working day after all …
    CalendarDay.objects.filter(date=D(2026, 2, 23)).update(kind="workday", name="本地安排", source="admin")
    # … and adds a local holiday of their own.
    CalendarDay.objects.create(date=D(2026, 3, 2), kind="holiday", name="县庆")
    # Rows of the package's that a newer version corrects: a name, a day dropped, a day added.
    CalendarDay.objects.filter(date=D(2026, 10, 1)).update(name="旧名")
    CalendarDay.objects.filter(date=D(2026, 10, 7)).delete()
    CalendarDay.objects.create(date=D(2026, 10, 9), kind="holiday", name="国庆节", source="package")
    load = holidays.calendar_load()
    assert (load.created, load.updated, load.deleted, load.kept_days) == (1, 1, 1, 2)
    kept = day(D(2026, 2, 23))
    assert (kept.kind, kept.name, kept.source) == ("workday", "本地安排", "admin")
    assert day(D(2026, 3, 2)).name == "县庆"
    assert day(D(2026, 10, 1)).name == "国庆节" and day(D(2026, 10, 7)).kind == "holiday"
    assert not CalendarDay.objects.filter(date=D(2026, 10, 9)).exists()


def test_a_day_saved_in_the_django_admin_becomes_the_administrators(world):
    holidays.calendar_load()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client()
    client.force_login(world.admin)
    row = day(D(2026, 2, 23))
    change = reverse("admin:core_calendarday_change", args=[row.pk])
    response = client.post(change, {"date": "2026-02-23", "kind": "workday", "name": "本地安排"})
    assert response.status_code == 302
    assert day(D(2026, 2, 23)).source == "admin"
    holidays.calendar_load()
    assert day(D(2026, 2, 23)).kind == "workday"  # the load left it as the administrator said


def test_a_year_an_administrator_keeps_is_left_alone(db):
    CalendarYear.objects.create(year=2025, source="admin")
    CalendarDay.objects.create(date=D(2025, 10, 1), kind="holiday", name="国庆节")
    load = holidays.calendar_load()
    assert 2025 not in load.years and load.kept_years == [2025]
    assert list(CalendarDay.objects.filter(date__year=2025).values_list("date", flat=True)) == [D(2025, 10, 1)]
    assert CalendarYear.objects.get(year=2025).source == "admin"


def test_missing_years_names_the_years_with_no_calendar(db):
    assert missing_years(D(2025, 12, 1), D(2027, 1, 10)) == [2025, 2026, 2027]
    holidays.calendar_load()
    assert missing_years(D(2025, 12, 1), D(2027, 1, 10)) == [2027]
    assert missing_years(D(2027, 1, 10), D(2025, 12, 1)) == [2027]  # either order
    # Days an administrator enters do not make a year known until they say it is complete.
    CalendarDay.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    assert missing_years(D(2027, 1, 1), D(2027, 12, 31)) == [2027]
    CalendarYear.objects.create(year=2027, source="admin")
    assert missing_years(D(2025, 12, 1), D(2027, 1, 10)) == []


@pytest.mark.smoke
def test_the_command_loads_on_sqlite_too(db, frozen_today):
    out = io.StringIO()
    call_command("load_calendar", stdout=out)
    assert CalendarYear.objects.filter(year=2026).exists()
    assert "2004–2026" in out.getvalue() and "No calendar for 2027" in out.getvalue()
