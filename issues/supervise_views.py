"""The supervisors' desks (督查 / 帮扶办): dispatch, verification, extensions
and escalations. Thin pages over the lifecycle service; every list is the
supervisor's scope through issue_list."""

import copy
import datetime
from collections import defaultdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from core import audit, clock
from core.db import replica_view
from core.decorators import supervisor_required
from core.errors import ServiceError
from core.ids import parse_id, parse_ids
from core.shortcuts import get_restricted_or_404
from enterprises.models import AssignmentUnit, Campaign, HelpUnit
from enterprises.selectors import assignable_units

from . import common, deadlines, intake, schemes, selectors, services, similar
from .actions import ACTIONS
from .choices import OPEN_STATUSES, Action, AnswerKind, CommonStatus, ExtensionStatus, Status
from .forms import ActionForm, CommonProblemForm
from .models import CommonProblem, ExtensionRequest

PAGE_SIZE = 25


@supervisor_required
def dispatch(request):
    """交办: registered and returned issues, oldest first, with the
    enterprise's 三帮一 units suggested (the one that handled most issues of
    the category first, then the lead) and the category's default deadline.
    Each row is sent on its own and answers in place (dispatch_row)."""
    rows = selectors.issue_list(user=request.user).filter(status=Status.REGISTERED).order_by("registered_at", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    issues = _dispatch_rows(list(page.object_list), clock.today(), request.user)
    units = assignable_units(user=request.user)
    context = {"page": page, "issues": issues, "units": units, "today": clock.today()}
    return render(request, "supervise/dispatch.html", context)


def _dispatch_rows(issues, today, user):
    """Each issue with its suggested units (`suggested`: the enterprise's
    team in the current campaign, by issues of this category handled, then
    the lead), its last return, its scheme's dates and the other open issues
    of its enterprise it reads like (`similar`, issues.similar): a fixed
    number of queries for the page."""
    campaign = Campaign.objects.current()
    teams = defaultdict(list)
    if campaign is not None:
        for row in (
            AssignmentUnit.objects.filter(
                assignment__campaign=campaign, assignment__enterprise__in={i.enterprise_id for i in issues}
            )
            .select_related("unit", "assignment")
            .order_by("-is_lead", "unit__name")
        ):
            teams[row.assignment.enterprise_id].append(row)
    handled = selectors.handled_by_category(
        user=user,
        unit_ids={row.unit_id for team in teams.values() for row in team},
        categories={issue.category for issue in issues},
    )
    schemes.dispatch_dates(issues, today)
    returns = selectors.last_returns([i.pk for i in issues if i.returned_at])
    hints = similar.for_issues(user=user, issues=issues)
    for issue in issues:
        team = [copy.copy(row) for row in teams.get(issue.enterprise_id, [])]  # each issue weighs its own category
        for row in team:
            row.handled = handled.get((row.unit_id, issue.category), 0)
        issue.suggested = sorted(team, key=lambda row: (-row.handled, not row.is_lead, row.unit.name))
        issue.last_return = returns.get(issue.pk)
        issue.similar = hints.get(issue.pk, [])
        issue.mergeable = {hint.pk for hint in issue.similar if intake.may_merge(issue, hint)}
    return issues


@supervisor_required
@require_POST
def dispatch_row(request, pk: int):
    """One row of the dispatch desk sent: assigned through the lifecycle
    service, the row answers in place (htmx) with what was done, or with
    what was typed and why it was refused, by the issue's number. Without
    htmx the desk comes back with a message naming the issue."""
    issue = get_restricted_or_404(selectors.issue_list(user=request.user), pk=pk)
    form = ActionForm(request.POST, action=ACTIONS[Action.ASSIGN], user=request.user)
    errors = []
    if issue.status != Status.REGISTERED:
        errors.append(_("It is no longer waiting for dispatch (now %(s)s).") % {"s": issue.get_status_display()})
    elif form.is_valid():
        data = form.service_kwargs()
        # The team's ticks include the unit chosen to lead: it does not co-handle its own issue.
        data["co_units"] = [unit for unit in data.get("co_units", []) if unit != data.get("unit")]
        try:
            issue = services.issue_assign(actor=request.user, issue_id=issue.pk, **data)
        except ServiceError as error:
            errors.append(error.message)
        else:
            if request.htmx:
                return render(request, "supervise/_dispatch_done.html", {"issue": issue})
            messages.success(request, _("%(n)s assigned.") % {"n": issue.number})
            return redirect("dispatch")
    else:
        errors.extend(form.reasons())
    if not request.htmx:
        for error in errors:
            messages.error(request, _("%(issue)s: %(reason)s") % {"issue": issue.number, "reason": error})
        return redirect(f"{reverse('dispatch')}#dispatch-{issue.pk}")
    (row,) = _dispatch_rows([selectors.issue_list(user=request.user).get(pk=issue.pk)], clock.today(), request.user)
    row.errors = errors
    row.typed = {
        "unit": request.POST.get("assign-unit", ""),
        "co_units": request.POST.getlist("assign-co_units"),
        "due_date": request.POST.get("assign-due_date", ""),
        "is_complex": bool(request.POST.get("assign-is_complex")),
        "note": request.POST.get("assign-note", ""),
    }
    # The unit typed, when it is not among the suggestions (the rest come from the desk's bulk drop-down).
    suggested = {str(suggestion.unit_id) for suggestion in row.suggested}
    if row.typed["unit"] not in suggested and (unit_id := parse_id(row.typed["unit"])):
        row.typed_unit = HelpUnit.objects.restrict(request.user).filter(pk=unit_id, is_active=True).first()
    return render(request, "supervise/_dispatch_row.html", {"issue": row, "today": clock.today()})


@supervisor_required
@require_POST
def dispatch_bulk(request):
    """Assign a selection to one unit with each issue's default deadline."""
    unit = HelpUnit.objects.restrict(request.user).filter(pk=request.POST.get("unit") or 0).first()
    ids = parse_ids(request.POST.getlist("issues"))
    if unit is None or not ids:
        messages.error(request, _("Choose the issues and a unit."))
        return redirect("dispatch")
    done, refused = 0, []
    for issue in selectors.issue_list(user=request.user).filter(pk__in=ids):
        try:
            services.issue_assign(actor=request.user, issue_id=issue.pk, unit=unit, expected_version=issue.version)
            done += 1
        except ServiceError as error:
            refused.append(f"{issue.number}: {error.message}")
    if done:
        messages.success(request, _("%(n)d issue(s) assigned to %(u)s.") % {"n": done, "u": unit.name})
    for line in refused:
        messages.error(request, line)
    return redirect("dispatch")


@supervisor_required
@require_POST
def dispatch_merge(request, pk: int):
    """并入: a row that repeats another open issue of its enterprise (its
    duplicate hint) is cancelled as a duplicate, and the other records that
    the enterprise raised it again, in one step (issues.intake.issue_merge).
    The row answers in place (htmx), or the desk comes back with a message."""
    issue = get_restricted_or_404(selectors.issue_list(user=request.user), pk=pk)
    try:
        into = intake.issue_merge(
            actor=request.user,
            issue_id=issue.pk,
            into_id=parse_id(request.POST.get("into")) or 0,
            expected_version=parse_id(request.POST.get("version")),
        )
    except ServiceError as error:
        errors = [error.message]
    else:
        issue.refresh_from_db()
        if request.htmx:
            return render(request, "supervise/_dispatch_merged.html", {"issue": issue, "into": into})
        messages.success(
            request, _("%(n)s is cancelled and merged into %(into)s.") % {"n": issue.number, "into": into.number}
        )
        return redirect("dispatch")
    if not request.htmx:
        for error in errors:
            messages.error(request, _("%(issue)s: %(reason)s") % {"issue": issue.number, "reason": error})
        return redirect(f"{reverse('dispatch')}#dispatch-{issue.pk}")
    (row,) = _dispatch_rows([selectors.issue_list(user=request.user).get(pk=issue.pk)], clock.today(), request.user)
    row.merge_errors = errors
    return render(request, "supervise/_dispatch_row.html", {"issue": row, "today": clock.today()})


def _desk_form(name: str, issue, user):
    """An action's form for one row of a desk: ids unique on the page."""
    return ActionForm(action=ACTIONS[name], user=user, initial={"version": issue.version}, auto_id=f"id_{issue.pk}_%s")


@supervisor_required
def verification(request):
    """销号: resolved issues awaiting verification, oldest first."""
    rows = selectors.issue_list(user=request.user).filter(status=Status.RESOLVED).order_by("resolved_at", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    issues = selectors.with_closure(deadlines.mark(page.object_list, clock.today()))
    for issue in issues:
        called = services.called_back(issue, issue.calls)
        issue.forms = [
            (name, ACTIONS[name].label, _desk_form(name, issue, request.user))
            for name in (Action.FOLLOW_UP, Action.CLOSE, Action.REOPEN)
            if services.state_allows(issue, name, called=called)
        ]
    return render(request, "supervise/verification.html", {"page": page, "issues": issues})


@supervisor_required
def extensions(request):
    """Pending extension requests with each unit's record of asking."""
    page = Paginator(selectors.pending_extensions(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    records = {
        row["unit"]: row
        # The unit's record within this supervisor's scope, like every read.
        for row in ExtensionRequest.objects.restrict(request.user)
        .filter(unit__in={r.unit_id for r in page.object_list})
        .values("unit")
        .annotate(
            asked=Count("pk"),
            approved=Count("pk", filter=Q(status=ExtensionStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=ExtensionStatus.REJECTED)),
        )
    }
    today = clock.today()
    for request_row in page.object_list:
        request_row.record = records.get(request_row.unit_id, {})
        request_row.waited_days = (today - timezone.localdate(request_row.requested_at)).days
        request_row.date_passed = request_row.new_due_date < today
    return render(request, "supervise/extensions.html", {"page": page})


@supervisor_required
def escalations(request):
    """提请协调: open escalated issues grouped by category and region, the
    groups touching most enterprises first, so a problem many enterprises
    share (面上共性问题) stands out. Counts come from one grouped query; each
    group shows its first issues and links to all of them."""
    from urllib.parse import urlencode

    from django.urls import reverse

    groups = selectors.escalation_groups(user=request.user, first=20)
    for group in groups:
        query = {"escalated": "true", "category": group["category"], "enterprise_region": group["region"]}
        group["link"] = reverse("issue-list") + "?" + urlencode({**query, "status": list(OPEN_STATUSES)}, doseq=True)
    shown = request.GET.get("show", "open")
    states = COMMON_SHOWN.get(shown, COMMON_SHOWN["open"])
    problems = selectors.common_problems(user=request.user, states=states)
    selectors.problems_with_meetings(user=request.user, problems=problems)
    context = {
        "groups": groups,
        "problems": problems,
        "shown": shown if shown in COMMON_SHOWN else "open",
        "gathering": [p for p in problems if p.status in common.GATHERING],
        "unscheduled": [p for p in problems if p.status in common.UNSCHEDULED],
        "units": assignable_units(user=request.user),
        "answer_kinds": AnswerKind.choices,
    }
    return render(request, "supervise/escalations.html", context)


# The radar's desk: what each button on a common problem does (issues.common).
COMMON_SHOWN = {
    "open": (CommonStatus.PROPOSED, CommonStatus.CONFIRMED, CommonStatus.ON_AGENDA, CommonStatus.DECIDED),
    "closed": (CommonStatus.CLOSED,),
    "dismissed": (CommonStatus.DISMISSED,),
}


def _common_call(action: str, data: dict):
    """The service of an action on a common problem, and its arguments."""
    version = {"expected_version": data["version"]}
    issue_ids = [issue.pk for issue in data["issues"]]
    calls = {
        "confirm": (common.common_confirm, {"title": data["title"], **version}),
        "dismiss": (common.common_dismiss, {"reason": data["reason"], **version}),
        "split": (common.common_split, {"issue_ids": issue_ids, "title": data["title"], **version}),
        "release": (common.common_release, {"issue_ids": issue_ids, **version}),
        "merge": (common.common_merge, {"other_id": data["other"].pk if data["other"] else 0, **version}),
        "decide": (
            common.common_decide,
            {
                "answer_kind": data["answer_kind"],
                "answer": data["answer"],
                "responsible_unit": data["responsible_unit"],
                **version,
            },
        ),
        "close": (
            common.common_close,
            {"handling": data["handling"] or common.Handling.KEEP, "due_date": data["due_date"], **version},
        ),
    }
    return calls.get(action)


def _back_to_desk(pk=None):
    return redirect(reverse("escalations") + (f"#problem-{pk}" if pk else ""))


@supervisor_required
@require_POST
def common_act(request, pk: int, action: str):
    """One action on a common problem; the desk says what was done, or why
    not, naming the problem."""
    problem = get_restricted_or_404(CommonProblem.objects.restrict(request.user), pk=pk)
    form = CommonProblemForm(request.POST, user=request.user)
    call = _common_call(action, form.cleaned_data) if form.is_valid() else None
    if call is None:
        reasons = [str(e) for errors in form.errors.values() for e in errors] or [_("Unknown action.")]
        for reason in reasons:
            messages.error(request, _("%(issue)s: %(reason)s") % {"issue": problem.title, "reason": reason})
        return _back_to_desk(pk)
    service, kwargs = call
    try:
        done = service(actor=request.user, problem_id=problem.pk, **kwargs)
    except ServiceError as error:
        messages.error(request, _("%(issue)s: %(reason)s") % {"issue": problem.title, "reason": error.message})
        return _back_to_desk(pk)
    messages.success(request, _done(done))
    return _back_to_desk(done.pk if action != "split" else pk)


def _done(problem) -> str:
    return _("%(problem)s: %(state)s.") % {"problem": problem.title, "state": problem.get_status_display()}


@supervisor_required
@require_POST
def common_new(request):
    """A common problem made by a supervisor from issues they chose (an
    escalated group, or ticked issues): confirmed at once."""
    form = CommonProblemForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            problem = common.common_propose(
                actor=request.user,
                title=form.cleaned_data["title"],
                issue_ids=[issue.pk for issue in form.cleaned_data["issues"]],
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _done(problem))
            return _back_to_desk(problem.pk)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return _back_to_desk()


@supervisor_required
@require_POST
def radar_now(request):
    """The radar, run now (the nightly run's task, through the outbox)."""
    from core import outbox

    outbox.send("issues.tasks.radar")
    messages.success(request, _("The radar is reading the open issues; its proposals appear here in a few minutes."))
    return _back_to_desk()


def _dashboard_choice(request) -> dict:
    """The dashboard's campaign, region and period as asked (the form, with
    its errors), else the defaults: the current campaign, from its start to
    today. The unit score page reads the same."""
    from . import dashboard as board
    from .forms import DashboardForm

    data = request.GET.copy()
    if "campaign" not in data and (current := Campaign.objects.current()):
        data["campaign"] = current.pk
    form = DashboardForm(data, user=request.user)
    # A choice the form refuses is shown with its error, and the defaults are used meanwhile.
    chosen = form.cleaned_data if form.is_valid() else {"campaign": Campaign.objects.current()}
    campaign = chosen.get("campaign")
    start, end = board.default_period(campaign)
    date_from, date_to = chosen.get("date_from") or start, chosen.get("date_to") or end
    if form.is_valid():  # the form shows the period in force
        data["date_from"], data["date_to"] = date_from.isoformat(), date_to.isoformat()
    return {
        "form": form,
        "campaign": campaign,
        "region": chosen.get("region"),
        "date_from": date_from,
        "date_to": date_to,
        "period": chosen.get("trend") or "month",
    }


@gzip_page  # 300 units' rows of links: ~700 KiB of HTML, ~10 % of that sent
@supervisor_required
@replica_view
def dashboard(request):
    """The figures for the supervisor's region (or a region in it), a
    campaign and a period; every number links to the list behind it."""
    from . import dashboard as board

    choice = _dashboard_choice(request)
    context = board.build(
        user=request.user,
        campaign=choice["campaign"],
        region=choice["region"],
        date_from=choice["date_from"],
        date_to=choice["date_to"],
        period=choice["period"],
        all_units=request.GET.get("units") == "all",
    )
    context.update(choice)
    every_unit = request.GET.copy()
    every_unit["units"] = "all"
    context["all_units_link"] = f"{request.path}?{every_unit.urlencode()}#unit-ranking"
    return render(request, "supervise/dashboard.html", context)


@supervisor_required
@replica_view
def unit_score(request, pk: int):
    """One unit's score on the dashboard's red and black lists, worked out:
    each metric's figure (linked to its issues), weight and points."""
    from . import dashboard as board

    unit = get_restricted_or_404(HelpUnit.objects.restrict(request.user), pk=pk)
    choice = _dashboard_choice(request)
    context = board.unit_score(
        user=request.user,
        unit=unit,
        campaign=choice["campaign"],
        region=choice["region"],
        date_from=choice["date_from"],
        date_to=choice["date_to"],
    )
    context.update(choice, unit=unit)
    return render(request, "supervise/unit_score.html", context)


@supervisor_required
@replica_view
def bulletin_list(request):
    """通报: make a region's bulletin for a month, and the current ones."""
    from . import bulletins
    from .forms import BulletinForm
    from .models import Bulletin

    default_region = _scope_region(request.user)
    if request.method == "POST":
        form = BulletinForm(request.POST, user=request.user)
        if form.is_valid():
            region = form.cleaned_data["region"]
            start, end = bulletins.month_of(form.cleaned_data["month"])
            try:
                bulletin = bulletins.bulletin_make(
                    actor=request.user,
                    region=region,
                    start=start,
                    end=end,
                    made_by=request.user,
                    office=form.cleaned_data["office"],
                )
            except ServiceError as error:
                messages.error(request, error.message)
                # Made already (or just now, by someone else): that one is shown, to regenerate.
                existing = bulletins.current(region=region, start=start, end=end).first()
                return redirect("bulletin-detail", existing.pk) if existing else redirect("bulletin-list")
            return redirect("bulletin-detail", bulletin.pk)
    else:
        last_month = clock.today().replace(day=1) - datetime.timedelta(days=1)
        initial = {"month": last_month, "region": default_region}
        if default_region is not None:
            initial["office"] = bulletins.remembered_office(region=default_region, actor=request.user)
        form = BulletinForm(initial=initial, user=request.user)
    rows = (
        Bulletin.objects.restrict(request.user)
        .filter(superseded_at__isnull=True)
        .select_related("region", "created_by")
        .order_by("-period_end", "region__path")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervise/bulletins.html", {"page": page, "form": form})


def _scope_region(user):
    """The region a bulletin covers unless another is chosen: the
    supervisor's own, or for an admin the top of the tree."""
    from enterprises.models import Region
    from enterprises.scope import scope_region

    return scope_region(user) or Region.objects.filter(parent__isnull=True).order_by("path").first()


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@supervisor_required
@replica_view
def bulletin_detail(request, pk: int):
    """A bulletin as it prints on A4, with its other versions."""
    from .forms import RegenerateForm
    from .models import Bulletin

    bulletin = get_restricted_or_404(
        Bulletin.objects.restrict(request.user).select_related("region", "created_by"), pk=pk
    )
    versions = (
        Bulletin.objects.restrict(request.user)
        .filter(region=bulletin.region, period_start=bulletin.period_start, period_end=bulletin.period_end)
        .select_related("created_by")
        .order_by("-version")
    )
    data = bulletin.data
    context = {
        "b": bulletin,
        "d": data,
        "judged_at": _date(data.get("judged_at")) or bulletin.issued_on,
        "since": _date(data.get("since")) or bulletin.period_start,
        "versions": versions,
        "current": next((v for v in versions if v.is_current), None),
        "regenerate": RegenerateForm(initial={"office": bulletin.office}),
    }
    return render(request, "supervise/bulletin.html", context)


@supervisor_required
@require_POST
def bulletin_regenerate(request, pk: int):
    """Make a bulletin again with today's figures; the old version is kept."""
    from . import bulletins
    from .forms import RegenerateForm
    from .models import Bulletin

    bulletin = get_restricted_or_404(Bulletin.objects.restrict(request.user), pk=pk)
    form = RegenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The issuing office is at most 100 characters."))
        return redirect("bulletin-detail", bulletin.pk)
    try:
        made = bulletins.bulletin_regenerate(
            actor=request.user, bulletin_id=bulletin.pk, made_by=request.user, office=form.cleaned_data["office"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("bulletin-detail", bulletin.pk)
    messages.success(
        request,
        _("Regenerated: version %(v)d replaces version %(old)d.") % {"v": made.version, "old": bulletin.version},
    )
    return redirect("bulletin-detail", made.pk)


@supervisor_required
@replica_view
def bulletin_file(request, pk: int):
    from django.http import FileResponse

    from . import bulletins
    from .models import Bulletin

    bulletin = get_restricted_or_404(Bulletin.objects.restrict(request.user).select_related("region"), pk=pk)
    name = f"通报-{bulletin.region.name}-{bulletin.period_start:%Y%m}-第{bulletin.number}期"
    name += ".xlsx" if bulletin.is_current else f"-v{bulletin.version}.xlsx"
    # Made earlier and kept, so not written by core.exports: recorded here.
    audit.record_export(name=name, rows=bulletins.row_count(bulletin.data), data={"bulletin": str(bulletin)})
    return FileResponse(bulletin.file.open("rb"), as_attachment=True, filename=name)
