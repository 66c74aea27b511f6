"""Words around words, in the interface's language: a note in brackets is
（…） in Chinese and (…) in English; a label's colon is ：in Chinese and
": " in English."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

register = template.Library()


@register.filter
def bracketed(text) -> str:
    """`text` in the language's brackets, escaped."""
    return mark_safe(gettext("(%(note)s)") % {"note": conditional_escape(text)})  # nosec B308 B703  # escaped above


@register.simple_tag
def colon() -> str:
    """The colon after a label: "：" in Chinese, ": " in English."""
    return pgettext("label", ": ")
