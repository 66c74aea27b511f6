"""走访登记: a visit and the issues raised at it, recorded together.

The one service behind the visit form and `POST /api/v1/visits/`: the visit
(visits.services) and each issue (issues.services.issue_register) are
written in one transaction, so a refused issue leaves no visit behind, and
no file of it on disk."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core import uploads
from core.errors import Conflict
from visits import services as visit_services
from visits.models import Visit

from .choices import Priority, Status
from .models import Issue
from .services import issue_register


@dataclass(frozen=True)
class RaisedIssue:
    category: str
    title: str
    description: str = ""
    request: str = ""
    priority: str = Priority.NORMAL


@uploads.atomic_with_files()
def visit_record_with_issues(*, actor, enterprise, issues: list[RaisedIssue] = (), **visit) -> Visit:
    """Record the visit (see visits.services.visit_record for its fields) and
    register every issue raised at it."""
    recorded = visit_services.visit_record(actor=actor, enterprise=enterprise, **visit)
    for raised in issues:
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
