"""走访登记: a visit and the issues raised at it, recorded together.

The one service behind the visit form and `POST /api/v1/visits/`: the visit
(visits.services) and each issue (issues.services.issue_register) are
written in one transaction, so a refused issue leaves no visit behind, and
no file of it on disk. An issue the enterprise raised before (issues.similar
names it) is linked instead of registered again: it records that the
enterprise raised it again at this visit (issues.services.issue_raise_again),
in the same transaction.

And the dispatch desk's other answer to a duplicate: a registered issue
merged into the one it repeats (issue_merge)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core import uploads
from core.errors import Conflict, InvalidInput, NotFound
from visits import services as visit_services
from visits.models import Visit

from .actions import NOTE_MAX
from .choices import Priority, Status
from .models import Issue
from .services import issue_cancel, issue_raise_again, issue_register


def words(*, title: str, description: str = "", request: str = "") -> str:
    """What the enterprise said, as a raise-again's note: the title, the
    description and the request, cut to a note's length."""
    lines = [title.strip(), description.strip()]
    if request.strip():
        lines.append(_("The enterprise asks: %(request)s") % {"request": request.strip()})
    said = "\n".join(line for line in lines if line)
    return said if len(said) <= NOTE_MAX else said[: NOTE_MAX - 1] + "…"


@dataclass(frozen=True)
class RaisedIssue:
    category: str
    title: str
    description: str = ""
    request: str = ""
    priority: str = Priority.NORMAL
    # The issue already in the ledger it is linked to instead of registered: the enterprise raised that one again.
    again: int | None = None


@uploads.atomic_with_files()
def visit_record_with_issues(*, actor, enterprise, issues: list[RaisedIssue] = (), **visit) -> Visit:
    """Record the visit (see visits.services.visit_record for its fields) and
    register every issue raised at it, or link it to the issue it repeats."""
    recorded = visit_services.visit_record(actor=actor, enterprise=enterprise, **visit)
    for raised in issues:
        if raised.again is not None:
            issue_raise_again(
                actor=actor,
                issue_id=raised.again,
                note=words(title=raised.title, description=raised.description, request=raised.request),
                visit=recorded,
            )
            continue
        issue_register(
            actor=actor,
            enterprise=enterprise,
            visit=recorded,
            category=raised.category,
            title=raised.title,
            description=raised.description,
            request=raised.request,
            priority=raised.priority,
        )
    return recorded


@transaction.atomic
def visit_withdraw(*, actor, visit_id: int, reason: str, expected_version: int | None = None) -> Visit:
    """撤回: withdraw a visit recorded in error (visits.services.visit_withdraw),
    once every issue raised at it is cancelled: an issue stays in the ledger
    on its own path, and a visit withdrawn under a live issue would leave the
    issue pointing at a visit that counts nowhere."""
    visit_services.visit_for_change(actor, visit_id, expected_version)  # in scope and theirs, first
    live = Issue.objects.filter(visit_id=visit_id).exclude(status=Status.CANCELLED)
    if live.exists():
        # Named only where the actor may see them (a colleague of another unit may not).
        seen = list(live.restrict(actor).order_by("number").values_list("number", flat=True))
        unseen = live.count() - len(seen)
        numbers = "、".join(seen + ([_("%(n)d more") % {"n": unseen}] if unseen else []))
        raise Conflict(
            "visit_has_issues",
            _("Issues raised at this visit are still in the ledger (%(numbers)s): have them cancelled first.")
            % {"numbers": numbers},
        )
    return visit_services.visit_withdraw(
        actor=actor, visit_id=visit_id, reason=reason, expected_version=expected_version
    )


def may_merge(duplicate: Issue, into: Issue) -> bool:
    """Whether `duplicate` may be merged into `into`: never into a later
    registration still waiting for dispatch, as the earlier one keeps the
    enterprise's wait (and the desk's dispatch deadline) in the figures."""
    if into.status != Status.REGISTERED:
        return True
    return (into.registered_at, into.pk) < (duplicate.registered_at, duplicate.pk)


@transaction.atomic
def issue_merge(*, actor, issue_id: int, into_id: int, expected_version: int | None = None) -> Issue:
    """并入: a registered issue that repeats another open issue of its
    enterprise is cancelled (撤销) as its duplicate, and the other records
    that the enterprise raised it again, in this one's words: both or
    neither. Returns the issue merged into. `expected_version` is the
    duplicate's, as read on the desk."""
    if issue_id == into_id:
        raise InvalidInput("merge_into_itself", _("An issue cannot be merged into itself."), field="into")
    # Both rows locked in id order: two supervisors merging two issues into each other queue, not deadlock.
    locked = {
        issue.pk: issue for issue in Issue.objects.select_for_update().filter(pk__in=[issue_id, into_id]).order_by("pk")
    }
    # Outside the scope is "no such issue", as a missing one: a guessed id learns nothing.
    seen = set(Issue.objects.restrict(actor).filter(pk__in=list(locked)).values_list("pk", flat=True))
    if issue_id not in seen or into_id not in seen:
        raise NotFound("not_found", _("No such issue."))
    duplicate, into = locked[issue_id], locked[into_id]
    if duplicate.enterprise_id != into.enterprise_id:
        raise InvalidInput(
            "merge_other_enterprise",
            _("%(number)s is another enterprise's issue.") % {"number": into.number},
            field="into",
        )
    if not may_merge(duplicate, into):
        raise InvalidInput(
            "merge_into_later",
            _("%(number)s was registered after this one: merge it into this one instead.") % {"number": into.number},
            field="into",
        )
    issue_cancel(
        actor=actor,
        issue_id=duplicate.pk,
        reason=_("Duplicate of %(number)s: merged into it.") % {"number": into.number},
        expected_version=expected_version,
    )
    return issue_raise_again(
        actor=actor,
        issue_id=into.pk,
        note=words(title=duplicate.title, description=duplicate.description, request=duplicate.request),
        duplicate=duplicate,
    )
