"""Event notices: when an issue is assigned to a unit, returned, sent back
for rework or has its extension decided, the people concerned are told.
Written to the outbox in the change's own transaction, so a change that rolls
back tells no one and a broker outage delays the notice without losing it;
delivered through the same reminders, digests and channels as the sweep."""

import contextlib
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core import clock, outbox
from enterprises.models import Campaign

from .choices import Action, Status
from .models import ExtensionRequest, IssueEvent, Reminder
from .recipients import Recipients

Kind = Reminder.Kind
NOTICES = {
    Action.ASSIGN: Kind.ASSIGNED,
    Action.MEETING_DECISION: Kind.ASSIGNED,  # only when it sets the unit a task
    Action.RETURN: Kind.RETURNED,
    Action.REOPEN: Kind.REOPENED,
    Action.FOLLOW_UP: Kind.REOPENED,  # only when the verdict sends it back for rework
    Action.APPROVE_EXTENSION: Kind.EXTENSION_DECIDED,
    Action.REJECT_EXTENSION: Kind.EXTENSION_DECIDED,
    Action.RAISED_AGAIN: Kind.RAISED_AGAIN,
}
_muted: ContextVar[bool] = ContextVar("zoufang_notices_muted", default=False)


@contextlib.contextmanager
def muted():
    """For history that is loaded rather than lived (the demo seed, imports)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def schedule(event: IssueEvent) -> None:
    if event.action not in NOTICES or _muted.get():
        return
    if event.action == Action.FOLLOW_UP and not event.data.get("rework"):
        return
    if event.action == Action.MEETING_DECISION and not (event.data.get("unit") and event.to_status != Status.RESOLVED):
        return
    outbox.send("issues.tasks.notify_event", event.pk)


def notify(event_id: int) -> int:
    """Tell the people an event concerns; returns how many were told."""
    from .reminders import gather, record

    event = IssueEvent.objects.select_related("issue", "issue__enterprise__region", "actor").get(pk=event_id)
    issue, kind = event.issue, NOTICES[event.action]
    who = Recipients(Campaign.objects.current())
    told_too = []  # (person, text) told in other words than `people`
    with translation.override(settings.LANGUAGE_CODE):
        if kind == Kind.ASSIGNED:
            people = who.unit(issue.responsible_unit_id, issue.enterprise_id)
            # A meeting's task is the lead unit's (the unit it passed from stays on, told by its history).
            co_units = [] if event.action == Action.MEETING_DECISION else issue.co_units.values_list("pk", flat=True)
            for unit_id in co_units:
                people |= who.unit(unit_id, issue.enterprise_id)
            text = _("%(n)s %(t)s was assigned to your unit; resolve by %(d)s") % {
                "n": issue.number,
                "t": issue.title,
                "d": issue.due_date,
            }
            if event.action == Action.MEETING_DECISION:
                said = {
                    "n": issue.number,
                    "t": issue.title,
                    "meeting": event.data.get("meeting_title", ""),
                    "decision": (event.data.get("decision") or "").rstrip("。；，.;, "),
                    "d": issue.due_date,
                    "u": event.data.get("unit_name", ""),
                }
                text = _("%(n)s %(t)s: %(meeting)s decided that %(decision)s; your unit leads, by %(d)s") % said
                # The unit it passed from is told it now co-handles.
                if left := event.data.get("handed_over_from"):
                    also = _("%(n)s %(t)s: %(meeting)s gave it to %(u)s to lead; your unit co-handles it") % said
                    told_too = [(p, also) for p in who.unit(left, issue.enterprise_id) - people]
        elif kind == Kind.RETURNED:
            people = who.supervisors(issue.enterprise.region.path)
            text = _("%(n)s %(t)s was returned by %(u)s: %(why)s") % {
                "n": issue.number,
                "t": issue.title,
                "u": event.data.get("unit_name", ""),
                "why": event.note,
            }
        elif kind == Kind.RAISED_AGAIN:
            # The unit handling it; while it waits for dispatch, the supervisors who dispatch it.
            people = (
                who.unit(issue.responsible_unit_id, issue.enterprise_id)
                if issue.responsible_unit_id
                else who.supervisors(issue.enterprise.region.path)
            )
            text = _("%(n)s %(t)s: %(e)s raised it again: %(said)s") % {
                "n": issue.number,
                "t": issue.title,
                "e": issue.enterprise.name,
                "said": event.note[:200],
            }
        elif kind == Kind.REOPENED:
            people = who.unit(issue.responsible_unit_id, issue.enterprise_id)
            text = _("%(n)s %(t)s was sent back for rework: %(why)s") % {
                "n": issue.number,
                "t": issue.title,
                "why": event.note,
            }
        else:
            request = ExtensionRequest.objects.get(pk=event.data["extension"])
            people = who.unit(issue.responsible_unit_id, issue.enterprise_id) | {request.requested_by_id}
            approved = event.action == Action.APPROVE_EXTENSION
            text = (
                _("%(n)s %(t)s: extension approved, now due %(d)s")
                if approved
                else _("%(n)s %(t)s: extension refused, still due %(d)s")
            ) % {"n": issue.number, "t": issue.title, "d": issue.due_date}
        people.discard(event.actor_id)  # the one who acted knows
        found = [(person, kind, f"event:{event.pk}", issue.pk, issue.enterprise_id, text) for person in people]
        found += [
            (person, kind, f"event:{event.pk}", issue.pk, issue.enterprise_id, words)
            for person, words in told_too
            if person != event.actor_id
        ]
        told = record(found, clock.today(), uuid.uuid4())
        gather()
    return told
