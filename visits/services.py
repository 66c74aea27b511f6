"""Writes for visits: a visit, its participants and its files."""

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock, photos, uploads
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.services import check_version, require_text
from enterprises.models import Campaign, Enterprise, Official

from . import summary as visit_cells
from .choices import VisitForm, VisitPurpose
from .models import Visit, VisitAttachment, VisitChange, VisitParticipant


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


@dataclass(frozen=True)
class _Checked:
    """A visit's fields as the rules accept them."""

    date: datetime.date
    form: str
    purposes: list[str]
    summary: str
    participants: list[Official]
    snapshot: Snapshot


def _checked(*, date, form, purposes, summary, participants, snapshot, already=frozenset()) -> _Checked:
    """The rules a visit's fields follow, for a new visit and a correction
    alike; `already`: the ids of people on the visit as recorded, who stay on
    it though they have since left or lost their unit."""
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
    people = list(dict.fromkeys(participants))
    for person in people:
        if person.pk not in already and (not person.is_active or person.unit_id is None):
            raise InvalidInput(
                "invalid_participant",
                _("%(p)s cannot be a participant (inactive or without a unit).") % {"p": person.display_name},
                field="participants",
            )
    snapshot = snapshot or Snapshot()
    if snapshot.headcount is not None and snapshot.headcount < 0:
        raise InvalidInput("invalid_headcount", _("Headcount cannot be negative."), field="headcount")
    order_book = require_text(snapshot.order_book, field="order_book", max_length=200, required=False)
    return _Checked(
        date=date,
        form=form,
        purposes=purposes,
        summary=require_text(summary, field="summary", max_length=5000, required=False),
        participants=people,
        snapshot=dataclasses.replace(snapshot, order_book=order_book),
    )


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
    fields = _checked(
        date=date,
        form=form,
        purposes=purposes,
        summary=summary,
        participants=participants or [actor],
        snapshot=snapshot,
    )
    checked = check_files(files)
    visit = Visit.objects.create(
        enterprise=enterprise,
        campaign=Campaign.objects.current(),
        created_by=actor,
        **_columns(fields),
    )
    VisitParticipant.objects.bulk_create(
        VisitParticipant(visit=visit, official=person, unit_id=person.unit_id) for person in fields.participants
    )
    visit_cells.record(visit, [person.unit_id for person in fields.participants])
    for uploaded, judged in zip(files, checked, strict=True):
        shot = photos.taken(uploaded) if judged.type.kind == VisitAttachment.Kind.PHOTO else photos.Taken()
        attachment = VisitAttachment(
            visit=visit,
            uploaded_by=actor,
            name=judged.name,
            kind=judged.type.kind,
            size=judged.size,
            content_type=judged.type.content_type,
            taken_at=shot.at,
            latitude=shot.latitude,
            longitude=shot.longitude,
        )
        uploads.save(attachment.file, uploaded)
        attachment.save()
    return visit


def _columns(fields: _Checked) -> dict:
    return {
        "date": fields.date,
        "form": fields.form,
        "purposes": fields.purposes,
        "summary": fields.summary,
        "output_value": fields.snapshot.output_value,
        "revenue": fields.snapshot.revenue,
        "headcount": fields.snapshot.headcount,
        "order_book": fields.snapshot.order_book,
    }


# Correction and withdrawal -------------------------------------------------------------

# The fields a correction may change, in the order a change lists them. The
# enterprise is not among them: a visit to the wrong one is withdrawn and
# recorded again.
CORRECTED = (
    "date",
    "form",
    "purposes",
    "summary",
    "participants",
    "output_value",
    "revenue",
    "headcount",
    "order_book",
)


def may_change(actor: Official, visit: Visit) -> bool:
    """Who may correct or withdraw a visit: whoever recorded it or took part
    in it, and an administrator; each only within their scope, and never a
    visit already withdrawn."""
    if visit.withdrawn_at is not None or not actor.is_active:
        return False
    if not Visit.objects.restrict(actor).filter(pk=visit.pk).exists():
        return False
    return (
        actor.is_admin
        or visit.created_by_id == actor.pk
        or visit.participant_rows.filter(official_id=actor.pk).exists()
    )


def require_may_change(actor: Official, visit: Visit) -> None:
    if not may_change(actor, visit):
        raise NotPermitted(
            "not_yours", _("Only those who recorded or took part in a visit, and administrators, may change it.")
        )


def visit_for_change(actor: Official, visit_id: int, expected_version: int | None) -> Visit:
    """The visit, locked for a change (in the caller's transaction), after the
    checks every change makes: in scope, not withdrawn, the actor's to change,
    and not changed since `expected_version`."""
    visit = (
        Visit.all_objects.restrict(actor)
        .select_for_update(of=("self",))
        .select_related("enterprise")
        .filter(pk=visit_id)
    ).first()
    if visit is None:
        raise NotFound("visit_not_found", _("No such visit in your scope."))
    if visit.withdrawn_at is not None:
        raise Conflict("visit_withdrawn", _("This visit was withdrawn; it can no longer be changed."))
    require_may_change(actor, visit)
    check_version(
        visit.version,
        expected_version,
        _(
            "Someone else changed this visit in the meantime (version %(now)d, you had %(had)d). "
            "It is shown as it now is: check it and make your change again."
        ),
    )
    return visit


def _shown(name: str, value) -> object:
    """A field's value as the change keeps it: JSON, and the participants by name."""
    if name == "participants":
        return [person.display_name for person in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if value is None or isinstance(value, int | str | list):
        return value
    return str(value)


@transaction.atomic
def visit_correct(
    *,
    actor: Official,
    visit_id: int,
    reason: str,
    expected_version: int | None = None,
    date: datetime.date,
    form: str,
    purposes: list[str],
    summary: str,
    participants: list[Official] | None = None,
    snapshot: Snapshot | None = None,
) -> Visit:
    """更正: the visit's fields as they should have been, with the reason. The
    change is kept (VisitChange) with each field before and after; nothing
    is edited in silence. The dashboard's cells move with a changed date or
    change of people."""
    visit = visit_for_change(actor, visit_id, expected_version)
    reason = require_text(reason, field="reason", max_length=2000)
    before_people = [row.official for row in visit.participant_rows.select_related("official").order_by("id")]
    fields = _checked(
        date=date,
        form=form,
        purposes=purposes,
        summary=summary,
        participants=participants or before_people,
        snapshot=snapshot,
        already=frozenset(person.pk for person in before_people),
    )
    after = {**_columns(fields), "participants": fields.participants}
    before = {name: getattr(visit, name) for name in CORRECTED if name != "participants"}
    before["participants"] = before_people
    changed = [
        {"field": name, "before": _shown(name, before[name]), "after": _shown(name, after[name])}
        for name in CORRECTED
        if _shown(name, before[name]) != _shown(name, after[name])
        and not (name == "participants" and {p.pk for p in before_people} == {p.pk for p in fields.participants})
    ]
    if not changed:
        raise InvalidInput("nothing_changed", _("Nothing was changed: correct a field, or leave the visit as it is."))
    people_changed = any(c["field"] == "participants" for c in changed)
    moved = people_changed or visit.date.replace(day=1) != fields.date.replace(day=1)
    taken_out = visit_cells.cells_of(visit, [row.unit_id for row in visit.participant_rows.all()], -1) if moved else []
    for name, value in _columns(fields).items():
        setattr(visit, name, value)
    visit.version += 1
    visit.save()
    if people_changed:
        kept = {p.pk for p in fields.participants}
        visit.participant_rows.exclude(official_id__in=kept).delete()
        present = set(visit.participant_rows.values_list("official_id", flat=True))
        VisitParticipant.objects.bulk_create(
            VisitParticipant(visit=visit, official=person, unit_id=person.unit_id)
            for person in fields.participants
            if person.pk not in present
        )
    if moved:  # out of the old cells and into the new in one statement (visits.summary.add)
        visit_cells.add(taken_out, visit_cells.cells_of(visit, [row.unit_id for row in visit.participant_rows.all()]))
    VisitChange.objects.create(visit=visit, kind=VisitChange.Kind.CORRECT, actor=actor, reason=reason, fields=changed)
    return visit


@transaction.atomic
def visit_withdraw(*, actor: Official, visit_id: int, reason: str, expected_version: int | None = None) -> Visit:
    """撤回: a visit recorded in error leaves every list and figure, and keeps
    its page with who withdrew it, when and why. issues.intake.visit_withdraw
    calls this once the issues raised at it are settled: pages and the API
    call that one."""
    visit = visit_for_change(actor, visit_id, expected_version)
    reason = require_text(reason, field="reason", max_length=2000)
    visit_cells.record(visit, [row.unit_id for row in visit.participant_rows.all()], sign=-1)
    visit.withdrawn_at = clock.now()
    visit.version += 1
    visit.save()
    VisitChange.objects.create(visit=visit, kind=VisitChange.Kind.WITHDRAW, actor=actor, reason=reason)
    return visit
