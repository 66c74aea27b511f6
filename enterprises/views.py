from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core import clock
from core.errors import ServiceError
from core.forms import style_form
from core.shortcuts import get_restricted_or_404
from issues import deadlines
from issues.selectors import issue_list
from visits.selectors import visit_list

from . import selectors, services
from .filters import EnterpriseFilter
from .models import Campaign, Enterprise, HelpPlan

PAGE_SIZE = 25


@login_required
def enterprise_list(request):
    filterset = EnterpriseFilter(
        request.GET, queryset=selectors.enterprise_directory(user=request.user), request=request
    )
    style_form(filterset.form)
    rows = filterset.qs.order_by("name", "id") if filterset.is_valid() else Enterprise.objects.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    campaign = Campaign.objects.current()
    today = clock.today()
    for enterprise in page:
        enterprise.not_visited = campaign is not None and (
            enterprise.last_visit is None or (today - enterprise.last_visit).days > campaign.visit_every_days
        )
    return render(
        request, "enterprises/enterprise_list.html", {"filter": filterset, "page": page, "campaign": campaign}
    )


@login_required
def enterprise_detail(request, pk: int):
    enterprise = get_restricted_or_404(selectors.enterprise_list(user=request.user), pk=pk)
    campaign = Campaign.objects.current()
    issues = list(issue_list(user=request.user).filter(enterprise=enterprise).order_by("-registered_at")[:100])
    deadlines.mark(issues, clock.today())
    context = {
        "enterprise": enterprise,
        "campaign": campaign,
        "team": selectors.enterprise_team(user=request.user, enterprise=enterprise, campaign=campaign),
        "visits": visit_list(user=request.user).filter(enterprise=enterprise)[:20],
        "issues": issues,
    }
    return render(request, "enterprises/enterprise_detail.html", context)


@login_required
def our_enterprises(request):
    """A unit's view of the board: the enterprises we help, and with whom."""
    campaign = Campaign.objects.current()
    assignments = list(selectors.unit_partners(user=request.user, campaign=campaign)) if campaign else []
    return render(request, "enterprises/our_enterprises.html", {"campaign": campaign, "assignments": assignments})


class HelpPlanForm(forms.Form):
    file = forms.FileField(label=_lazy("Plan (PDF or Word)"))
    summary = forms.CharField(label=_lazy("Plan summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


@login_required
def help_plan(request):
    """帮扶方案: the unit files its plan for the current campaign."""
    campaign = Campaign.objects.current()
    plan = HelpPlan.objects.restrict(request.user).filter(campaign=campaign, unit_id=request.user.unit_id).first()
    form = HelpPlanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and campaign and form.is_valid():
        try:
            services.help_plan_submit(
                actor=request.user,
                campaign=campaign,
                upload=form.cleaned_data["file"],
                summary=form.cleaned_data["summary"],
            )
        except ServiceError as error:
            form.add_error("file" if error.field == "file" else None, error.message)
        else:
            messages.success(request, _("The help plan is filed."))
            return redirect("help-plan")
    return render(request, "enterprises/help_plan.html", {"campaign": campaign, "plan": plan, "form": form})


@login_required
def help_plan_file(request, pk: int):
    plan = get_restricted_or_404(HelpPlan.objects.restrict(request.user).exclude(file=""), pk=pk)
    return FileResponse(plan.file.open("rb"), as_attachment=True, filename=plan.file.name.rsplit("/", 1)[-1])
