"""Writes to master data: regions, units, officials, enterprises, campaigns
and 三帮一 assignments. Admins only. The rules themselves live in
enterprises.rules; each `*_check` here loads what its rule needs for one
record and each `*_save` refuses the first broken rule, so the API, the web
forms, the Django admin and commands refuse the same things the same way
(the importer calls the same rules with lookups loaded once per file)."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import outbox, uploads
from core.audit import audited
from core.errors import Conflict, InvalidInput, NotPermitted
from core.services import check_deferred_constraints, require_admin, save_or_conflict
from core.validators import text_error

from . import audit, rules, signals
from .choices import Rank
from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region
from .rules import RuleError, UnitSlot  # UnitSlot: the API and the board build teams from it


def _assign_fields(instance, fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput("unknown_field", _("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(instance, name, value)


def _refuse(errors: list[RuleError]) -> None:
    """Raise the first broken rule, as the rule words it."""
    if errors:
        first = errors[0]
        raise InvalidInput(first.code, first.message, field=first.field)


def _taken(instance, **lookup) -> set:
    """The values of the lookup's last field that other rows of `instance`'s
    model hold (a name or code already taken). Text the database cannot
    store is taken by nobody: the rule refuses it, and the query with it
    would fail (a NUL byte, an unpaired surrogate)."""
    if any(text_error(value) for value in lookup.values()):
        return set()
    others = instance._meta.model.objects.filter(**lookup).exclude(pk=instance.pk)  # request.user is a lazy object
    return set(others.values_list(list(lookup)[-1], flat=True))


def _values(instance, fields: set[str]) -> dict:
    """The rule's view of a model instance: foreign keys by id."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        values[name] = getattr(instance, field.attname)
    return values


# Regions -------------------------------------------------------------------

REGION_FIELDS = {"name", "code", "level", "parent"}


def region_check(region: Region) -> list[RuleError]:
    """Every rule `region`, as it stands in memory, breaks."""
    parent_path = (
        Region.objects.filter(pk=region.parent_id).values_list("path", flat=True).first() if region.parent_id else None
    )
    return rules.region_errors(
        _values(region, REGION_FIELDS),
        own_path=region.path if region.pk else None,
        parent_path=parent_path,
        taken_names=_taken(region, parent_id=region.parent_id, name=region.name),
    )


@audited
@transaction.atomic
def region_save(*, actor, region: Region | None = None, **fields) -> Region:
    require_admin(actor)
    region = region or Region()
    _assign_fields(region, fields, REGION_FIELDS)
    _refuse(region_check(region))
    return save_or_conflict(region, code="duplicate", message=_("A region with this name already exists here."))


# Help units ----------------------------------------------------------------

UNIT_FIELDS = {
    "name",
    "kind",
    "region",
    "head_name",
    "contact_name",
    "contact_phone",
    "webhook_url",
    "webhook_secret",
    "is_active",
}


def unit_check(unit: HelpUnit) -> list[RuleError]:
    taken = _taken(unit, region_id=unit.region_id, name=unit.name)
    return rules.unit_errors(_values(unit, UNIT_FIELDS), taken_names=taken)


@audited
@transaction.atomic
def unit_save(*, actor, unit: HelpUnit | None = None, **fields) -> HelpUnit:
    require_admin(actor)
    unit = unit or HelpUnit()
    _assign_fields(unit, fields, UNIT_FIELDS)
    _refuse(unit_check(unit))
    return save_or_conflict(unit, code="duplicate", message=_("A unit with this name already exists in this region."))


# Officials -----------------------------------------------------------------

OFFICIAL_FIELDS = {"username", "name", "unit", "role", "rank", "phone", "email", "is_active", "email_notifications"}


def official_check(official: Official) -> list[RuleError]:
    return rules.official_errors(
        {**_values(official, OFFICIAL_FIELDS), "is_superuser": official.is_superuser},
        taken_usernames=_taken(official, username=official.username),
    )


@audited
@transaction.atomic
def official_save(*, actor, official: Official | None = None, password: str | None = None, **fields) -> Official:
    require_admin(actor)
    official = official or Official()
    _assign_fields(official, fields, OFFICIAL_FIELDS)
    _refuse(official_check(official))
    if password is not None:
        if unstorable := text_error(password):
            raise InvalidInput("weak_password", _("The password %(why)s.") % {"why": unstorable}, field="password")
        try:
            validate_password(password, official)
        except ValidationError as exc:
            raise InvalidInput("weak_password", " ".join(exc.messages), field="password") from exc
        official.set_password(password)
    elif official.pk is None and not official.password:
        # A new account without a password (the Django admin may have set
        # one already) signs in only after the reset link.
        official.set_unusable_password()
    return save_or_conflict(official, code="duplicate", message=_("This user name is taken."))


# Enterprises ---------------------------------------------------------------

ENTERPRISE_FIELDS = {
    "name",
    "credit_code",
    "region",
    "address",
    "industry",
    "size",
    "is_above_scale",
    "is_key",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "tags",
    "is_active",
}


def enterprise_check(enterprise: Enterprise) -> list[RuleError]:
    """Trims and capitalises the credit code in place (that is how codes are
    stored and compared), then checks."""
    enterprise.credit_code = rules.clean_credit_code(enterprise.credit_code)
    return rules.enterprise_errors(
        _values(enterprise, ENTERPRISE_FIELDS), taken_codes=_taken(enterprise, credit_code=enterprise.credit_code)
    )


@audited
@transaction.atomic
def enterprise_save(*, actor, enterprise: Enterprise | None = None, **fields) -> Enterprise:
    require_admin(actor)
    enterprise = enterprise or Enterprise()
    region_before = enterprise.region_id if enterprise.pk else None
    _assign_fields(enterprise, fields, ENTERPRISE_FIELDS)
    _refuse(enterprise_check(enterprise))
    saved = save_or_conflict(
        enterprise, code="duplicate_credit_code", message=_("An enterprise with this credit code exists.")
    )
    if region_before is not None and saved.region_id != region_before:
        signals.moved.send(sender=Enterprise)
    return saved


# Campaigns -----------------------------------------------------------------

CAMPAIGN_FIELDS = {
    "name",
    "start_date",
    "end_date",
    "units_per_enterprise",
    "visit_every_days",
    "plan_due_date",
    "is_current",
}


def campaign_check(campaign: Campaign) -> list[RuleError]:
    return rules.campaign_errors(
        _values(campaign, CAMPAIGN_FIELDS),
        taken_names=_taken(campaign, name=campaign.name),
        largest_team=_largest_assignment(campaign) if campaign.pk else 0,
    )


@audited
@transaction.atomic
def campaign_save(*, actor, campaign: Campaign | None = None, **fields) -> Campaign:
    require_admin(actor)
    campaign = campaign or Campaign()
    _assign_fields(campaign, fields, CAMPAIGN_FIELDS)
    _refuse(campaign_check(campaign))
    if campaign.is_current:
        # One current campaign: making this one current retires the other.
        retired = Campaign.objects.filter(is_current=True).exclude(pk=campaign.pk)
        audit.campaigns_retired(list(retired))
        retired.update(is_current=False)
    return save_or_conflict(campaign, code="duplicate", message=_("A campaign with this name exists."))


def _largest_assignment(campaign: Campaign) -> int:
    from django.db.models import Count, Max

    result = campaign.assignments.annotate(n=Count("units")).aggregate(largest=Max("n"))["largest"]
    return result or 0


# Assignments (三帮一) --------------------------------------------------------


def _check_slots(campaign: Campaign, leader: Official | None, slots: list[UnitSlot]) -> None:
    _refuse(rules.team_errors(mode=campaign.units_per_enterprise, leader=leader, units=slots))


@audited
@transaction.atomic
def assignment_save(
    *,
    actor,
    assignment: Assignment | None = None,
    campaign: Campaign | None = None,
    enterprise: Enterprise | None = None,
    leader: Official | None = None,
    units: list[UnitSlot] | None = None,
) -> Assignment:
    """Create an assignment or replace its leader and units as a whole."""
    require_admin(actor)
    already_assigned = False
    if assignment is None:
        assignment = Assignment(campaign=campaign, enterprise=enterprise)
        already_assigned = Assignment.objects.filter(campaign=campaign, enterprise=enterprise).exists()
    else:
        # The board changes a team under the same row lock.
        assignment = Assignment.objects.select_for_update().select_related("campaign").get(pk=assignment.pk)
    assignment.leader = leader
    slots = list(units or [])
    _refuse(
        rules.team_errors(
            mode=assignment.campaign.units_per_enterprise,
            leader=leader,
            units=slots,
            already_assigned=already_assigned,
            enterprise_name=getattr(enterprise, "name", ""),
        )
    )
    save_or_conflict(
        assignment, code="already_assigned", message=_("This enterprise already has an assignment in this campaign.")
    )
    _write_units(assignment, slots)
    return assignment


def _write_units(assignment: Assignment, slots: list[UnitSlot]) -> None:
    """Replace the team's unit rows; the database checks the mode and the
    single lead before the service returns."""
    before = audit.team(assignment.units.select_related("unit", "responsible", "contact"))
    assignment.units.all().delete()
    AssignmentUnit.objects.bulk_create(
        AssignmentUnit(
            assignment=assignment, unit=s.unit, is_lead=s.is_lead, responsible=s.responsible, contact=s.contact
        )
        for s in slots
    )
    check_deferred_constraints("assignmentunit_rules")
    audit.team_changed(assignment, before, audit.team(slots))


# Imports ----------------------------------------------------------------------


@audited
def import_job_start(*, actor, kind: str, upload, campaign: Campaign | None = None):
    """Keep the uploaded sheet and check it in the background (dry run)."""
    from .imports import IMPORTERS
    from .models import ImportJob

    require_admin(actor)
    if kind not in IMPORTERS:
        raise InvalidInput("invalid_kind", _("Choose what the file holds."), field="kind")
    if kind == ImportJob.Kind.ASSIGNMENTS and campaign is None:
        raise InvalidInput("campaign_required", _("Choose the campaign the pairing table is for."), field="campaign")
    if kind != ImportJob.Kind.ASSIGNMENTS:
        campaign = None  # only the pairing table belongs to a campaign
    checked = uploads.check(upload, uploads.IMPORT_FILES, field="file", max_bytes=settings.ZOUFANG_IMPORT_MAX_BYTES)
    with uploads.atomic_with_files():
        job = ImportJob(kind=kind, campaign=campaign, file_name=checked.name, created_by=actor)
        uploads.save(job.file, upload)
        job.save()
        audit.import_event(job, "uploaded")
        outbox.send("enterprises.tasks.run_import_job", job.pk, "check")
    return job


@audited
def import_job_apply(*, actor, job):
    """Apply a clean dry run. Compare-and-swap on the status, so two clicks
    (or two admins) start one apply."""
    from .models import ImportJob

    require_admin(actor)
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED, error_count=0).update(
            status=ImportJob.Status.APPLYING
        )
        if not moved:
            raise Conflict("not_applicable", _("Only a checked file without errors can be applied, once."))
        audit.import_event(job, "apply_requested")
        outbox.send("enterprises.tasks.run_import_job", job.pk, "apply")
    job.refresh_from_db()
    return job


def import_job_run(job_id: int, mode: str) -> None:
    """The worker's side: check or apply the file, recording progress. The
    outbox may hand the same job over twice, so it is safe to run twice: a
    check runs again only while the job waits for one, and an apply holds the
    job's row from start to finish, so a twin waits and then finds it done."""
    from .models import ImportJob

    if mode == "check":
        waiting = [ImportJob.Status.QUEUED, ImportJob.Status.CHECKING]
        if not ImportJob.objects.filter(pk=job_id, status__in=waiting).update(status=ImportJob.Status.CHECKING):
            return
        _import_job_run(job_id, mode)
        return
    try:
        with transaction.atomic():
            if not ImportJob.objects.select_for_update().filter(pk=job_id, status=ImportJob.Status.APPLYING).exists():
                return
            _import_job_run(job_id, mode)
    except Exception:
        # The apply rolled back, its "failed" with it: say it again, outside.
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.APPLYING).update(
            status=ImportJob.Status.FAILED, message=_("The import stopped on an unexpected error; see the worker log.")
        )
        raise


def import_jobs_resume(now=None) -> int:
    """Jobs that waited half an hour for a worker with nothing of theirs
    handed to the broker meanwhile (a broker that lost its queue, a worker
    killed mid-run) are queued again; safe, since a run is (import_job_run)."""
    import datetime

    from django.db.models import Q

    from core import clock
    from core.models import OutboxMessage

    from .models import ImportJob

    now = now or clock.now()
    since = now - datetime.timedelta(minutes=30)
    handed = OutboxMessage.objects.filter(task="enterprises.tasks.run_import_job").filter(
        Q(sent_at__isnull=True) | Q(sent_at__gte=since)
    )
    busy = {args[0] for args in handed.values_list("args", flat=True)}
    waiting = [ImportJob.Status.QUEUED, ImportJob.Status.CHECKING, ImportJob.Status.APPLYING]
    stuck = ImportJob.objects.filter(status__in=waiting, created_at__lt=since).exclude(pk__in=busy)
    resumed = 0
    with transaction.atomic():
        for pk, status in stuck.values_list("pk", "status"):
            mode = "apply" if status == ImportJob.Status.APPLYING else "check"
            outbox.send("enterprises.tasks.run_import_job", pk, mode)
            resumed += 1
    return resumed


def _import_job_run(job_id: int, mode: str) -> None:
    from core import clock

    from .imports import IMPORTERS, FileError
    from .models import ImportJob

    job = ImportJob.objects.select_related("created_by", "campaign").get(pk=job_id)
    importer = IMPORTERS[job.kind](actor=job.created_by, campaign=job.campaign)
    try:
        with job.file.open("rb") as handle:
            from .imports import read_rows

            headers, rows = read_rows(handle, job.file_name)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows), done_rows=0)

        def progress(done):
            ImportJob.objects.filter(pk=job.pk).update(done_rows=done)

        run = importer.check if mode == "check" else importer.apply
        with audit.import_context(job):
            report = run(headers, rows, progress=progress if mode == "check" else None)
    except FileError as error:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, message=str(error))
        if mode == "apply":
            with audit.import_context(job):
                audit.import_event(job, "failed", message=str(error))
        return
    except Exception:
        # Never leave a job "checking" for ever: say it failed, then let the
        # worker log the traceback.
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, message=_("The import stopped on an unexpected error; see the worker log.")
        )
        raise
    if mode == "check":
        status = ImportJob.Status.CHECKED
    else:
        status = ImportJob.Status.APPLIED if report.clean else ImportJob.Status.FAILED
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        done_rows=report.total,
        counts=report.counts,
        errors=report.errors,
        error_count=report.error_count,
        changes=report.changes,
        applied_at=clock.now() if status == ImportJob.Status.APPLIED else None,
        # A check's errors are its report; only an apply refused after a clean check has this to say.
        message="" if report.clean or mode == "check" else _("The data changed since the check; nothing was written."),
    )
    if mode == "apply":
        with audit.import_context(job):
            audit.import_event(job, "applied" if report.clean else "refused", rows=report.total, counts=report.counts)


# The assignment board: one change at a time ----------------------------------------


def _locked_assignment(assignment_id: int) -> tuple[Assignment, list[UnitSlot]]:
    assignment = Assignment.objects.select_for_update().select_related("campaign").get(pk=assignment_id)
    slots = [
        UnitSlot(unit=row.unit, is_lead=row.is_lead, responsible=row.responsible, contact=row.contact)
        for row in assignment.units.select_related("unit", "responsible", "contact").order_by("-is_lead", "unit__name")
    ]
    return assignment, slots


def _replace(assignment: Assignment, leader, slots: list[UnitSlot]) -> Assignment:
    _check_slots(assignment.campaign, leader, slots)
    if assignment.leader_id != getattr(leader, "pk", None):
        assignment.leader = leader
        assignment.save(update_fields=["leader", "updated_at"])
    else:
        assignment.save(update_fields=["updated_at"])
    _write_units(assignment, slots)
    return assignment


@audited
@transaction.atomic
def assignment_open(*, actor, campaign: Campaign, enterprise: Enterprise) -> Assignment:
    """Start an (empty) team for an enterprise on the board."""
    require_admin(actor)
    assignment, _created = Assignment.objects.get_or_create(campaign=campaign, enterprise=enterprise)
    return assignment


@audited
@transaction.atomic
def assignment_set_leader(*, actor, assignment_id: int, leader: Official | None) -> Assignment:
    require_admin(actor)
    assignment, slots = _locked_assignment(assignment_id)
    return _replace(assignment, leader, slots)


@audited
@transaction.atomic
def assignment_add_unit(*, actor, assignment_id: int, unit: HelpUnit) -> Assignment:
    """Add a unit; the first unit of a team is its lead."""
    require_admin(actor)
    assignment, slots = _locked_assignment(assignment_id)
    head, deputy = _default_people(unit)
    return _replace(
        assignment,
        assignment.leader,
        [*slots, UnitSlot(unit=unit, is_lead=not slots, responsible=head, contact=deputy)],
    )


def _default_people(unit: HelpUnit):
    """The unit's head as first responsible person and a deputy as contact,
    as the scheme has it, when the unit has exactly one of each."""
    heads = list(Official.objects.filter(unit=unit, is_active=True, rank=Rank.HEAD)[:2])
    deputies = list(Official.objects.filter(unit=unit, is_active=True, rank=Rank.DEPUTY)[:2])
    return (heads[0] if len(heads) == 1 else None), (deputies[0] if len(deputies) == 1 else None)


@audited
@transaction.atomic
def assignment_remove_unit(*, actor, assignment_id: int, unit: HelpUnit) -> Assignment:
    require_admin(actor)
    assignment, slots = _locked_assignment(assignment_id)
    leaving = next((s for s in slots if s.unit.pk == unit.pk), None)
    if leaving is None:
        raise Conflict("not_on_team", _("%(u)s is no longer on this team.") % {"u": unit.name})
    rest = [s for s in slots if s.unit.pk != unit.pk]
    if leaving.is_lead and rest:
        raise InvalidInput(
            "lead_leaving", _("%(u)s leads this team: make another unit the lead first.") % {"u": unit.name}
        )
    return _replace(assignment, assignment.leader, rest)


@audited
@transaction.atomic
def assignment_make_lead(*, actor, assignment_id: int, unit: HelpUnit) -> Assignment:
    require_admin(actor)
    assignment, slots = _locked_assignment(assignment_id)
    if not any(s.unit.pk == unit.pk for s in slots):
        raise Conflict("not_on_team", _("%(u)s is no longer on this team.") % {"u": unit.name})
    slots = [
        UnitSlot(unit=s.unit, is_lead=s.unit.pk == unit.pk, responsible=s.responsible, contact=s.contact) for s in slots
    ]
    return _replace(assignment, assignment.leader, slots)


@audited
@transaction.atomic
def assignment_set_people(
    *, actor, assignment_id: int, unit: HelpUnit, responsible: Official | None, contact: Official | None
) -> Assignment:
    require_admin(actor)
    assignment, slots = _locked_assignment(assignment_id)
    if not any(s.unit.pk == unit.pk for s in slots):
        raise Conflict("not_on_team", _("%(u)s is no longer on this team.") % {"u": unit.name})
    slots = [
        UnitSlot(unit=s.unit, is_lead=s.is_lead, responsible=responsible, contact=contact)
        if s.unit.pk == unit.pk
        else s
        for s in slots
    ]
    return _replace(assignment, assignment.leader, slots)


# Help plans ------------------------------------------------------------------------


@audited
@uploads.atomic_with_files()
def help_plan_submit(*, actor, campaign: Campaign, upload, summary: str = ""):
    """帮扶方案: a unit files (or refiles) its plan for a campaign. The file
    it replaces is deleted once the new one is committed."""
    from core import clock
    from core.services import require_text

    from .models import HelpPlan

    if not actor.is_active or actor.unit_id is None:
        raise NotPermitted("no_unit", _("Only an official of a unit can file its help plan."))
    uploads.check(upload, uploads.HELP_PLAN_FILES, field="file")
    summary = require_text(summary, field="summary", max_length=5000, required=False)
    plan, _created = HelpPlan.objects.get_or_create(campaign=campaign, unit_id=actor.unit_id)
    uploads.delete_on_commit(plan.file)
    uploads.save(plan.file, upload)
    plan.summary = summary
    plan.submitted_at = clock.now()
    plan.submitted_by = actor
    plan.save()
    return plan


@audited
def official_reset_link(*, actor, official: Official) -> str:
    """A one-time link where the official sets a new password (Django's
    token: it stops working once the password changes or after
    PASSWORD_RESET_TIMEOUT), absolute (ZOUFANG_SITE_URL) so that the copy
    sent by e-mail, when the official has an address, can be opened."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    require_admin(actor)
    if not official.is_active:
        raise InvalidInput("inactive", _("Reactivate the account first."))
    from django.conf import settings

    path = settings.ZOUFANG_SITE_URL + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(official.pk)),
            "token": default_token_generator.make_token(official),
        },
    )
    audit.link_made(official)
    if official.email:
        send_mail(
            _("Zoufang: set your password"),
            _("Open this link to set your password: %(p)s") % {"p": path},
            None,
            [official.email],
            fail_silently=True,
        )
    return path


@audited
@transaction.atomic
def preferences_save(*, actor: Official, email: str, email_notifications: bool) -> Official:
    """A user's own settings: the address for reminders and whether to get
    them by e-mail (the in-app inbox always has them)."""
    actor.email = (email or "").strip()
    # Only the address is the user's to change here, so only its rule speaks.
    _refuse([error for error in official_check(actor) if error.field == "email"])
    actor.email_notifications = bool(email_notifications)
    actor.save(update_fields=["email", "email_notifications"])
    return actor
