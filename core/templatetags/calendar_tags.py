from django import template

from core import calendar, clock

register = template.Library()


@register.simple_tag
def missing_calendar_years() -> str:
    """This year and next, those with no holiday calendar, as "2027" or
    "2026、2027" ("" when both are loaded): the one rule, core.calendar's."""
    return "、".join(str(year) for year in calendar.missing_years_ahead(clock.today()))
