"""The issue actions, listed once (DOMAIN.md, the issue lifecycle).

Each row names the action (its label is the `Action` choice's), the states it
is legal in and the state it leads to, who may take it, and the fields it
takes. The service that carries it out is `issues.services.issue_<name>`
(`services.service_for(name)`), whose keyword arguments are those fields; the
page forms (issues.forms), the API payloads and routes (issues.api) and the
issue page's buttons are all generated from this table, so a new action is
added here and in its service, nowhere else. Which fields are required is
read from the service's own signature (`services.requires`), and blank text
reaches the service, which says what is missing.
"""

from dataclasses import dataclass
from enum import Enum

from django.utils.translation import gettext_lazy as _

from .choices import OPEN_STATUSES, VERDICTS, Action, FollowUpChannel, Outcome, Status

NOTE_MAX = 2000


class Who(Enum):
    SUPERVISOR = "supervisor"  # a supervisor of the issue's region, or an admin
    ANYONE = "anyone"  # anyone who sees the issue (its scope is checked first)
    RESPONSIBLE_UNIT = "responsible_unit"  # an official of the responsible unit
    HANDLING_UNIT = "handling_unit"  # an official of the responsible or a co-handling unit


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    UNIT = "unit"  # one help unit in the actor's scope
    UNITS = "units"  # several
    OUTCOME = "outcome"
    VERDICT = "verdict"  # the enterprise's verdict on a return call
    CHANNEL = "channel"
    BOOL = "bool"
    FILES = "files"  # photos and documents as evidence


CHOICES = {
    Kind.OUTCOME: Outcome.choices,
    Kind.VERDICT: [(verdict.value, verdict.label) for verdict in VERDICTS],
    Kind.CHANNEL: FollowUpChannel.choices,
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str
    rows: int = 2


def note(label=None, rows: int = 2) -> Field:
    return Field("note", Kind.TEXT, label or _("Note"), rows)


REASON = Field("reason", Kind.TEXT, _("Reason"))
EVIDENCE = Field("files", Kind.FILES, _("Photos and documents"))


@dataclass(frozen=True)
class IssueAction:
    name: str
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change
    who: Who
    fields: tuple[Field, ...]

    def __post_init__(self):
        object.__setattr__(self, "name", Action(self.name).value)  # a plain string, e.g. "assign"

    @property
    def label(self) -> str:
        return Action(self.name).label

    @property
    def slug(self) -> str:
        """The API's path segment: /api/v1/issues/{id}/<slug>/."""
        return self.name.replace("_", "-")


WORKING = (Status.ASSIGNED, Status.IN_PROGRESS)

ACTIONS: dict[str, IssueAction] = {
    action.name: action
    for action in (
        IssueAction(
            Action.ASSIGN,
            (Status.REGISTERED,),
            Status.ASSIGNED,
            Who.SUPERVISOR,
            (
                Field("unit", Kind.UNIT, _("Responsible unit")),
                Field("co_units", Kind.UNITS, _("Co-handling units")),
                Field("is_complex", Kind.BOOL, _("Complex item (the scheme's longer limit)")),
                Field("due_date", Kind.DATE, _("Resolve by (blank: the scheme's limit)")),
                note(),
            ),
        ),
        IssueAction(Action.ACCEPT, (Status.ASSIGNED,), Status.IN_PROGRESS, Who.RESPONSIBLE_UNIT, (note(),)),
        IssueAction(Action.RETURN, (Status.ASSIGNED,), Status.REGISTERED, Who.RESPONSIBLE_UNIT, (REASON,)),
        IssueAction(
            Action.FEEDBACK,
            (Status.IN_PROGRESS,),
            None,
            Who.HANDLING_UNIT,
            (
                note(_("Progress")),
                Field("reply", Kind.BOOL, _("This is our answer to the enterprise")),
                EVIDENCE,
            ),
        ),
        IssueAction(
            Action.REQUEST_EXTENSION,
            WORKING,
            None,
            Who.RESPONSIBLE_UNIT,
            (Field("new_due_date", Kind.DATE, _("New due date")), REASON),
        ),
        IssueAction(Action.APPROVE_EXTENSION, WORKING, None, Who.SUPERVISOR, (note(),)),
        IssueAction(Action.REJECT_EXTENSION, WORKING, None, Who.SUPERVISOR, (REASON,)),
        IssueAction(
            Action.RESOLVE,
            (Status.IN_PROGRESS,),
            Status.RESOLVED,
            Who.RESPONSIBLE_UNIT,
            (Field("outcome", Kind.OUTCOME, _("Outcome")), note(_("Explanation"), rows=3), EVIDENCE),
        ),
        IssueAction(
            Action.FOLLOW_UP,
            (Status.RESOLVED,),
            None,  # stays resolved, or back in progress for rework
            Who.SUPERVISOR,
            (
                Field("channel", Kind.CHANNEL, _("Channel")),
                Field("contact", Kind.TEXT, _("Spoke with (name, post)"), rows=1),
                Field("called_on", Kind.DATE, _("Called on (blank: today)")),
                Field("verdict", Kind.VERDICT, _("The enterprise's verdict")),
                note(_("The enterprise's words (or why no call was possible)"), rows=3),
                Field("caused_by_handling", Kind.BOOL, _("Unsatisfied with the handling: send back for rework")),
            ),
        ),
        IssueAction(Action.CLOSE, (Status.RESOLVED,), Status.CLOSED, Who.SUPERVISOR, (note(_("Verification note")),)),
        IssueAction(Action.REOPEN, (Status.RESOLVED,), Status.IN_PROGRESS, Who.SUPERVISOR, (REASON,)),
        IssueAction(Action.CANCEL, (Status.REGISTERED,), Status.CANCELLED, Who.SUPERVISOR, (REASON,)),
        IssueAction(Action.ESCALATE, tuple(OPEN_STATUSES), None, Who.SUPERVISOR, (note(),)),
    )
}

BY_SLUG = {action.slug: action for action in ACTIONS.values()}

# Actions on an issue taken from elsewhere, not offered on its page or the API's
# action routes: a coordination meeting's decision (issues.meetings) and a
# second registration of it (the enterprise raised it again).
ELSEWHERE: dict[str, IssueAction] = {
    action.name: action
    for action in (
        IssueAction(
            Action.MEETING_DECISION,
            (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED),
            None,  # a waiting or another unit's issue is handed to the lead unit
            Who.SUPERVISOR,
            (),
        ),
        IssueAction(Action.RAISED_AGAIN, tuple(OPEN_STATUSES), None, Who.ANYONE, ()),
    )
}
RULES = {**ACTIONS, **ELSEWHERE}
