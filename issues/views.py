from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from core.db import replica_view
from core.errors import Conflict, ServiceError
from core.exports import xlsx_response
from core.forms import style_form
from core.ids import parse_id
from core.pagination import CappedPaginator
from core.shortcuts import get_restricted_or_404

from . import deadlines, exports, selectors, services
from .actions import ACTIONS
from .choices import Action, ExtensionStatus
from .filters import IssueFilter
from .forms import ActionForm
from .models import CommonProblem, Issue, IssueAttachment

PAGE_SIZE = 25
SORTS = {
    "due": ("due_date", "id"),
    "-due": ("-due_date", "-id"),
    "number": ("number",),
    "-number": ("-number",),
    "enterprise": ("enterprise__name", "number"),
    "-registered": ("-registered_at", "-id"),
}


def _filtered(request):
    filterset = IssueFilter(request.GET, queryset=selectors.issue_list(user=request.user), request=request)
    style_form(filterset.form)
    sort = request.GET.get("sort", "-registered")
    rows = (
        filterset.qs.order_by(*SORTS.get(sort, SORTS["-registered"])) if filterset.is_valid() else Issue.objects.none()
    )
    return filterset, rows, sort


@login_required
def issue_list(request):
    filterset, rows, sort = _filtered(request)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    deadlines.mark(page.object_list, clock.today())
    return render(request, "issues/issue_list.html", {"filter": filterset, "page": page, "sort": sort})


@login_required
@replica_view
def issue_export(request):
    _filterset, rows, _sort = _filtered(request)
    return xlsx_response(
        filename=f"issues-{clock.today():%Y%m%d}.xlsx",
        sheet=_("Issues"),
        headers=exports.headers(),
        rows=exports.rows(rows, today=clock.today()),
    )


def _issue_or_404(user, pk):
    return get_restricted_or_404(selectors.issue_list(user=user), pk=pk)


@login_required
def issue_detail(request, pk: int):
    return _detail(request, _issue_or_404(request.user, pk))


def _detail(request, issue, refused: ActionForm | None = None):
    """The issue page; `refused`, an action's form sent back with what was
    typed and why it was refused, in place of that action's empty one."""
    deadlines.mark([issue], clock.today())
    selectors.with_closure([issue])
    forms = [
        (
            name,
            ACTIONS[name].label,
            refused
            if refused is not None and refused.action.name == name
            else ActionForm(action=ACTIONS[name], user=request.user, initial={"version": issue.version}),
        )
        for name in services.allowed_actions(issue, request.user)
    ]
    context = {
        "issue": issue,
        "events": issue.history,
        "action_forms": forms,
        "pending_extension": issue.extensions.filter(status=ExtensionStatus.PENDING).first(),
        # Its common problem, named where the user's scope reaches it (supervisors of its region).
        "common_problem_seen": issue.common_problem_id is not None
        and CommonProblem.objects.restrict(request.user).filter(pk=issue.common_problem_id).exists(),
        # A coordination meeting's: the agenda it waits on (for those who see the meeting), its last decision.
        "agenda_item": selectors.meeting_waiting_for(user=request.user, issue=issue),
        "meeting_decision": next((e for e in reversed(issue.history) if e.action == Action.MEETING_DECISION), None),
    }
    return render(request, "issues/issue_detail.html", context, status=400 if refused is not None else 200)


@login_required
@require_POST
def issue_action(request, pk: int, action: str):
    """One lifecycle action. Refused on the issue page, the page comes back
    with the form as typed and the reason by its field; refused on a desk
    (`next`), the desk says which issue the reason is about."""
    if action not in ACTIONS:
        raise Http404
    issue = _issue_or_404(request.user, pk)
    form = ActionForm(request.POST, request.FILES, action=ACTIONS[action], user=request.user)
    if form.is_valid():
        try:
            services.service_for(action)(actor=request.user, issue_id=issue.pk, **form.service_kwargs())
        except Conflict as error:
            # Someone acted first: the page shows what they did; what was
            # typed stays, against the issue as it now is, to send again or not.
            issue = _issue_or_404(request.user, pk)
            form = _rebound(form, version=issue.version)
            form.add_error(None, error.message)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTIONS[action].label})
            return _back(request, issue)
    if not _desk(request) and action in services.allowed_actions(issue, request.user):
        return _detail(request, issue, refused=form)
    for reason in form.reasons():
        messages.error(
            request, _("%(issue)s: %(reason)s") % {"issue": f"{issue.number} {issue.title}", "reason": reason}
        )
    return _back(request, issue)


def _rebound(form: ActionForm, *, version: int) -> ActionForm:
    """`form` bound again to what was sent, at `version`."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    rebound = ActionForm(data, form.files, action=form.action, user=form.user)
    rebound.is_valid()
    return rebound


def _desk(request) -> str:
    """The desk a form was sent from (its `next`), or "" for the issue page."""
    target = request.POST.get("next", "")
    return target if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else ""


def _back(request, issue):
    """Back to the desk the form was on, or to the issue."""
    if target := _desk(request):
        return redirect(target)
    if not selectors.issue_list(user=request.user).filter(pk=issue.pk).exists():
        return redirect("my-work")  # returned: the issue has left this user's scope
    return redirect("issue-detail", issue.pk)


@login_required
def evidence_download(request, pk: int):
    """A photo or document given as evidence, to those who may see its issue."""
    attachment = get_restricted_or_404(IssueAttachment.objects.restrict(request.user), pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        filename=attachment.name,
        as_attachment=attachment.kind != "photo",
        content_type=attachment.content_type,
    )


@login_required
def inbox(request):
    """消息: my reminder digests, newest first."""
    from .models import Digest

    page = Paginator(Digest.objects.filter(recipient=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "issues/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request):
    """Mark one message (or, without an id, all of them) read."""
    from .models import Digest

    mine = Digest.objects.filter(recipient=request.user, read_at__isnull=True)
    chosen = parse_id(request.POST.get("digest"))
    if chosen:
        mine = mine.filter(pk=chosen)
    mine.update(read_at=clock.now())
    return redirect("inbox")
