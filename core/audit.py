"""The audit trail: who changed what (master data, accounts, roles), who
signed in or failed to, who exported or imported what; when, and from which
address. One table, core.AuditEntry.

- Changes to tracked models are recorded by django-auditlog's signals (the
  models are registered by their apps: enterprises.audit); its entries are
  filled in here with the actor and the address (`_fill`).
- The actor is the one a service was called with (`audited`, `acting`), so
  a Celery task or a command records its own; else the request's user, read
  when the entry is written, so an API call signed in with a token records
  its user too (DRF signs it in after the middleware has run).
- Bulk writes (imports) send no signals: they write their entries in bulk
  (`entry` + `record_many`), one INSERT per batch, never one per row.
- Sign-ins, failed sign-ins and sign-outs come from Django's auth signals and
  the token endpoint; exports from core.exports; imports from the import jobs.

Passwords are never recorded: the hash is not a tracked field, and a
password change shows as the change of `credentials_changed_at`."""

import contextlib
import functools
import re
from contextvars import ContextVar
from typing import NamedTuple

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from .models import AuditEntry

Action = AuditEntry.Action

# Frames of what is in force: {"actor": …} from `acting`, {"request": …}
# from the middleware, {"cid": …} from `correlated`; the innermost wins.
_context: ContextVar[tuple[dict, ...]] = ContextVar("audit_context", default=())


@contextlib.contextmanager
def _pushed(frame: dict):
    token = _context.set((*_context.get(), frame))
    try:
        yield
    finally:
        _context.reset(token)


def request_context(request):
    """Entries written while `request` is served carry its user and address."""
    return _pushed({"request": request})


def acting(actor):
    """Entries written inside carry `actor` as who (the address stays the
    request's, if there is one)."""
    return _pushed({"actor": actor})


def correlated(cid: str):
    """Entries written inside share `cid` (an import's rows and its summary)."""
    return _pushed({"cid": cid})


def audited(service):
    """A service's writes are recorded under the `actor` it was called with,
    wherever it is called from (a page, the API, the admin, a task)."""

    @functools.wraps(service)
    def wrapper(*args, actor, **kwargs):
        with acting(actor):
            return service(*args, actor=actor, **kwargs)

    return wrapper


def client_address(request) -> str | None:
    """The client's address as the sign-in lockout sees it (django-axes,
    which knows how far to trust a proxy's X-Forwarded-For)."""
    from axes.helpers import get_client_ip_address

    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    return address or None


def _innermost(key: str):
    for frame in reversed(_context.get()):
        if key in frame:
            return frame[key]
    return None


def current() -> tuple[object | None, object | None]:
    """(actor, request) in force: the innermost `acting`, else the request's
    signed-in user."""
    actor, request = _innermost("actor"), _innermost("request")
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    return actor, request


def _stamp(entry: AuditEntry) -> AuditEntry:
    actor, request = current()
    if entry.actor_id is None and getattr(actor, "pk", None) is not None:
        entry.actor = actor
    if entry.remote_addr is None and request is not None:
        entry.remote_addr = client_address(request)
    if not entry.cid:
        entry.cid = _innermost("cid")
    return entry


def _fill(sender, instance, **kwargs):
    if instance._state.adding:
        _stamp(instance)


def connect() -> None:
    """Called once from CoreConfig.ready()."""
    from django.contrib.auth import signals

    pre_save.connect(_fill, sender=AuditEntry, dispatch_uid="core.audit.fill")
    signals.user_logged_in.connect(_signed_in, dispatch_uid="core.audit.signed_in")
    signals.user_logged_out.connect(_signed_out, dispatch_uid="core.audit.signed_out")
    signals.user_login_failed.connect(_sign_in_failed, dispatch_uid="core.audit.sign_in_failed")


# Writing entries -----------------------------------------------------------------------


def entry(action: int, *, obj=None, model=None, object_repr: str = "", changes=None, data=None) -> AuditEntry:
    """An unsaved entry, stamped with the actor and address in force."""
    model = model or (obj._meta.model if obj is not None else None)  # obj may be a lazy request.user
    pk = getattr(obj, "pk", None)
    return _stamp(
        AuditEntry(
            action=action,
            content_type=ContentType.objects.get_for_model(model) if model is not None else None,
            object_pk="" if pk is None else str(pk),
            object_id=pk if isinstance(pk, int) else None,
            object_repr=(object_repr or (str(obj) if obj is not None else ""))[:1000],
            changes=changes or None,
            additional_data=data or None,
        )
    )


def record(action: int, **kwargs) -> AuditEntry:
    made = entry(action, **kwargs)
    made.save()
    return made


def record_many(entries, batch_size: int = 2000) -> None:
    """Save `entries` (any iterable, a generator included) in INSERTs of
    `batch_size`, holding no more than one batch in memory."""
    batch = []
    for made in entries:
        batch.append(made)
        if len(batch) == batch_size:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    if batch:
        AuditEntry.objects.bulk_create(batch)


# Sign-ins ------------------------------------------------------------------------------


def _sign_in_entry(action, request, *, user=None, username="", data=None) -> None:
    from django.contrib.auth import get_user_model

    frames = contextlib.ExitStack()
    if request is not None:
        frames.enter_context(request_context(request))
    if user is not None and action != Action.SIGN_IN_FAILED:
        frames.enter_context(acting(user))
    with frames:
        if user is not None:
            record(action, obj=user, object_repr=user.get_username(), data=data)
        else:
            record(action, model=get_user_model() if username else None, object_repr=username, data=data)


def record_sign_in(request, user, *, via: str) -> None:
    """A sign-in: on the page (Django's user_logged_in) or for an API token."""
    _sign_in_entry(Action.SIGN_IN, request, user=user, data={"via": via})


def _via(request) -> str:
    return "api" if request is not None and request.path.startswith("/api/") else "page"


def _signed_in(sender, request, user, **kwargs):
    record_sign_in(request, user, via=_via(request))


def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        _sign_in_entry(Action.SIGN_OUT, request, user=user)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    """The user name typed (never the password), the account it names if
    any, and whether this failure locked it out."""
    from django.contrib.auth import get_user_model

    username = str(credentials.get("username") or "")[:150]
    user = get_user_model()._default_manager.filter(username=username).first() if username else None
    data = {"via": _via(request), "username": username}
    if getattr(request, "axes_locked_out", False):
        data["locked_out"] = True
    _sign_in_entry(Action.SIGN_IN_FAILED, request, user=user, username=username, data=data)


# Exports ---------------------------------------------------------------------------------


def record_export(*, name: str, rows: int | None, data: dict | None = None) -> None:
    """Who exported which list (the file's name and the page's path), with
    which filter (the query string) and how many rows."""
    _actor, request = current()
    details = {"file": name, "rows": rows, **(data or {})}
    if request is not None:
        details["path"] = request.path
        details["filter"] = {key: values if len(values) > 1 else values[0] for key, values in request.GET.lists()}
    record(Action.EXPORT, object_repr=name, data=details)


def mask(value: str) -> str:
    """A secret in a change: whether there is one, never any of it.
    (django-auditlog passes a new row's missing "before" as "None".)"""
    return "******" if value and value != "None" else ""


# Reading entries ---------------------------------------------------------------------------


class Line(NamedTuple):
    label: str
    before: str
    after: str


# Labels of the keys that entries carry besides model fields (details, and
# the members of a 三帮一 team in a change of its units).
LABELS = {
    "units": _("units"),
    "unit": _("unit"),
    "lead": _("lead unit"),
    "responsible": _("first responsible person"),
    "contact": _("contact"),
    "via": _("signed in through"),
    "username": _("user name typed"),
    "locked_out": _("locked out"),
    "file": _("file"),
    "rows": _("rows"),
    "path": _("page"),
    "filter": _("filter"),
    "stage": _("stage"),
    "kind": _("kind"),
    "campaign": _("campaign"),
    "counts": _("counts"),
    "message": _("message"),
    # An import's counts, as its page says them.
    "create": _("New"),
    "update": _("Changed"),
    "unchanged": _("Unchanged"),
    "error": _("Rows with errors"),
}


# Words for the values of some details.
VALUES = {
    "via": {"page": _("the sign-in page"), "api": _("the API token endpoint")},
    "stage": {
        "uploaded": _("uploaded and checked"),
        "apply_requested": _("apply requested"),
        "applied": _("applied"),
        "refused": _("refused: the data changed since the check"),
        "failed": _("failed"),
    },
}


def shown(value) -> str:
    """A recorded value as text."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if isinstance(value, list):
        return "；".join(shown(item) for item in value)
    if isinstance(value, dict):  # a team member (its unit first, by name alone), a filter, counts
        parts = [shown(value["unit"])] if "unit" in value else []
        for key, item in value.items():  # in PostgreSQL's order of keys (jsonb), not as written
            if key == "unit":
                continue
            elif item is True:
                parts.append(str(LABELS.get(key, key)))
            elif item not in (None, "", False, [], {}):
                parts.append(f"{LABELS.get(key, key)}{pgettext('label', ': ')}{shown(item)}")
        return " · ".join(parts)
    return str(value)


def kind_of(entry: AuditEntry) -> str:
    """The kind of record an entry concerns, in words ("" for none)."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    return str(model._meta.verbose_name) if model is not None else ""


def change_lines(entry: AuditEntry) -> list[Line]:
    """An entry's changes as (field, before, after), fields by their
    verbose names. No query: the model comes from the content type, which
    the list loads with the entry."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    lines = []
    for name, change in (entry.changes or {}).items():
        label, choices = LABELS.get(name, name), {}
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                field = model._meta.get_field(name)
                if hasattr(field, "verbose_name"):
                    label = field.verbose_name
                    choices = {str(value): text for value, text in field.flatchoices} if field.choices else {}
                elif name not in LABELS and field.related_model is not None:
                    # A reverse relation (a scheme's limits) by the rows' own name.
                    label = field.related_model._meta.verbose_name_plural
        if isinstance(change, dict) and change.get("type") == "m2m":  # django-auditlog's many-to-many shape
            objects = "、".join(in_words(item) for item in change.get("objects", []))
            before, after = (objects, "—") if change.get("operation") == "delete" else ("—", objects)
        else:
            before, after = (change + [None, None])[:2] if isinstance(change, list) else (None, change)
            # A choice by its words ("小型", not "small"), as the form offered it.
            before, after = (
                shown(choices.get(value, value) if isinstance(value, str) else value) for value in (before, after)
            )
        lines.append(Line(str(label), before, after))
    return lines


_PERMISSION = re.compile(r"^(?P<where>.*\| )Can (?P<verb>add|change|delete|view) (?P<model>.+)$")


def in_words(text: str) -> str:
    """A recorded object's text; a permission ("… | Can view enterprise", the
    words Django stores in English) in the interface's language."""
    match = _PERMISSION.match(text)
    if not match:
        return text
    verbs = {
        "add": _("Can add %(model)s"),
        "change": _("Can change %(model)s"),
        "delete": _("Can delete %(model)s"),
        "view": _("Can view %(model)s"),
    }
    models = {model._meta.verbose_name_raw: model._meta.verbose_name for model in apps.get_models()}
    return match["where"] + str(verbs[match["verb"]]) % {"model": models.get(match["model"], match["model"])}


def detail_lines(entry: AuditEntry) -> list[tuple[str, str]]:
    return [
        (str(LABELS.get(key, key)), shown(VALUES.get(key, {}).get(value, value) if isinstance(value, str) else value))
        for key, value in (entry.additional_data or {}).items()
    ]


def entry_list(*, user):
    """The trail, newest first, for administrators; nothing for anyone else."""
    if not getattr(user, "is_admin", False):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
