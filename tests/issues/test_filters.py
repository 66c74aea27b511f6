"""issues.filters: no filter of the issue list makes its query DISTINCT (a
DISTINCT over every column of every row, then a count of it, was the filtered
list's cost), and the unit filter finds what a unit handles and co-handles."""

import pytest
from django.test import RequestFactory

from issues import selectors
from issues.filters import IssueFilter

from ..factories import bulk_issues

SAMPLES = {
    "q": "批量",
    "status": ["in_progress", "assigned"],
    "category": ["land", "finance"],
    "source": "visit",
    "priority": "normal",
    "enterprise": "enterprise_a",
    "campaign": "campaign",
    "responsible_unit": "unit_a",
    "visit": "1",
    "unit": "unit_a2",
    "region": "county_a",
    "enterprise_region": "town_a",
    "overdue": "true",
    "due_soon": "false",
    "escalated": "false",
    "extension_pending": "false",
    "registered_from": "2026-01-01",
    "registered_to": "2026-12-31",
    "closed_from": "2026-01-01",
    "closed_to": "2026-12-31",
    "figure": "registered",
}


def filtered(world, **params):
    request = RequestFactory().get("/issues/", params)
    request.user = world.admin
    filterset = IssueFilter(request.GET, queryset=selectors.issue_list(user=request.user), request=request)
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def test_every_filter_is_sampled():
    assert set(SAMPLES) == set(IssueFilter.base_filters)


@pytest.mark.parametrize("name", SAMPLES)
def test_no_filter_makes_the_list_distinct(world, name):
    value = SAMPLES[name]
    value = getattr(world, value).pk if isinstance(value, str) and hasattr(world, value) else value
    rows = filtered(world, **{name: value})
    assert not rows.query.distinct and "DISTINCT" not in str(rows.query)


@pytest.mark.parametrize("listed", [2000, 0], ids=["ids listed", "a union"])
def test_a_unit_finds_what_it_handles_and_co_handles(world, listed, monkeypatch):
    from enterprises import scope

    monkeypatch.setattr(scope, "CO_HANDLED_IDS_MAX", listed)
    issues = bulk_issues(world, 9)
    handled = {issue.pk for issue in issues if issue.responsible_unit_id == world.unit_a2.pk}
    co_handled = {issue.pk for issue in issues[::3] if issue.responsible_unit_id != world.unit_a2.pk}
    assert handled and co_handled
    rows = filtered(world, unit=world.unit_a2.pk)
    assert set(rows.values_list("pk", flat=True)) == handled | co_handled
    assert set(filtered(world, unit=world.unit_b.pk).values_list("pk", flat=True)) == {
        issue.pk for issue in issues if issue.responsible_unit_id == world.unit_b.pk
    }
