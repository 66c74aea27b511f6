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
from core.errors import ServiceError
from core.exports import xlsx_response
from core.forms import style_form
from core.ids import parse_id
from core.pagination import CappedPaginator
from core.shortcuts import get_restricted_or_404

from . import deadlines, exports, selectors, services
from .actions import ACTIONS
from .choices import ExtensionStatus
from .filters import IssueFilter
from .forms import ActionForm
from .models import Issue, IssueAttachment

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
    issue = _issue_or_404(request.user, pk)
    deadlines.mark([issue], clock.today())
    selectors.with_closure([issue])
    forms = [
        (
            name,
            ACTIONS[name].label,
            ActionForm(action=ACTIONS[name], user=request.user, initial={"version": issue.version}),
        )
        for name in services.allowed_actions(issue, request.user)
    ]
    context = {
        "issue": issue,
        "events": issue.history,
        "action_forms": forms,
        "pending_extension": issue.extensions.filter(status=ExtensionStatus.PENDING).first(),
    }
    return render(request, "issues/issue_detail.html", context)


@login_required
@require_POST
def issue_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    issue = _issue_or_404(request.user, pk)
    form = ActionForm(request.POST, request.FILES, action=ACTIONS[action], user=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return _back(request, issue)
    data = {key: value for key, value in form.cleaned_data.items() if value is not None}
    version = data.pop("version", None)
    if "co_units" in data:
        data["co_units"] = list(data["co_units"])
    try:
        services.service_for(action)(actor=request.user, issue_id=issue.pk, expected_version=version, **data)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTIONS[action].label})
    return _back(request, issue)


def _back(request, issue):
    """Back to the desk the form was on, or to the issue."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
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
