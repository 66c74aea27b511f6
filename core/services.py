"""Helpers every app's services share."""

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.errors import Conflict, InvalidInput, NotPermitted
from core.validators import text_error


def require_admin(actor) -> None:
    if not getattr(actor, "is_admin", False):
        raise NotPermitted("admin_only", _("Only administrators may change master data."))


def require_supervisor(actor, message: str) -> None:
    """Supervisors' and administrators' work (common problems, meetings): `message` says which."""
    if not (getattr(actor, "is_supervisor", False) or getattr(actor, "is_admin", False)):
        raise NotPermitted("supervisors_only", message)


FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "description": gettext_lazy("description"),
    "request": gettext_lazy("enterprise's request"),
    "reason": gettext_lazy("reason"),
    "note": gettext_lazy("note"),
    "summary": gettext_lazy("summary"),
    "order_book": gettext_lazy("order book"),
    "chair": gettext_lazy("chair"),
    "place": gettext_lazy("place"),
    "attendees": gettext_lazy("attending"),
    "decision": pgettext_lazy("meeting", "decision"),
    "number": gettext_lazy("issue number"),
}


def require_text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    label = FIELD_LABELS.get(field, field)
    if required and not text:
        raise InvalidInput(f"{field}_required", _("%(field)s is required.") % {"field": label}, field=field)
    unstorable = text_error(text)
    if unstorable:
        raise InvalidInput("invalid_text", f"{label}: {unstorable}", field=field)
    if len(text) > max_length:
        raise InvalidInput(
            "too_long",
            _("%(field)s is %(n)d characters long; at most %(max)d are allowed.")
            % {"field": label, "n": len(text), "max": max_length},
            field=field,
        )
    return text


def locked_for_change(rows, pk: int, expected_version: int | None, *, missing, stale: str):
    """The row `pk` of `rows` (restricted to the actor's scope), locked for a
    change, as the actor read it: `missing` (a NotFound) when it is not there
    or not theirs to see, a Conflict saying `stale` when it changed since."""
    row = rows.select_for_update(of=("self",)).filter(pk=pk).first()
    if row is None:
        raise missing
    check_version(row.version, expected_version, stale)
    return row


def check_version(current: int, expected: int | None, message: str) -> None:
    """Optimistic locking, for every record a person edits as they last read
    it (an issue, a visit, a common problem): the version the form carried
    must be the one the locked row has, or the change is refused, saying
    both (`message` has %(now)d and %(had)d). None: the caller did not read
    one (a task, the ladder)."""
    if expected is not None and expected != current:
        raise Conflict("stale_version", message % {"now": current, "had": expected})


def save_or_conflict(instance, *, code: str, message: str):
    """Save; a unique or check constraint that a concurrent writer tripped
    becomes a clear refusal instead of a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(code, message) from exc
    return instance


def check_deferred_constraints(*names: str) -> None:
    """Run deferred constraint triggers now, inside the service, so a broken
    rule is refused here with the service's message and not at COMMIT."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {', '.join(names)} DEFERRED")
