"""The 督办 ladder (DOMAIN.md, "Chasing is a ladder").

Chasing as it is practised, one rung after another:

- before the deadline, the due-soon reminder (issues.reminders);
- once the issue is `notice_after` working days overdue (the working day
  after its due date, by issues.deadlines): a numbered 督办单 to the
  responsible unit, copied to its head;
- `criticise_after` working days after that 督办单, the issue still overdue
  against the same due date: a 通报批评.

Each rung is a SuperviseNotice row, one IssueEvent on the issue (no actor:
nobody takes it, the sweep issues it) and a reminder to the unit's people,
its heads and the region's supervisors, written in one transaction and
digested by the sweep that called `climb`. A notice is unique per issue,
kind and due date in force, so a sweep run twice issues nothing new, and an
extension that moves the deadline ends the ladder (a new due date that
passes in turn starts it again). Numbers run per issuing region, kind and
year (甲县〔2026〕督办第12号) from a counter row held under its lock: no
gaps, no twins. The issuing region is the county of the issue's enterprise
(the 帮扶办 sits at the county); an enterprise with no county above it is
issued for by its own region.
"""

import datetime
import uuid
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from core import calendar, clock
from enterprises.choices import Rank, RegionLevel, Role
from enterprises.models import Campaign, HelpUnit, Official, Region

from . import deadlines, schemes, summary
from .choices import Action, NoticeKind
from .models import Issue, IssueEvent, NoticeCounter, Reminder, SuperviseNotice
from .recipients import Recipients

NOTICE, CRITICISM = NoticeKind.NOTICE, NoticeKind.CRITICISM

# The series word of each kind's document number. The number is part of the
# document, the same in every language of the interface, so not translated.
SERIES = {NOTICE: "督办", CRITICISM: "通报"}
# What judging and issuing read of an issue (the campaign for `ladder_days`).
RELATED = ("campaign", "enterprise__region", "responsible_unit")
BATCH = 1000  # issues locked and issued for in one transaction


def ladder_days(issue: Issue) -> tuple[int, int]:
    """(notice_after, criticise_after) in working days for this issue: a
    督办单 once it is `notice_after` working days overdue, a 通报批评
    `criticise_after` working days after the 督办单. The one place the ladder
    reads them: the time-limit scheme of the issue's campaign (issues.schemes;
    set on a batch at once by `schemes.for_campaigns`). At least 1 each: the
    day of the deadline is never late."""
    limits = schemes.for_issue(issue)
    return max(1, limits.notice_after_days), max(1, limits.criticise_after_days)


def document_number(region_name: str, year: int, kind: str, serial: int) -> str:
    return f"{region_name}〔{year}〕{SERIES[kind]}第{serial}号"


# Issuing ---------------------------------------------------------------------


def climb(today: datetime.date | None = None, *, run: uuid.UUID | None = None) -> list[SuperviseNotice]:
    """Issue today's rungs of the ladder; returns the notices issued (none
    on a day off: documents are dated on working days). Their reminders
    carry `run`, the calling sweep's. Issued in batches of BATCH issues,
    each its own transaction: a catch-up over thousands of overdue issues
    never holds them all locked at once."""
    today = today or clock.today()
    if not calendar.is_working_day(today):
        return []
    run = run or uuid.uuid4()
    issued, who = [], None
    with translation.override(settings.LANGUAGE_CODE):
        due = _poll(today)
        for start in range(0, len(due), BATCH):
            with transaction.atomic():
                plan = _lock_and_judge(due[start : start + BATCH], today)
                if plan:
                    who = who or _recipients()
                    issued += _issue(plan, today, run, who)
    return issued


class Prior(NamedTuple):
    """The 督办单 a 通报批评 follows, as judging reads it."""

    pk: int
    number: str
    issued_on: datetime.date


Rung = tuple[Issue, str, Prior | None, int]


def _poll(today: datetime.date) -> list[int]:
    """The issues due a rung today, by due date and register number (the
    order they are numbered in): the overdue issues not yet criticised for
    their due date in force (an indexed poll, as the reminders'), judged
    without locks, reading only what judging needs."""
    criticised = SuperviseNotice.objects.filter(issue=OuterRef("pk"), kind=CRITICISM, due_date=OuterRef("due_date"))
    polled = Issue.objects.filter(deadlines.overdue(today)).exclude(Exists(criticised))
    # Every field deadlines.mark judges, or it would load each one row by row.
    judged = ("number", "status", "due_date", "verify_due_date", "answered_at", "answer_due_date", "campaign")
    judged += ("followed_up_at", "follow_up_due_date")
    light = polled.select_related("campaign").only(*judged)
    due = _judge(list(light), SuperviseNotice.objects.filter(issue__in=polled.values("pk")), today)
    return [issue.pk for issue, _kind, _prior, _since in sorted(due, key=lambda r: (r[0].due_date, r[0].number))]


def _lock_and_judge(ids: list[int], today: datetime.date) -> list[Rung]:
    """(issue, kind, the 督办单 a 通报批评 follows, working days since it)
    for each of these issues still due a rung once locked, in id order (two
    sweeps never wait on each other crosswise), and judged as they stand
    now: a concurrent extension, resolution or sweep that committed first
    is seen."""
    locked = Issue.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related(*RELATED).order_by("pk")
    return _judge(list(locked), SuperviseNotice.objects.filter(issue__in=ids), today)


def _judge(issues: list[Issue], notices, today: datetime.date) -> list[Rung]:
    if not issues:
        return []
    deadlines.mark(issues, today)
    schemes.for_campaigns(issues)
    issued = {
        (issue_id, kind): Prior(pk, number, issued_on)
        for pk, issue_id, kind, number, issued_on in notices.filter(due_date=F("issue__due_date")).values_list(
            "pk", "issue_id", "kind", "number", "issued_on"
        )
    }
    first = min((prior.issued_on for (_id, kind), prior in issued.items() if kind == NOTICE), default=today)
    window = calendar.Window(first, today)
    plan = []
    for issue in issues:
        if not issue.overdue:
            continue
        notice_after, criticise_after = ladder_days(issue)
        notice = issued.get((issue.pk, NOTICE))
        if notice is None:
            if issue.overdue_by >= notice_after:
                plan.append((issue, NOTICE, None, 0))
        elif (issue.pk, CRITICISM) not in issued:
            since = window.between(notice.issued_on, today)
            if since >= criticise_after:
                plan.append((issue, CRITICISM, notice, since))
    return plan


def issuing_regions(paths: set[str]) -> dict[str, Region]:
    """Region path → the region that issues notices for enterprises there:
    the nearest county-level region at or above it, else the region itself."""
    ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    regions = Region.objects.in_bulk(ids)
    found = {}
    for path in paths:
        chain = [regions[int(part)] for part in path.strip("/").split("/") if part]
        counties = [region for region in chain if region.level == RegionLevel.COUNTY]
        found[path] = counties[-1] if counties else chain[-1]
    return found


def _issuers(regions: list[Region]) -> dict[int, str]:
    """The issuing office of each region: the unit of that region whose
    people supervise (the 帮扶办), else the region's name and the office's."""
    offices = {}
    for region_id, name in (
        Official.objects.filter(role=Role.SUPERVISOR, is_active=True, unit__region__in=regions, unit__is_active=True)
        .order_by("unit_id")
        .values_list("unit__region_id", "unit__name")
    ):
        offices.setdefault(region_id, name)
    return {
        region.pk: offices.get(region.pk) or _("%(region)s enterprise help office") % {"region": region.name}
        for region in regions
    }


def _heads(unit_ids: set[int]) -> dict[int, list[dict]]:
    """The unit's heads, copied on its notices, names kept as they are today;
    a unit with no head's account: the head named on the unit."""
    heads = defaultdict(list)
    for unit_id, pk, name, username in (
        Official.objects.filter(unit_id__in=unit_ids, rank=Rank.HEAD, is_active=True)
        .order_by("pk")
        .values_list("unit_id", "pk", "name", "username")
    ):
        heads[unit_id].append({"id": pk, "name": name or username})
    for unit_id, head_name in HelpUnit.objects.filter(pk__in=unit_ids).values_list("pk", "head_name"):
        if not heads[unit_id] and head_name:
            heads[unit_id].append({"id": None, "name": head_name})
    return heads


def _take_serials(region_id: int, year: int, kind: str, count: int) -> int:
    """The first of `count` serials in a series, reserved under the counter
    row's lock until the transaction ends (a rollback returns them)."""
    series = NoticeCounter.objects.filter(region_id=region_id, year=year, kind=kind)
    NoticeCounter.objects.get_or_create(region_id=region_id, year=year, kind=kind)
    series.update(last_number=F("last_number") + count)
    return series.values_list("last_number", flat=True).get() - count + 1


def _text(issue: Issue, kind: str, follows: Prior | None, since: int) -> str:
    facts = {
        "enterprise": issue.enterprise.name,
        "title": issue.title,
        "number": issue.number,
        "due": issue.due_date.isoformat(),
        "days": issue.overdue_by,
    }
    _notice_after, criticise_after = ladder_days(issue)
    if kind == NOTICE:
        return _(
            "The issue “%(title)s” of %(enterprise)s (register number %(number)s) handled by your unit was due "
            "on %(due)s and is %(days)d working days overdue. Resolve it within %(limit)d working days of this "
            "notice and report in writing how it was handled; if it is still not resolved by then, your unit "
            "will be criticised in a bulletin."
        ) % {**facts, "limit": criticise_after}
    return _(
        "The issue “%(title)s” of %(enterprise)s (register number %(number)s) handled by your unit was due "
        "on %(due)s. Supervision notice %(notice)s was issued on %(issued)s; %(after)d working days later the "
        "issue is still not resolved (%(days)d working days overdue). Your unit is hereby criticised. Resolve "
        "it at once and explain the delay in writing."
    ) % {
        **facts,
        "notice": follows.number,
        "issued": follows.issued_on.isoformat(),
        "after": since,
    }


def _issue(plan: list[Rung], today: datetime.date, run: uuid.UUID, who) -> list[SuperviseNotice]:
    now = clock.now()
    regions = issuing_regions({row[0].enterprise.region.path for row in plan})
    by_id = {region.pk: region for region in regions.values()}
    issuers = _issuers(list(by_id.values()))
    heads = _heads({row[0].responsible_unit_id for row in plan})
    # Numbered per series by due date, then register number (as polled).
    plan = sorted(
        plan,
        key=lambda row: (regions[row[0].enterprise.region.path].pk, row[1], row[0].due_date, row[0].number),
    )
    series = defaultdict(list)
    for row in plan:
        series[(regions[row[0].enterprise.region.path].pk, row[1])].append(row)
    notices = []
    for (region_id, kind), rows in series.items():
        first = _take_serials(region_id, today.year, kind, len(rows))
        region = by_id[region_id]
        for serial, (issue, _kind, follows, since) in enumerate(rows, start=first):
            notices.append(
                SuperviseNotice(
                    issue=issue,
                    kind=kind,
                    unit_id=issue.responsible_unit_id,
                    region=region,
                    year=today.year,
                    serial=serial,
                    number=document_number(region.name, today.year, kind, serial),
                    issuer=issuers[region_id][:100],
                    issued_on=today,
                    issued_at=now,
                    due_date=issue.due_date,
                    days_overdue=issue.overdue_by,
                    copied_to=heads[issue.responsible_unit_id],
                    text=_text(issue, kind, follows, since),
                    follows_id=follows.pk if follows else None,
                )
            )
    SuperviseNotice.objects.bulk_create(notices)
    # The rungs are figures too (ever given a notice, ever criticised).
    issue_ids = [notice.issue_id for notice in notices]
    before = summary.snapshot(issue_ids)
    IssueEvent.objects.bulk_create(
        IssueEvent(
            issue=notice.issue,
            action=Action.SUPERVISE_NOTICE if notice.kind == NOTICE else Action.CRITICISE,
            actor=None,
            actor_unit=None,
            created_at=now,
            from_status=notice.issue.status,
            to_status=notice.issue.status,
            data={
                "notice": notice.pk,
                "number": notice.number,
                "unit_name": notice.issue.responsible_unit.name,
                "due_date": notice.due_date.isoformat(),
                "days_overdue": notice.days_overdue,
            },
        )
        for notice in notices
    )
    summary.record(before, issue_ids)
    _tell(notices, today, now, run, who)
    return notices


def _recipients():

    return Recipients(Campaign.objects.current())


def _tell(notices: list[SuperviseNotice], today: datetime.date, now, run: uuid.UUID, who) -> None:
    """A reminder per person told of each notice: the unit's people (as for
    its overdue work), its heads and the supervisors of the issue's region.
    The sweep that called `climb` gathers them into its digests."""
    rows = []
    for notice in notices:
        issue = notice.issue
        people = who.unit(notice.unit_id, issue.enterprise_id) | who.supervisors(issue.enterprise.region.path)
        people |= {head["id"] for head in notice.copied_to if head["id"]}
        if notice.kind == NOTICE:
            kind = Reminder.Kind.SUPERVISE_NOTICE
            text = _("%(no)s: %(n)s %(t)s is %(d)d working days overdue; resolve it within %(l)d working days") % {
                "no": notice.number,
                "n": issue.number,
                "t": issue.title,
                "d": notice.days_overdue,
                "l": ladder_days(issue)[1],
            }
        else:
            kind = Reminder.Kind.CRITICISM
            text = _("%(no)s: %(n)s %(t)s, %(d)d working days overdue, is criticised in a bulletin") % {
                "no": notice.number,
                "n": issue.number,
                "t": issue.title,
                "d": notice.days_overdue,
            }
        rows += [
            Reminder(
                recipient_id=person,
                kind=kind,
                item_key=f"notice:{notice.pk}",
                issue_id=issue.pk,
                enterprise_id=issue.enterprise_id,
                text=text[:300],
                day=today,
                run=run,
                created_at=now,
            )
            for person in sorted(people)
        ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


# Reads -----------------------------------------------------------------------


def notice_list(*, user):
    """The notices `user` may see, with what their pages and lists show."""
    return SuperviseNotice.objects.restrict(user).select_related(
        "issue", "issue__enterprise", "unit", "region", "follows"
    )
