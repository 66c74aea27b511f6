"""Numbers that lead to the list behind them: `{% count row "closed" %}`,
`{% rate row "closure_rate" %}` (the percentage links to the issues it
counts, its title gives the fraction) and `{% fraction row "closure_rate" %}`
(the percentage and both counts, each a link)."""

from django import template
from django.utils.html import format_html

from core.templatetags.words import bracketed
from issues import figures

register = template.Library()


def _percent(value) -> str:
    return f"{round(value * 100)}%"


@register.simple_tag
def count(row, name, css=""):
    return format_html('<a href="{}" class="{}" data-count="{}">{}</a>', row["links"][name], css, row[name], row[name])


@register.simple_tag
def rate(row, name):
    value = row[name]
    if value is None:
        return "—"
    part, whole = figures.RATES[name]
    return format_html(
        '<a href="{}" data-count="{}" title="{} {} / {} {}">{}</a>',
        row["links"][part],
        row[part],
        figures.LABELS[part],
        row[part],
        figures.LABELS[whole],
        row[whole],
        _percent(value),
    )


@register.simple_tag
def fraction(row, name):
    part, whole = figures.RATES[name]
    value = row[name]
    return format_html(
        '<strong>{}</strong><span class="text-secondary ms-1">{}</span>',
        _percent(value) if value is not None else "—",
        bracketed(format_html("{} / {}", count(row, part), count(row, whole))),  # （1 / 2） in Chinese
    )
