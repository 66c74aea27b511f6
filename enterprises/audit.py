"""What of the organisation and its master data the audit trail records
(core.audit), and the entries written where django-auditlog's signals do not
fire: a 三帮一 team's units (replaced as a whole, in bulk) and the rows an
import writes in bulk.

A team is recorded on its assignment as one change of "units", the whole
team before and after, rather than as the deletions and creations of the unit
rows that the services use to replace it: that is the change as the board and
the pairing table make it."""

from auditlog.registry import auditlog

from core import audit

TEAM_FIELD = "units"


def untracked(model, *names) -> list[str]:
    """What a model's entries leave out: its id (the entry names the row),
    its time stamps (the entry has its own time), the relations pointing at
    it (which django-auditlog would list on a new row as "….None")."""
    reverse = [field.name for field in model._meta.get_fields() if field.auto_created and not field.concrete]
    return ["id", "created_at", "updated_at", *reverse, *names]


def register() -> None:
    """Called once from EnterprisesConfig.ready()."""
    from .models import Assignment, Campaign, Enterprise, HelpPlan, HelpUnit, ImportJob, Official, Region

    # An import's entry names its kind in words (帮扶单位, not "units"), as the import page does.
    audit.VALUES["kind"] = dict(ImportJob.Kind.choices)

    auditlog.register(Region, exclude_fields=untracked(Region, "path"))  # the path follows the parent
    auditlog.register(HelpUnit, exclude_fields=untracked(HelpUnit), mask_fields=["webhook_secret"])
    # Never the password hash: a password change shows as the change of
    # credentials_changed_at. Signing in (last_login) is the sign-in's entry.
    auditlog.register(
        Official,
        exclude_fields=untracked(Official, "password", "last_login"),
        m2m_fields={"groups", "user_permissions"},
    )
    for model in (Enterprise, Campaign, Assignment, HelpPlan):
        auditlog.register(model, exclude_fields=untracked(model))


def link_made(official) -> None:
    """A one-time set-password link was made for `official` (the link itself
    is a credential and is not kept)."""
    audit.record(audit.Action.PASSWORD_LINK, obj=official)


# 三帮一 teams ------------------------------------------------------------------------------


def _name(person) -> str | None:
    return str(person) if person is not None else None


def _members(slots) -> list[dict]:
    """(unit, is lead, responsible, contact) as recorded, lead first."""
    members = [
        {"unit": str(unit), "lead": bool(lead), "responsible": _name(responsible), "contact": _name(contact)}
        for unit, lead, responsible, contact in slots
    ]
    return sorted(members, key=lambda member: (not member["lead"], member["unit"]))


def team(rows) -> list[dict]:
    """A team as recorded: its units, lead first, each with its people by
    name. `rows` are AssignmentUnit rows or UnitSlots (the same attributes)."""
    return _members((row.unit, row.is_lead, row.responsible, row.contact) for row in rows)


def team_changed(assignment, before: list[dict], after: list[dict]) -> None:
    if before != after:
        audit.record(audit.Action.UPDATE, obj=assignment, changes={TEAM_FIELD: [before, after]})


def campaigns_retired(campaigns) -> None:
    """Making one campaign current retires the other in one UPDATE, which
    sends no signal."""
    for campaign in campaigns:
        audit.record(audit.Action.UPDATE, obj=campaign, changes={"is_current": [True, False]})


# Imports -----------------------------------------------------------------------------------


def _value(value):
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def import_entries(model, rows):
    """Unsaved entries, one by one, for rows an import wrote in bulk. `rows` are
    (instance, before, after): `before` None for a created row, else the
    values the row had; `after` the values written, foreign keys by their
    `<name>_id` (recorded by name, as the signals record them: one query per
    related model for the whole file)."""
    rows = list(rows)
    related: dict[str, tuple[str, dict]] = {}
    for name in {name for _instance, _before, after in rows for name in after}:
        field = model._meta.get_field(name)
        if field.is_relation:
            ids = {values.get(name) for _i, before, after in rows for values in (before or {}, after)} - {None}
            related[name] = (field.name, field.related_model._default_manager.in_bulk(ids))

    def shown(name, value):
        if name in related:
            return related[name][0], _value(related[name][1].get(value)) if value is not None else None
        return name, _value(value)

    for instance, before, after in rows:
        changes = {}
        for name, value in after.items():
            old = before.get(name) if before is not None else None
            if before is None and value in (None, "", [], False):
                continue
            if before is not None and old == value:
                continue
            label, new = shown(name, value)
            changes[label] = [shown(name, old)[1], new]
        action = audit.Action.CREATE if before is None else audit.Action.UPDATE
        yield audit.entry(action, obj=instance, changes=changes)


def import_context(job):
    """What a job's worker writes is audited under the job's actor (who
    uploaded it), with one correlation id for the job's every entry."""
    import contextlib

    stack = contextlib.ExitStack()
    stack.enter_context(audit.acting(job.created_by))
    stack.enter_context(audit.correlated(f"import-{job.pk}"))
    return stack


def import_event(job, stage: str, **data) -> None:
    """An import's own entry: uploaded, apply requested, then applied (with
    its counts), refused or failed."""
    with audit.correlated(f"import-{job.pk}"):
        audit.record(
            audit.Action.IMPORT,
            obj=job,
            object_repr=job.file_name,
            data={
                "stage": stage,
                "kind": job.kind,
                "file": job.file_name,
                "campaign": str(job.campaign) if job.campaign_id else None,
                **data,
            },
        )


def team_entries(rows):
    """Unsaved entries, one by one, for the teams a pairing table wrote in bulk. `rows` are
    (assignment, its name, before, after), a team being (leader id, [(unit
    id, is lead, responsible id, contact id)]) and `before` None for a new
    assignment. Names come from two queries for the whole file."""
    from .models import HelpUnit, Official

    rows = list(rows)
    teams = [team for _a, _n, before, after in rows for team in (before, after) if team is not None]
    units = HelpUnit.objects.in_bulk({slot[0] for _leader, slots in teams for slot in slots})
    people = Official.objects.in_bulk(
        {leader for leader, _slots in teams} | {pk for _l, slots in teams for slot in slots for pk in slot[2:]} - {None}
    )

    def person(pk):
        return _name(people.get(pk)) if pk is not None else None

    def members(slots):
        return _members((units[unit], lead, person(first), person(contact)) for unit, lead, first, contact in slots)

    for assignment, name, before, after in rows:
        old_leader, old_team = (before[0], members(before[1])) if before is not None else (None, [])
        new_leader, new_team = after[0], members(after[1])
        changes = {}
        if old_leader != new_leader:
            changes["leader"] = [person(old_leader), person(new_leader)]
        if old_team != new_team:
            changes[TEAM_FIELD] = [old_team, new_team]
        action = audit.Action.CREATE if before is None else audit.Action.UPDATE
        yield audit.entry(action, obj=assignment, object_repr=name, changes=changes)
