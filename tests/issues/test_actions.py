"""The issue actions are listed once (issues.actions); the services, page
forms, API payloads and routes and the README agree with that table."""

import inspect
from pathlib import Path

from django.urls import reverse

from issues import services
from issues.actions import ACTIONS, Kind, Who
from issues.api import PAYLOADS
from issues.forms import ActionForm

PLUMBING = {"actor", "issue_id", "expected_version"}


def test_each_action_has_one_service_whose_keywords_are_the_tables_fields():
    for name, action in ACTIONS.items():
        parameters = inspect.signature(getattr(services, f"issue_{name}")).parameters
        assert set(parameters) - PLUMBING == {field.name for field in action.fields}, name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values()), name


def test_forms_payloads_and_routes_are_generated_from_the_table(world):
    for name, action in ACTIONS.items():
        form = ActionForm(action=action, user=world.supervisor_a)
        assert set(form.fields) == {field.name for field in action.fields} | {"version"}, name
        payload = PAYLOADS[action.slug]()
        assert set(payload.fields) == {field.name for field in action.fields} | {"version"}, name
        for field in action.fields:
            # Required where the service cannot do without it, and nowhere else; text is
            # never required here, so a missing reason is refused by the service's words.
            required = services.requires(name, field.name) and field.kind is not Kind.TEXT
            assert payload.fields[field.name].required == required, (name, field.name)
        assert reverse(f"issue-{action.slug}", args=[1]) == f"/api/v1/issues/1/{action.slug}/"
        assert reverse("issue-action", args=[1, name]) == f"/issues/1/{name}/"


def test_the_readme_lists_every_action_with_its_states():
    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    table = readme.split("## The issue lifecycle", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("|")[2].strip(): line for line in table.splitlines()[2:]}
    for action in ACTIONS.values():
        row = next((line for cell, line in rows.items() if f"`{action.slug}`" in cell), None)
        assert row is not None, action.slug
        to = row.split("|")[3].strip()
        who = {Who.SUPERVISOR: "supervisor", Who.RESPONSIBLE_UNIT: "responsible unit"}
        assert row.split("|")[4].strip() == who.get(action.who, "responsible or co-unit"), action.slug
        # Every field the action takes is named on its row.
        for field in action.fields:
            assert f"`{field.name}`" in row, (action.slug, field.name)
        assert to in ({action.target} if action.target else {"same", *action.sources}), action.slug
