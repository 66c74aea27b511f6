"""The 帮扶办's everyday pages: imports and exports, campaigns, the
assignment board, help plans and officials. Admins only."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core import clock
from core.decorators import admin_required
from core.errors import ServiceError
from core.exports import xlsx_response
from core.forms import DateInput, style_form
from core.ids import parse_id
from core.shortcuts import get_restricted_or_404

from . import selectors, services
from .imports import IMPORTERS, export_queryset, template_workbook
from .models import Campaign, ImportJob


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("The file holds"), choices=ImportJob.Kind.choices)
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign (for the pairing table)"), queryset=Campaign.objects.all(), required=False
    )
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))

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
    jobs = ImportJob.objects.restrict(request.user).select_related("created_by", "campaign")[:30]
    return render(request, "manage/import_list.html", {"form": form, "jobs": jobs, "kinds": ImportJob.Kind.choices})


@admin_required
def import_detail(request, pk: int):
    job = get_restricted_or_404(ImportJob.objects.restrict(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.import_job_apply(actor=request.user, job=job)
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("import-detail", job.pk)
    template = "manage/import_progress.html" if request.htmx else "manage/import_detail.html"
    return render(request, template, {"job": job})


@admin_required
def import_changes(request, pk: int):
    """Every row a checked import would create or change, with each changed
    field's before and after, as a spreadsheet."""
    job = get_restricted_or_404(ImportJob.objects.restrict(request.user), pk=pk)

    def lines():
        for row, key, action, *rest in job.changes:
            diffs = rest[0] if rest else []  # (jobs checked before field-level changes were kept have none)
            what = "；".join(f"{column}：{before or '—'} → {after or '—'}" for column, before, after in diffs)
            yield [row, key, _("New") if action == "create" else _("Changed"), what]

    return xlsx_response(
        filename=f"import-{job.pk}-changes.xlsx",
        sheet=_("Changes"),
        headers=[_("Row"), pgettext("import report", "Key"), pgettext("import report", "Outcome"), _("What changes")],
        rows=lines(),
    )


@admin_required
def import_template(request, kind: str):
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise Http404
    # Headers, notes, drop-downs and a sheet explaining each column with an
    # example; the data sheet stays empty, so the template imports as it is.
    response = HttpResponse(
        template_workbook(kind, user=request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="template-{kind}.xlsx"'
    return response


@admin_required
def export(request, kind: str):
    importer_class = IMPORTERS.get(kind)
    if importer_class is None:
        raise Http404
    campaign = Campaign.objects.filter(pk=request.GET.get("campaign") or 0).first() or Campaign.objects.current()
    importer = importer_class(actor=request.user, campaign=campaign)
    queryset = export_queryset(kind, user=request.user, campaign=campaign)
    return xlsx_response(
        filename=f"{kind}-{clock.today():%Y%m%d}.xlsx",
        sheet=str(dict(ImportJob.Kind.choices)[kind]),
        headers=[column.header for column in importer.columns],
        rows=importer.export_rows(queryset),
    )


# The assignment board ---------------------------------------------------------------


def _board_context(campaign, enterprises, user):
    from .choices import Rank
    from .models import Official

    selectors.attach_teams(enterprises, campaign=campaign)
    unit_ids = {row.unit_id for e in enterprises if e.team for row in e.team.units.all()}
    people: dict[int, list] = {}
    people_in_scope = Official.objects.restrict(user).filter(unit_id__in=unit_ids, is_active=True)
    for official in people_in_scope.order_by("rank", "name"):
        people.setdefault(official.unit_id, []).append(official)
    for enterprise in enterprises:
        rows = list(enterprise.team.units.all()) if enterprise.team else []
        for row in rows:
            row.people = people.get(row.unit_id, [])
        enterprise.rows = rows
        enterprise.on_team = {row.unit_id for row in rows}
        enterprise.gaps = _gaps(enterprise.team, rows, campaign)
    return {
        "campaign": campaign,
        "leaders": Official.objects.restrict(user).filter(rank=Rank.COUNTY_LEADER, is_active=True).order_by("name"),
        "units": selectors.assignable_units(user=user),
    }


def _gaps(team, rows, campaign) -> list[str]:
    if team is None:
        return [_("no team")]
    gaps = []
    if team.leader_id is None:
        gaps.append(_("no county leader"))
    if sum(1 for row in rows if row.is_lead) != 1:
        gaps.append(_("no lead unit"))
    if len(rows) < campaign.units_per_enterprise:
        gaps.append(_("%(n)d of %(mode)d units") % {"n": len(rows), "mode": campaign.units_per_enterprise})
    if any(row.contact_id is None for row in rows):
        gaps.append(_("contact not named"))
    return gaps


def _campaign_from(request):
    chosen = request.GET.get("campaign") or request.POST.get("campaign")
    campaign_id = parse_id(chosen)
    campaign = Campaign.objects.restrict(request.user).filter(pk=campaign_id).first() if campaign_id else None
    return campaign or Campaign.objects.current()


@admin_required
def board(request):
    from django.core.paginator import Paginator

    campaign = _campaign_from(request)
    if campaign is None:
        messages.error(request, _("Create a campaign first."))
        return redirect("campaign-list")
    gaps_only = request.GET.get("gaps") == "1"
    query = request.GET.get("q", "").strip()
    rows = selectors.board_enterprises(user=request.user, campaign=campaign, gaps_only=gaps_only, query=query)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    context = _board_context(campaign, list(page.object_list), request.user)
    context.update(
        page=page,
        enterprises=page.object_list,
        gaps_only=gaps_only,
        query=query,
        campaigns=Campaign.objects.restrict(request.user),
    )
    return render(request, "manage/board.html", context)


@admin_required
def board_change(request, campaign_id: int, enterprise_id: int, op: str):
    """One change to one enterprise's team; answers with the row re-drawn
    (htmx), carrying the refusal if the rules said no."""
    from .models import Enterprise, HelpUnit, Official

    if request.method != "POST":
        raise Http404
    campaign = get_restricted_or_404(Campaign.objects.restrict(request.user), pk=campaign_id)
    enterprise = get_restricted_or_404(selectors.enterprise_list(user=request.user), pk=enterprise_id)
    post = request.POST

    def pick(model, name):
        value = parse_id(post.get(name))
        return get_restricted_or_404(model.objects.restrict(request.user), pk=value) if value else None

    error = None
    try:
        assignment = services.assignment_open(actor=request.user, campaign=campaign, enterprise=enterprise)
        if op == "leader":
            services.assignment_set_leader(
                actor=request.user, assignment_id=assignment.pk, leader=pick(Official, "leader")
            )
        elif op == "add":
            unit = pick(HelpUnit, "unit")
            if unit is None:
                raise Http404
            services.assignment_add_unit(actor=request.user, assignment_id=assignment.pk, unit=unit)
        elif op in ("remove", "lead", "people"):
            unit = pick(HelpUnit, "unit")
            if unit is None:
                raise Http404
            if op == "remove":
                services.assignment_remove_unit(actor=request.user, assignment_id=assignment.pk, unit=unit)
            elif op == "lead":
                services.assignment_make_lead(actor=request.user, assignment_id=assignment.pk, unit=unit)
            else:
                services.assignment_set_people(
                    actor=request.user,
                    assignment_id=assignment.pk,
                    unit=unit,
                    responsible=pick(Official, "responsible"),
                    contact=pick(Official, "contact"),
                )
        elif op != "open":
            raise Http404
    except ServiceError as refusal:
        error = refusal.message
    enterprise = Enterprise.objects.select_related("region").get(pk=enterprise.pk)
    context = _board_context(campaign, [enterprise], request.user)
    context.update(enterprise=enterprise, error=error)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('board')}?campaign={campaign.pk}")
    return render(request, "manage/board_row.html", context)


# Campaigns --------------------------------------------------------------------------


def _leave_judging_to_the_rules(form) -> None:
    """Master-data forms read what was typed (text, a date, a number, a
    choice); lengths, ranges and formats are enterprises.rules' to judge,
    through the service, so the page words a refusal as every other
    interface does. The limits stay on the inputs (maxlength) as a hint."""
    for field in form.fields.values():
        field.validators = []


class CampaignForm(forms.Form):
    """Reads the typed values; what they must satisfy is enterprises.rules'
    to say (through the service), so this page words it as the API, the
    admin and the importer do."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=DateInput())
    units_per_enterprise = forms.TypedChoiceField(
        label=gettext_lazy("Units per enterprise"),
        coerce=int,
        choices=[(3, "3（三帮一）"), (2, "2"), (1, "1（一帮一）")],
    )
    visit_every_days = forms.IntegerField(
        label=gettext_lazy("Visit at least every (days)"), initial=90, widget=forms.NumberInput(attrs={"min": 1})
    )
    plan_due_date = forms.DateField(label=gettext_lazy("Help plans due"), required=False, widget=DateInput())
    is_current = forms.BooleanField(label=gettext_lazy("Current campaign"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _leave_judging_to_the_rules(self)
        style_form(self)


@admin_required
def campaign_list(request, pk: int | None = None):
    campaign = get_restricted_or_404(Campaign.objects.restrict(request.user), pk=pk) if pk else None
    initial = (
        {name: getattr(campaign, name) for name in CampaignForm.base_fields}
        if campaign
        else {"units_per_enterprise": 3}
    )
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.campaign_save(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Saved: %(n)s.") % {"n": saved.name})
            return redirect("campaign-list")
    return render(
        request,
        "manage/campaigns.html",
        {"form": form, "campaign": campaign, "campaigns": Campaign.objects.restrict(request.user)},
    )


# Help plans --------------------------------------------------------------------------


@admin_required
def plan_status(request):
    from .models import HelpPlan, HelpUnit

    campaign = _campaign_from(request)
    if campaign is None:
        return redirect("campaign-list")
    today = clock.today()
    units = (
        HelpUnit.objects.restrict(request.user)
        .filter(assignments__assignment__campaign=campaign)
        .distinct()
        .order_by("name")
    )
    plans = {
        p.unit_id: p
        for p in HelpPlan.objects.restrict(request.user).filter(campaign=campaign).select_related("submitted_by")
    }
    rows = []
    for unit in units:
        plan = plans.get(unit.pk)
        filed = plan is not None and plan.submitted_at is not None
        late_days = (
            (today - campaign.plan_due_date).days
            if not filed and campaign.plan_due_date and today > campaign.plan_due_date
            else None
        )
        rows.append({"unit": unit, "plan": plan if filed else None, "late_days": late_days})
    rows.sort(key=lambda row: (row["plan"] is not None, -(row["late_days"] or 0), row["unit"].name))
    context = {
        "campaign": campaign,
        "campaigns": Campaign.objects.restrict(request.user),
        "rows": rows,
        "missing": sum(1 for row in rows if row["plan"] is None),
    }
    return render(request, "manage/plans.html", context)


# Officials ------------------------------------------------------------------------------


class OfficialForm(forms.Form):
    """Reads the typed values; the rules (user name, unit, phone, e-mail) are
    enterprises.rules', applied by the service, so a refusal reads here as it
    does in the API, the admin and the importer."""

    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    name = forms.CharField(label=gettext_lazy("Full name"), max_length=50, required=False)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=None, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"))
    rank = forms.ChoiceField(label=gettext_lazy("Rank"))
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False, widget=forms.EmailInput)
    is_active = forms.BooleanField(label=gettext_lazy("Active (untick to deactivate)"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        from .choices import Rank, Role
        from .models import HelpUnit

        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = HelpUnit.objects.filter(is_active=True).order_by("name")
        self.fields["role"].choices = Role.choices
        self.fields["rank"].choices = Rank.choices
        _leave_judging_to_the_rules(self)
        style_form(self)


@admin_required
def official_list(request):
    from django.core.paginator import Paginator

    from .filters import OfficialFilter

    filterset = OfficialFilter(request.GET, queryset=selectors.official_list(user=request.user), request=request)
    style_form(filterset.form)
    rows = filterset.qs.order_by("unit__name", "rank", "name") if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "manage/officials.html", {"filter": filterset, "page": page})


@admin_required
def official_edit(request, pk: int | None = None):
    from .models import Official

    official = get_restricted_or_404(Official.objects.restrict(request.user), pk=pk) if pk else None
    initial = {"is_active": True, "role": "official", "rank": "staff"}
    if official:
        initial = {name: getattr(official, name) for name in OfficialForm.base_fields}
    resetting = request.method == "POST" and "reset" in request.POST
    # The set-password button sends no form: the form shows the record as it is.
    form = OfficialForm(None if resetting else request.POST or None, initial=initial)
    reset_link = None
    if resetting and official:
        try:
            reset_link = services.official_reset_link(actor=request.user, official=official)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("A one-time link to set a new password was made for %(n)s.") % {"n": official})
    elif request.method == "POST" and form.is_valid():
        try:
            saved = services.official_save(actor=request.user, official=official, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Saved: %(n)s.") % {"n": saved})
            if official is None:
                return redirect("official-edit", saved.pk)
            return redirect("official-list")
    return render(request, "manage/official_form.html", {"form": form, "official": official, "reset_link": reset_link})


# The audit trail -------------------------------------------------------------------------


@admin_required
def audit_list(request):
    """Who changed what, signed in, exported or imported, newest first: read
    only, for administrators (who see everything, so the trail is not scoped)."""
    from django.core.paginator import Paginator

    from core import audit
    from core.filters import AuditEntryFilter

    filterset = AuditEntryFilter(request.GET, queryset=audit.entry_list(user=request.user), request=request)
    style_form(filterset.form)
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.kind = audit.kind_of(entry)
        entry.lines = audit.change_lines(entry)
        entry.details = audit.detail_lines(entry)
    return render(request, "manage/audit.html", {"filter": filterset, "page": page})
