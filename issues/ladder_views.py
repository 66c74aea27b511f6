"""The 督办 ladder's pages: a notice printed on A4, and the supervisors'
list of notices. Thin pages over issues.ladder's reads, scoped like the
issues they are about."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render

from core.decorators import supervisor_required
from core.forms import style_form
from core.shortcuts import get_restricted_or_404

from . import ladder
from .choices import NoticeKind
from .filters import NoticeFilter
from .models import SuperviseNotice

PAGE_SIZE = 25


@login_required
def notice_detail(request, pk: int):
    """督办单 / 通报批评 as issued, laid out to print on A4."""
    notice = get_restricted_or_404(ladder.notice_list(user=request.user), pk=pk)
    return render(request, "issues/notice.html", {"notice": notice})


@supervisor_required
def notice_list(request):
    filterset = NoticeFilter(request.GET, queryset=ladder.notice_list(user=request.user), request=request)
    style_form(filterset.form)
    rows = filterset.qs if filterset.is_valid() else SuperviseNotice.objects.none()
    totals = rows.aggregate(
        notices=Count("pk", filter=Q(kind=NoticeKind.NOTICE)),
        criticisms=Count("pk", filter=Q(kind=NoticeKind.CRITICISM)),
    )
    page = Paginator(rows.order_by("-issued_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervise/notices.html", {"filter": filterset, "page": page, "totals": totals})
