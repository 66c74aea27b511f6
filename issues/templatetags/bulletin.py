"""Printed documents' details: the bulletin's percentages, to one decimal as its
workbook's 0.0% shows them, and register numbers that do not break."""

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
    """The text with each occurrence of `number` (a register number) kept on
    one line when printed: 2026-000123 must not break at its hyphen."""
    text, number = conditional_escape(text), conditional_escape(number)
    if not number:
        return text
    return mark_safe(text.replace(number, f'<span class="text-nowrap">{number}</span>'))  # nosec B308 B703: escaped above
