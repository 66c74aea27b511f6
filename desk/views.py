"""The desk: the pages of a working day that bring the layers together —
My work, the enterprise list and page (with their visits and issues), the
visit list and page (with the issues raised) and the visit form with its
issues (issues.intake). Thin views over the apps' selectors and services;
each app below knows nothing of this one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock, uploads
from core.db import replica_view
from core.errors import Conflict, NotFound, ServiceError
from core.exports import xlsx_response
from core.forms import style_form
from core.ids import parse_id, parse_ids
from core.pagination import CappedPaginator
from core.shortcuts import get_restricted_or_404
from enterprises import selectors as enterprise_selectors
from enterprises.models import Campaign, Enterprise, Official
from issues import deadlines, intake, similar
from issues import queues as issue_queues
from issues.choices import Status
from issues.forms import RaisedIssueFormSet
from issues.selectors import issue_list, unit_work, visits_with_issue_counts
from visits import selectors as visit_selectors
from visits import services as visit_services
from visits.filters import EnterpriseVisitFilter, VisitFilter
from visits.forms import VisitCorrectionForm, VisitForm, VisitWithdrawalForm
from visits.models import Visit

from . import profile

PAGE_SIZE = 25


# More enterprises than this and My work shows them folded (on a phone, 20 ran to 2,500 px).
ENTERPRISES_UNFOLDED = 5


@login_required
def my_work(request):
    """My work: the unit's enterprises, what waits for sign-for, open issues
    by deadline, and my recent visits."""
    user = request.user
    today = clock.today()
    campaign = Campaign.objects.current()
    issues = issue_list(user=user)
    unit_id = user.unit_id
    work = unit_work(user=user)
    to_sign, open_issues, co_issues = work["to_sign"], work["own"], work["co_handled"]
    registered = list(
        issues.filter(status=Status.REGISTERED, registered_by__unit_id=unit_id).order_by("-registered_at")[:20]
        if unit_id
        else []
    )
    deadlines.mark(to_sign + open_issues + co_issues, today)
    assignments = list(visit_selectors.unit_assignments(user=user, campaign=campaign)[:200])
    for assignment in assignments:
        assignment.not_visited = not visit_selectors.visited_in_time(assignment.last_visit, campaign, today)
    # Those due a visit first; on a phone the list folds when it is long.
    assignments.sort(key=lambda assignment: not assignment.not_visited)
    due_visits = sum(1 for assignment in assignments if assignment.not_visited)
    context = {
        # A supervisor's and an administrator's home: the queues of the desks, oldest first.
        "queues": issue_queues.supervisor_queues(user=user, today=today) if user.is_supervisor or user.is_admin else [],
        "gaps": enterprise_selectors.admin_gaps(user=user, campaign=campaign) if user.is_admin else [],
        "campaign": campaign,
        "assignments": assignments,
        "to_sign": to_sign,
        "open_issues": open_issues,
        "co_issues": co_issues,
        "counts": work["counts"],
        "due_visits": due_visits,
        "enterprises_folded": len(assignments) > ENTERPRISES_UNFOLDED,
        "registered": registered,
        "recent_visits": list(visits_with_issue_counts(user=user).filter(participant_rows__official=user)[:10]),
        "today": today,
        "due_soon_days": deadlines.due_soon_days(),
    }
    return render(request, "core/my_work.html", context)


# Enterprises -------------------------------------------------------------------


@login_required
def enterprise_list(request):
    filterset = EnterpriseVisitFilter(
        request.GET, queryset=visit_selectors.enterprise_directory(user=request.user), request=request
    )
    style_form(filterset.form)
    rows = filterset.qs.order_by("name", "id") if filterset.is_valid() else Enterprise.objects.none()
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    campaign = Campaign.objects.current()
    today = clock.today()
    for enterprise in page:
        enterprise.not_visited = not visit_selectors.visited_in_time(enterprise.last_visit, campaign, today)
    return render(
        request, "enterprises/enterprise_list.html", {"filter": filterset, "page": page, "campaign": campaign}
    )


@login_required
def enterprise_detail(request, pk: int):
    enterprise = get_restricted_or_404(enterprise_selectors.enterprise_list(user=request.user), pk=pk)
    campaign = Campaign.objects.current()
    issues = list(issue_list(user=request.user).filter(enterprise=enterprise).order_by("-registered_at")[:100])
    deadlines.mark(issues, clock.today())
    context = {
        "enterprise": enterprise,
        "campaign": campaign,
        "team": enterprise_selectors.enterprise_team(user=request.user, enterprise=enterprise, campaign=campaign),
        "visits": visits_with_issue_counts(user=request.user).filter(enterprise=enterprise)[:20],
        "issues": issues,
    }
    return render(request, "enterprises/enterprise_detail.html", context)


@login_required
def enterprise_profile(request, pk: int):
    """一企一档: the enterprise's printable profile (A4)."""
    enterprise = get_restricted_or_404(enterprise_selectors.enterprise_list(user=request.user), pk=pk)
    context = profile.enterprise_profile(user=request.user, enterprise=enterprise)
    return render(request, "enterprises/enterprise_profile.html", context)


@login_required
def our_enterprises(request):
    """A unit's view of the board: the enterprises we help, and with whom."""
    campaign = Campaign.objects.current()
    assignments = list(visit_selectors.unit_partners(user=request.user, campaign=campaign)) if campaign else []
    return render(request, "enterprises/our_enterprises.html", {"campaign": campaign, "assignments": assignments})


# Visits ------------------------------------------------------------------------


def _filtered(request):
    filterset = VisitFilter(request.GET, queryset=visits_with_issue_counts(user=request.user), request=request)
    style_form(filterset.form)
    rows = filterset.qs if filterset.is_valid() else Visit.objects.none()
    return filterset, rows


@login_required
def visit_list(request):
    filterset, rows = _filtered(request)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "visits/visit_list.html", {"filter": filterset, "page": page})


@login_required
def participation_list(request):
    """Visit person-times (走访人次): one row per official on a visit, for
    the visits the same filters pick."""
    filterset, rows = _filtered(request)
    page = CappedPaginator(visit_selectors.participations(visits=rows), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "visits/participation_list.html", {"filter": filterset, "page": page})


@login_required
@replica_view
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


def _visit_page(request, pk: int, *, withdrawal=None, status: int = 200):
    """The visit page, withdrawn or not, with its history of changes; a
    withdrawal form sent back with what was typed and why it was refused."""
    visit = get_restricted_or_404(visits_with_issue_counts(user=request.user, including_withdrawn=True), pk=pk)
    may_change = visit_services.may_change(request.user, visit)
    if withdrawal is not None and not may_change:  # refused, and no form to show it on
        for errors in withdrawal.errors.values():
            for error in errors:
                messages.error(request, error)
    if withdrawal is None and may_change:
        withdrawal = VisitWithdrawalForm(initial={"version": visit.version})
    changes = list(visit.changes.select_related("actor"))
    context = {
        "visit": visit,
        "issues": issue_list(user=request.user).filter(visit=visit).order_by("number"),
        "raised_again": similar.raised_again_at(user=request.user, visit=visit),
        "attachments": visit.attachments.all(),
        "may_change": may_change,
        "changes": changes,
        "withdrawal": next((change for change in changes if change.kind == change.Kind.WITHDRAW), None),
        "withdrawal_form": withdrawal if may_change else None,
    }
    return render(request, "visits/visit_detail.html", context, status=status)


@login_required
def visit_detail(request, pk: int):
    return _visit_page(request, pk)


@login_required
def visit_correct(request, pk: int):
    """更正: the visit's form as it now stands, to be corrected with a reason.
    A correction made meanwhile is not overwritten: the form comes back
    against the visit as it now is, with what was typed."""
    user = request.user
    visit = get_restricted_or_404(visit_selectors.visit_list(user=user), pk=pk)
    try:
        visit_services.require_may_change(user, visit)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("visit-detail", visit.pk)
    if request.method == "POST":
        form = VisitCorrectionForm(request.POST, user=user, visit=visit)
        if form.is_valid():
            try:
                visit_services.visit_correct(actor=user, visit_id=visit.pk, **form.service_kwargs())
            except Conflict as error:
                # Someone corrected it first: the form shows the visit as it now is (what was
                # typed over the old values would undo theirs), keeping the reason.
                visit.refresh_from_db()
                form = VisitCorrectionForm.current(visit, user=user, reason=request.POST.get("reason", ""))
                form.add_error(None, error.message)
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("The visit is corrected; the change is kept in its history."))
                return redirect("visit-detail", visit.pk)
    else:
        form = VisitCorrectionForm(initial=VisitCorrectionForm.initial_for(visit), user=user, visit=visit)
    chosen = form.fields["participants"].queryset.filter(pk__in=parse_ids(form["participants"].value() or []))
    context = {"form": form, "visit": visit, "participants": chosen.select_related("unit")}
    return render(request, "visits/visit_correct.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def visit_withdraw(request, pk: int):
    """撤回: the visit leaves every list and figure and keeps its page."""
    form = VisitWithdrawalForm(request.POST)
    if form.is_valid():
        try:
            intake.visit_withdraw(
                actor=request.user,
                visit_id=pk,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except NotFound:
            raise Http404 from None
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The visit is withdrawn: it no longer counts anywhere."))
            return redirect("visit-detail", pk)
    return _visit_page(request, pk, withdrawal=form, status=400)


def _raised_blocks(formset) -> list:
    """The issue blocks that read whole and are to be saved: every one of a
    valid formset; while another block is mistaken, those that are not, so
    they are asked about (a duplicate hint) in the same round."""
    formset.is_valid()
    return [
        form for form in formset.forms if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _raised(block) -> intake.RaisedIssue:
    data = {key: value for key, value in block.cleaned_data.items() if key != "DELETE"}
    data["again"] = data["again"] if isinstance(data["again"], int) else None
    return intake.RaisedIssue(**data)


def _ask_about_duplicates(user, enterprise, blocks) -> bool:
    """Each block that reads like an issue the enterprise raised before
    (issues.similar) is given its hints (`block.hints`); whether one must
    first be answered: link it or register it as new, as a second visit the
    same day is asked about. A link chosen must be one the block still reads
    like (its text may have been changed since)."""
    hints = similar.for_new(
        user=user,
        enterprise=enterprise,
        raised=[
            similar.Raised(**{k: block.cleaned_data[k] for k in ("title", "description", "request", "category")})
            for block in blocks
        ],
    )
    asking = False
    for block, found in zip(blocks, hints, strict=True):
        block.hints = found
        again = block.cleaned_data["again"]
        linkable = {hint.pk for hint in found if hint.linkable}
        if isinstance(again, int) and again not in linkable:
            block.add_error("again", _("It no longer reads like the issue chosen: choose again."))
            asking = True
        elif found and again is None:
            asking = True
    return asking


@login_required
def visit_create(request):
    """走访登记: the visit, its photos and files, and the issues raised, saved
    together. A mistake sends back everything typed; files are stored only
    with a saved visit, so the ones chosen are named to be chosen again."""
    user = request.user
    files, file_errors, same_day, duplicates = [], [], [], False
    if request.method == "POST":
        form = VisitForm(request.POST, user=user)
        formset = RaisedIssueFormSet(request.POST, prefix="issues")
        files = request.FILES.getlist("files")
        try:
            visit_services.check_files(files)
        except ServiceError as error:
            file_errors.append(error.message)
        # Asked whenever the enterprise and the blocks are readable, so the hints stay beside
        # their blocks while another mistake is put right.
        form.is_valid()
        blocks = _raised_blocks(formset)
        if enterprise := form.cleaned_data.get("enterprise"):
            duplicates = _ask_about_duplicates(user, enterprise, blocks)
        if form.is_valid() and formset.is_valid() and not file_errors:
            data = form.cleaned_data
            if not data["same_day_confirmed"]:
                same_day = visit_selectors.same_day_visits(
                    user=user,
                    enterprise=data["enterprise"],
                    date=data["date"],
                    participants=list(data["participants"]) or [user],
                )
            if not same_day and not duplicates:
                try:
                    visit = intake.visit_record_with_issues(
                        actor=user,
                        enterprise=data["enterprise"],
                        date=data["date"],
                        form=data["form"],
                        purposes=data["purposes"],
                        summary=data["summary"],
                        participants=list(data["participants"]) or None,
                        snapshot=visit_services.Snapshot(
                            output_value=data["output_value"],
                            revenue=data["revenue"],
                            headcount=data["headcount"],
                            order_book=data["order_book"],
                        ),
                        issues=[_raised(block) for block in blocks],
                        files=files,
                    )
                except ServiceError as error:
                    target = error.field if error.field in form.fields else None
                    if error.field == "files":
                        file_errors.append(error.message)
                    else:
                        form.add_error(target, error.message)
                else:
                    count = visit.issues.count()
                    messages.success(request, _("Visit recorded with %(n)d issue(s) registered.") % {"n": count})
                    if linked := sum(1 for block in blocks if isinstance(block.cleaned_data["again"], int)):
                        messages.success(
                            request, _("%(n)d issue(s) linked to the ones already in the ledger.") % {"n": linked}
                        )
                    return redirect("visit-detail", visit.pk)
    else:
        initial = {"date": clock.today(), "participants": [user.pk]}
        if enterprise := parse_id(request.GET.get("enterprise")):
            initial["enterprise"] = enterprise
        form = VisitForm(initial=initial, user=user)
        formset = RaisedIssueFormSet(prefix="issues")
    chosen_ids = form["participants"].value() or []
    chosen = Official.objects.restrict(user).filter(pk__in=parse_ids(chosen_ids))
    context = {
        "form": form,
        "formset": formset,
        "participants": chosen.select_related("unit"),
        "files_not_kept": [uploads.file_name(f) for f in files],
        "file_errors": file_errors,
        "same_day": same_day,
        "duplicates": duplicates,
        "max_mb": visit_services.max_upload_mb(),
        "max_files": settings.ZOUFANG_UPLOAD_MAX_FILES,
        "accept": uploads.VISIT_FILES.accept,
    }
    return render(request, "visits/visit_form.html", context, status=400 if request.method == "POST" else 200)
