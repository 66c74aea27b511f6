"""走访登记: a visit and the issues raised at it, recorded together.

The one service behind the visit form and `POST /api/v1/visits/`: the visit
(visits.services) and each issue (issues.services.issue_register) are
written in one transaction, so a refused issue leaves no visit behind, and
no file of it on disk."""

from dataclasses import dataclass

from core import uploads
from visits import services as visit_services
from visits.models import Visit

from .choices import Priority
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
