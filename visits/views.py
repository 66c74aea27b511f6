from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import clock
from core.errors import ServiceError
from core.exports import xlsx_response
from core.forms import style_form
from core.shortcuts import get_restricted_or_404
from enterprises.models import Official

from . import selectors, services
from .filters import VisitFilter
from .forms import RaisedIssueFormSet, VisitForm
from .models import Visit, VisitAttachment

PAGE_SIZE = 25


def _filtered(request):
    filterset = VisitFilter(request.GET, queryset=selectors.visit_list(user=request.user), request=request)
    style_form(filterset.form)
    rows = filterset.qs if filterset.is_valid() else Visit.objects.none()
    return filterset, rows


@login_required
def visit_list(request):
    filterset, rows = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "visits/visit_list.html", {"filter": filterset, "page": page})


@login_required
def participation_list(request):
    """Visit person-times (走访人次): one row per official on a visit, for
    the visits the same filters pick."""
    filterset, rows = _filtered(request)
    page = Paginator(selectors.participations(visits=rows), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "visits/participation_list.html", {"filter": filterset, "page": page})


@login_required
def visit_export(request):
    _filterset, rows = _filtered(request)
    headers = [
        _("Date"),
        _("Enterprise"),
        _("Unified social credit code"),
        _("Form"),
        _("Purposes"),
        _("Participants"),
        _("Units"),
        _("Person-times"),
        _("Issues raised"),
        _("Summary"),
    ]

    def lines():
        for visit in rows.iterator(chunk_size=500):
            people = list(visit.participant_rows.all())
            yield [
                visit.date,
                visit.enterprise.name,
                visit.enterprise.credit_code,
                visit.get_form_display(),
                "、".join(visit.purpose_labels()),
                "、".join(p.official.display_name for p in people),
                "、".join(dict.fromkeys(p.unit.name for p in people)),
                len(people),
                visit.issue_count,
                visit.summary,
            ]

    return xlsx_response(
        filename=f"visits-{clock.today():%Y%m%d}.xlsx", sheet=_("Visits"), headers=headers, rows=lines()
    )


@login_required
def visit_detail(request, pk: int):
    visit = get_restricted_or_404(selectors.visit_list(user=request.user), pk=pk)
    from issues.selectors import issue_list

    context = {
        "visit": visit,
        "issues": issue_list(user=request.user).filter(visit=visit).order_by("number"),
        "attachments": visit.attachments.all(),
    }
    return render(request, "visits/visit_detail.html", context)


def _pending_attachments(request):
    ids = [int(value) for value in request.POST.getlist("attachments") if value.isdigit()]
    return list(VisitAttachment.objects.filter(pk__in=ids, uploaded_by=request.user, visit__isnull=True))


@login_required
def visit_create(request):
    """走访登记: the visit, its photos and files, and the issues raised, saved
    together; a mistake in one field sends everything back as typed."""
    user = request.user
    attachments, file_errors = [], []
    if request.method == "POST":
        form = VisitForm(request.POST, user=user)
        formset = RaisedIssueFormSet(request.POST, prefix="issues")
        attachments = _pending_attachments(request)
        for uploaded in request.FILES.getlist("files"):
            try:
                attachments.append(services.attachment_upload(actor=user, uploaded=uploaded))
            except ServiceError as error:
                file_errors.append(error.message)
        if form.is_valid() and formset.is_valid() and not file_errors:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    visit = services.visit_record(
                        actor=user,
                        enterprise=data["enterprise"],
                        date=data["date"],
                        form=data["form"],
                        purposes=data["purposes"],
                        summary=data["summary"],
                        participants=list(data["participants"]) or None,
                        snapshot=services.Snapshot(
                            output_value=data["output_value"],
                            revenue=data["revenue"],
                            headcount=data["headcount"],
                            order_book=data["order_book"],
                        ),
                        issues=[services.RaisedIssue(**item) for item in formset.cleaned_data if item],
                        attachments=attachments,
                    )
            except ServiceError as error:
                target = error.field if error.field in form.fields else None
                form.add_error(target, error.message)
            else:
                count = visit.issues.count()
                messages.success(request, _("Visit recorded with %(n)d issue(s) registered.") % {"n": count})
                return redirect("visit-detail", visit.pk)
    else:
        initial = {"date": clock.today(), "participants": [user.pk]}
        enterprise = request.GET.get("enterprise", "")
        if enterprise.isdigit():
            initial["enterprise"] = int(enterprise)
        form = VisitForm(initial=initial, user=user)
        formset = RaisedIssueFormSet(prefix="issues")
    chosen_ids = form["participants"].value() or []
    chosen = Official.objects.restrict(user).filter(pk__in=[int(i) for i in chosen_ids if str(i).isdigit()])
    context = {
        "form": form,
        "formset": formset,
        "participants": chosen.select_related("unit"),
        "attachments": attachments,
        "file_errors": file_errors,
        "max_mb": services.max_upload_mb(),
    }
    return render(request, "visits/visit_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def participant_search(request):
    """htmx: colleagues to add to a visit, by name, user name or unit."""
    query = request.GET.get("q", "").strip()
    people = []
    if query:
        people = (
            Official.objects.restrict(request.user)
            .filter(is_active=True, unit__isnull=False)
            .filter(Q(name__icontains=query) | Q(username__icontains=query) | Q(unit__name__icontains=query))
            .select_related("unit")
            .order_by("name")[:10]
        )
    return render(request, "visits/participant_results.html", {"people": people, "query": query})


@login_required
def attachment_download(request, pk: int):
    attachment = get_restricted_or_404(VisitAttachment.objects.restrict(request.user), pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        filename=attachment.name,
        as_attachment=attachment.kind != VisitAttachment.Kind.PHOTO,
        content_type=attachment.content_type,
    )
