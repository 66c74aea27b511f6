"""Printed documents' details: the bulletin's percentages, to one decimal as its
workbook's 0.0% shows them, and register numbers and dates that do not break."""

import re

from django import template
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{number_format(round(float(value) * 100, 1), 1)}%"


@register.filter
def unbroken(text, number):
    """The text with each occurrence of `number` (a register number) and each
    date kept on one line, on a phone or printed: 2026-000123 and 2026-06-22
    must not break at their hyphens."""
    text, number = conditional_escape(text), conditional_escape(number)
    words = [re.escape(number)] if number else []
    pattern = re.compile("|".join([*words, r"\d{4}-\d{2}-\d{2}"]))
    kept = pattern.sub(lambda match: f'<span class="text-nowrap">{match.group()}</span>', text)
    return mark_safe(kept)  # nosec B308 B703: escaped above
