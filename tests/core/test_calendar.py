import datetime
import re

import pytest
from django.core import checks
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from core import calendar
from core.calendar import (
    add_working_days,
    is_working_day,
    missing_years_ahead,
    subtract_working_days,
    working_days_between,
)
from core.models import CalendarDay, CalendarYear

D = datetime.date


@pytest.fixture
def national_day(db):
    # 2026: 1–7 October off (the weekdays among them are holidays),
    # Saturday 10 October a make-up working day (调休).
    for day in range(1, 8):
        date = D(2026, 10, day)
        if date.weekday() < 5:
            CalendarDay.objects.create(date=date, kind="holiday", name="国庆节")
    CalendarDay.objects.create(date=D(2026, 10, 10), kind="workday", name="国庆节调休")


def test_plain_week_skips_the_weekend(db):
    # Friday 5 June + 1 working day = Monday 8 June.
    assert add_working_days(D(2026, 6, 5), 1) == D(2026, 6, 8)
    assert add_working_days(D(2026, 6, 1), 15) == D(2026, 6, 22)


def test_holiday_is_skipped_and_make_up_day_counts(national_day):
    # Wednesday 30 September + 1 → the holidays run to Wednesday 7 Oct;
    # Thursday 8 October is the first working day.
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    # 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Sat, make-up) → the third is the Saturday.
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    # Without the make-up day the fourth would be Tuesday 13; with it, Monday 12.
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert not is_working_day(D(2026, 10, 5))
    assert is_working_day(D(2026, 10, 10))
    assert not is_working_day(D(2026, 10, 11))


def test_working_days_between_counts_both_directions(national_day):
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 30)) == -4
    assert working_days_between(D(2026, 6, 1), D(2026, 6, 1)) == 0


_KINDS = st.sampled_from([CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.WORKDAY])
_DAYS = st.dates(min_value=datetime.date(2023, 1, 1), max_value=datetime.date(2027, 12, 31))


@given(_DAYS, _DAYS, st.dictionaries(_DAYS, _KINDS, max_size=60))
def test_counting_by_arithmetic_is_counting_day_by_day(start, end, overrides):
    """The weekdays by arithmetic, corrected by the overrides, are the days
    a walk from start to end finds working (a holiday on a Sunday or a make-up
    day on a Tuesday changes nothing)."""
    low, high = min(start, end), max(start, end)
    walked = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if calendar._is_working(low + datetime.timedelta(days=offset), overrides)
    )
    assert calendar._count(start, end, overrides) == (walked if start <= end else -walked)


def test_long_spans_use_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert add_working_days(D(2026, 1, 5), 100) == D(2026, 5, 25)


def test_zero_days_is_the_start_and_negative_is_refused(db):
    assert add_working_days(D(2026, 6, 6), 0) == D(2026, 6, 6)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 6, 6), -1)


def test_subtract_working_days_is_the_inverse_of_counting(national_day):
    # (9 Oct, 12 Oct] holds 10 Oct (make-up) and 12 Oct: two working days.
    assert subtract_working_days(D(2026, 10, 12), 2) == D(2026, 10, 9)
    # Across the holidays: (30 Sep, 8 Oct] holds only 8 Oct.
    assert subtract_working_days(D(2026, 10, 8), 1) == D(2026, 10, 7)
    assert subtract_working_days(D(2026, 10, 8), 2) == D(2026, 9, 29)
    for n in range(0, 12):
        day = subtract_working_days(D(2026, 10, 20), n)
        assert working_days_between(day, D(2026, 10, 20)) == n


# Years with no calendar are reported -----------------------------------------------


def test_the_years_ahead_are_this_one_and_the_next(db):
    CalendarYear.objects.create(year=2026, source="package")
    assert missing_years_ahead(D(2026, 1, 1)) == [2027]
    assert missing_years_ahead(D(2025, 12, 31)) == [2025]
    assert missing_years_ahead(D(2028, 2, 29)) == [2028, 2029]
    CalendarYear.objects.create(year=2027, source="admin")
    assert missing_years_ahead(D(2026, 12, 31)) == []


def test_the_dispatch_desk_and_the_admin_say_which_year_is_not_loaded(world):
    # Today is 1 June 2026 (frozen): 2026 and 2027 are the years to know.
    CalendarYear.objects.create(year=2026, source="package")
    client = Client()
    client.force_login(world.supervisor_a)
    page = client.get("/supervise/dispatch/").content.decode()
    warning = re.search(r'id="calendar-missing">(.*?)</div>', page, re.S).group(1)
    assert "2027" in warning and "2026" not in warning
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    admin_index = client.get("/admin/").content.decode()
    assert 'id="calendar-missing"' in admin_index and "2027" in admin_index
    CalendarYear.objects.create(year=2027, source="admin")  # an administrator entered it by hand
    assert 'id="calendar-missing"' not in client.get("/admin/").content.decode()
    client.force_login(world.supervisor_a)
    assert 'id="calendar-missing"' not in client.get("/supervise/dispatch/").content.decode()


def test_the_database_check_warns_of_a_year_not_loaded(db, frozen_today):
    found = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    (warning,) = [message for message in found if message.id == "core.W001"]
    assert "2026, 2027" in warning.msg
    CalendarYear.objects.bulk_create([CalendarYear(year=2026), CalendarYear(year=2027)])
    found = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    assert not [message for message in found if message.id == "core.W001"]
