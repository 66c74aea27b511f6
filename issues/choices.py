from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED)
# "Overdue" is an assigned or in-progress issue past its due date.
WORKING_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)


class Category(models.TextChoices):
    LAND = "land", _("Land")
    FINANCE = "finance", _("Finance")
    PEOPLE = "people", _("Labour and talent")
    APPROVALS = "approvals", _("Approvals")
    POLICY = "policy", _("Policy delivery")
    INFRASTRUCTURE = "infrastructure", _("Water, power, roads, gas")
    MARKET = "market", _("Market")
    TECHNOLOGY = "technology", _("Technology")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    VISIT = "visit", _("Visit")
    SELF_REPORT = "self_report", _("Enterprise self-report")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Outcome(models.TextChoices):
    SOLVED = "solved", _("Solved")
    PARTLY_SOLVED = "partly_solved", _("Partly solved")
    UNSOLVABLE = "unsolvable", _("Cannot be solved")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
    # Closed after a 回访 that reached no one (the reason is recorded): no verdict.
    NOT_REACHED = "not_reached", _("No verdict (return call not possible)")


# The enterprise's verdicts a return call (回访) can record.
VERDICTS = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED)


class FollowUpChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    ON_SITE = "on_site", _("On site")
    MESSAGE = "message", _("Message")
    NONE = "none", _("No call possible")


class Action(models.TextChoices):
    REGISTER = "register", _("Register")
    ASSIGN = "assign", _("Assign")
    ACCEPT = "accept", _("Sign for")
    RETURN = "return", _("Return")
    FEEDBACK = "feedback", _("Feedback")
    REQUEST_EXTENSION = "request_extension", _("Request extension")
    APPROVE_EXTENSION = "approve_extension", _("Approve extension")
    REJECT_EXTENSION = "reject_extension", _("Reject extension")
    RESOLVE = "resolve", _("Resolve")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Send back for rework")
    CANCEL = "cancel", _("Cancel")
    ESCALATE = "escalate", _("Escalate to coordination meeting")
    FOLLOW_UP = "follow_up", _("Return call")
    # Written by the 督办 ladder (issues.ladder), not taken by anyone: no actor.
    SUPERVISE_NOTICE = "supervise_notice", _("Supervision notice issued")
    CRITICISE = "criticise", _("Criticised in a bulletin")
    # Written by a coordination meeting's decision (issues.meetings), not from the page.
    MEETING_DECISION = "meeting_decision", _("Decided at a coordination meeting")
    # The enterprise raised it again (at a visit or a second registration linked to it).
    RAISED_AGAIN = "raised_again", _("Raised again")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Grade(models.TextChoices):
    """A unit's grade from its score (考核等次)."""

    EXCELLENT = "excellent", pgettext_lazy("grade", "Excellent")
    GOOD = "good", pgettext_lazy("grade", "Good")
    QUALIFIED = "qualified", pgettext_lazy("grade", "Qualified")
    UNQUALIFIED = "unqualified", pgettext_lazy("grade", "Unqualified")


class ListBy(models.TextChoices):
    """How the red and black lists are drawn from a group's ranking."""

    PLACES = "places", _("The top and bottom places")
    SCORES = "scores", _("Score thresholds")


class NoticeKind(models.TextChoices):
    """The rungs of the 督办 ladder that leave a numbered document."""

    NOTICE = "notice", _("Supervision notice")
    CRITICISM = "criticism", _("Notice of criticism")


class CommonStatus(models.TextChoices):
    """A common problem's life (issues.common)."""

    PROPOSED = "proposed", _("Proposed by the radar")
    CONFIRMED = "confirmed", _("Confirmed")
    ON_AGENDA = "on_agenda", _("On a meeting's agenda")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")
    DISMISSED = "dismissed", _("Dismissed")


class AnswerKind(models.TextChoices):
    """What settles a common problem."""

    POLICY = "policy", _("A policy")
    DECISION = "decision", _("A decision")
    UNIT = "unit", _("A responsible unit")
