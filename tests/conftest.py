"""The shared world of the tests: two counties, each with a supervisor, help
units, officials and an assigned enterprise, so every scope rule has a user
inside it and a user outside it."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import clock
from enterprises.choices import Rank, Role
from issues import services as issue_services

from .factories import (
    AssignmentFactory,
    AssignmentUnitFactory,
    CampaignFactory,
    EnterpriseFactory,
    HelpUnitFactory,
    OfficialFactory,
    RegionFactory,
)


def pytest_configure(config):
    """The processes the tests start (servers, workers, the stack) behave the
    same however the suite itself was started. A suite started in the
    background inherits SIGINT ignored, and its children with it, so the
    stack's Ctrl-C test saw nothing; and without a terminal, Python buffers
    what a child prints, so a test waiting for runserver's banner waited in
    vain. Both held here, and failed in a clean CI-like run, not in a terminal."""
    import os
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")


# A Monday with no holiday near it, so working-day arithmetic in tests is plain.
TODAY = datetime.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache holds the API throttles' counts: each test starts with none
    (every test client comes from the same address)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def frozen_today():
    with clock.frozen_at(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 0)))):
        yield TODAY


@pytest.fixture
def world(db, frozen_today):
    return build_world()


@pytest.fixture
def live_world(transactional_db):
    """The same world on the real clock, for a live server in another thread."""
    return build_world()


def build_world():
    city = RegionFactory(name="市", level="city")
    county_a = RegionFactory(name="甲县", level="county", parent=city)
    county_b = RegionFactory(name="乙县", level="county", parent=city)
    town_a = RegionFactory(name="甲镇", parent=county_a)
    town_b = RegionFactory(name="乙镇", parent=county_b)

    office_a = HelpUnitFactory(name="甲县帮扶办", region=county_a, kind="other")
    office_b = HelpUnitFactory(name="乙县帮扶办", region=county_b, kind="other")
    unit_a = HelpUnitFactory(name="甲县经信局", region=county_a)
    unit_a2 = HelpUnitFactory(name="甲县商务局", region=county_a)
    unit_a3 = HelpUnitFactory(name="甲县水务局", region=county_a)
    unit_a4 = HelpUnitFactory(name="甲县税务局", region=county_a)
    unit_b = HelpUnitFactory(name="乙县经信局", region=county_b)

    admin = OfficialFactory(username="admin1", unit=None, role=Role.ADMIN)
    supervisor_a = OfficialFactory(username="sup_a", unit=office_a, role=Role.SUPERVISOR, rank=Rank.HEAD)
    supervisor_b = OfficialFactory(username="sup_b", unit=office_b, role=Role.SUPERVISOR, rank=Rank.HEAD)
    official_a = OfficialFactory(username="off_a", unit=unit_a)
    official_a_colleague = OfficialFactory(username="off_a2", unit=unit_a)
    official_a2 = OfficialFactory(username="off_a_partner", unit=unit_a2)
    official_a4 = OfficialFactory(username="off_a4", unit=unit_a4)
    official_b = OfficialFactory(username="off_b", unit=unit_b)
    leader = OfficialFactory(username="leader", unit=office_a, rank=Rank.COUNTY_LEADER)

    campaign = CampaignFactory(name="2026年联手帮扶行动", is_current=True)
    enterprise_a = EnterpriseFactory(name="甲企业", region=town_a)
    enterprise_a_other = EnterpriseFactory(name="甲县未结对企业", region=town_a)
    enterprise_b = EnterpriseFactory(name="乙企业", region=town_b)

    assignment_a = AssignmentFactory(campaign=campaign, enterprise=enterprise_a, leader=leader)
    AssignmentUnitFactory(assignment=assignment_a, unit=unit_a, is_lead=True)
    AssignmentUnitFactory(assignment=assignment_a, unit=unit_a2)
    assignment_b = AssignmentFactory(campaign=campaign, enterprise=enterprise_b)
    AssignmentUnitFactory(assignment=assignment_b, unit=unit_b, is_lead=True)

    return SimpleNamespace(**locals())


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    return api_client


def drive(issue, world, *steps):
    """Walk an issue through lifecycle steps with the right actors."""
    w = world
    for step in steps:
        if step == "assign":
            issue_services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=w.unit_a, co_units=[w.unit_a2])
        elif step == "accept":
            issue_services.issue_accept(actor=w.official_a, issue_id=issue.pk)
        elif step == "request_extension":
            issue.refresh_from_db()
            issue_services.issue_request_extension(
                actor=w.official_a,
                issue_id=issue.pk,
                new_due_date=issue.due_date + datetime.timedelta(days=10),
                reason="需要更多时间",
            )
        elif step == "resolve":
            issue_services.issue_resolve(actor=w.official_a, issue_id=issue.pk, outcome="solved", note="已办结")
        elif step == "follow_up":
            issue_services.issue_follow_up(
                actor=w.supervisor_a, issue_id=issue.pk, channel="phone", contact="王经理", verdict="satisfied"
            )
        elif step == "close":
            issue_services.issue_close(actor=w.supervisor_a, issue_id=issue.pk, note="已回访")
        elif step == "cancel":
            issue_services.issue_cancel(actor=w.supervisor_a, issue_id=issue.pk, reason="重复")
        elif step == "escalate":
            issue_services.issue_escalate(actor=w.supervisor_a, issue_id=issue.pk, note="需协调")
        else:
            raise ValueError(step)
    issue.refresh_from_db()
    return issue


STATE_PATHS = {
    "registered": (),
    "assigned": ("assign",),
    "in_progress": ("assign", "accept"),
    "resolved": ("assign", "accept", "resolve"),
    "closed": ("assign", "accept", "resolve", "follow_up", "close"),
    "cancelled": ("cancel",),
}


@pytest.fixture
def make_issue(request):
    world = request.getfixturevalue("live_world" if "live_world" in request.fixturenames else "world")

    def make(state="registered", *, enterprise=None, category="finance", extra=()):
        issue = issue_services.issue_register(
            actor=world.official_a, enterprise=enterprise or world.enterprise_a, category=category, title="融资难"
        )
        return drive(issue, world, *STATE_PATHS[state], *extra)

    return make


@pytest.fixture
def pg_only():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL: run it through `make test`")


# The world with something of every kind in each county ---------------------------------

PDF = b"%PDF-1.4\n% a visit's document\n"


def build_full_world():
    """build_world, and in each county an issue in every desk's state (one
    registered, one being handled with an extension pending and escalated,
    one resolved), a visit with an attachment, a filed help plan, an import
    job, a bulletin, a message in the inbox and the 督办单 of the issue being
    handled, issued when its deadline passed. Every object carries a
    distinctive string (its `marks`), so a test can tell whether a page, an
    export or an API answer shows it. Names never contain one another."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enterprises import services as enterprise_services
    from enterprises.models import ImportJob
    from issues import bulletins, common, intake, meetings
    from issues.models import Digest

    w = build_world()
    names = {
        "admin": "陈管理",
        "supervisor_a": "吴六甲",
        "supervisor_b": "郑七乙",
        "official_a": "赵一甲",
        "official_a_colleague": "钱二甲",
        "official_a2": "孙三甲",
        "official_a4": "李四甲",
        "official_b": "王九乙",
        "leader": "周五甲",
    }
    for attribute, name in names.items():
        person = getattr(w, attribute)
        person.name = name
        person.save(update_fields=["name"])
    w.admin.is_staff = w.admin.is_superuser = True
    w.admin.save(update_fields=["is_staff", "is_superuser"])
    w.official_b_colleague = OfficialFactory(username="off_b2", name="冯十乙", unit=w.unit_b)

    for county, sup, official, unit, co_units, enterprise, region in (
        ("A", w.supervisor_a, w.official_a, w.unit_a, [w.unit_a2], w.enterprise_a, w.county_a),
        ("B", w.supervisor_b, w.official_b, w.unit_b, [], w.enterprise_b, w.county_b),
    ):
        key = county.lower()

        def register(title, official=official, enterprise=enterprise, county=county):
            return issue_services.issue_register(
                actor=official, enterprise=enterprise, category="finance", title=f"{title}-{county}"
            )

        waiting = register("MARK-NEWISSUE")
        working = register("MARK-ISSUE")
        issue_services.issue_assign(actor=sup, issue_id=working.pk, unit=unit, co_units=co_units)
        issue_services.issue_accept(actor=official, issue_id=working.pk)
        working.refresh_from_db()
        issue_services.issue_request_extension(
            actor=official,
            issue_id=working.pk,
            new_due_date=working.due_date + datetime.timedelta(days=10),
            reason=f"MARK-EXTENSION-{county}",
        )
        issue_services.issue_escalate(actor=sup, issue_id=working.pk, note="需协调")
        done = register("MARK-DONEISSUE")
        issue_services.issue_assign(actor=sup, issue_id=done.pk, unit=unit)
        issue_services.issue_accept(actor=official, issue_id=done.pk)
        issue_services.issue_resolve(
            actor=official,
            issue_id=done.pk,
            outcome="solved",
            note=f"MARK-RESOLUTION-{county}",
            files=[SimpleUploadedFile(f"mark-evidence-{key}.pdf", PDF, "application/pdf")],
        )
        issue_services.issue_follow_up(
            actor=sup,
            issue_id=done.pk,
            channel="phone",
            contact="企业负责人",
            verdict="satisfied",
            note=f"MARK-CALL-{county}",
        )
        evidence = done.attachments.get()
        call = done.follow_ups.get()
        for issue in (waiting, working, done):
            issue.refresh_from_db()

        visit = intake.visit_record_with_issues(
            actor=official,
            enterprise=enterprise,
            date=TODAY - datetime.timedelta(days=7),
            form="onsite",
            purposes=["situation"],
            summary=f"MARK-VISIT-{county}",
            files=[SimpleUploadedFile(f"mark-attachment-{key}.pdf", PDF, "application/pdf")],
        )
        attachment = visit.attachments.get()
        plan = enterprise_services.help_plan_submit(
            actor=official,
            campaign=w.campaign,
            upload=SimpleUploadedFile(f"mark-plan-{key}.pdf", PDF, "application/pdf"),
            summary=f"MARK-PLAN-{county}",
        )
        job = ImportJob.objects.create(
            kind="enterprises",
            file=SimpleUploadedFile(f"mark-import-{key}.csv", "统一社会信用代码\n".encode()),
            file_name=f"mark-import-{key}.csv",
            created_by=w.admin,
        )
        bulletin = bulletins.bulletin_make(
            actor=sup, region=region, start=datetime.date(2026, 5, 1), end=datetime.date(2026, 5, 31), made_by=sup
        )
        digest = Digest.objects.create(
            recipient=official, created_at=clock.now(), subject=f"MARK-DIGEST-{county}", items=[]
        )
        problem = common.common_propose(actor=sup, title=f"MARK-COMMON-{county}", issue_ids=[waiting.pk, working.pk])
        meeting = meetings.meeting_schedule(
            actor=sup, title=f"MARK-MEETING-{county}", held_on=clock.today(), region=region, chair="县长"
        )
        meetings.meeting_add_issue(actor=sup, meeting_id=meeting.pk, number=done.number)
        for name, value in {
            "common_problem": problem,
            "meeting": meeting,
            "issue_waiting": waiting,
            "issue": working,
            "issue_done": done,
            "visit": visit,
            "attachment": attachment,
            "evidence": evidence,
            "call": call,
            "plan": plan,
            "import_job": job,
            "bulletin": bulletin,
            "digest": digest,
        }.items():
            setattr(w, f"{name}_{key}", value)
    # The working issues' 督办单, issued the working day after their deadline (22 June).
    from issues import ladder

    after = datetime.date(2026, 6, 23)
    with clock.frozen_at(timezone.make_aware(datetime.datetime.combine(after, datetime.time(9, 0)))):
        for notice in ladder.climb(after):
            setattr(w, f"notice_{'a' if notice.issue_id == w.issue_a.pk else 'b'}", notice)
    return w
