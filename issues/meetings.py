"""协调例会: the writes of a coordination meeting — scheduled for a region
(a county's, a city's), its agenda of common problems and single issues,
a decision per item (what, which unit leads, by when), and its minutes
issued (印发纪要), after which it no longer changes.

A decision is in force as soon as it is recorded: a common problem is
decided (issues.common) and each of its open issues, or the single issue,
gets the decision as an event through the lifecycle (issues.services
`issue_meeting_decision`: handed to the lead unit, the date its deadline).
If one issue cannot take it, nothing changes and the refusal names it.

Who: supervisors and administrators, within their scope. Every change
locks the meeting's row, so two people working one agenda queue; issuing
the minutes checks the version the actor read."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core import clock
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.services import locked_for_change, require_supervisor, require_text
from enterprises.choices import RegionLevel
from enterprises.models import HelpUnit, Region

from . import common, services
from .actions import ELSEWHERE
from .bulletins import bulletin_regions
from .choices import Action, AnswerKind, CommonStatus
from .models import Issue, Meeting, MeetingItem

# The levels at which coordination meetings are held.
LEVELS = (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE)
DECIDABLE = ELSEWHERE[Action.MEETING_DECISION].sources


def _require_supervisor(actor) -> None:
    require_supervisor(actor, _("Only supervisors and administrators hold coordination meetings."))


def _locked(actor, meeting_id: int, expected_version: int | None = None) -> Meeting:
    """The meeting, locked, if the actor may see it and its minutes are not issued."""
    _require_supervisor(actor)
    meeting = locked_for_change(
        Meeting.objects.restrict(actor).select_related("region"),
        meeting_id,
        expected_version,
        missing=NotFound("meeting_not_found", _("No such coordination meeting in your scope.")),
        stale=_(
            "Someone else changed this meeting in the meantime (version %(now)d, you had %(had)d). "
            "It is shown as it now is: check it and act again."
        ),
    )
    if meeting.issued_at is not None:
        raise Conflict("minutes_issued", _("The minutes of this meeting are issued: it no longer changes."))
    return meeting


def _saved(meeting: Meeting) -> Meeting:
    meeting.version += 1
    meeting.save(update_fields=["version"])
    return meeting


@transaction.atomic
def meeting_schedule(
    *,
    actor,
    title: str,
    held_on: datetime.date,
    region: Region,
    chair: str,
    place: str = "",
    attendees: str = "",
) -> Meeting:
    """召开: a meeting of a region the actor oversees, at county level or above."""
    _require_supervisor(actor)
    if region is None or not bulletin_regions(actor).filter(pk=region.pk).exists():
        raise NotFound("region_not_found", _("No such region in your scope."), field="region")
    if region.level not in LEVELS:
        raise InvalidInput(
            "meeting_level",
            _("Coordination meetings are held by a county, a city or the province, not by %(r)s.") % {"r": region.name},
            field="region",
        )
    if held_on is None:
        raise InvalidInput("date_required", _("Give the meeting's date."), field="held_on")
    return Meeting.objects.create(
        title=require_text(title, field="title", max_length=200),
        held_on=held_on,
        region=region,
        chair=require_text(chair, field="chair", max_length=100),
        place=require_text(place, field="place", max_length=200, required=False),
        attendees=require_text(attendees, field="attendees", max_length=2000, required=False),
        created_at=clock.now(),
        created_by=actor,
    )


@transaction.atomic
def meeting_edit(
    *,
    actor,
    meeting_id: int,
    title: str,
    held_on: datetime.date,
    chair: str,
    place: str = "",
    attendees: str = "",
    expected_version: int | None = None,
) -> Meeting:
    """改期 and corrections: the date, title, chair, place and who attends
    (its region stays; its agenda is changed item by item)."""
    meeting = _locked(actor, meeting_id, expected_version)
    if held_on is None:
        raise InvalidInput("date_required", _("Give the meeting's date."), field="held_on")
    if held_on != meeting.held_on and meeting.items.decided().exists():
        raise Conflict(
            "meeting_held",
            _("This meeting has decided items: it was held on %(d)s.") % {"d": meeting.held_on},
            field="held_on",
        )
    meeting.title = require_text(title, field="title", max_length=200)
    meeting.held_on = held_on
    meeting.chair = require_text(chair, field="chair", max_length=100)
    meeting.place = require_text(place, field="place", max_length=200, required=False)
    meeting.attendees = require_text(attendees, field="attendees", max_length=2000, required=False)
    meeting.version += 1
    meeting.save()
    return meeting


def _add(meeting: Meeting, actor, **target) -> MeetingItem:
    position = (meeting.items.aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            item = MeetingItem.objects.create(
                meeting=meeting, position=position, added_at=clock.now(), added_by=actor, **target
            )
    except IntegrityError:
        raise Conflict("already_on_agenda", _("It is already waiting on an agenda.")) from None
    _saved(meeting)
    return item


@transaction.atomic
def meeting_add_problem(*, actor, meeting_id: int, problem_id: int, expected_version: int | None = None) -> MeetingItem:
    """列入议程: a confirmed common problem of the meeting's region
    (`expected_version`: the problem's, as the desk showed it)."""
    meeting = _locked(actor, meeting_id)
    problem = common.common_to_agenda(actor=actor, problem_id=problem_id, expected_version=expected_version)
    if not meeting.covers(problem.region.path if problem.region_id else None):
        raise InvalidInput(
            "outside_meeting_region",
            _("“%(p)s” lies outside %(r)s, whose meeting this is.") % {"p": problem.title, "r": meeting.region.name},
        )
    return _add(meeting, actor, common_problem=problem)


@transaction.atomic
def meeting_add_issue(*, actor, meeting_id: int, number: str) -> MeetingItem:
    """列入议程: a single open issue of the meeting's region, by its number;
    an issue gathered into a common problem goes with its problem."""
    meeting = _locked(actor, meeting_id)
    number = require_text(number, field="number", max_length=20)
    issue = (
        Issue.objects.restrict(actor)
        .select_related("enterprise__region", "common_problem")
        .filter(number=number)
        .first()
    )
    if issue is None:
        raise NotFound("issue_not_found", _("No issue %(n)s in your scope.") % {"n": number}, field="number")
    if issue.status not in DECIDABLE:
        raise InvalidInput(
            "issue_not_open",
            _("%(n)s is %(state)s: only issues still being handled go on an agenda.")
            % {"n": issue.number, "state": issue.get_status_display()},
            field="number",
        )
    if issue.common_problem_id is not None:
        problem = issue.common_problem
        why = {
            CommonStatus.PROPOSED: _("confirm it on the radar's desk, then put it on the agenda."),
            CommonStatus.CONFIRMED: _("put the problem on the agenda."),
            CommonStatus.ON_AGENDA: _("the problem is already on an agenda."),
        }.get(problem.status, _("it is settled with the problem."))
        raise InvalidInput(
            "issue_in_a_problem",
            _("%(n)s belongs to the common problem “%(p)s”: %(why)s")
            % {"n": issue.number, "p": problem.title, "why": why},
            field="number",
        )
    if not meeting.covers(issue.enterprise.region.path):
        raise InvalidInput(
            "outside_meeting_region",
            _("%(n)s lies outside %(r)s, whose meeting this is.") % {"n": issue.number, "r": meeting.region.name},
            field="number",
        )
    waiting = MeetingItem.objects.waiting().filter(issue=issue).values_list("meeting", flat=True)
    if waiting:
        # Named only to those who see that meeting (a city's is not a county supervisor's).
        seen = Meeting.objects.restrict(actor).filter(pk=waiting[0]).first()
        message = (
            _("%(n)s is already on the agenda of %(m)s.") % {"n": issue.number, "m": seen}
            if seen
            else _("%(n)s is already on another meeting's agenda.") % {"n": issue.number}
        )
        raise Conflict("already_on_agenda", message, field="number")
    return _add(meeting, actor, issue=issue)


def _item(meeting: Meeting, item_id: int) -> MeetingItem:
    item = meeting.items.select_related("common_problem", "issue").filter(pk=item_id).first()
    if item is None:
        raise NotFound("item_not_found", _("No such item on this meeting's agenda."))
    if item.decided_at is not None:
        raise Conflict("item_decided", _("This item is already decided; a decision is not taken back."))
    return item


@transaction.atomic
def meeting_remove(*, actor, meeting_id: int, item_id: int) -> Meeting:
    """移出议程: an undecided item leaves the agenda (carried to another
    meeting, or settled otherwise); a common problem is confirmed again."""
    meeting = _locked(actor, meeting_id)
    item = _item(meeting, item_id)
    if item.common_problem_id is not None:
        common.common_off_agenda(actor=actor, problem_id=item.common_problem_id)
    item.delete()
    return _saved(meeting)


def _held(meeting: Meeting) -> None:
    if clock.today() < meeting.held_on:
        raise Conflict(
            "meeting_not_held",
            _("The meeting is on %(d)s: its decisions are recorded from that day.") % {"d": meeting.held_on},
        )


@transaction.atomic
def meeting_cancel(*, actor, meeting_id: int, expected_version: int | None = None) -> None:
    """取消: a meeting that decided nothing goes; its agenda's problems are
    confirmed again, to go on another meeting's."""
    meeting = _locked(actor, meeting_id, expected_version)
    if meeting.items.decided().exists():
        raise Conflict("meeting_has_decisions", _("This meeting has decided items: it is not cancelled."))
    for item in meeting.items.filter(common_problem__isnull=False):
        common.common_off_agenda(actor=actor, problem_id=item.common_problem_id)
    meeting.delete()


def _issues_of(item: MeetingItem) -> list[Issue]:
    if item.issue_id is not None:
        return [item.issue]
    return list(item.common_problem.issues.filter(status__in=DECIDABLE).order_by("number"))


@transaction.atomic
def meeting_decide(
    *,
    actor,
    meeting_id: int,
    item_id: int,
    decision: str,
    unit: HelpUnit | None = None,
    due_date: datetime.date | None = None,
    co_units: list[HelpUnit] | tuple = (),
    problem_version: int | None = None,
) -> MeetingItem:
    """议定: what is to be done, which unit leads (and which work with it:
    `co_units`), by when — in force at once on every open issue the item
    covers, each with its own event.
    `problem_version`: the common problem's, as the agenda showed it (its
    issues may have been split off or taken out since)."""
    meeting = _locked(actor, meeting_id)
    _held(meeting)
    item = _item(meeting, item_id)
    decision = require_text(decision, field="decision", max_length=2000)
    if (unit is None) != (due_date is None):
        raise InvalidInput(
            "unit_and_date",
            _("Name the lead unit and the date together (or neither, for a decision that sets no task)."),
            field="unit" if unit is None else "due_date",
        )
    if unit is not None:
        services.require_active_unit(actor, unit)
    co_units = list(dict.fromkeys(co_units))
    if co_units and unit is None:
        raise InvalidInput("unit_required", _("Name the lead unit the others work with."), field="unit")
    if unit in co_units:
        raise InvalidInput("co_unit_is_responsible", _("The lead unit cannot also work with itself."), field="co_units")
    for other in co_units:
        services.require_active_unit(actor, other, field="co_units")
    services.require_not_past(due_date)
    item.decision, item.unit, item.due_date = decision, unit, due_date
    item.decided_at, item.decided_by = clock.now(), actor
    item.save()
    item.co_units.set(co_units)
    if item.common_problem_id is not None:
        common.common_decide(
            actor=actor,
            problem_id=item.common_problem_id,
            answer_kind=AnswerKind.UNIT if unit else AnswerKind.DECISION,
            answer=decision,
            responsible_unit=unit,
            expected_version=problem_version,
            at_meeting=True,
        )
    for issue in _issues_of(item):
        try:
            services.issue_meeting_decision(actor=actor, issue_id=issue.pk, item=item)
        except (Conflict, InvalidInput, NotFound, NotPermitted) as error:
            raise Conflict(
                "issue_refused",
                _("%(n)s cannot take this decision: %(reason)s Nothing was changed.")
                % {"n": issue.number, "reason": error.message},
            ) from error
    _saved(meeting)
    return item


@transaction.atomic
def meeting_issue_minutes(*, actor, meeting_id: int, expected_version: int | None = None) -> Meeting:
    """印发纪要: the meeting ends; every item on its agenda is decided (carry
    the rest to another meeting first)."""
    meeting = _locked(actor, meeting_id, expected_version)
    _held(meeting)
    waiting = meeting.items.waiting().count()
    if waiting:
        raise InvalidInput(
            "items_undecided",
            _("%(n)d item(s) on the agenda are not decided: decide them or take them off first.") % {"n": waiting},
        )
    if not meeting.items.exists():
        raise InvalidInput("agenda_empty", _("The agenda is empty: there are no minutes to issue."))
    meeting.issued_at, meeting.issued_by = clock.now(), actor
    meeting.version += 1
    meeting.save()
    return meeting
