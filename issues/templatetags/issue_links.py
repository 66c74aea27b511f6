"""An issue named by its register number, linked to its page."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.filter
def issue_link(issue) -> str:
    """The register number linked to the issue's page, opened beside the
    page being filled in (a form half typed is not left), kept on one line."""
    return format_html(
        '<a href="{}" class="font-monospace text-nowrap" target="_blank" rel="noopener">{}</a>',
        reverse("issue-detail", args=[issue.pk]),
        issue.number,
    )
