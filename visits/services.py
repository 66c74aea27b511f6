"""Writes for visits: a visit, its participants and its files."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core import clock, uploads
from core.errors import InvalidInput, NotPermitted
from core.services import require_text
from enterprises.models import Campaign, Enterprise, Official

from . import summary as visit_cells
from .choices import VisitForm, VisitPurpose
from .models import Visit, VisitAttachment, VisitParticipant


@dataclass(frozen=True)
class Snapshot:
    output_value: object = None
    revenue: object = None
    headcount: int | None = None
    order_book: str = ""


def check_visit_date(date: datetime.date) -> None:
    """A visit is recorded after it happened. Forms call this too, so the
    mistake is shown beside any other on the first try."""
    if date > clock.today():
        raise InvalidInput("date_in_future", _("The visit date %(d)s is in the future.") % {"d": date}, field="date")


def max_upload_mb() -> int:
    from django.conf import settings

    return settings.ZOUFANG_UPLOAD_MAX_BYTES // 1048576


def check_files(files) -> list[uploads.CheckedFile]:
    """The photos and documents of a visit, judged by content and size, and
    how many. Forms call this too, so a bad file is shown beside any other
    mistake; nothing is stored until the visit is."""
    from django.conf import settings

    too_many = _("At most %(max)d files per visit; %(n)d were sent.")
    return uploads.check_all(files, uploads.VISIT_FILES, limit=settings.ZOUFANG_UPLOAD_MAX_FILES, too_many=too_many)


@uploads.atomic_with_files()
def visit_record(
    *,
    actor: Official,
    enterprise: Enterprise,
    date: datetime.date,
    form: str,
    purposes: list[str],
    summary: str = "",
    participants: list[Official] | None = None,
    snapshot: Snapshot | None = None,
    files: list = (),
) -> Visit:
    """走访登记: record a visit with its photos and documents (issues.intake
    adds the issues raised at it). The files are judged before anything is
    written, and stored with the visit or not at all."""
    if not actor.is_active or actor.unit_id is None and not actor.is_admin:
        raise NotPermitted("no_unit", _("Only an official with a unit can record a visit."))
    if not Enterprise.objects.restrict(actor).filter(pk=enterprise.pk).exists():
        raise NotPermitted("out_of_scope", _("This enterprise is outside your scope."))
    check_visit_date(date)
    if form not in VisitForm.values:
        raise InvalidInput("invalid_form", _("Unknown visit form “%(f)s”.") % {"f": form}, field="form")
    purposes = list(dict.fromkeys(purposes))
    unknown = [p for p in purposes if p not in VisitPurpose.values]
    if unknown:
        raise InvalidInput("invalid_purpose", _("Unknown purpose “%(p)s”.") % {"p": unknown[0]}, field="purposes")
    if not purposes:
        raise InvalidInput("purposes_required", _("Choose at least one purpose."), field="purposes")
    if not summary.strip():
        raise InvalidInput(
            "summary_required", _("Write a summary: what was seen and discussed at the visit."), field="summary"
        )
    people = list(dict.fromkeys(participants or [actor]))
    for person in people:
        if not person.is_active or person.unit_id is None:
            raise InvalidInput(
                "invalid_participant",
                _("%(p)s cannot be a participant (inactive or without a unit).") % {"p": person.display_name},
                field="participants",
            )
    snapshot = snapshot or Snapshot()
    if snapshot.headcount is not None and snapshot.headcount < 0:
        raise InvalidInput("invalid_headcount", _("Headcount cannot be negative."), field="headcount")
    checked = check_files(files)
    visit = Visit.objects.create(
        enterprise=enterprise,
        campaign=Campaign.objects.current(),
        date=date,
        form=form,
        purposes=purposes,
        summary=require_text(summary, field="summary", max_length=5000, required=False),
        output_value=snapshot.output_value,
        revenue=snapshot.revenue,
        headcount=snapshot.headcount,
        order_book=require_text(snapshot.order_book, field="order_book", max_length=200, required=False),
        created_by=actor,
    )
    VisitParticipant.objects.bulk_create(
        VisitParticipant(visit=visit, official=person, unit_id=person.unit_id) for person in people
    )
    visit_cells.record(visit, [person.unit_id for person in people])
    for uploaded, judged in zip(files, checked, strict=True):
        attachment = VisitAttachment(
            visit=visit,
            uploaded_by=actor,
            name=judged.name,
            kind=judged.type.kind,
            size=judged.size,
            content_type=judged.type.content_type,
        )
        uploads.save(attachment.file, uploaded)
        attachment.save()
    return visit
