"""协调例会's pages: the meetings of the supervisor's regions, one meeting's
agenda (what to put on it, the decision per item, how each is being carried
out), and its minutes laid out to print on A4. Thin pages over
issues.meetings (writes) and issues.selectors (reads)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from core.decorators import supervisor_required
from core.errors import ServiceError
from core.ids import parse_id, parse_ids
from core.shortcuts import get_restricted_or_404
from enterprises.selectors import assignable_units

from . import meetings, selectors
from .forms import DecisionForm, MeetingEditForm, MeetingForm

PAGE_SIZE = 25


def _meeting_or_404(request, pk: int):
    return get_restricted_or_404(selectors.meeting_list(user=request.user), pk=pk)


@supervisor_required
def meeting_list(request):
    """The meetings, latest first, and a new one to schedule."""
    form = MeetingForm(request.POST or None, user=request.user, initial={"held_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meetings.meeting_schedule(actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Scheduled: %(m)s.") % {"m": meeting})
            return redirect("meeting-detail", meeting.pk)
    page = Paginator(selectors.meeting_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "supervise/meetings.html", {"page": page, "form": form}, status=status)


def _edit_form(meeting, data=None):
    initial = {name: getattr(meeting, name) for name in ("title", "held_on", "chair", "place", "attendees", "version")}
    return MeetingEditForm(data, user=None, initial=initial, prefix="edit")


def _agenda(request, meeting, *, refused=None, status=200, edit=None, add_refused=None):
    """The meeting's page; `refused`: (item id, its bound decision form) to
    show again with its errors and what was typed."""
    items = selectors.meeting_agenda(user=request.user, meeting=meeting)
    units = list(assignable_units(user=request.user))
    by_id = {unit.pk: unit for unit in units}
    for item in items:
        if item.decided_at is not None:
            continue
        if refused and refused[0] == item.pk:
            item.form = refused[1]
            item.chosen = parse_id(item.form.data.get(item.form.add_prefix("unit")))
            item.chosen_co = set(parse_ids(item.form.data.getlist(item.form.add_prefix("co_units"))))
        else:
            version = {"problem_version": item.common_problem.version} if item.common_problem_id else {}
            item.form = DecisionForm(user=request.user, prefix=f"item-{item.pk}", initial=version)
            item.chosen, item.chosen_co = None, set()
        # Offered first: the units its issues are with now, and those chosen before.
        seen = {issue.responsible_unit_id for issue in item.cases} | {item.chosen} | item.chosen_co
        item.suggested = [by_id[pk] for pk in sorted(seen - {None}) if pk in by_id]
    context = {
        "meeting": meeting,
        "items": items,
        "candidates": selectors.meeting_candidates(user=request.user, meeting=meeting)
        if meeting.issued_at is None
        else {},
        "units": units,
        "decided_any": any(item.decided_at for item in items),
        "refused_item": refused[0] if refused else None,
        # (the number typed, why it was refused): shown again under the field.
        "add_refused": add_refused,
        "edit_form": edit or _edit_form(meeting),
        "today": clock.today(),
    }
    return render(request, "supervise/meeting.html", context, status=status)


@supervisor_required
def meeting_detail(request, pk: int):
    return _agenda(request, _meeting_or_404(request, pk))


def _back(meeting, anchor: str = "agenda"):
    return redirect(reverse("meeting-detail", args=[meeting.pk]) + f"#{anchor}")


@supervisor_required
@require_POST
def meeting_add(request, pk: int | None = None):
    """列入议程: a confirmed common problem (`problem`, with the `version` the
    page showed) or a single issue by its `number`; the meeting is the
    page's, or the one chosen on the radar's desk (`meeting`)."""
    meeting = _meeting_or_404(request, pk or parse_id(request.POST.get("meeting")) or 0)
    problem_id = parse_id(request.POST.get("problem"))
    try:
        if problem_id is not None:
            item = meetings.meeting_add_problem(
                actor=request.user,
                meeting_id=meeting.pk,
                problem_id=problem_id,
                expected_version=parse_id(request.POST.get("version")),
            )
        else:
            number = request.POST.get("number", "")
            try:
                item = meetings.meeting_add_issue(actor=request.user, meeting_id=meeting.pk, number=number)
            except ServiceError as error:
                return _agenda(request, meeting, add_refused=(number, error.message), status=error.status)
    except ServiceError as error:
        # From the radar's desk: back there, the problem named.
        messages.error(request, error.message)
        return redirect(reverse("escalations") + f"#problem-{problem_id}")
    messages.success(request, _("On the agenda: %(item)s.") % {"item": item})
    return _back(meeting, f"item-{item.pk}")


@supervisor_required
@require_POST
def meeting_decide(request, pk: int, item: int):
    """议定 one item; a refusal shows the agenda again with what was typed."""
    meeting = _meeting_or_404(request, pk)
    form = DecisionForm(request.POST, user=request.user, prefix=f"item-{item}")
    status = 400
    if form.is_valid():
        try:
            meetings.meeting_decide(actor=request.user, meeting_id=meeting.pk, item_id=item, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, _("Decided; the decision is on each of its issues."))
            return _back(meeting, f"item-{item}")
    return _agenda(request, meeting, refused=(item, form), status=status)


@supervisor_required
@require_POST
def meeting_edit(request, pk: int):
    """改期 and corrections of the meeting's facts; a refusal (a stale page
    among them) shows the form again with its errors."""
    meeting = _meeting_or_404(request, pk)
    form = _edit_form(meeting, request.POST)
    status = 400
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            meetings.meeting_edit(
                actor=request.user, meeting_id=meeting.pk, expected_version=data.pop("version"), **data
            )
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, _("Saved: %(m)s.") % {"m": _meeting_or_404(request, pk)})
            return _back(meeting, "meeting-title")
    return _agenda(request, _meeting_or_404(request, pk), edit=form, status=status)


@supervisor_required
@require_POST
def meeting_remove(request, pk: int, item: int):
    """移出议程: an undecided item leaves the agenda (to be carried over)."""
    meeting = _meeting_or_404(request, pk)
    try:
        meetings.meeting_remove(actor=request.user, meeting_id=meeting.pk, item_id=item)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Taken off the agenda."))
    return _back(meeting)


def _on_the_whole(request, pk: int, service, done: str, then):
    """An action on the whole meeting, as the page showed it (`version`):
    `then(meeting)` once done, back to its page with the refusal otherwise."""
    meeting = _meeting_or_404(request, pk)
    try:
        service(actor=request.user, meeting_id=meeting.pk, expected_version=parse_id(request.POST.get("version")))
    except ServiceError as error:
        messages.error(request, error.message)
        return _back(meeting)
    messages.success(request, done % {"m": meeting})
    return then(meeting)


@supervisor_required
@require_POST
def meeting_cancel(request, pk: int):
    """取消 a meeting that decided nothing."""
    return _on_the_whole(
        request, pk, meetings.meeting_cancel, _("Cancelled: %(m)s."), lambda meeting: redirect("meeting-list")
    )


@supervisor_required
@require_POST
def meeting_issue(request, pk: int):
    """印发纪要."""
    return _on_the_whole(
        request,
        pk,
        meetings.meeting_issue_minutes,
        _("The minutes are issued."),
        lambda meeting: redirect("meeting-minutes", meeting.pk),
    )


@supervisor_required
def meeting_minutes(request, pk: int):
    """会议纪要 on A4: the meeting, and each item with its decision."""
    meeting = _meeting_or_404(request, pk)
    items = selectors.meeting_agenda(user=request.user, meeting=meeting)
    # 分送: the units the decisions give work to.
    copied_to = list(dict.fromkeys(item.unit.name for item in items if item.unit_id))
    return render(
        request, "supervise/meeting_minutes.html", {"meeting": meeting, "items": items, "copied_to": copied_to}
    )
