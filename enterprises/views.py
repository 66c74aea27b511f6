from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from core import clock
from core.forms import style_form
from issues.selectors import issue_list, with_deadline_marks
from visits.selectors import visit_list

from . import selectors
from .filters import EnterpriseFilter
from .models import Campaign, Enterprise

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
    try:
        enterprise = selectors.enterprise_get(user=request.user, pk=pk)
    except Enterprise.DoesNotExist:
        raise Http404 from None
    campaign = Campaign.objects.current()
    issues = list(issue_list(user=request.user).filter(enterprise=enterprise).order_by("-registered_at")[:100])
    with_deadline_marks(issues, clock.today())
    context = {
        "enterprise": enterprise,
        "campaign": campaign,
        "team": selectors.enterprise_team(user=request.user, enterprise=enterprise, campaign=campaign),
        "visits": visit_list(user=request.user).filter(enterprise=enterprise)[:20],
        "issues": issues,
    }
    return render(request, "enterprises/enterprise_detail.html", context)
