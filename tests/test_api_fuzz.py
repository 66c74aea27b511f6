"""The API against its own OpenAPI schema (schemathesis), with a token for
each role: every operation of /api/schema/ gets generated requests (valid
and invalid), in scope and out of it. No answer is a server error, every
answer conforms to the schema (status code, content type, body), and a
refused request leaves nothing of itself in the database.

Bounded and deterministic: a few examples per operation and role, drawn
with `derandomize`, so `make test` runs the same requests every time.
"""

import contextlib
import json

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import api_client, build_full_world
from .writes import project_writes, rolled_back

ROLES = ("official_a", "official_a4", "supervisor_a", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@contextlib.contextmanager
def in_process_wsgi():
    """Django's handler in this thread, on the test's connection: as the test
    client does, the request signals must not close it mid-transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _path_objects(w):
    """Ids for path parameters: county A's object (in scope for county A's
    users) and county B's (out of scope for them), per collection."""
    return {
        "regions": (w.county_a, w.county_b),
        "units": (w.unit_a, w.unit_b),
        "officials": (w.official_a, w.official_b),
        "enterprises": (w.enterprise_a, w.enterprise_b),
        "campaigns": (w.campaign, w.campaign),
        "assignments": (w.assignment_a, w.assignment_b),
        "visits": (w.visit_a, w.visit_b),
        "issues": (w.issue_a, w.issue_b),
    }


def fuzz(strategy, app, role, headers, failures) -> int:
    """A few generated requests as `role`; what they break goes in `failures`."""
    calls = 0

    @settings(
        max_examples=3,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        nonlocal calls
        with rolled_back():
            before = project_writes()
            calls += 1
            response = case.call(app=app, headers=headers)
            written = project_writes() != before
        problem = None
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as found:  # what schemathesis found
            problem = str(found)[:1500]
        if response.status_code >= 400 and written:
            problem = f"refused with {response.status_code}, but rows were written"
        if problem:
            failures.append(f"{role} {case.method} {case.formatted_path}: {problem}")

    run()
    return calls


@pytest.mark.django_db
def test_the_api_answers_as_its_schema_says(frozen_today, pg_only, client):
    w = build_full_world()
    tokens = {role: Token.objects.get_or_create(user=getattr(w, role))[0].key for role in ROLES}
    client.force_login(w.admin)
    schema = schemathesis.openapi.from_dict(client.get("/api/schema/?format=json").json())
    objects = _path_objects(w)
    failures, calls = [], 0

    with in_process_wsgi() as app:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path == "/api/v1/auth/token/":
                continue  # sign-in: its lockout is tested in tests/core/test_signin.py
            collection = operation.path.split("/")[3]
            # Valid requests on county A's object (in scope for county A's
            # users) and county B's (out of it), and invalid ones anywhere.
            positive, negative = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
            plans = [(positive, None), (negative, None)]
            if "{id}" in operation.path:
                plans = [(positive, {"id": obj.pk}) for obj in objects[collection]] + [(negative, None)]
            for role in ROLES:
                headers = {"Authorization": f"Token {tokens[role]}"}
                for mode, path in plans:
                    if mode is negative and role not in ("official_a", "admin"):
                        continue  # what a malformed request meets does not depend on the role
                    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path)
                    calls += fuzz(strategy, app, role, headers, failures)

    assert calls > 300
    assert not failures, "\n\n".join(dict.fromkeys(failures))


# Hypothesis on the write endpoints ---------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x" * 6000,
    "1e999",
    "²",
    '=HYPERLINK("http://x")',
    "9" * 30,
    "-1",
    "0",
    "2026-02-30",
    "null",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.sampled_from(SPECIAL_TEXT),
    st.text(max_size=20),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _choice(values):
    """A field's plausible values (a request starts from them; some fields are then spoiled)."""
    return list(values)


def _write_endpoints(w):
    """(method, path, roles, fields): each field's plausible values mixed with junk."""
    from issues.actions import ACTIONS, CHOICES, Kind

    def ids(*objects):
        return [o.pk for o in objects] + [987654321]

    dates = _choice(["2026-05-29", "2026-07-01", "2031-01-01", "1900-01-01"])
    text = _choice(["说明", "已处理"])
    issues = (w.issue_a, w.issue_waiting_a, w.issue_done_a, w.issue_b)
    endpoints = [
        (
            "POST",
            ["/api/v1/issues/"],
            ("official_a", "supervisor_a", "official_b"),
            {
                "enterprise": ids(w.enterprise_a, w.enterprise_b, w.enterprise_a_other),
                "visit": ids(w.visit_a, w.visit_b),
                "category": _choice(["finance", "land"]),
                "title": text,
                "description": text,
                "request": text,
                "priority": _choice(["normal", "urgent"]),
                "source": _choice(["visit", "meeting"]),
            },
        ),
        (
            "POST",
            ["/api/v1/visits/"],
            ("official_a", "supervisor_a"),
            {
                "enterprise": ids(w.enterprise_a, w.enterprise_b),
                "date": dates,
                "form": _choice(["onsite", "remote"]),
                "purposes": _choice([["situation"], ["policy", "projects"], []]),
                "summary": text,
                "participants": _choice([[w.official_a.pk], [w.official_b.pk], [w.official_a_colleague.pk]]),
                "output_value": _choice(["12.5", "99999999999999999", "-3", "1e5"]),
                "revenue": _choice(["0", "1.234"]),
                "headcount": _choice([10, -1, 2**40]),
                "order_book": text,
                "issues": _choice([[{"category": "finance", "title": "融资"}], [{"category": "x"}], [{}]]),
            },
        ),
    ]
    kinds = {
        Kind.TEXT: text,
        Kind.DATE: dates,
        Kind.UNIT: ids(w.unit_a, w.unit_a2, w.unit_b),
        Kind.UNITS: _choice([[w.unit_a2.pk], [w.unit_b.pk], []]),
        Kind.BOOL: _choice([True, False, "maybe"]),
        Kind.FILES: _choice([[], ["not a file"], "x"]),  # files come as multipart; in JSON they are refused
    }
    for action in ACTIONS.values():
        fields = {f.name: kinds.get(f.kind) or list(dict(CHOICES[f.kind])) for f in action.fields}
        fields["version"] = _choice([1, 2, 3, 0])
        paths = [f"/api/v1/issues/{issue.pk}/{action.slug}/" for issue in issues]
        endpoints.append(("POST", paths, ("official_a", "supervisor_a", "official_b"), fields))
    master = {
        "regions": {"name": text, "code": text, "level": _choice(["township", "county"]), "parent": ids(w.county_a)},
        "units": {
            "name": text,
            "kind": _choice(["department", "other"]),
            "region": ids(w.county_a, w.town_b),
            "contact_phone": _choice(["13800000000", "12"]),
            "webhook_url": _choice(["https://robot.invalid/x", "ftp://x", "http://"]),
        },
        "officials": {
            "username": _choice(["new_one", "off_a", "a b"]),
            "password": text,
            "unit": ids(w.unit_a),
            "role": _choice(["official", "admin"]),
            "rank": _choice(["staff", "county_leader"]),
            "email": _choice(["a@example.com", "not-mail"]),
            "is_active": _choice([True, False]),
        },
        "enterprises": {
            "name": text,
            "credit_code": _choice(["91330100999999999X", w.enterprise_a.credit_code, "123"]),
            "region": ids(w.town_a),
            "industry": _choice(["C", "Z"]),
            "size": _choice(["small", "huge"]),
            "tags": _choice([["出口"], []]),
        },
        "campaigns": {
            "name": text,
            "start_date": dates,
            "end_date": dates,
            "units_per_enterprise": _choice([1, 3, 4]),
            "visit_every_days": _choice([30, 0, 40000]),
            "is_current": _choice([True, False]),
        },
        "assignments": {
            "campaign": ids(w.campaign),
            "enterprise": ids(w.enterprise_a_other, w.enterprise_a),
            "leader": ids(w.leader, w.official_a),
            "units": _choice(
                [
                    [{"unit": w.unit_a3.pk, "is_lead": True}],
                    [{"unit": w.unit_a3.pk}, {"unit": w.unit_a3.pk}],
                    [{"unit": w.unit_a4.pk, "is_lead": True, "contact": w.official_a.pk}],
                ]
            ),
        },
    }
    rows = {
        "regions": w.town_a,
        "units": w.unit_a,
        "officials": w.official_a_colleague,
        "enterprises": w.enterprise_a,
        "campaigns": w.campaign,
        "assignments": w.assignment_a,
    }
    for name, fields in master.items():
        endpoints.append(("POST", [f"/api/v1/{name}/"], ("admin", "admin", "supervisor_a"), fields))
        endpoints.append(("PATCH", [f"/api/v1/{name}/{rows[name].pk}/"], ("admin",), fields))
    return endpoints


SPOILED = st.one_of(st.sampled_from(SPECIAL_TEXT), st.sampled_from(["\x00", "\ud800", "名\x00", "名\udfff"]), JUNK)


@st.composite
def _write_requests(draw, endpoints):
    """A plausible body with up to three fields spoiled (a wrong type, NUL, a
    lone surrogate, a huge number, nesting) and some left out; now and then
    not an object at all."""
    method, paths, roles, fields = draw(st.sampled_from(endpoints))
    body = {name: draw(st.sampled_from(values)) for name, values in fields.items()}
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)):
        body[name] = draw(SPOILED)
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=2, unique=True)):
        body.pop(name, None)
    if draw(st.integers(0, 19)) == 0:
        body = draw(JUNK)
    return method, draw(st.sampled_from(paths)), draw(st.sampled_from(roles)), body


@pytest.mark.django_db
def test_the_write_endpoints_refuse_what_they_cannot_take_whole(frozen_today, pg_only):
    """Arbitrary values (types, NUL bytes, lone surrogates, huge numbers,
    nesting) in every write of the API: never a server error, every refusal
    in the {code, detail} shape, and a refused request writes nothing."""
    w = build_full_world()
    clients = {role: api_client(getattr(w, role)) for role in ("official_a", "official_b", "supervisor_a", "admin")}
    for client in clients.values():
        client.raise_request_exception = False
    endpoints = _write_endpoints(w)
    seen = {"ok": 0, "refused": 0}

    @settings(
        max_examples=400,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(request=_write_requests(endpoints))
    def run(request):
        method, path, role, body = request
        with rolled_back():
            before = project_writes()
            response = clients[role].generic(
                method, path, json.dumps(body, ensure_ascii=True), content_type="application/json"
            )
            written = project_writes() != before
        assert response.status_code < 500, (method, path, role, body, response.content[:500])
        if response.status_code >= 400:
            seen["refused"] += 1
            error = response.json()
            assert isinstance(error.get("code"), str) and isinstance(error.get("detail"), str), error
            assert not written, f"{method} {path} {body}: refused ({response.status_code}) but wrote rows"
        else:
            seen["ok"] += 1

    run()
    assert seen["ok"] > 10 and seen["refused"] > 100, seen
