from django.db.models import Count, Prefetch

from .models import Visit, VisitParticipant


def visit_list(*, user):
    return (
        Visit.objects.visible_to(user)
        .select_related("enterprise", "created_by", "campaign")
        .prefetch_related(
            Prefetch("participant_rows", queryset=VisitParticipant.objects.select_related("official", "unit"))
        )
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-date", "-id")
    )
