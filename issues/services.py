"""The issue lifecycle (挂号 → 交办 → 办理 → 办结 → 销号) as one service.

Every action follows one shape (after Saleor's order actions): lock the row,
check the expected version, check the guard (a side-effect-free predicate
that names its refusal), change the state and the deadlines in force, stamp
the time and write exactly one IssueEvent. A refusal raises a ServiceError
and, the transaction being atomic, changes nothing. Two actors on one issue
serialise on the row lock; the loser finds the state moved and gets a 409.
"""

import datetime
import inspect
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import calendar, clock, uploads
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted, ServiceError
from core.services import check_version, require_text
from enterprises.models import Campaign, Enterprise, HelpUnit, Official
from enterprises.selectors import assignable_units
from visits.models import Visit

from . import deadlines, notices, schemes, summary
from .actions import ACTIONS, NOTE_MAX, RULES, Who
from .choices import (
    VERDICTS,
    Action,
    Category,
    ExtensionStatus,
    FollowUpChannel,
    Outcome,
    Priority,
    Satisfaction,
    Source,
    Status,
)
from .models import ExtensionRequest, FollowUp, Issue, IssueAttachment, IssueEvent, RegisterCounter

# Guards ----------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    status: int = 409

    def error(self) -> ServiceError:
        kind = {403: NotPermitted, 409: Conflict}.get(self.status, InvalidInput)
        return kind(self.code, self.message)


def _permission_refusal(issue: Issue, actor, action: str, co_unit_ids: set[int]) -> Refusal | None:
    if not actor.is_active:
        return Refusal("inactive", _("This account is deactivated."), 403)
    who = RULES[action].who
    if who is Who.ANYONE:
        return None
    if who is Who.SUPERVISOR:
        if actor.is_admin or actor.is_supervisor:
            return None
        return Refusal("supervisor_only", _("Only a supervisor may do this."), 403)
    if who is Who.RESPONSIBLE_UNIT:
        if issue.responsible_unit_id is not None and actor.unit_id == issue.responsible_unit_id:
            return None
        return Refusal("not_responsible_unit", _("Only the responsible unit may do this."), 403)
    if actor.unit_id is not None and (actor.unit_id == issue.responsible_unit_id or actor.unit_id in co_unit_ids):
        return None
    return Refusal("not_handling_unit", _("Only the responsible or a co-handling unit may give feedback."), 403)


def _state_refusal(
    issue: Issue, action: str, extension_pending: bool, called: bool, overruled: str = ""
) -> Refusal | None:
    """Whether the action is possible in the issue's state, today; `called`:
    whether the enterprise has been called back since the last 办结;
    `overruled`: why the unit may no longer return it (return_overruled: the
    supervisor's or a coordination meeting's decision is final)."""
    if issue.status not in RULES[action].sources:
        return Refusal(
            "invalid_transition",
            _("“%(action)s” is not possible while the issue is %(status)s.")
            % {"action": Action(action).label, "status": Status(issue.status).label},
        )
    today = clock.today()
    if action == Action.REQUEST_EXTENSION and extension_pending:
        return Refusal("extension_pending", _("An extension request is already waiting for a decision."))
    if action == Action.REQUEST_EXTENSION and issue.due_date is not None and today > issue.due_date:
        return Refusal(
            "extension_after_deadline",
            _("An extension must be asked for by the due date %(d)s; it has passed.") % {"d": issue.due_date},
        )
    if action in (Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION) and not extension_pending:
        return Refusal("no_pending_extension", _("There is no extension request waiting for a decision."))
    if action == Action.RETURN and overruled == "meeting":
        return Refusal(
            "meeting_decided",
            _("A coordination meeting gave this issue to your unit; the decision is final."),
        )
    if action == Action.RETURN and overruled:
        return Refusal(
            "return_overruled",
            _("Your unit's return was overruled by the supervisor; the decision is final."),
        )
    if action == Action.RETURN and issue.accept_due_date is not None and today > issue.accept_due_date:
        return Refusal(
            "return_window_closed",
            _("An assignment can be returned only until %(d)s, the end of the sign-for window.")
            % {"d": issue.accept_due_date},
        )
    if action == Action.FOLLOW_UP and issue.followed_up_at is not None:
        return Refusal("already_called", _("The enterprise has already been called back since this 办结."))
    if action == Action.CLOSE and not called:
        return Refusal(
            "follow_up_required",
            _("Call the enterprise back (回访) before closing, or record why no call was possible."),
        )
    if action == Action.ESCALATE and issue.escalated_at is not None:
        return Refusal("already_escalated", _("The issue is already flagged for a coordination meeting."))
    return None


def called_back(issue: Issue, calls=None) -> bool:
    """Whether a return call (reached or recorded as not possible) follows
    the last 办结: the condition of 销号. `calls`: the issue's calls, when
    already loaded (a desk's rows)."""
    if issue.status != Status.RESOLVED or issue.resolved_at is None:
        return False
    if calls is not None:
        return any(call.event.created_at >= issue.resolved_at for call in calls)
    return _calls_since_resolution(issue).exists()


def _calls_since_resolution(issue: Issue):
    return issue.follow_ups.filter(event__created_at__gte=issue.resolved_at)


def return_overruled(issue: Issue) -> str:
    """Why the unit may not return the issue, if it may not: the supervisor
    overruled its return ("overruled"), or a coordination meeting handed the
    issue to it ("meeting"); both are final. "" when it may."""
    if issue.status != Status.ASSIGNED:
        return ""
    handed = (
        issue.events.filter(
            Q(action=Action.ASSIGN) | Q(action=Action.MEETING_DECISION, data__has_key="handed_over_from")
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if handed is not None and handed.action == Action.MEETING_DECISION:
        return "meeting"
    returned = _last_return(issue) if issue.returned_at is not None else None
    return "overruled" if returned is not None and returned.data.get("unit") == issue.responsible_unit_id else ""


def state_allows(issue: Issue, action: str, *, called: bool, extension_pending: bool = False) -> bool:
    """The state guard alone, for a desk that has already loaded what it needs."""
    return _state_refusal(issue, action, extension_pending, called) is None


def _last_call(issue: Issue) -> FollowUp | None:
    return _calls_since_resolution(issue).order_by("-round").first()


def _co_unit_ids(issue: Issue) -> set[int]:
    return set(issue.co_units.values_list("pk", flat=True))


def _has_pending_extension(issue: Issue) -> bool:
    return issue.extensions.filter(status=ExtensionStatus.PENDING).exists()


def allowed_actions(issue: Issue, actor) -> list[str]:
    co_units, pending, called = _co_unit_ids(issue), _has_pending_extension(issue), called_back(issue)
    overruled = return_overruled(issue)
    return [
        action
        for action in ACTIONS
        if _permission_refusal(issue, actor, action, co_units) is None
        and _state_refusal(issue, action, pending, called, overruled) is None
    ]


# Register numbers ------------------------------------------------------------


def next_register_number(year: int) -> str:
    """2026-000123: a counter row per year, incremented under its row lock."""
    RegisterCounter.objects.get_or_create(year=year)
    RegisterCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    number = RegisterCounter.objects.values_list("last_number", flat=True).get(year=year)
    return f"{year}-{number:06d}"


# Actions -------------------------------------------------------------------


def _require_issue_actor(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise NotPermitted("inactive", _("This account is deactivated."))


@transaction.atomic
def issue_register(
    *,
    actor: Official,
    enterprise: Enterprise,
    category: str,
    title: str,
    description: str = "",
    request: str = "",
    source: str = Source.VISIT,
    priority: str = Priority.NORMAL,
    visit: Visit | None = None,
) -> Issue:
    """挂号: an official or supervisor registers an issue an enterprise raised."""
    _require_issue_actor(actor)
    if not Enterprise.objects.restrict(actor).filter(pk=enterprise.pk).exists():
        raise NotPermitted("out_of_scope", _("This enterprise is outside your scope."))
    if category not in Category.values:
        raise InvalidInput("invalid_category", _("Unknown category “%(c)s”.") % {"c": category}, field="category")
    if source not in Source.values:
        raise InvalidInput("invalid_source", _("Unknown source “%(s)s”.") % {"s": source}, field="source")
    if priority not in Priority.values:
        raise InvalidInput("invalid_priority", _("Unknown priority “%(p)s”.") % {"p": priority}, field="priority")
    if visit is not None and visit.enterprise_id != enterprise.pk:
        raise InvalidInput("visit_enterprise_mismatch", _("The visit was to another enterprise."), field="visit")
    if visit is not None:
        # Locked as a withdrawal locks it (visits.services.visit_for_change): the two queue, so
        # no issue is registered at a visit being withdrawn.
        visit = Visit.all_objects.select_for_update(of=("self",)).get(pk=visit.pk)
        if visit.withdrawn_at is not None:
            raise Conflict(
                "visit_withdrawn", _("This visit was withdrawn; it can no longer be changed."), field="visit"
            )
    title = require_text(title, field="title", max_length=200)
    now = clock.now()
    issue = Issue.objects.create(
        number=next_register_number(clock.today().year),
        enterprise=enterprise,
        visit=visit,
        campaign=visit.campaign if visit and visit.campaign_id else Campaign.objects.current(),
        source=source,
        category=category,
        title=title,
        description=require_text(description, field="description", max_length=5000, required=False),
        request=require_text(request, field="request", max_length=2000, required=False),
        priority=priority,
        registered_by=actor,
        registered_at=now,
    )
    IssueEvent.objects.create(
        issue=issue,
        action=Action.REGISTER,
        actor=actor,
        actor_unit_id=actor.unit_id,
        created_at=now,
        from_status="",
        to_status=Status.REGISTERED,
        data={"number": issue.number},
    )
    summary.record([], [issue.pk])
    return issue


MAX_EVIDENCE_FILES = 10


def check_evidence(files) -> list[uploads.CheckedFile]:
    """Photos and documents given with a feedback or 办结, judged by content
    before anything is written. Forms call this too."""
    too_many = _("At most %(max)d files at a time; %(n)d were sent.")
    return uploads.check_all(files, uploads.EVIDENCE_FILES, limit=MAX_EVIDENCE_FILES, too_many=too_many)


def _store_evidence(event: IssueEvent, files, checked) -> None:
    for uploaded, judged in zip(files, checked, strict=True):
        attachment = IssueAttachment(
            issue=event.issue,
            event=event,
            uploaded_by=event.actor,
            uploaded_at=event.created_at,
            name=judged.name,
            kind=judged.type.kind,
            size=judged.size,
            content_type=judged.type.content_type,
        )
        uploads.save(attachment.file, uploaded)
        attachment.save()


def _act(
    issue_id: int, *, actor, action: str, expected_version: int | None, note: str = "", change, files=(), after=None
) -> Issue:
    """The shape every transition shares. `change(issue, today, now)` applies
    the action's own edits and returns the event's details; `after(event)`
    writes what hangs off the event (a return call's record)."""
    _require_issue_actor(actor)
    checked = check_evidence(files)
    with uploads.atomic_with_files():
        try:
            issue = Issue.objects.select_for_update().get(pk=issue_id)
        except Issue.DoesNotExist:
            raise NotFound("not_found", _("No such issue.")) from None
        if not Issue.objects.restrict(actor).filter(pk=issue.pk).exists():
            raise NotFound("not_found", _("No such issue."))
        check_version(
            issue.version,
            expected_version,
            _(
                "Someone else changed this issue in the meantime (version %(now)d, you had %(had)d). "
                "Reload and try again."
            ),
        )
        co_units = _co_unit_ids(issue)
        # State first: "not possible now" (409) is the answer whoever asks.
        refusal = _state_refusal(
            issue,
            action,
            _has_pending_extension(issue),
            action == Action.CLOSE and called_back(issue),
            return_overruled(issue) if action == Action.RETURN else "",
        ) or _permission_refusal(issue, actor, action, co_units)
        if refusal:
            raise refusal.error()
        from_status = issue.status
        before = summary.snapshot([issue.pk])
        now = clock.now()
        data = change(issue, clock.today(), now) or {}
        target = RULES[action].target
        if target is not None:
            issue.status = target
        issue.version += 1
        issue.save()
        if checked:
            data["files"] = [judged.name for judged in checked]
        event = IssueEvent.objects.create(
            issue=issue,
            action=action,
            actor=actor,
            actor_unit_id=actor.unit_id,
            created_at=now,
            from_status=from_status,
            to_status=issue.status,
            note=note,
            data=data,
        )
        _store_evidence(event, files, checked)
        if after is not None:
            after(event)
        summary.record(before, [issue.pk])
        notices.schedule(event)
    return issue


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def _last_return(issue: Issue) -> IssueEvent | None:
    return issue.events.filter(action=Action.RETURN).order_by("-created_at", "-id").first()


def require_active_unit(actor, unit: HelpUnit, field: str = "unit") -> None:
    """A unit to hand work to: active, and in the actor's scope."""
    if not assignable_units(user=actor).filter(pk=unit.pk).exists():
        raise InvalidInput(
            "unit_out_of_scope", _("%(u)s is not an active unit in your scope.") % {"u": unit.name}, field=field
        )


def require_not_past(day: datetime.date | None, field: str = "due_date") -> None:
    """A deadline being set: today at the earliest."""
    if day is not None and day < clock.today():
        raise InvalidInput("due_date_in_past", _("The due date %(d)s is in the past.") % {"d": day}, field=field)


def _hand_to(issue: Issue, unit: HelpUnit, due: datetime.date, limits, today, now) -> None:
    """The unit takes the issue (交办): to be signed for, answered and given
    progress within the scheme's limits, and resolved by `due`."""
    issue.responsible_unit = unit
    issue.assigned_at = now
    issue.accepted_at = None
    issue.accept_due_date = calendar.add_working_days(today, limits.accept_days)
    issue.answer_due_date = calendar.add_working_days(today, limits.answer_days)
    issue.due_date = issue.assigned_due_date = due
    issue.progress_due_date = schemes.progress_due(limits, today)
    issue.verify_due_date = issue.follow_up_due_date = None
    issue.status = Status.ASSIGNED


def issue_assign(
    *,
    actor,
    issue_id: int,
    unit: HelpUnit,
    due_date: datetime.date | None = None,
    co_units: list[HelpUnit] | tuple = (),
    is_complex: bool = False,
    note: str = "",
    expected_version: int | None = None,
) -> Issue:
    """交办: a supervisor gives the issue to a responsible unit with the
    scheme's limits (counted from the next working day). Assigning a returned
    issue is the supervisor's final decision on the unit's dispute: to the
    same unit again (the return overruled) it needs a reason."""
    note = require_text(note, field="note", max_length=NOTE_MAX, required=False)
    require_active_unit(actor, unit)
    visible_units = assignable_units(user=actor)
    co_units = list(dict.fromkeys(co_units))
    if any(co.pk == unit.pk for co in co_units):
        raise InvalidInput("co_unit_is_responsible", _("The responsible unit cannot also co-handle."), field="co_units")
    if co_units and visible_units.filter(pk__in=[c.pk for c in co_units]).count() != len(co_units):
        raise InvalidInput(
            "unit_out_of_scope", _("A co-handling unit is not an active unit in your scope."), field="co_units"
        )
    require_not_past(due_date)

    def change(issue, today, now):
        limits = schemes.for_issue(issue)
        issue.is_complex = bool(is_complex)
        default_due = schemes.resolve_due(limits, issue, today)
        if due_date is not None and due_date != default_due and not note:
            raise InvalidInput(
                "deadline_reason_required",
                _("Say why the due date differs from the scheme's %(d)s.") % {"d": default_due},
                field="note",
            )
        data = {}
        returned = _last_return(issue) if issue.returned_at else None
        if returned is not None:
            upheld = returned.data.get("unit") != unit.pk
            if not upheld and not note:
                raise InvalidInput(
                    "return_decision_reason_required",
                    _("%(u)s returned this issue; say why it stays with them.") % {"u": unit.name},
                    field="note",
                )
            data["return_decision"] = {
                "returned_by": returned.data.get("unit"),
                "decision": "upheld" if upheld else "overruled",
            }
        _hand_to(issue, unit, due_date or default_due, limits, today, now)
        issue.co_units.set(co_units)
        return {
            "unit": unit.pk,
            "unit_name": unit.name,
            "co_units": [c.pk for c in co_units],
            "accept_due_date": _iso(issue.accept_due_date),
            "answer_due_date": _iso(issue.answer_due_date),
            "due_date": _iso(issue.due_date),
            "due_date_given": due_date is not None,
            "default_due_date": _iso(default_due),
            "complex": issue.is_complex,
            "scheme": limits.preset,
            **data,
        }

    return _act(
        issue_id, actor=actor, action=Action.ASSIGN, expected_version=expected_version, note=note, change=change
    )


def issue_accept(*, actor, issue_id: int, note: str = "", expected_version: int | None = None) -> Issue:
    """签收: the responsible unit takes the issue on."""
    note = require_text(note, field="note", max_length=NOTE_MAX, required=False)

    def change(issue, today, now):
        issue.accepted_at = now
        on_time = deadlines.on_time(today, issue.accept_due_date)
        return {"on_time": on_time, "due_date": _iso(issue.due_date)}

    return _act(
        issue_id, actor=actor, action=Action.ACCEPT, expected_version=expected_version, note=note, change=change
    )


def issue_return(*, actor, issue_id: int, reason: str, expected_version: int | None = None) -> Issue:
    """退回: the unit disputes the assignment within the sign-for window; the
    supervisor decides at the next assignment."""
    reason = require_text(reason, field="reason", max_length=NOTE_MAX)

    def change(issue, today, now):
        data = {"unit": issue.responsible_unit_id, "unit_name": issue.responsible_unit.name}
        issue.responsible_unit = None
        issue.co_units.clear()
        issue.returned_at = now
        issue.accept_due_date = issue.answer_due_date = issue.due_date = issue.verify_due_date = None
        issue.assigned_due_date = issue.progress_due_date = None
        issue.assigned_at = None
        return data

    return _act(
        issue_id, actor=actor, action=Action.RETURN, expected_version=expected_version, note=reason, change=change
    )


def _answer(issue: Issue, today, now) -> dict:
    """The first answer to the enterprise, once."""
    if issue.answered_at is not None:
        return {}
    issue.answered_at = now
    return {"first_answer": True, "answer_on_time": deadlines.on_time(today, issue.answer_due_date)}


def issue_feedback(
    *, actor, issue_id: int, note: str, reply: bool = False, files=(), expected_version: int | None = None
) -> Issue:
    """反馈: progress from the responsible or a co-handling unit, with
    evidence if any; marked as the reply to the enterprise, the first one is
    the issue's first answer. Every feedback is the month's progress note."""
    note = require_text(note, field="note", max_length=NOTE_MAX)

    def change(issue, today, now):
        issue.progress_due_date = schemes.progress_due(schemes.for_issue(issue), today)
        data = {"unit": actor.unit_id, "reply": bool(reply), "progress_due_date": _iso(issue.progress_due_date)}
        if reply:
            data |= _answer(issue, today, now)
        return data

    return _act(
        issue_id,
        actor=actor,
        action=Action.FEEDBACK,
        expected_version=expected_version,
        note=note,
        change=change,
        files=files,
    )


def issue_request_extension(
    *, actor, issue_id: int, new_due_date: datetime.date, reason: str, expected_version: int | None = None
) -> Issue:
    """申请延期: the responsible unit asks for a later due date, before the
    due date in force, up to the scheme's cap."""
    reason = require_text(reason, field="reason", max_length=NOTE_MAX)
    if new_due_date < clock.today():
        raise InvalidInput(
            "due_date_in_past",
            _("The requested date %(d)s is in the past.") % {"d": new_due_date},
            field="new_due_date",
        )

    def change(issue, today, now):
        if new_due_date <= issue.due_date:
            raise InvalidInput(
                "extension_not_later",
                _("The requested date must be after the current due date %(d)s.") % {"d": issue.due_date},
                field="new_due_date",
            )
        limits = schemes.for_issue(issue)
        cap = schemes.extension_cap(limits, issue)
        if cap is not None and new_due_date > cap:
            raise InvalidInput(
                "extension_over_cap",
                _("Extensions may reach %(cap)s at the latest (%(n)d working days past the assigned due date).")
                % {"cap": cap, "n": limits.extension_cap_days},
                field="new_due_date",
            )
        request = ExtensionRequest.objects.create(
            issue=issue,
            unit_id=issue.responsible_unit_id,
            requested_by=actor,
            requested_at=now,
            old_due_date=issue.due_date,
            new_due_date=new_due_date,
            reason=reason,
        )
        return {"extension": request.pk, "old_due_date": _iso(issue.due_date), "new_due_date": _iso(new_due_date)}

    return _act(
        issue_id,
        actor=actor,
        action=Action.REQUEST_EXTENSION,
        expected_version=expected_version,
        note=reason,
        change=change,
    )


def _decide_extension(issue: Issue, actor, now, status: str, note: str) -> ExtensionRequest:
    request = issue.extensions.select_for_update().get(status=ExtensionStatus.PENDING)
    request.status, request.decided_by, request.decided_at, request.decision_note = status, actor, now, note
    request.save()
    return request


def issue_approve_extension(*, actor, issue_id: int, note: str = "", expected_version: int | None = None) -> Issue:
    """Approve the pending extension: the due date in force moves."""
    note = require_text(note, field="note", max_length=NOTE_MAX, required=False)

    def change(issue, today, now):
        request = _decide_extension(issue, actor, now, ExtensionStatus.APPROVED, note)
        old = issue.due_date
        issue.due_date = request.new_due_date
        return {"extension": request.pk, "old_due_date": _iso(old), "new_due_date": _iso(issue.due_date)}

    return _act(
        issue_id,
        actor=actor,
        action=Action.APPROVE_EXTENSION,
        expected_version=expected_version,
        note=note,
        change=change,
    )


def issue_reject_extension(*, actor, issue_id: int, reason: str, expected_version: int | None = None) -> Issue:
    reason = require_text(reason, field="reason", max_length=NOTE_MAX)

    def change(issue, today, now):
        request = _decide_extension(issue, actor, now, ExtensionStatus.REJECTED, reason)
        return {"extension": request.pk, "requested_due_date": _iso(request.new_due_date)}

    return _act(
        issue_id,
        actor=actor,
        action=Action.REJECT_EXTENSION,
        expected_version=expected_version,
        note=reason,
        change=change,
    )


def issue_resolve(
    *, actor, issue_id: int, outcome: str, note: str, files=(), expected_version: int | None = None
) -> Issue:
    """办结: the unit reports the outcome with its explanation (and evidence);
    the 帮扶办 calls the enterprise back (回访) next."""
    if outcome not in Outcome.values:
        raise InvalidInput("invalid_outcome", _("Unknown outcome “%(o)s”.") % {"o": outcome}, field="outcome")
    note = require_text(note, field="note", max_length=NOTE_MAX)

    def change(issue, today, now):
        withdrawn = issue.extensions.filter(status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.WITHDRAWN, decided_at=now
        )
        limits = schemes.for_issue(issue)
        again = issue.follow_ups.exists()
        issue.outcome = outcome
        issue.resolved_at = now
        issue.followed_up_at = None
        issue.follow_up_due_date = calendar.add_working_days(
            today, limits.follow_up_again_days if again else limits.follow_up_days
        )
        issue.verify_due_date = max(calendar.add_working_days(today, limits.verify_days), issue.follow_up_due_date)
        issue.progress_due_date = None
        return {
            "outcome": outcome,
            "on_time": deadlines.on_time(today, issue.due_date),
            "follow_up_due_date": _iso(issue.follow_up_due_date),
            "verify_due_date": _iso(issue.verify_due_date),
            "extension_withdrawn": bool(withdrawn),
            **_answer(issue, today, now),
        }

    return _act(
        issue_id,
        actor=actor,
        action=Action.RESOLVE,
        expected_version=expected_version,
        note=note,
        change=change,
        files=files,
    )


def _rework(issue: Issue, today, now) -> None:
    """Back to the unit: the outcome did not hold up."""
    issue.outcome = ""
    issue.reopened_at = now
    issue.verify_due_date = issue.follow_up_due_date = issue.followed_up_at = None
    limits = schemes.for_issue(issue)
    issue.due_date = max(issue.due_date, calendar.add_working_days(today, limits.rework_days))
    issue.progress_due_date = schemes.progress_due(limits, today)


def issue_follow_up(
    *,
    actor,
    issue_id: int,
    channel: str,
    contact: str = "",
    verdict: str = "",
    note: str = "",
    caused_by_handling: bool = False,
    called_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Issue:
    """回访: the 帮扶办 calls the enterprise after 办结 and records its verdict
    in its words. Unsatisfied because of the handling: back to the unit for
    rework, and a second call follows its next 办结. A call that reached no
    one records why."""
    if channel not in FollowUpChannel.values:
        raise InvalidInput("invalid_channel", _("Unknown channel “%(c)s”.") % {"c": channel}, field="channel")
    reached = channel != FollowUpChannel.NONE
    note = require_text(note, field="note", max_length=NOTE_MAX, required=not reached or verdict == "unsatisfied")
    contact = require_text(contact, field="contact", max_length=100, required=reached)
    if reached and verdict not in VERDICTS:
        raise InvalidInput("verdict_required", _("Record the enterprise's verdict."), field="verdict")
    if not reached and verdict:
        raise InvalidInput(
            "verdict_without_call", _("No verdict can be recorded when the call was not possible."), field="verdict"
        )
    called_on = called_on or clock.today()
    if called_on > clock.today():
        raise InvalidInput(
            "date_in_future", _("The call date %(d)s is in the future.") % {"d": called_on}, field="called_on"
        )
    rework = reached and verdict == Satisfaction.UNSATISFIED and bool(caused_by_handling)
    record = {}

    def change(issue, today, now):
        if called_on < timezone.localdate(issue.resolved_at):
            raise InvalidInput(
                "call_before_resolution",
                _("The call date %(d)s is before the issue was resolved.") % {"d": called_on},
                field="called_on",
            )
        record["round"] = issue.follow_ups.count() + 1
        data = {"round": record["round"], "channel": channel, "verdict": verdict, "rework": rework}
        if rework:
            data["previous_outcome"] = issue.outcome
            _rework(issue, today, now)
            issue.status = Status.IN_PROGRESS
            data["due_date"] = _iso(issue.due_date)
        elif reached:
            issue.followed_up_at = now
        return data

    def after(event):
        FollowUp.objects.create(
            issue=event.issue,
            event=event,
            round=record["round"],
            channel=channel,
            contact=contact,
            called_on=called_on,
            verdict=verdict if reached else "",
            words=note,
            caused_by_handling=rework,
            called_by=actor,
        )

    return _act(
        issue_id,
        actor=actor,
        action=Action.FOLLOW_UP,
        expected_version=expected_version,
        note=note,
        change=change,
        after=after,
    )


def issue_close(*, actor, issue_id: int, note: str = "", expected_version: int | None = None) -> Issue:
    """销号: a supervisor closes once the enterprise has been called back (or
    the call was recorded as not possible); the satisfaction is the call's
    verdict, never a default."""
    note = require_text(note, field="note", max_length=NOTE_MAX, required=False)

    def change(issue, today, now):
        call = _last_call(issue)  # there is one: the guard saw to it
        issue.satisfaction = call.verdict or Satisfaction.NOT_REACHED
        issue.closed_at = now
        issue.verify_due_date = issue.follow_up_due_date = None
        on_time = deadlines.on_time(today, issue.due_date)
        return {"satisfaction": issue.satisfaction, "on_time": on_time, "due_date": _iso(issue.due_date)}

    return _act(issue_id, actor=actor, action=Action.CLOSE, expected_version=expected_version, note=note, change=change)


def issue_reopen(*, actor, issue_id: int, reason: str, expected_version: int | None = None) -> Issue:
    """退回重办: the outcome did not hold up; the unit works on it again."""
    reason = require_text(reason, field="reason", max_length=NOTE_MAX)

    def change(issue, today, now):
        previous = issue.outcome
        _rework(issue, today, now)
        return {"previous_outcome": previous, "due_date": _iso(issue.due_date)}

    return _act(
        issue_id, actor=actor, action=Action.REOPEN, expected_version=expected_version, note=reason, change=change
    )


def issue_cancel(*, actor, issue_id: int, reason: str, expected_version: int | None = None) -> Issue:
    """撤销: e.g. a duplicate registration."""
    reason = require_text(reason, field="reason", max_length=NOTE_MAX)

    def change(issue, today, now):
        issue.cancelled_at = now
        return {}

    return _act(
        issue_id, actor=actor, action=Action.CANCEL, expected_version=expected_version, note=reason, change=change
    )


def issue_escalate(*, actor, issue_id: int, note: str, expected_version: int | None = None) -> Issue:
    """提请协调: flag the issue for a coordination meeting; its state stays."""
    note = require_text(note, field="note", max_length=NOTE_MAX)

    def change(issue, today, now):
        issue.escalated_at = now
        return {}

    return _act(
        issue_id, actor=actor, action=Action.ESCALATE, expected_version=expected_version, note=note, change=change
    )


def issue_meeting_decision(*, actor, issue_id: int, item, expected_version: int | None = None) -> Issue:
    """例会议定: a coordination meeting's decision (`item`, a decided
    MeetingItem) reaches the issue, in force at once. With a lead unit and a
    date, an issue waiting for dispatch is handed to that unit, a working
    issue of another unit passes to it (the unit it leaves stays on as
    co-handling) to be signed for again, and the date becomes the deadline;
    a resolved issue keeps its course. Without them the decision is noted.
    Taken by issues.meetings only (not from the issue's page)."""

    working_with = list(item.co_units.all())

    def change(issue, today, now):
        data = {
            "meeting": item.meeting_id,
            "meeting_title": str(item.meeting),
            "item": item.pk,
            "decision": item.decision,
            "unit": item.unit_id,
            "unit_name": item.unit.name if item.unit_id else "",
            "due_date": _iso(item.due_date),
            "due_date_before": _iso(issue.due_date),
            "co_units": [unit.pk for unit in working_with],
            "co_unit_names": [unit.name for unit in working_with],
        }
        # Escalated to a coordination meeting, and settled there.
        if issue.escalated_at is not None:
            data["escalation_settled"] = True
            issue.escalated_at = None
        if item.unit_id is None or issue.status == Status.RESOLVED:
            return data
        # The meeting sets the date: an extension still asked for is moot.
        data["extensions_withdrawn"] = issue.extensions.filter(status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.WITHDRAWN, decided_at=now
        )
        if issue.status == Status.REGISTERED or issue.responsible_unit_id != item.unit_id:
            leaving = issue.responsible_unit_id
            _hand_to(issue, item.unit, item.due_date, schemes.for_issue(issue), today, now)
            issue.co_units.remove(item.unit)
            if leaving is not None:
                issue.co_units.add(leaving)
            data["handed_over_from"] = leaving
        else:
            # The deadline as given, now the meeting's: extensions are counted from it.
            issue.due_date = issue.assigned_due_date = item.due_date
        issue.co_units.add(*working_with)
        return data

    note = _("%(meeting)s: %(decision)s") % {"meeting": item.meeting, "decision": item.decision}
    return _act(
        issue_id,
        actor=actor,
        action=Action.MEETING_DECISION,
        expected_version=expected_version,
        note=note[:NOTE_MAX],
        change=change,
    )


@transaction.atomic
def issue_raise_again(
    *,
    actor,
    issue_id: int,
    note: str,
    visit: Visit | None = None,
    duplicate: Issue | None = None,
    expected_version: int | None = None,
) -> Issue:
    """再次反映: the enterprise raised the issue again — at a visit (`visit`),
    or in a second registration cancelled as its duplicate (`duplicate`,
    issues.intake.issue_merge). Its state stays; the note is what the
    enterprise said this time. Anyone who sees the issue may record it."""
    note = require_text(note, field="note", max_length=NOTE_MAX)
    if visit is not None:
        # Locked as a withdrawal locks it (see issue_register): never at a visit being withdrawn.
        visit = Visit.all_objects.select_for_update(of=("self",)).get(pk=visit.pk)
        if visit.withdrawn_at is not None:
            raise Conflict(
                "visit_withdrawn", _("This visit was withdrawn; it can no longer be changed."), field="visit"
            )

    def change(issue, today, now):
        data = {}
        if visit is not None:
            if visit.enterprise_id != issue.enterprise_id:
                raise InvalidInput(
                    "visit_enterprise_mismatch", _("The visit was to another enterprise."), field="visit"
                )
            data |= {"visit": visit.pk, "visit_date": _iso(visit.date)}
        if duplicate is not None:
            data |= {"duplicate": duplicate.pk, "duplicate_number": duplicate.number}
        return data

    return _act(
        issue_id,
        actor=actor,
        action=Action.RAISED_AGAIN,
        expected_version=expected_version,
        note=note,
        change=change,
    )


# The actions table (issues.actions) names each action; its service is here.


def service_for(action: str):
    """The service carrying out one action of the table: issue_<action>."""
    return globals()[f"issue_{ACTIONS[action].name}"]


def requires(action: str, field: str) -> bool:
    """Whether the action's service cannot do without `field` (no default)."""
    parameter = inspect.signature(service_for(action)).parameters[field]
    return parameter.default is inspect.Parameter.empty
