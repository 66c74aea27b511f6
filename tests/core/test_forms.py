"""core.forms.QuickSelect: a filter's drop-down written in one pass says what
Django's own Select says, option for option."""

import re

import pytest
from django import forms

from core.forms import QuickSelect, quicken

CHOICES = [("", "---------"), (1, "a<b & c"), (2, '单位"2'), (3, "x")]


def options(html: str) -> list[str]:
    return re.findall(r"<option[^>]*>[^<]*</option>", html)


@pytest.mark.parametrize("value", ["2", None, "", 3, ["2"]])
def test_it_writes_what_djangos_select_writes(value):
    attrs = {"class": "form-select", "required": True, "disabled": False, "data-x": "1"}
    django = forms.Select(attrs=attrs, choices=CHOICES).render("unit", value, attrs={"id": "id_unit"})
    quick = QuickSelect(attrs=attrs, choices=CHOICES).render("unit", value, attrs={"id": "id_unit"})
    assert re.sub(r"\n+", "\n", django) == quick
    assert options(quick) == options(django) and len(options(quick)) == 4


def test_groups_fall_back_to_djangos_rendering():
    grouped = [("A", [(1, "one"), (2, "two")]), (3, "three")]
    quick = QuickSelect(choices=grouped).render("x", "2")
    assert '<optgroup label="A">' in quick and '<option value="2" selected>two</option>' in quick


def test_a_filter_forms_model_choices_become_quick_without_a_count(world, rf):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues.filters import IssueFilter
    from issues.models import Issue

    request = rf.get("/issues/", {"unit": world.unit_a.pk})
    request.user = world.supervisor_a
    filterset = IssueFilter(request.GET, queryset=Issue.objects.restrict(request.user), request=request)
    form = quicken(filterset.form)
    assert isinstance(form.fields["unit"].widget, QuickSelect)
    assert not isinstance(form.fields["status"].widget, QuickSelect)  # check boxes stay as they are
    with CaptureQueriesContext(connection) as queries:
        html = str(form["unit"])
    assert queries and not any("COUNT" in query["sql"] for query in queries.captured_queries)
    assert f'<option value="{world.unit_a.pk}" selected>{world.unit_a.name}</option>' in html
    assert world.unit_b.name not in html  # only what the user may see


def test_named_choices_read_plain_rows_and_say_what_str_says(world, rf):
    """A model naming its label column (`choice_label`) gives the drop-down
    the same options as its instances' str(), read without building them."""
    from enterprises.models import Campaign, Enterprise, HelpUnit, Region

    for model in (Region, HelpUnit, Enterprise, Campaign):
        row = model.objects.first()
        assert row is not None and str(row) == getattr(row, model.choice_label)

    from issues.filters import IssueFilter
    from issues.models import Issue

    request = rf.get("/issues/", {"region": world.county_a.pk})
    request.user = world.supervisor_a
    form = IssueFilter(request.GET, queryset=Issue.objects.restrict(request.user), request=request).form
    field = form.fields["region"]
    built = [("", field.empty_label)] + [(str(region.pk), str(region)) for region in field.queryset]
    assert isinstance(field.widget, QuickSelect)
    read = [(str(value), label) for value, label in field.widget.choices]
    assert read == built and len(read) > 2
    assert f'<option value="{world.county_a.pk}" selected>{world.county_a.name}</option>' in str(form["region"])
