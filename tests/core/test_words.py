"""core.templatetags.words and config.formats: notes in the language's
brackets, amounts grouped by threes in Chinese (and only where asked)."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation


def render(text: str, **context) -> str:
    return Template("{% load words %}" + text).render(Context(context))


def test_a_note_takes_the_languages_brackets_and_is_escaped():
    with translation.override("zh-hans"):
        assert render("{{ note|bracketed }}", note="牵头") == "（牵头）"
        assert render("{{ note|bracketed }}", note="<b>") == "（&lt;b&gt;）"
    with translation.override("en"):
        assert render("{{ note|bracketed }}", note="lead") == "(lead)"


def test_amounts_are_grouped_by_threes_in_chinese_where_a_template_asks():
    with translation.override("zh-hans"):
        assert render('{{ v|floatformat:"2g" }}', v=Decimal("89986")) == "89,986.00"
        assert render('{{ v|floatformat:"0g" }}', v=1234567) == "1,234,567"
        assert render("{{ v }}", v=12345) == "12345"  # ids and years in links stay as they are
