"""The permission matrix, generated from the URL configuration.

Every URL pattern the project serves (walked from `get_resolver()`: the
pages, the API router, the exports, the file downloads and the Django admin)
is requested as each role: signed out, an official in the county of the
object and in the other county, a colleague of another unit in the same
county, the supervisor of each county and an administrator; with GET and,
where it takes one, POST (empty and plausible); with an id in scope, one out
of scope and one that does not exist; and with the other county's ids in
the query filters. The spec is the scope rule (README, enterprises/scope.py):

- no request answers a server error;
- signed out, a page sends to sign in, the API answers 401/403;
- a role the page is not for gets 403;
- an object out of scope answers 404, exactly like one that does not exist
  (in the Django admin: exactly as a missing one does);
- nothing out of scope shows: each object of the world carries a
  distinctive string, which no response to a user who may not see that
  object contains (pages, JSON, and XLSX exports read with openpyxl);
- a request never changes what its user may not change: the other county's
  rows stay as they were, and a refused request (4xx) changes nothing.

Every request runs in a savepoint rolled back after it, so the world stays
the same for the next one. A URL pattern the matrix does not know how to
fill fails `test_every_url_pattern_is_in_the_matrix`: a new view cannot be
forgotten.
"""

import contextlib
import datetime
import io
import json
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token, TokenProxy

from core import clock
from core.models import AuditEntry, CalendarDay, CalendarYear
from enterprises.imports import IMPORTERS
from enterprises.models import (
    Assignment,
    AssignmentUnit,
    Campaign,
    Enterprise,
    HelpPlan,
    HelpUnit,
    ImportJob,
    Official,
    Region,
)
from issues import schemes, scoring
from issues.actions import ACTIONS
from issues.models import (
    Bulletin,
    Delivery,
    Digest,
    ExtensionRequest,
    Issue,
    IssueEvent,
    ScoringRule,
)
from visits.models import Visit, VisitAttachment

from .conftest import PDF, TODAY, build_full_world
from .writes import project_writes, rolled_back

ROLES = ("anonymous", "official_a", "official_b", "official_a4", "supervisor_a", "supervisor_b", "admin")
HOME = {"official_a": "A", "official_b": "B", "official_a4": "A", "supervisor_a": "A", "supervisor_b": "B"}
MISSING = 987654321  # an id nothing has

# Scoped models a staff supervisor may view in the Django admin (their rows through restrict()).
SCOPED_ADMIN = {
    "region",
    "helpunit",
    "official",
    "enterprise",
    "campaign",
    "assignment",
    "helpplan",
    "visit",
    "issue",
    "issueevent",
    "extensionrequest",
    "followup",
    "supervisenotice",
}
# Reference data every signed-in user reads.
PUBLIC = {"region", "campaign"}
# Rows with no county: configuration and logs, for administrators.
GLOBAL = {
    "calendarday",
    "calendaryear",
    "timelimitscheme",
    "scoringrule",
    "group",
    "tokenproxy",
    "signinlockout",
    "signinrecord",
    "signinfailure",
}


def sees(role: str, family: str, county: str) -> bool:
    """The scope rule, written out for this world (README, "Where each rule lives")."""
    if role == "anonymous" or county == "missing":
        return False
    if role == "admin":
        return family != "digest"  # the inbox is its recipient's alone
    if family in PUBLIC:
        return True
    if family in GLOBAL or family in ("import_job", "delivery") or HOME[role] != county:
        return False
    if role.startswith("supervisor"):
        return family != "digest"
    if role == "official_a4":
        return False  # a unit of the county that helps none of its enterprises
    # The official's unit helps the county's enterprise: its issues, visits,
    # team, unit, people and plan; not the bulletins, not other units' plans,
    # not the common problems (the supervisors' desk; officials see one named
    # on its issues' pages), not the coordination meetings (their decisions
    # reach officials as events on the issues).
    return family not in ("bulletin", "enterprise_unassigned", "common_problem", "meeting")


# The URL patterns -------------------------------------------------------------------


def url_templates():
    """Every URL pattern as a template such as "/issues/{pk}/{action}/"."""

    def template(pattern) -> str:
        text = str(pattern.pattern)
        if not isinstance(pattern.pattern, RegexPattern):
            return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
        text = text.removeprefix("^").removesuffix("$")
        out, i = "", 0
        while i < len(text):  # named groups, whatever they contain, become {name}
            match = re.match(r"\(\?P<(\w+)>", text[i:])
            if match:
                depth, j = 1, i + match.end()
                while depth:
                    depth += {"(": 1, ")": -1}.get(text[j], 0)
                    j += 1
                out += "{" + match.group(1) + "}"
                i = j
            else:
                out += text[i]
                i += 1
        return out.replace("\\.", ".")

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + template(pattern))
            else:
                assert isinstance(pattern, URLPattern)
                yield prefix + template(pattern)

    return sorted(set(walk(get_resolver().url_patterns, "/")))


# What the matrix knows of each pattern ---------------------------------------------------


@dataclass
class Case:
    kind: str  # page, api, admin or public
    family: str | None = None  # the object the URL names, tried in and out of scope
    args: Callable = None  # (matrix, object) → the template's fields
    variants: list = field(default_factory=lambda: [{}])  # other fields of the template
    roles: tuple | None = None  # who it is for (others: 403); None: every signed-in user
    methods: tuple = ("GET",)  # what it serves; others are still sent once
    bodies: Callable | None = None  # (matrix, role) → plausible bodies to send
    writers: tuple | None = None  # who may write (API master data: admins); None: same as roles
    filters: dict = field(default_factory=dict)  # query parameter → family, tried with each county's id
    queries: tuple = ()  # other query strings
    json: bool = False  # bodies as JSON (the API)
    may_be_down: bool = False  # 503 is a true answer here (the health check, with no worker in the test)


def pk(_m, obj):
    return {"pk": obj.pk}


def meeting_item(_m, meeting):
    """A meeting's first agenda item (for a missing meeting, a missing item)."""
    return {"pk": meeting.pk, "item": meeting.items.first().pk if meeting.pk != MISSING else MISSING}


def decision_bodies(m, _role):
    """A plausible decision on each county's meeting's item."""
    bodies = []
    for county in ("A", "B"):
        prefix = f"item-{m.obj('meeting', county).items.first().pk}"
        bodies.append(
            {
                f"{prefix}-decision": "由经信局牵头",
                f"{prefix}-unit": m.obj("unit", county).pk,
                f"{prefix}-due_date": "2026-08-01",
            }
        )
    return bodies


ADMINS = ("admin",)
SUPERVISORS = ("supervisor_a", "supervisor_b", "admin")
ISSUE_FILTERS = {
    "enterprise": "enterprise",
    "campaign": "campaign",
    "responsible_unit": "unit",
    "unit": "unit",
    "region": "region",
    "enterprise_region": "region",
    "visit": "visit",
}
VISIT_FILTERS = {
    "enterprise": "enterprise",
    "campaign": "campaign",
    "region": "region",
    "unit": "unit",
    "participant": "official",
}
ENTERPRISE_FILTERS = {"region": "region", "unit": "unit", "campaign": "campaign"}
SEARCHES = ("q=MARK", "q=%E7%94%B2", "q=%E4%B9%99")  # MARK, 甲, 乙
SEARCHES_FOR = {"A": ("q=MARK", "q=%E7%94%B2"), "B": ("q=MARK", "q=%E4%B9%99")}  # the other county's names


def visit_form(m, role, county):
    user = m.users.get(role)
    return {
        "enterprise": m.obj("enterprise", county).pk,
        "date": "2026-05-29",
        "form": "onsite",
        "purposes": ["situation"],
        "participants": [user.pk] if user else [],
        "summary": "走访",
        "issues-TOTAL_FORMS": "1",
        "issues-INITIAL_FORMS": "0",
        "issues-0-category": "finance",
        "issues-0-title": "新问题",
    }


def per_county(make):
    return lambda m, role: [make(m, role, county) for county in ("A", "B")]


def upload(name, content=PDF, kind="application/pdf"):
    return SimpleUploadedFile(name, content, kind)


ACTION_BODIES = {
    "assign": lambda m, c: {"unit": m.obj("unit", c).pk, "due_date": "2026-07-01"},
    "accept": lambda m, c: {"note": "收到"},
    "return": lambda m, c: {"reason": "不归我们"},
    "feedback": lambda m, c: {"note": "进展"},
    "request_extension": lambda m, c: {"new_due_date": "2026-07-31", "reason": "需要时间"},
    "approve_extension": lambda m, c: {"note": "同意"},
    "reject_extension": lambda m, c: {"reason": "不同意"},
    "resolve": lambda m, c: {"outcome": "solved", "note": "已解决"},
    "follow_up": lambda m, c: {"channel": "phone", "contact": "王经理", "verdict": "unsatisfied", "note": "仍未解决"},
    "close": lambda m, c: {"note": "已回访"},
    "reopen": lambda m, c: {"reason": "未解决"},
    "cancel": lambda m, c: {"reason": "重复"},
    "escalate": lambda m, c: {"note": "需协调"},
}


def action_bodies(action):
    return lambda m, role: [ACTION_BODIES[action](m, county) for county in ("A", "B")]


def official_fields(m, role, county):
    return {
        "username": f"new_{county.lower()}",
        "name": "新干部",
        "unit": m.obj("unit", county).pk,
        "role": "official",
        "rank": "staff",
        "phone": "13800000000",
        "email": "",
        "is_active": "on",
    }


def campaign_fields(m, role):
    return [
        {
            "name": "新行动",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "units_per_enterprise": "3",
            "visit_every_days": "90",
        }
    ]


def board_bodies(m, role):
    return [
        {
            "unit": m.obj("unit", county).pk,
            "leader": m.w.leader.pk,
            "responsible": m.obj("official", county).pk,
            "contact": m.obj("official", county).pk,
        }
        for county in ("A", "B")
    ]


def dispatch_bodies(m, role):
    return [
        {"unit": m.obj("unit", unit).pk, "issues": [m.obj("issue_waiting", issue).pk]}
        for unit in ("A", "B")
        for issue in ("A", "B")
    ]


def api_visit(m, role, county):
    return {
        "enterprise": m.obj("enterprise", county).pk,
        "date": "2026-05-29",
        "form": "onsite",
        "purposes": ["situation"],
        "issues": [{"category": "finance", "title": "新问题"}],
    }


def api_master(family):
    def bodies(m, role):
        w = m.w
        made = {
            "region": [{"name": "新镇", "level": "township", "parent": w.county_a.pk}],
            "unit": [{"name": "新单位", "kind": "department", "region": r.pk} for r in (w.county_a, w.county_b)],
            "official": [
                {"username": f"api_{c}", "role": "official", "rank": "staff", "unit": m.obj("unit", c).pk}
                for c in ("A", "B")
            ],
            "enterprise": [
                {"name": "新企业", "credit_code": "91330100999999999X", "region": r.pk, "industry": "C"}
                for r in (w.town_a, w.town_b)
            ],
            "campaign": [{"name": "新行动", "start_date": "2027-01-01", "end_date": "2027-12-31"}],
            "assignment": [
                {
                    "campaign": w.campaign.pk,
                    "enterprise": w.enterprise_a_other.pk,
                    "units": [{"unit": m.obj("unit", c).pk, "is_lead": True}],
                }
                for c in ("A", "B")
            ],
        }
        return made[family]

    return bodies


def api_patch(family):
    fields = {
        "region": {"name": "改名"},
        "unit": {"head_name": "新一把手"},
        "official": {"name": "改名"},
        "enterprise": {"address": "新地址"},
        "campaign": {"visit_every_days": 60},
        "assignment": {"leader": None},
    }
    return lambda m, role: [fields[family]]


def api_issue(m, role, county):
    return {"enterprise": m.obj("enterprise", county).pk, "category": "finance", "title": "新问题"}


def reset_link(m, obj):
    return {"uidb64": urlsafe_base64_encode(force_bytes(obj.pk)), "token": default_token_generator.make_token(obj)}


CASES: dict[str, Case] = {
    # Signing in and out, the language switch, the set-password link: for everyone.
    "/accounts/login/": Case(
        "public", methods=("GET", "POST"), bodies=lambda m, r: [{"username": "nobody", "password": "x"}]
    ),
    "/accounts/logout/": Case("public", methods=("POST",)),
    "/accounts/reset/{uidb64}/{token}/": Case(
        "public",
        args=lambda m, o: reset_link(m, m.w.official_a),
        variants=[{}, {"uidb64": "MTIz", "token": "set-password"}, {"uidb64": "%C2%B2", "token": "x-y"}],
        methods=("GET", "POST"),
        bodies=lambda m, r: [{"new_password1": "Zf-new-pass-2026", "new_password2": "Zf-new-pass-2026"}],
    ),
    "/accounts/reset/done/": Case("public"),
    "/i18n/setlang/": Case("public", methods=("POST",), bodies=lambda m, r: [{"language": "en", "next": "/"}]),
    "/api/v1/auth/token/": Case(
        "public", methods=("POST",), bodies=lambda m, r: [{"username": "nobody", "password": "x"}], json=True
    ),
    # The desk.
    "/": Case("page"),
    "/accounts/preferences/": Case(
        "page", methods=("GET", "POST"), bodies=lambda m, r: [{"email": "me@example.com", "email_notifications": "on"}]
    ),
    "/enterprises/": Case("page", filters=ENTERPRISE_FILTERS, queries=SEARCHES),
    "/enterprises/{pk}/": Case("page", family="enterprise", args=pk),
    "/enterprises/{pk}/profile/": Case("page", family="enterprise", args=pk),
    "/enterprises/ours/": Case("page"),
    "/visits/": Case("page", filters=VISIT_FILTERS, queries=SEARCHES),
    "/visits/person-times/": Case("page", filters=VISIT_FILTERS, queries=SEARCHES),
    "/visits/new/": Case(
        "page", methods=("GET", "POST"), filters={"enterprise": "enterprise"}, bodies=per_county(visit_form)
    ),
    "/visits/export.xlsx": Case("page", filters=VISIT_FILTERS, queries=SEARCHES),
    "/visits/{pk}/": Case("page", family="visit", args=pk),
    "/visits/{pk}/correct/": Case(
        "page",
        family="visit",
        args=pk,
        methods=("GET", "POST"),
        bodies=lambda m, r: [
            {"reason": "日期记错", "version": "1", "date": "2026-05-28", "form": "onsite", "purposes": ["situation"]}
        ],
    ),
    "/visits/{pk}/withdraw/": Case(
        "page", family="visit", args=pk, methods=("POST",), bodies=lambda m, r: [{"reason": "重复录入", "version": "1"}]
    ),
    "/visits/participants/": Case("page", queries=("q=%E7%94%B2", "q=%E4%B9%99", "q=%E5%B1%80", "q=off")),
    "/visits/attachments/{pk}/": Case("page", family="attachment", args=pk),
    "/issues/evidence/{pk}/": Case("page", family="evidence", args=pk),
    "/enterprises/plan/": Case(
        "page",
        methods=("GET", "POST"),
        bodies=lambda m, r: [{"file": upload("plan.pdf"), "summary": "方案"}],
    ),
    "/enterprises/plan/{pk}/file/": Case("page", family="plan", args=pk),
    # The ledger.
    "/issues/": Case("page", filters=ISSUE_FILTERS, queries=(*SEARCHES, "figure=registered", "overdue=true")),
    "/issues/export.xlsx": Case("page", filters=ISSUE_FILTERS, queries=SEARCHES),
    "/issues/inbox/": Case("page"),
    "/issues/inbox/read/": Case(
        "page",
        methods=("POST",),
        bodies=lambda m, r: [{"digest": m.obj("digest", c).pk} for c in ("A", "B")],
    ),
    "/issues/{pk}/": Case("page", family="issue", args=pk),
    "/issues/{pk}/{action}/": Case(
        "page",
        family="issue",
        args=pk,
        variants=[{"action": name} for name in (*ACTIONS, "nonsense")],
        methods=("POST",),
        bodies=lambda m, r: [{"note": "x", "reason": "x", "unit": m.obj("unit", c).pk} for c in ("A", "B")],
    ),
    # The supervisors' desks.
    "/supervise/dispatch/": Case("page", roles=SUPERVISORS),
    "/supervise/dispatch/bulk/": Case("page", roles=SUPERVISORS, methods=("POST",), bodies=dispatch_bodies),
    "/supervise/dispatch/{pk}/": Case(
        "page",
        family="issue_waiting",
        args=pk,
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [{"assign-unit": m.obj("unit", c).pk} for c in ("A", "B")],
    ),
    "/supervise/dispatch/{pk}/merge/": Case(
        "page",
        family="issue_waiting",
        args=pk,
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [{"into": m.obj("issue", c).pk} for c in ("A", "B")],
    ),
    "/supervise/verification/": Case("page", roles=SUPERVISORS),
    "/supervise/extensions/": Case("page", roles=SUPERVISORS),
    "/supervise/escalations/": Case("page", roles=SUPERVISORS, queries=("show=open", "show=closed", "show=dismissed")),
    "/supervise/common/new/": Case(
        "page",
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [
            {"title": "新共性问题", "issues": [m.obj("issue", c).pk, m.obj("issue_waiting", c).pk]} for c in ("A", "B")
        ],
    ),
    "/supervise/common/radar/": Case("page", roles=SUPERVISORS, methods=("POST",)),
    "/supervise/common/{pk}/{action}/": Case(
        "page",
        family="common_problem",
        args=pk,
        variants=[
            {"action": a} for a in ("confirm", "dismiss", "split", "release", "merge", "decide", "close", "nonsense")
        ],
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [
            {
                "version": "1",
                "reason": "不是",
                "title": "拆分",
                "answer_kind": "unit",
                "answer": "由经信局牵头",
                "responsible_unit": m.obj("unit", c).pk,
                "issues": [m.obj("issue", c).pk],
                "other": m.obj("common_problem", c).pk,
                "handling": "keep",
            }
            for c in ("A", "B")
        ],
    ),
    "/supervise/meetings/": Case(
        "page",
        roles=SUPERVISORS,
        methods=("GET", "POST"),
        bodies=per_county(
            lambda m, r, c: {"title": "例会", "held_on": "2026-07-01", "region": m.obj("region", c).pk, "chair": "县长"}
        ),
    ),
    "/supervise/meetings/agenda/": Case(
        "page",
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [
            {"meeting": m.obj("meeting", c).pk, "problem": m.obj("common_problem", c).pk, "version": "1"}
            for c in ("A", "B")
        ],
    ),
    "/supervise/meetings/{pk}/": Case("page", family="meeting", args=pk, roles=SUPERVISORS),
    "/supervise/meetings/{pk}/minutes/": Case("page", family="meeting", args=pk, roles=SUPERVISORS),
    "/supervise/meetings/{pk}/edit/": Case(
        "page",
        family="meeting",
        args=pk,
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [
            {"edit-title": "改期", "edit-held_on": "2026-07-02", "edit-chair": "县长", "edit-version": "1"}
        ],
    ),
    "/supervise/meetings/{pk}/add/": Case(
        "page",
        family="meeting",
        args=pk,
        roles=SUPERVISORS,
        methods=("POST",),
        bodies=lambda m, r: [
            body
            for c in ("A", "B")
            for body in ({"number": m.obj("issue", c).number}, {"problem": m.obj("common_problem", c).pk})
        ],
    ),
    "/supervise/meetings/{pk}/items/{item}/decide/": Case(
        "page", family="meeting", args=meeting_item, roles=SUPERVISORS, methods=("POST",), bodies=decision_bodies
    ),
    "/supervise/meetings/{pk}/items/{item}/remove/": Case(
        "page", family="meeting", args=meeting_item, roles=SUPERVISORS, methods=("POST",)
    ),
    "/supervise/meetings/{pk}/cancel/": Case(
        "page", family="meeting", args=pk, roles=SUPERVISORS, methods=("POST",), bodies=lambda m, r: [{"version": "2"}]
    ),
    "/supervise/meetings/{pk}/issue/": Case(
        "page", family="meeting", args=pk, roles=SUPERVISORS, methods=("POST",), bodies=lambda m, r: [{"version": "2"}]
    ),
    "/supervise/dashboard/": Case(
        "page", roles=SUPERVISORS, filters={"campaign": "campaign", "region": "region"}, queries=("trend=week",)
    ),
    "/supervise/scores/{pk}/": Case(
        "page", family="unit", args=pk, roles=SUPERVISORS, filters={"campaign": "campaign", "region": "region"}
    ),
    "/supervise/bulletins/": Case(
        "page",
        roles=SUPERVISORS,
        methods=("GET", "POST"),
        bodies=per_county(lambda m, r, c: {"month": "2026-04", "region": m.obj("region", c).pk, "office": "办"}),
    ),
    "/supervise/bulletins/{pk}/": Case("page", family="bulletin", args=pk, roles=SUPERVISORS),
    "/supervise/bulletins/{pk}/xlsx/": Case("page", family="bulletin", args=pk, roles=SUPERVISORS),
    "/supervise/bulletins/{pk}/regenerate/": Case(
        "page", family="bulletin", args=pk, roles=SUPERVISORS, methods=("POST",), bodies=lambda m, r: [{"office": ""}]
    ),
    "/supervise/notices/": Case(
        "page",
        roles=SUPERVISORS,
        filters={"unit": "unit", "region": "region"},
        queries=(*SEARCHES, "kind=criticism", "month=2026-06", "month=nonsense", "issued_from=2026-06-01"),
    ),
    # The 督办 ladder's notices, printed: seen with the issue they are about.
    "/issues/notices/{pk}/": Case("page", family="notice", args=pk),
    # The 帮扶办's pages.
    "/manage/imports/": Case(
        "page",
        roles=ADMINS,
        methods=("GET", "POST"),
        bodies=lambda m, r: [
            {"kind": "enterprises", "file": upload("e.csv", "统一社会信用代码\n".encode(), "text/csv")}
        ],
    ),
    "/manage/imports/{pk}/": Case("page", family="import_job", args=pk, roles=ADMINS, methods=("GET", "POST")),
    "/manage/imports/{pk}/changes.xlsx": Case("page", family="import_job", args=pk, roles=ADMINS),
    "/manage/imports/template/{kind}.xlsx": Case(
        "page", roles=ADMINS, variants=[{"kind": kind} for kind in (*IMPORTERS, "nonsense")]
    ),
    "/manage/export/{kind}.xlsx": Case(
        "page",
        roles=ADMINS,
        variants=[{"kind": kind} for kind in (*IMPORTERS, "nonsense")],
        filters={"campaign": "campaign"},
    ),
    "/manage/board/": Case("page", roles=ADMINS, filters={"campaign": "campaign"}, queries=("gaps=1", "q=MARK")),
    "/manage/board/{campaign_id}/{enterprise_id}/{op}/": Case(
        "page",
        family="enterprise",
        args=lambda m, o: {"campaign_id": m.w.campaign.pk, "enterprise_id": o.pk},
        variants=[{"op": op} for op in ("open", "leader", "add", "remove", "lead", "people", "nonsense")],
        roles=ADMINS,
        methods=("POST",),
        bodies=board_bodies,
    ),
    "/manage/campaigns/": Case("page", roles=ADMINS, methods=("GET", "POST"), bodies=campaign_fields),
    "/manage/campaigns/{pk}/": Case(
        "page", family="campaign", args=pk, roles=ADMINS, methods=("GET", "POST"), bodies=campaign_fields
    ),
    "/manage/plans/": Case("page", roles=ADMINS, filters={"campaign": "campaign"}),
    "/manage/officials/": Case("page", roles=ADMINS, filters={"unit": "unit"}, queries=SEARCHES),
    "/manage/audit/": Case(
        "page", roles=ADMINS, queries=("actor=off_a", "action=1", "date_from=2026-06-01", "q=MARK", "model=x", "page=2")
    ),
    "/manage/officials/new/": Case("page", roles=ADMINS, methods=("GET", "POST"), bodies=per_county(official_fields)),
    "/manage/officials/{pk}/": Case(
        "page",
        family="official",
        args=pk,
        roles=ADMINS,
        methods=("GET", "POST"),
        bodies=lambda m, r: [*per_county(official_fields)(m, r), {"reset": "1"}],
    ),
    # The API.
    "/api/schema/": Case("api"),
    "/api/docs/": Case("page"),
    "/api/v1/": Case("api"),
    "/api/v1/stats/": Case(
        "api",
        queries=("group_by=unit", "group_by=region", "group_by=category", "group_by=nonsense"),
        filters={"campaign": "campaign", "region": "region", "unit": "unit"},
    ),
    "/api/v1/issues/": Case(
        "api",
        methods=("GET", "POST"),
        filters=ISSUE_FILTERS,
        queries=SEARCHES,
        bodies=per_county(api_issue),
        json=True,
    ),
    "/api/v1/issues/{pk}/": Case("api", family="issue", args=pk),
    "/api/v1/issues/{pk}/events/": Case("api", family="issue", args=pk),
    "/api/v1/issues/{pk}/raise-again/": Case(
        "api",
        family="issue",
        args=pk,
        methods=("POST",),
        json=True,
        bodies=lambda m, r: [
            {"note": "再次反映"},
            *({"note": "再次", "visit": m.obj("visit", c).pk} for c in ("A", "B")),
        ],
    ),
    "/api/v1/issues/similar/": Case("api", filters={"enterprise": "enterprise"}, queries=("title=%E8%9E%8D%E8%B5%84",)),
    "/api/v1/visits/": Case(
        "api",
        methods=("GET", "POST"),
        filters=VISIT_FILTERS,
        queries=SEARCHES,
        bodies=per_county(api_visit),
        json=True,
    ),
    "/api/v1/visits/{pk}/": Case("api", family="visit", args=pk),
    "/api/v1/visits/{pk}/correct/": Case(
        "api",
        family="visit",
        args=pk,
        methods=("POST",),
        json=True,
        bodies=lambda m, r: [{"reason": "日期记错", "version": 1, "date": "2026-05-28"}],
    ),
    "/api/v1/visits/{pk}/withdraw/": Case(
        "api",
        family="visit",
        args=pk,
        methods=("POST",),
        json=True,
        bodies=lambda m, r: [{"reason": "重复", "version": 1}],
    ),
}
for _action in ACTIONS.values():
    CASES[f"/api/v1/issues/{{pk}}/{_action.slug}/"] = Case(
        "api", family="issue", args=pk, methods=("POST",), bodies=action_bodies(_action.name), json=True
    )
for _path, _family, _filters in (
    ("regions", "region", {"parent": "region", "within": "region"}),
    ("units", "unit", {"region": "region"}),
    ("officials", "official", {"unit": "unit"}),
    ("enterprises", "enterprise", {**ENTERPRISE_FILTERS}),
    ("campaigns", "campaign", {}),
    (
        "assignments",
        "assignment",
        {"campaign": "campaign", "enterprise": "enterprise", "leader": "official", "unit": "unit", "lead_unit": "unit"},
    ),
):
    CASES[f"/api/v1/{_path}/"] = Case(
        "api",
        methods=("GET", "POST"),
        writers=ADMINS,
        filters=_filters,
        queries=SEARCHES,
        bodies=api_master(_family),
        json=True,
    )
    CASES[f"/api/v1/{_path}/{{pk}}/"] = Case(
        "api",
        family=_family,
        args=pk,
        methods=("GET", "PATCH"),
        writers=ADMINS,
        bodies=api_patch(_family),
        json=True,
    )

# The Django admin: its own site-wide pages, and five pages per registered model.
ADMIN_SITE = {
    "/admin/": Case("admin"),
    # For the proxy and monitoring: anyone may ask; it names checks, never hosts or errors.
    "/health/": Case("public", queries=("format=json",), may_be_down=True),
    "/favicon.ico": Case("public"),  # a redirect to the static icon, for anyone
    "/admin/login/": Case("public", methods=("GET", "POST"), bodies=lambda m, r: [{"username": "x", "password": "y"}]),
    "/admin/logout/": Case("public", methods=("POST",)),
    "/admin/password_change/": Case("admin"),
    "/admin/password_change/done/": Case("admin"),
    "/admin/jsi18n/": Case("admin"),
    "/admin/autocomplete/": Case(
        "admin",
        queries=tuple(
            f"app_label=enterprises&model_name={model}&field_name={field}&term={term}"
            for model, field in (("official", "unit"), ("helpunit", "region"), ("enterprise", "region"))
            for term in ("%E5%B1%80", "%E5%8E%BF", "")  # 局, 县
        ),
    ),
    "/admin/r/{content_type_id}/{object_id}/": Case(
        "admin",
        family="issue",
        args=lambda m, o: {"content_type_id": ContentType.objects.get_for_model(Issue).pk, "object_id": o.pk},
    ),
    "/admin/{app_label}/": Case(
        "admin",
        variants=[{"app_label": a} for a in ("auth", "authtoken", "core", "enterprises", "visits", "issues")],
    ),
    "/admin/{url}": Case("admin", variants=[{"url": "nowhere/"}, {"url": "issues/issue/x/y/z/"}]),
    "/admin/enterprises/official/{id}/password/": Case(
        "admin",
        family="official",
        args=lambda m, o: {"id": o.pk},
        methods=("GET", "POST"),
        bodies=lambda m, r: [{"password1": "Zf-new-pass-2026", "password2": "Zf-new-pass-2026"}],
    ),
}
CASES.update(ADMIN_SITE)
ADMIN_MODEL_PAGES = {
    "": Case("admin", queries=("q=MARK", "q=%E7%94%B2")),
    "add/": Case("admin", methods=("GET", "POST")),
    "{object_id}/": Case("admin"),
    "{object_id}/change/": Case("admin", methods=("GET", "POST")),
    "{object_id}/history/": Case("admin"),
    "{object_id}/delete/": Case("admin", methods=("GET", "POST"), bodies=lambda m, r: [{"post": "yes"}]),
}
ADMIN_MODEL = re.compile(r"^/admin/(\w+)/(\w+)/(.*)$")


def case_for(template: str) -> Case | None:
    if template in CASES:
        return CASES[template]
    match = ADMIN_MODEL.match(template)
    if not match or match.group(2) not in ADMIN_OBJECTS or match.group(3) not in ADMIN_MODEL_PAGES:
        return None
    model = match.group(2)
    base = ADMIN_MODEL_PAGES[match.group(3)]
    if "{object_id}" not in template:
        return base
    return Case(
        "admin",
        family=model,
        args=lambda m, o: {"object_id": o.pk},
        methods=base.methods,
        bodies=base.bodies,
    )


# Each admin model's object in county A and B (the same row for data without a county).
ADMIN_OBJECTS = {
    "region": lambda w: (w.county_a, w.county_b),
    "helpunit": lambda w: (w.unit_a, w.unit_b),
    "official": lambda w: (w.official_a, w.official_b),
    "enterprise": lambda w: (w.enterprise_a, w.enterprise_b),
    "campaign": lambda w: (w.campaign, w.campaign),
    "assignment": lambda w: (w.assignment_a, w.assignment_b),
    "helpplan": lambda w: (w.plan_a, w.plan_b),
    "visit": lambda w: (w.visit_a, w.visit_b),
    "issue": lambda w: (w.issue_a, w.issue_b),
    "issueevent": lambda w: (w.issue_a.events.first(), w.issue_b.events.first()),
    "extensionrequest": lambda w: (w.issue_a.extensions.first(), w.issue_b.extensions.first()),
    "supervisenotice": lambda w: (w.notice_a, w.notice_b),
    "delivery": lambda w: (w.delivery_a, w.delivery_b),
    "timelimitscheme": lambda w: (w.scheme,) * 2,
    "followup": lambda w: (w.call_a, w.call_b),
    # The rule in force (the migration's preset, made again if a flushed database lost it).
    "scoringrule": lambda w: (
        (
            ScoringRule.objects.filter(is_active=True).first()
            or ScoringRule.objects.create(**scoring.PRESET, is_active=True),
        )
        * 2
    ),
    "calendarday": lambda w: (w.holiday,) * 2,
    "calendaryear": lambda w: (w.calendar_year,) * 2,
    "group": lambda w: (w.group,) * 2,
    "tokenproxy": lambda w: (TokenProxy.objects.get(user=w.official_a), TokenProxy.objects.get(user=w.official_b)),
    "signinlockout": lambda w: (w.attempt,) * 2,
    "signinrecord": lambda w: (w.access_log,) * 2,
    "signinfailure": lambda w: (w.failure_log,) * 2,
    "auditentry": lambda w: (AuditEntry.objects.order_by("pk").first(),) * 2,
}


# The world and its marks ------------------------------------------------------------------


class Matrix:
    def __init__(self, w):
        self.w = w
        self.users = {role: getattr(w, role) for role in ROLES[1:]}
        self.families = {
            "enterprise": (w.enterprise_a, w.enterprise_b),
            "enterprise_unassigned": (w.enterprise_a_other, None),
            "issue": (w.issue_a, w.issue_b),
            "issue_waiting": (w.issue_waiting_a, w.issue_waiting_b),
            "visit": (w.visit_a, w.visit_b),
            "attachment": (w.attachment_a, w.attachment_b),
            "evidence": (w.evidence_a, w.evidence_b),
            "plan": (w.plan_a, w.plan_b),
            "import_job": (w.import_job_a, w.import_job_b),
            "bulletin": (w.bulletin_a, w.bulletin_b),
            "common_problem": (w.common_problem_a, w.common_problem_b),
            "meeting": (w.meeting_a, w.meeting_b),
            "digest": (w.digest_a, w.digest_b),
            "notice": (w.notice_a, w.notice_b),
            "official": (w.official_a, w.official_b),
            "unit": (w.unit_a, w.unit_b),
            "region": (w.county_a, w.county_b),
            "campaign": (w.campaign, w.campaign),
            "assignment": (w.assignment_a, w.assignment_b),
        }
        for model, objects in ADMIN_OBJECTS.items():
            self.families.setdefault(model, objects(w))
        self.marks = self._marks()
        self.mark_pattern = re.compile("|".join(re.escape(mark) for mark in self.marks))
        self.clients = {}
        for role in ROLES:
            page = Client(raise_request_exception=True)
            api = Client(raise_request_exception=True)
            if role != "anonymous":
                user = self.users[role]
                page.force_login(user)
                token, _created = Token.objects.get_or_create(user=user)
                api.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
            self.clients[role] = {"page": page, "api": api}
        self.requests = 0
        self.problems = []
        self.pristine = self.state()

    writes = staticmethod(project_writes)

    def obj(self, family, county):
        return self.families[family][0 if county == "A" else 1]

    def _marks(self):
        """Distinctive string → the roles that may see it."""
        w = self.w
        marks = {}
        for county, official, supervisor in (
            ("A", "official_a", "supervisor_a"),
            ("B", "official_b", "supervisor_b"),
        ):
            k = county.lower()
            team = {official, supervisor, "admin"}
            enterprise = getattr(w, f"enterprise_{k}")
            for text in (
                enterprise.name,
                enterprise.credit_code,
                f"MARK-ISSUE-{county}",
                f"MARK-NEWISSUE-{county}",
                f"MARK-DONEISSUE-{county}",
                f"MARK-EXTENSION-{county}",
                f"MARK-VISIT-{county}",
                f"mark-attachment-{k}",
                f"mark-evidence-{k}",
                f"MARK-RESOLUTION-{county}",
                f"MARK-CALL-{county}",
                f"MARK-PLAN-{county}",
                getattr(w, f"unit_{k}").name,
                getattr(w, f"official_{k}").name,
            ):
                marks[text] = team
            marks[f"MARK-DIGEST-{county}"] = {official}
            marks[f"MARK-COMMON-{county}"] = {supervisor, "admin"}  # officials see its state, not its title
            marks[f"MARK-MEETING-{county}"] = {supervisor, "admin"}  # officials see its decisions on their issues
            marks[f"mark-import-{k}"] = {"admin"}
            marks[f"/supervise/bulletins/{getattr(w, f'bulletin_{k}').pk}/"] = {supervisor, "admin"}
            marks[getattr(w, f"notice_{k}").number] = team  # seen with its issue
            # The issue history names the supervisor who dispatched the team's
            # issues, and the unit they acted for; 甲企业's county leader is of
            # that unit too. A person seen shows their unit's name, not the unit.
            marks[getattr(w, f"supervisor_{k}").name] = team
            marks[getattr(w, f"office_{k}").name] = team
        marks[w.official_b_colleague.name] = {"official_b", "supervisor_b", "admin"}
        for text in (w.unit_a2.name, w.official_a2.name, w.official_a_colleague.name, w.leader.name):
            marks[text] = {"official_a", "supervisor_a", "admin"}  # the team of 甲企业, and its unit
        for text in (w.enterprise_a_other.name, w.enterprise_a_other.credit_code, w.unit_a3.name):
            marks[text] = {"supervisor_a", "admin"}
        for text in (w.unit_a4.name, w.official_a4.name):
            marks[text] = {"official_a4", "supervisor_a", "admin"}
        marks[w.admin.name] = {"admin"}
        for one in marks:
            clash = [other for other in marks if other != one and one in other]
            assert not clash, f"the mark {one!r} is part of {clash}"
        return marks

    # -- what the database holds ------------------------------------------------------------

    def state(self):
        """What each county holds, and what belongs to no county."""

        def rows(queryset):
            names = [f.attname for f in queryset.model._meta.concrete_fields if f.attname not in ("updated_at",)]
            return list(queryset.order_by("pk").values_list(*names))

        counties = {}
        for county, region in (("A", self.w.county_a), ("B", self.w.county_b)):
            path = region.path
            counties[county] = (
                rows(Issue.objects.filter(enterprise__region__path__startswith=path)),
                rows(IssueEvent.objects.filter(issue__enterprise__region__path__startswith=path)),
                rows(ExtensionRequest.objects.filter(issue__enterprise__region__path__startswith=path)),
                rows(Visit.objects.filter(enterprise__region__path__startswith=path)),
                rows(VisitAttachment.objects.filter(visit__enterprise__region__path__startswith=path)),
                rows(Enterprise.objects.filter(region__path__startswith=path)),
                rows(HelpUnit.objects.filter(region__path__startswith=path)),
                rows(Official.objects.filter(unit__region__path__startswith=path)),
                rows(Assignment.objects.filter(enterprise__region__path__startswith=path)),
                rows(AssignmentUnit.objects.filter(assignment__enterprise__region__path__startswith=path)),
                rows(HelpPlan.objects.filter(unit__region__path__startswith=path)),
                rows(Bulletin.objects.filter(region__path__startswith=path)),
                rows(Region.objects.filter(path__startswith=path)),
            )
        digests = {d.recipient_id: [] for d in Digest.objects.all()}
        for digest in Digest.objects.order_by("pk"):
            digests[digest.recipient_id].append((digest.pk, digest.read_at))
        others = (
            rows(Campaign.objects.all()),
            rows(ImportJob.objects.all()),
            rows(Region.objects.all()),
            rows(Official.objects.filter(unit__isnull=True)),
        )
        return counties, digests, others

    # -- one request -------------------------------------------------------------------------

    def send(self, role, kind, method, url, body=None, as_json=False):
        client = self.clients[role]["api" if kind == "api" or url.startswith("/api/") else "page"]
        saved = {key: morsel.value for key, morsel in client.cookies.items()}
        self.requests += 1
        outcome = {}

        try:
            with rolled_back():
                before = self.writes()
                if method == "GET":
                    response = client.get(url)
                elif as_json:
                    response = client.generic(
                        method, url, json.dumps(body or {}, ensure_ascii=False), content_type="application/json"
                    )
                elif method == "POST":
                    response = client.post(url, body or {})
                else:
                    response = client.generic(method, url, "", content_type="application/x-www-form-urlencoded")
                outcome["response"] = response
                outcome["text"] = self.text(response)
                if self.writes() != before:
                    # Every request starts from the same world, so only its end needs reading.
                    outcome["changed"] = self.changes(self.pristine, self.state(), role) or ["rows"]
        except Exception:
            outcome["error"] = traceback.format_exc(limit=-4)
        finally:
            client.cookies = SimpleCookie()
            for key, value in saved.items():
                client.cookies[key] = value
        return outcome

    @staticmethod
    def text(response) -> str:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if content.startswith(b"PK\x03\x04"):  # an XLSX file: its cells
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(content), read_only=True)
            cells = [
                str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row
            ]
            book.close()
            return "\n".join(cells)
        return content.decode("utf-8", errors="replace")

    def changes(self, before, after, role) -> list[str]:
        """What changed that `role` may change (a description of each part)."""
        found = []
        counties_b, digests_b, others_b = before
        counties_a, digests_a, others_a = after
        for county in ("A", "B"):
            if counties_b[county] != counties_a[county]:
                found.append(f"county {county}")
        for recipient in set(digests_b) | set(digests_a):
            if digests_b.get(recipient) != digests_a.get(recipient):
                found.append(f"inbox of {recipient}")
        if others_b != others_a:
            found.append("campaigns, imports or regions")
        return found


@contextlib.contextmanager
def rolled_back_world(django_db_blocker):
    """The full world and its Matrix, built in a transaction rolled back at
    the end, the clock at 9:00 on TODAY: one world for a module."""
    moment = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 0)))
    with django_db_blocker.unblock(), clock.frozen_at(moment):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            w = build_full_world()
            _admin_rows(w)
            yield Matrix(w)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """One world for the module."""
    if connection.vendor != "postgresql":  # Matrix.writes reads PostgreSQL's counters
        pytest.fail("the permission matrix needs PostgreSQL: run it through `make test`")
    with rolled_back_world(django_db_blocker) as m:
        yield m


def _admin_rows(w):
    """Rows of the models only the Django admin shows, and a staff account of
    a supervisor allowed to view the scoped models (its lists must still be
    its county's)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    now = clock.now()
    for role in ROLES[1:]:
        Token.objects.get_or_create(user=getattr(w, role))
    for county, unit in (("a", w.unit_a), ("b", w.unit_b)):
        delivery = Delivery.objects.create(
            channel="webhook",
            unit=unit,
            target=f"https://robot.invalid/{county}",
            subject="提醒",
            body="x",
            created_at=now,
        )
        setattr(w, f"delivery_{county}", delivery)
    w.holiday = CalendarDay.objects.create(date=datetime.date(2026, 10, 1), kind="holiday", name="国庆")
    w.scheme = schemes.scheme_choose(campaign=w.campaign, preset="henan_13710")
    w.calendar_year = CalendarYear.objects.create(year=2026, source="package")
    w.group = Group.objects.create(name="督查组")
    w.attempt = AccessAttempt.objects.create(username="off_a", ip_address="127.0.0.1", failures_since_start=1)
    w.access_log = AccessLog.objects.create(username="off_a", ip_address="127.0.0.1")
    w.failure_log = AccessFailureLog.objects.create(username="off_a", ip_address="127.0.0.1")
    w.supervisor_b.is_staff = True
    w.supervisor_b.save(update_fields=["is_staff"])
    w.supervisor_b.user_permissions.add(
        *Permission.objects.filter(codename__in=[f"view_{model}" for model in SCOPED_ADMIN])
    )


# The tests ------------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_matrix():
    unknown = [template for template in url_templates() if case_for(template) is None]
    assert not unknown, f"URL patterns the permission matrix does not know how to fill: {unknown}"
    stale = [template for template in CASES if template not in url_templates()]
    assert not stale, f"the matrix names URL patterns that no longer exist: {stale}"


@pytest.mark.django_db
def test_the_scope_rule_as_written_is_the_one_restrict_applies(matrix):
    """The matrix's spec (`sees`) and enterprises.scope agree on every object of the world."""
    disagree = []
    for family, objects in matrix.families.items():
        for county, obj in zip(("A", "B"), objects, strict=True):
            if obj is None or not hasattr(type(obj).objects, "restrict") or family == "digest":
                continue
            for role in ROLES[1:]:
                found = type(obj).objects.restrict(matrix.users[role]).filter(pk=obj.pk).exists()
                if family in GLOBAL or family == "delivery":
                    continue
                if found != sees(role, family, county):
                    disagree.append((family, county, role, found))
    assert not disagree


class _Missing:
    """Stands for an object that does not exist, wherever an args function reads `.pk`."""

    pk = MISSING


# Rows with no county, or logs only administrators read: the Django admin's
# own "no permission" (403) and "no such row" (redirect) answers apply.
UNSCOPED = GLOBAL | {"delivery", "auditentry"}


ADMIN_ROLES = ("anonymous", "official_a", "supervisor_b", "admin")  # signed out, not staff, staff, superuser


def _probe(m, template, case):
    """Every request the matrix makes of one URL pattern, judged. The object
    of county A gets every query and body (it is in scope for county A's
    users and out of it for county B's); county B's and a missing one get a
    plain request per method, to compare the answers; a variant of the URL
    past the first (another action, another op) is tried on county A's."""
    if case.family:
        objects = [("A", m.obj(case.family, "A")), ("B", m.obj(case.family, "B")), ("missing", _Missing)]
    else:
        objects = [(None, None)]
    served = [method for method in case.methods if method != "GET"]
    for number, variant in enumerate(case.variants):
        for role in ADMIN_ROLES if case.kind == "admin" else ROLES:
            first = {}  # (method, county) → the status of the first request
            # Signed out, or not staff in the Django admin, every request is sent away the same way.
            turned_away = role == "anonymous" or (case.kind == "admin" and role == "official_a")
            others = served
            if not served and case.kind != "api" and role in ("anonymous", "official_b", "admin"):
                others = ["POST"]  # a page that takes no POST still gets one
            for county, obj in objects:
                if (number or turned_away) and county not in (None, "A"):
                    continue
                full = county in (None, "A")
                url = template.format(**{**(case.args(m, obj) if case.args else {}), **variant})
                queries = [""]
                if full and not turned_away:
                    # Filters name the other county's objects (and, for those
                    # who see both, county A's): what a user must not reach.
                    foreign = "B" if HOME.get(role, "B") == "A" else "A"
                    queries += [f"?{q}" for q in case.queries if q not in SEARCHES or q in SEARCHES_FOR[foreign]]
                    queries += [f"?{name}={m.obj(family, foreign).pk}" for name, family in case.filters.items()]
                if number and "GET" not in case.methods:
                    queries = []
                for query in queries:
                    result = m.send(role, case.kind, "GET", url + query)
                    first.setdefault(("GET", county), _status(result))
                    judge(m, case, template, role, county, "GET", url + query, result)
                for method in others:
                    bodies = [{}]
                    if full and case.bodies and method in case.methods and not turned_away:
                        for body in case.bodies(m, role):
                            if body not in bodies:
                                bodies.append(body)
                    for body in bodies:
                        result = m.send(role, case.kind, method, url, body, as_json=case.json)
                        first.setdefault((method, county), _status(result))
                        judge(m, case, template, role, county, method, url, result, body)
            if not case.family or case.family in UNSCOPED or turned_away or number:
                continue
            for (method, county), status in first.items():
                missing = first[(method, "missing")]
                if county in ("A", "B") and not sees(role, case.family, county) and status != missing:
                    m.problems.append(
                        f"{role} {method} {template} {variant}: county {county}'s answered {status}, "
                        f"one that does not exist {missing}"
                    )


def _status(result):
    return result["response"].status_code if "response" in result else 500


def judge(m, case, template, role, county, method, url, result, body=None):
    where = f"{role} {method} {url}" + (f" {body}" if body else "")
    if "error" in result:
        m.problems.append(f"{where}: server error\n{result['error']}")
        return
    response, text = result["response"], result["text"]
    status = response.status_code
    location = response.get("Location", "")
    if status >= 500 and not (status == 503 and case.may_be_down):
        m.problems.append(f"{where}: answered {status}")
        return
    for mark in sorted(set(m.mark_pattern.findall(text))):
        if role not in m.marks[mark]:
            m.problems.append(f"{where}: shows {mark!r}, which {role} may not see")
    changed = result.get("changed") or []
    if status >= 400 and changed:
        m.problems.append(f"{where}: refused with {status} but changed {changed}")
    if role != "admin":
        home = HOME.get(role)
        for part in changed:
            if part.startswith("county") and part != f"county {home}" or part.startswith("campaigns"):
                m.problems.append(f"{where}: changed {part}")
            if part.startswith("inbox of") and part != f"inbox of {m.users[role].pk}":
                m.problems.append(f"{where}: changed {part}")
    if case.kind == "public":
        return
    if role == "anonymous":
        if case.kind == "api":
            if status not in (401, 403):
                m.problems.append(f"{where}: signed out, answered {status}")
        else:
            login = "/admin/login/" if case.kind == "admin" else "/accounts/login/"
            if status != 302 or not location.startswith(login):
                m.problems.append(f"{where}: signed out, answered {status} {location}")
        return
    if case.kind == "admin":
        staff = role in ("admin", "supervisor_b")
        if not staff and not (status == 302 and location.startswith("/admin/login/")):
            m.problems.append(f"{where}: not staff, answered {status} {location}")
        page = template.endswith(("{object_id}/change/", "{object_id}/history/"))
        if role == "admin" and page and county in ("A", "B") and method == "GET" and status != 200:
            m.problems.append(f"{where}: an administrator got {status} {location}")
        return
    writing = method not in ("GET", "HEAD")
    allowed = case.writers if writing and case.writers else case.roles
    if allowed is not None and role not in allowed:
        if status != 403:
            m.problems.append(f"{where}: not for {role}, answered {status}")
        return
    if county is not None and method in case.methods:
        if not sees(role, case.family, county):
            if status != 404:
                m.problems.append(f"{where}: out of scope, answered {status}")
        elif status in (403, 404) and method == "GET":
            m.problems.append(f"{where}: in scope, answered {status}")
    elif county is not None and not sees(role, case.family, county) and status not in (404, 405):
        m.problems.append(f"{where}: out of scope, answered {status}")


TEMPLATES = url_templates()


def _area(template: str) -> str:
    """The part of the site a URL pattern belongs to (one test each)."""
    parts = template.strip("/").split("/")
    if parts[0] in ("api", "admin") and len(parts) > 1 and not parts[1].startswith("{"):
        return "/".join(parts[: 3 if parts[1] == "v1" else 2])
    return parts[0] or "desk"


AREAS = sorted({_area(template) for template in TEMPLATES})


@pytest.mark.django_db
@pytest.mark.parametrize("area", AREAS)
def test_the_matrix(matrix, area):
    templates = [template for template in TEMPLATES if _area(template) == area]
    matrix.problems = []
    started, before = time.monotonic(), matrix.requests
    for template in templates:
        case = case_for(template)
        assert case is not None, f"{template} is not in the matrix"
        _probe(matrix, template, case)
    matrix.elapsed = getattr(matrix, "elapsed", 0) + time.monotonic() - started
    assert matrix.requests - before >= 4 * len(templates)
    assert not matrix.problems, "\n".join(matrix.problems[:40]) + f"\n({len(matrix.problems)} in all)"


@pytest.mark.django_db
def test_the_matrix_made_its_requests(matrix):
    """Runs last: the matrix's size, for the record (make test -s prints it)."""
    elapsed = getattr(matrix, "elapsed", 0)
    print(f"\npermission matrix: {len(TEMPLATES)} URL patterns, {matrix.requests} requests in {elapsed:.1f} s")
    assert matrix.requests > 20 * len(TEMPLATES)
