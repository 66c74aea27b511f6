"""The master-data rules, each written once: one pure function per entity.

Every function takes the candidate values (model field names; a foreign key
as the related object or its id, None when missing) and the lookups the rule
needs, which the caller loads in batches (the services one record at a time,
the importer once per file), and returns every error it finds, in a stable
order. Nothing here touches the database, so the services, the importer, the
web forms, the API and the Django admin all refuse the same input with the
same code and the same message.

The format checks themselves (credit code, phone, e-mail) live in
core.validators beside each other; what the accepted phone forms are is
written there.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.validators import credit_code_error, email_error, phone_error, text_error

from .choices import EnterpriseSize, Industry, Rank, RegionLevel, Role, UnitKind
from .models import Campaign, Enterprise, HelpUnit, Official, Region

MAX_TAGS = 20
MAX_VISIT_EVERY_DAYS = 3650  # ten years; the column is a small integer
MAX_TAG_LENGTH = 30
USERNAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@+-")


@dataclass(frozen=True)
class RuleError:
    """One broken rule. `field` is the model field (the API's and the forms'
    field, the importer's column); for a list field (a team's units) `item`
    is the index of the entry at fault and `part` the entry's field."""

    code: str
    field: str
    message: str
    item: int | None = None
    part: str = ""


class Person(Protocol):
    """What the team rule reads of an official (an Official instance will do)."""

    pk: Any
    unit_id: int | None
    rank: str
    display_name: str


@dataclass(frozen=True)
class UnitSlot:
    """One unit on a team, with its first responsible person and contact."""

    unit: HelpUnit
    is_lead: bool = False
    responsible: Official | None = None
    contact: Official | None = None


def clean_credit_code(value: str | None) -> str:
    """Codes are compared and stored trimmed and in capitals."""
    return (value or "").strip().upper()


# Field helpers ------------------------------------------------------------------------


@cache
def _field(model: type[models.Model], name: str):
    return model._meta.get_field(name)


def _label(model, name: str) -> str:
    return capfirst(str(_field(model, name).verbose_name))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(errors: list, model, values: Mapping, name: str, *, required: bool = False) -> str:
    """Required and max length, the length taken from the model."""
    value = values.get(name) or ""
    if required and _blank(value):
        errors.append(RuleError("required", name, _("%(field)s is required.") % {"field": _label(model, name)}))
        return value
    unstorable = text_error(value)
    if unstorable:
        errors.append(RuleError("invalid_text", name, f"{_label(model, name)}: {unstorable}"))
        return value
    limit = _field(model, name).max_length
    if limit and len(value) > limit:
        errors.append(
            RuleError(
                "max_length",
                name,
                _("%(field)s is %(n)d characters long; at most %(max)d are allowed.")
                % {"field": _label(model, name), "n": len(value), "max": limit},
            )
        )
    return value


def _present(errors: list, model, values: Mapping, name: str) -> None:
    if _blank(values.get(name)):
        errors.append(RuleError("required", name, _("%(field)s is required.") % {"field": _label(model, name)}))


@cache
def _codes(choices: type[models.TextChoices]) -> frozenset[str]:
    # Django rebuilds `choices.values` on every access; an import asks per row.
    return frozenset(choices.values)


def _choice(errors: list, model, values: Mapping, name: str, choices: type[models.TextChoices]) -> None:
    value = values.get(name)
    if _blank(value):
        _present(errors, model, values, name)
    elif value not in _codes(choices):
        errors.append(
            RuleError(
                "invalid_choice",
                name,
                _("“%(v)s” is not one of: %(choices)s") % {"v": value, "choices": " / ".join(map(str, choices.labels))},
            )
        )


def _phone(errors: list, model, values: Mapping, name: str) -> None:
    before = len(errors)
    value = _text(errors, model, values, name)
    if value and len(errors) == before:
        message = phone_error(value)
        if message:
            errors.append(RuleError("invalid_phone", name, message))


def _taken(errors: list, name: str, value: str, taken: Collection[str], message: str) -> None:
    if value and value in taken:
        errors.append(RuleError("duplicate", name, message))


# Regions ------------------------------------------------------------------------------


def region_errors(
    values: Mapping,
    *,
    own_path: str | None = None,
    parent_path: str | None = None,
    taken_names: Collection[str] = (),
) -> list[RuleError]:
    """`own_path` and `parent_path`: the region's and its parent's tree paths
    (None for a new region or a root); `taken_names`: the names of the other
    regions under the same parent."""
    errors: list[RuleError] = []
    name = _text(errors, Region, values, "name", required=True)
    _text(errors, Region, values, "code")
    _choice(errors, Region, values, "level", RegionLevel)
    if own_path and parent_path and parent_path.startswith(own_path):
        errors.append(RuleError("region_cycle", "parent", _("A region cannot be placed below itself.")))
    _taken(
        errors,
        "name",
        name,
        taken_names,
        _("This parent already has a region named “%(n)s”.") % {"n": name},
    )
    return errors


# Help units ---------------------------------------------------------------------------

_url_validator = URLValidator()


def unit_errors(values: Mapping, *, taken_names: Collection[str] = ()) -> list[RuleError]:
    """`taken_names`: the names of the other units in the same region."""
    errors: list[RuleError] = []
    name = _text(errors, HelpUnit, values, "name", required=True)
    _present(errors, HelpUnit, values, "region")
    _choice(errors, HelpUnit, values, "kind", UnitKind)
    _text(errors, HelpUnit, values, "head_name")
    _text(errors, HelpUnit, values, "contact_name")
    _phone(errors, HelpUnit, values, "contact_phone")
    before = len(errors)
    url = _text(errors, HelpUnit, values, "webhook_url")
    if url and len(errors) == before:
        try:
            _url_validator(url)
        except ValidationError:
            errors.append(
                RuleError("invalid_url", "webhook_url", _("“%(v)s” is not a web address (http://…).") % {"v": url})
            )
    _text(errors, HelpUnit, values, "webhook_secret")
    _taken(
        errors,
        "name",
        name,
        taken_names,
        _("The region already has a unit named “%(n)s”.") % {"n": name},
    )
    return errors


# Officials ----------------------------------------------------------------------------


def official_errors(values: Mapping, *, taken_usernames: Collection[str] = ()) -> list[RuleError]:
    """`values` may carry `is_superuser` (a superuser needs no unit);
    `taken_usernames`: user names held by other accounts."""
    errors: list[RuleError] = []
    username = _text(errors, Official, values, "username", required=True)
    if username and not set(username) <= USERNAME_CHARACTERS:
        errors.append(
            RuleError(
                "invalid_username",
                "username",
                _("A user name takes letters, digits and @ . + - _ only."),
            )
        )
    _text(errors, Official, values, "name")
    _choice(errors, Official, values, "role", Role)
    _choice(errors, Official, values, "rank", Rank)
    if values.get("role") != Role.ADMIN and not values.get("is_superuser") and _blank(values.get("unit")):
        errors.append(RuleError("unit_required", "unit", _("Officials and supervisors must belong to a unit.")))
    _phone(errors, Official, values, "phone")
    before = len(errors)
    email = _text(errors, Official, values, "email")
    if email and len(errors) == before:
        message = email_error(email)
        if message:
            errors.append(RuleError("invalid_email", "email", message))
    _taken(
        errors,
        "username",
        username,
        taken_usernames,
        _("The user name “%(u)s” is taken.") % {"u": username},
    )
    return errors


# Enterprises --------------------------------------------------------------------------


def enterprise_errors(values: Mapping, *, taken_codes: Collection[str] = ()) -> list[RuleError]:
    """`values["credit_code"]` as clean_credit_code() leaves it;
    `taken_codes`: credit codes held by other enterprises."""
    errors: list[RuleError] = []
    code = values.get("credit_code") or ""
    if not code:
        _present(errors, Enterprise, values, "credit_code")
    else:
        message = credit_code_error(code)
        if message:
            errors.append(RuleError("invalid_credit_code", "credit_code", str(message)))
        elif code in taken_codes:
            errors.append(
                RuleError(
                    "duplicate_credit_code",
                    "credit_code",
                    _("An enterprise with the credit code %(c)s already exists.") % {"c": code},
                )
            )
    _text(errors, Enterprise, values, "name", required=True)
    _present(errors, Enterprise, values, "region")
    _text(errors, Enterprise, values, "address")
    _choice(errors, Enterprise, values, "industry", Industry)
    _choice(errors, Enterprise, values, "size", EnterpriseSize)
    _text(errors, Enterprise, values, "legal_representative")
    _text(errors, Enterprise, values, "contact_name")
    _phone(errors, Enterprise, values, "contact_phone")
    tags = values.get("tags") or []
    if (
        not isinstance(tags, list)
        or len(tags) > MAX_TAGS
        or any(not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH or text_error(tag) for tag in tags)
    ):
        errors.append(
            RuleError(
                "invalid_tags",
                "tags",
                _("Tags: a list of at most %(n)d, each of 1 to %(len)d characters.")
                % {"n": MAX_TAGS, "len": MAX_TAG_LENGTH},
            )
        )
    return errors


# Campaigns ----------------------------------------------------------------------------


def campaign_errors(values: Mapping, *, taken_names: Collection[str] = (), largest_team: int = 0) -> list[RuleError]:
    """`taken_names`: names of the other campaigns; `largest_team`: the most
    units any of this campaign's enterprises has today (0 for a new one)."""
    errors: list[RuleError] = []
    name = _text(errors, Campaign, values, "name", required=True)
    start, end = values.get("start_date"), values.get("end_date")
    _present(errors, Campaign, values, "start_date")
    _present(errors, Campaign, values, "end_date")
    if start and end and end < start:
        errors.append(RuleError("dates_reversed", "end_date", _("The end date is before the start date.")))
    mode = values.get("units_per_enterprise")
    if not isinstance(mode, int) or not 1 <= mode <= 3:
        errors.append(RuleError("invalid_mode", "units_per_enterprise", _("Units per enterprise must be 1, 2 or 3.")))
    elif largest_team > mode:
        errors.append(
            RuleError(
                "mode_below_assignments",
                "units_per_enterprise",
                _("An enterprise in this campaign already has %(n)d units.") % {"n": largest_team},
            )
        )
    every = values.get("visit_every_days")
    if not isinstance(every, int) or every < 1:
        errors.append(
            RuleError("invalid_visit_every", "visit_every_days", _("The visit interval must be at least one day."))
        )
    elif every > MAX_VISIT_EVERY_DAYS:
        errors.append(
            RuleError(
                "invalid_visit_every",
                "visit_every_days",
                _("The visit interval can be at most %(max)d days.") % {"max": MAX_VISIT_EVERY_DAYS},
            )
        )
    _taken(errors, "name", name, taken_names, _("A campaign named “%(n)s” exists.") % {"n": name})
    return errors


# Assignments (三帮一 teams) ------------------------------------------------------------


def team_errors(
    *,
    mode: int,
    leader: Person | None,
    units: Sequence[UnitSlot],
    already_assigned: bool = False,
    enterprise_name: str = "",
) -> list[RuleError]:
    """An enterprise's team in a campaign: `mode` is the campaign's units per
    enterprise; the leader and each unit's people are read for their rank
    and unit; `already_assigned` says the enterprise has another team in
    this campaign."""
    errors: list[RuleError] = []
    if already_assigned:
        errors.append(
            RuleError(
                "already_assigned",
                "enterprise",
                _("%(e)s already has an assignment in this campaign.") % {"e": enterprise_name},
            )
        )
    if leader is not None and leader.rank != Rank.COUNTY_LEADER:
        errors.append(
            RuleError(
                "leader_not_county_leader",
                "leader",
                _("%(n)s is not a county-level leader.") % {"n": leader.display_name},
            )
        )
    if len(units) > mode:
        errors.append(
            RuleError(
                "too_many_units",
                "units",
                _("This campaign pairs at most %(max)d units with an enterprise; %(n)d were given.")
                % {"max": mode, "n": len(units)},
                item=mode,
                part="unit",
            )
        )
    seen = set()
    for index, seat in enumerate(units):
        if seat.unit.pk in seen:
            errors.append(
                RuleError(
                    "duplicate_unit",
                    "units",
                    _("%(u)s is listed twice.") % {"u": seat.unit.name},
                    item=index,
                    part="unit",
                )
            )
        seen.add(seat.unit.pk)
        for role, person in (("responsible", seat.responsible), ("contact", seat.contact)):
            if person is not None and person.unit_id != seat.unit.pk:
                errors.append(
                    RuleError(
                        f"{role}_not_in_unit",
                        "units",
                        _("%(p)s does not belong to %(u)s.") % {"p": person.display_name, "u": seat.unit.name},
                        item=index,
                        part=role,
                    )
                )
    leads = [index for index, seat in enumerate(units) if seat.is_lead]
    if units and not leads:
        errors.append(RuleError("lead_required", "units", _("One of the units must be the lead unit."), part="is_lead"))
    if len(leads) > 1:
        errors.append(
            RuleError(
                "second_lead",
                "units",
                _("Only one unit can be the lead unit; %(n)d were marked.") % {"n": len(leads)},
                item=leads[1],
                part="is_lead",
            )
        )
    return errors
