"""The load generator (desk.load) at its tiny scale on PostgreSQL: the rows
it promises, every issue's state as its events tell it, generated lives
that the real services, replayed step by step, write identically, the 督办
ladder caught up to the day, the same rows again from the same seed, the
known accounts, and a ledger the app goes on working with (sequences,
counters, figures)."""

import datetime
import hashlib
import os
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count, F, Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import calendar, clock, holidays
from desk import load
from desk.load import bulk
from desk.load.days import Days
from enterprises.models import Assignment, AssignmentUnit, Enterprise, HelpUnit, Official, Region
from issues import ladder, notices, selectors
from issues import services as issue_services
from issues.choices import Action, Status
from issues.models import ExtensionRequest, Issue, IssueEvent, NoticeCounter, SuperviseNotice
from visits.models import Visit, VisitParticipant

TODAY = datetime.date(2026, 6, 1)  # a Monday: today's sweep issues today's rungs
SEED = 7
LADDER = (Action.SUPERVISE_NOTICE, Action.CRITICISE)
ROOT = Path(__file__).resolve().parents[2]


def test_anything_but_postgresql_is_refused(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite3'}", "ZOUFANG_VAR_DIR": str(tmp_path)}
    done = subprocess.run(  # nosec B603
        [sys.executable, "manage.py", "generate_load", "--scale", "county"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "PostgreSQL only" in done.stderr


def test_working_days_agree_with_core_calendar(db, pg_only):
    holidays.calendar_load()
    days = Days(datetime.date(2023, 12, 1), datetime.date(2027, 3, 1))
    # Around the Spring Festival and National Day, with their make-up working days.
    for start in (datetime.date(2024, 1, 25), datetime.date(2025, 9, 26), datetime.date(2026, 2, 10)):
        for offset in range(12):
            day = start + datetime.timedelta(days=offset)
            for n in (0, 1, 3, 15, 30):
                assert days.dates[days.add(days.index(day), n)] == calendar.add_working_days(day, n)
            later = day + datetime.timedelta(days=17)
            assert days.between(days.index(day), days.index(later)) == calendar.working_days_between(day, later)


def _fingerprint() -> str:
    """One hash of every row the generator writes, in order."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in load.tables():
            cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t")  # nosec B608
            digest.update(f"{table}:{cursor.fetchone()[0]};".encode())
    return digest.hexdigest()


def _empty_the_ledger() -> None:
    names = ", ".join(f'"{table}"' for table in load.tables())
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")  # nosec B608


@pytest.mark.django_db(transaction=True)
def test_the_tiny_load(pg_only):
    with connection.cursor() as cursor:
        schema = bulk.schema_of(cursor, load.tables())
    summary = load.generate(scale="tiny", seed=SEED, today=TODAY)
    first = _fingerprint()
    with pytest.raises(load.Refused, match="already holds data"):
        load.generate(scale="tiny", seed=SEED, today=TODAY)

    # The same seed on an empty ledger: the same rows, ids and all.
    _empty_the_ledger()
    summary = load.generate(scale="tiny", seed=SEED, today=TODAY)
    assert _fingerprint() == first
    with connection.cursor() as cursor:
        assert bulk.schema_of(cursor, load.tables()) == schema  # every index, constraint and trigger as migrated

    _counts(summary)
    _sequences_past_the_ids()
    _states_agree_with_events()
    _ladder_caught_up()
    _replayed_through_the_services()
    _known_accounts(summary)
    _the_app_carries_on(summary)


def _counts(summary):
    scale = load.SCALES["tiny"]
    assert Enterprise.objects.count() == scale.enterprises
    assert Enterprise.objects.filter(is_key=True).count() == scale.key
    assert HelpUnit.objects.count() == scale.units
    assert Official.objects.count() == scale.officials
    assert Visit.objects.count() == scale.visits
    assert Issue.objects.count() == scale.issues
    assert summary["rows"]["issues_issue"] == scale.issues
    assert Region.objects.filter(level="county").count() == scale.counties
    # 三帮一: every key enterprise has a team in the current campaign, three units, one lead.
    current = summary["ids"]["current_campaign"]
    assert Assignment.objects.filter(campaign_id=current).count() == scale.key
    teams = AssignmentUnit.objects.filter(assignment__campaign_id=current)
    assert teams.count() == 3 * scale.key and teams.filter(is_lead=True).count() == scale.key
    assert not VisitParticipant.objects.exclude(unit_id=F("official__unit_id")).exists()
    events = IssueEvent.objects.count()
    assert 5 * scale.issues <= events <= 9 * scale.issues
    statuses = dict(summary["statuses"])
    open_ = sum(statuses.get(s, 0) for s in (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED))
    assert statuses[Status.CLOSED] > 0.75 * scale.issues
    assert 0.05 * scale.issues <= open_ <= 0.15 * scale.issues
    assert all(statuses.get(s) for s in Status.values)  # every state is there
    searched = (
        Issue.objects.filter(title__contains="贷款").count()
        + Issue.objects.filter(description__contains="贷款").exclude(title__contains="贷款").count()
    )
    assert 0.05 * scale.issues < searched < 0.3 * scale.issues
    assert 0 < Issue.objects.filter(title__contains="土地审批").count() < 0.05 * scale.issues
    many = summary["ids"]["issue_with_many_events"]
    assert IssueEvent.objects.filter(issue_id=many).count() >= 20


def _sequences_past_the_ids():
    with connection.cursor() as cursor:
        for model in load.models():
            pk = model._meta.pk
            if not pk.get_internal_type().endswith("AutoField"):
                continue
            table = model._meta.db_table
            sequence = f"pg_get_serial_sequence('{table}', '{pk.column}')"
            cursor.execute(f"SELECT nextval({sequence}), max({pk.column}) FROM {table}")  # nosec B608
            following, highest = cursor.fetchone()
            assert following == (highest or 0) + 1, table


def _states_agree_with_events():
    with connection.cursor() as cursor:
        # Each issue's status is where its last event left it; its stamps are its events' times;
        # its version counts its steps (the ladder's notices are not steps).
        cursor.execute(
            """
            WITH told AS (
              SELECT issue_id,
                     (array_agg(to_status ORDER BY created_at DESC, id DESC))[1] AS status,
                     max(created_at) FILTER (WHERE action = 'register') AS registered,
                     max(created_at) FILTER (WHERE action = 'resolve') AS resolved,
                     max(created_at) FILTER (WHERE action = 'close') AS closed,
                     count(*) FILTER (WHERE action NOT IN ('register', 'supervise_notice', 'criticise')) AS steps
              FROM issues_issueevent GROUP BY issue_id)
            SELECT count(*),
                   count(*) FILTER (WHERE i.status <> told.status),
                   count(*) FILTER (WHERE i.registered_at <> told.registered),
                   count(*) FILTER (WHERE i.resolved_at IS DISTINCT FROM told.resolved),
                   count(*) FILTER (WHERE i.closed_at IS DISTINCT FROM told.closed),
                   count(*) FILTER (WHERE i.version <> 1 + told.steps)
            FROM issues_issue i JOIN told ON told.issue_id = i.id
            """
        )
        assert cursor.fetchone() == (Issue.objects.count(), 0, 0, 0, 0, 0)
        # Every 销号 follows a return call since the last 办结, and takes its verdict.
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE last_call.id IS NULL),
                   count(*) FILTER (WHERE i.satisfaction <> coalesce(nullif(last_call.verdict, ''), 'not_reached'))
            FROM issues_issue i LEFT JOIN LATERAL (
              SELECT f.id, f.verdict FROM issues_followup f JOIN issues_issueevent e ON e.id = f.event_id
              WHERE f.issue_id = i.id AND e.created_at BETWEEN i.resolved_at AND i.closed_at
              ORDER BY f.round DESC LIMIT 1) last_call ON TRUE
            WHERE i.status = 'closed'
            """
        )
        assert cursor.fetchone() == (0, 0)
    closed_by_events = IssueEvent.objects.filter(action=Action.CLOSE).values("issue").distinct().count()
    assert Issue.objects.filter(status=Status.CLOSED).count() == closed_by_events
    # At most one pending extension an issue, and only on open work.
    assert (
        not ExtensionRequest.objects.filter(status="pending")
        .exclude(issue__status__in=[Status.ASSIGNED, Status.IN_PROGRESS])
        .exists()
    )
    # The notices' series have no gaps, and their counters stand at the last.
    for counter in NoticeCounter.objects.all():
        serials = sorted(
            SuperviseNotice.objects.filter(region=counter.region, year=counter.year, kind=counter.kind).values_list(
                "serial", flat=True
            )
        )
        assert serials == list(range(1, counter.last_number + 1))


def _ladder_caught_up():
    """Today's sweep issues today's rungs only: nothing left over from the
    days the history covers."""
    before = SuperviseNotice.objects.count()
    assert before > 0
    with clock.frozen_at(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(0, 2)))):
        issued = ladder.climb(TODAY)
    for notice in issued:
        if notice.kind == "notice":
            assert calendar.working_days_between(notice.due_date, TODAY) == 1
        else:
            assert calendar.working_days_between(notice.follows.issued_on, TODAY) == 5
    assert SuperviseNotice.objects.count() == before + len(issued)


def _sample() -> list[Issue]:
    """Issues that went every way: each state, returned, reopened, reworked,
    extended, refused, withdrawn, escalated, called back without a verdict."""
    picked: dict[int, Issue] = {}

    def take(queryset, n=2):
        for issue in queryset.order_by("id")[:n]:
            picked.setdefault(issue.pk, issue)

    for status in Status.values:
        take(Issue.objects.filter(status=status))
    for action in (Action.RETURN, Action.REOPEN, Action.ESCALATE, Action.REJECT_EXTENSION, Action.APPROVE_EXTENSION):
        take(Issue.objects.filter(events__action=action).distinct())
    take(Issue.objects.filter(extensions__status="withdrawn").distinct())
    take(Issue.objects.filter(extensions__status="pending").distinct())
    take(Issue.objects.filter(follow_ups__caused_by_handling=True).distinct())
    take(Issue.objects.filter(follow_ups__channel="none").distinct(), 1)
    take(Issue.objects.filter(co_units__isnull=False).distinct(), 1)
    return list(picked.values())


def _replay(original: Issue) -> Issue:
    events = list(original.events.exclude(action__in=LADDER).order_by("created_at", "id"))
    calls = {call.event_id: call for call in original.follow_ups.all()}
    with notices.muted():
        with clock.frozen_at(events[0].created_at):
            copy = issue_services.issue_register(
                actor=original.registered_by,
                enterprise=original.enterprise,
                category=original.category,
                title=original.title,
                description=original.description,
                request=original.request,
                source=original.source,
                priority=original.priority,
                visit=original.visit,
            )
        # The campaign current on the day (the service takes today's current one).
        Issue.objects.filter(pk=copy.pk).update(campaign=original.campaign)
        for event in events[1:]:
            data, who, pk = event.data, event.actor, copy.pk
            with clock.frozen_at(event.created_at):
                match event.action:
                    case Action.ASSIGN:
                        issue_services.issue_assign(
                            actor=who,
                            issue_id=pk,
                            unit=HelpUnit.objects.get(pk=data["unit"]),
                            co_units=list(HelpUnit.objects.filter(pk__in=data["co_units"])),
                            is_complex=data["complex"],
                            note=event.note,
                        )
                    case Action.ACCEPT:
                        issue_services.issue_accept(actor=who, issue_id=pk, note=event.note)
                    case Action.RETURN:
                        issue_services.issue_return(actor=who, issue_id=pk, reason=event.note)
                    case Action.FEEDBACK:
                        issue_services.issue_feedback(actor=who, issue_id=pk, note=event.note, reply=data["reply"])
                    case Action.REQUEST_EXTENSION:
                        issue_services.issue_request_extension(
                            actor=who,
                            issue_id=pk,
                            new_due_date=datetime.date.fromisoformat(data["new_due_date"]),
                            reason=event.note,
                        )
                    case Action.APPROVE_EXTENSION:
                        issue_services.issue_approve_extension(actor=who, issue_id=pk, note=event.note)
                    case Action.REJECT_EXTENSION:
                        issue_services.issue_reject_extension(actor=who, issue_id=pk, reason=event.note)
                    case Action.RESOLVE:
                        issue_services.issue_resolve(actor=who, issue_id=pk, outcome=data["outcome"], note=event.note)
                    case Action.FOLLOW_UP:
                        call = calls[event.pk]
                        issue_services.issue_follow_up(
                            actor=who,
                            issue_id=pk,
                            channel=call.channel,
                            contact=call.contact,
                            verdict=call.verdict,
                            note=call.words,
                            caused_by_handling=call.caused_by_handling,
                            called_on=call.called_on,
                        )
                    case Action.CLOSE:
                        issue_services.issue_close(actor=who, issue_id=pk, note=event.note)
                    case Action.REOPEN:
                        issue_services.issue_reopen(actor=who, issue_id=pk, reason=event.note)
                    case Action.CANCEL:
                        issue_services.issue_cancel(actor=who, issue_id=pk, reason=event.note)
                    case Action.ESCALATE:
                        issue_services.issue_escalate(actor=who, issue_id=pk, note=event.note)
                    case _:
                        raise AssertionError(event.action)
    return Issue.objects.get(pk=copy.pk)


def _row(issue: Issue) -> dict:
    fields = {f.attname: getattr(issue, f.attname) for f in Issue._meta.concrete_fields}
    del fields["id"], fields["number"]
    fields["co_units"] = sorted(issue.co_units.values_list("pk", flat=True))
    return fields


def _history(issue: Issue) -> list:
    rows = []
    for event in issue.events.exclude(action__in=LADDER).order_by("created_at", "id"):
        data = {k: v for k, v in event.data.items() if k not in ("extension", "number")}
        rows.append(
            (
                event.action,
                event.actor_id,
                event.actor_unit_id,
                event.created_at,
                event.from_status,
                event.to_status,
                event.note,
                data,
            )
        )
    requests = list(
        issue.extensions.order_by("requested_at").values_list(
            "unit",
            "requested_by",
            "requested_at",
            "old_due_date",
            "new_due_date",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
        )
    )
    calls = list(
        issue.follow_ups.order_by("round").values_list(
            "round", "channel", "contact", "called_on", "verdict", "words", "caused_by_handling", "called_by"
        )
    )
    return [rows, requests, calls]


def _replayed_through_the_services():
    sample = _sample()
    assert len(sample) >= 15
    for original in sample:
        copy = _replay(original)
        assert _row(copy) == _row(original), original.pk
        assert _history(copy) == _history(original), original.pk


def _known_accounts(summary):
    names = summary["usernames"]
    for username in names.values():
        client = Client()
        response = client.post(reverse("login"), {"username": username, "password": load.DEFAULT_PASSWORD})
        assert response.status_code == 302, username
    everyone = Issue.objects.count()
    assert Issue.objects.restrict(Official.objects.get(username=names["admin"])).count() == everyone
    assert Issue.objects.restrict(Official.objects.get(username=names["province"])).count() == everyone
    county = Official.objects.get(username=names["county"])
    assert county.unit.region_id == summary["ids"]["county_region"]
    seen = Issue.objects.restrict(county).count()
    assert 0 < seen < everyone
    assert seen == Issue.objects.filter(enterprise__region__path__startswith=county.unit.region.path).count()
    official = Official.objects.get(username=names["official"])
    assert official.unit_id == summary["ids"]["unit_with_most_open_issues"]
    assert Issue.objects.restrict(official).filter(responsible_unit=official.unit).exists()
    busiest = summary["ids"]["busiest_enterprise"]
    most = Issue.objects.filter(enterprise_id=busiest).count()
    assert not Issue.objects.values("enterprise").annotate(n=Count("pk")).filter(n__gt=most).exists()


def _the_app_carries_on(summary):
    supervisor = Official.objects.get(username=summary["usernames"]["county"])
    figures = selectors.issue_figures(user=supervisor, today=TODAY)
    assert figures["totals"]["registered"] > 0 and figures["totals"]["closed"] > 0
    assert figures["totals"]["ever_supervised"] > 0
    last = Issue.objects.filter(number__startswith="2026-").order_by("-number").first()
    enterprise = Issue.objects.restrict(supervisor).first().enterprise
    with clock.frozen_at(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10, 0)))):
        issue = issue_services.issue_register(actor=supervisor, enterprise=enterprise, category="finance", title="贷款")
    assert issue.number == f"2026-{int(last.number[5:]) + 1:06d}"
    assert issue.pk == Issue.objects.exclude(pk=issue.pk).aggregate(Max("pk"))["pk__max"] + 1
