from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import render

from core.shortcuts import get_restricted_or_404
from enterprises.models import Official

from .models import VisitAttachment

PAGE_SIZE = 25


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
