"""The 帮扶办's everyday pages: imports and exports, campaigns, the
assignment board, help plans and officials. Admins only."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _lazy

from core import clock
from core.errors import ServiceError
from core.exports import xlsx_response
from core.forms import style_form

from . import selectors, services
from .imports import IMPORTERS
from .models import Campaign, ImportJob


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("The file holds"), choices=ImportJob.Kind.choices)
    campaign = forms.ModelChoiceField(
        label=_lazy("Campaign (for the pairing table)"), queryset=Campaign.objects.all(), required=False
    )
    file = forms.FileField(label=_lazy("File (.xlsx or .csv)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].initial = Campaign.objects.current()
        style_form(self)


@admin_required
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.import_job_start(
                actor=request.user, kind=data["kind"], upload=data["file"], campaign=data["campaign"]
            )
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("import-detail", job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by", "campaign")[:30]
    return render(request, "manage/import_list.html", {"form": form, "jobs": jobs, "kinds": ImportJob.Kind.choices})


@admin_required
def import_detail(request, pk: int):
    job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.import_job_apply(actor=request.user, job=job)
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("import-detail", job.pk)
    template = "manage/import_progress.html" if request.htmx else "manage/import_detail.html"
    return render(request, template, {"job": job})


@admin_required
def import_template(request, kind: str):
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise Http404
    # Headers only, so the template imports cleanly as it is; what each
    # column takes is listed on the import page.
    return xlsx_response(
        filename=f"template-{kind}.xlsx",
        sheet=str(dict(ImportJob.Kind.choices)[kind]),
        headers=[column.header for column in importer.columns],
        rows=[],
    )


@admin_required
def export(request, kind: str):
    importer_class = IMPORTERS.get(kind)
    if importer_class is None:
        raise Http404
    campaign = Campaign.objects.filter(pk=request.GET.get("campaign") or 0).first() or Campaign.objects.current()
    importer = importer_class(actor=request.user, campaign=campaign)
    queryset = {
        "regions": selectors.region_list,
        "units": selectors.unit_list,
        "officials": selectors.official_list,
        "enterprises": selectors.enterprise_list,
        "assignments": selectors.assignment_list,
    }[kind](user=request.user)
    if kind == "assignments":
        queryset = queryset.filter(campaign=campaign)
    return xlsx_response(
        filename=f"{kind}-{clock.today():%Y%m%d}.xlsx",
        sheet=str(dict(ImportJob.Kind.choices)[kind]),
        headers=[column.header for column in importer.columns],
        rows=importer.export_rows(queryset),
    )
