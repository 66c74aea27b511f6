from django.db.models import Count, Prefetch

from .models import Visit, VisitParticipant


def visit_list(*, user):
    return (
        Visit.objects.restrict(user)
        .select_related("enterprise", "created_by", "campaign")
        .prefetch_related(
            Prefetch("participant_rows", queryset=VisitParticipant.objects.select_related("official", "unit"))
        )
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-date", "-id")
    )


def participations(*, visits):
    """The officials on the given (already scoped) visits: one row each."""
    return (
        VisitParticipant.objects.filter(visit__in=visits.values("pk"))
        .select_related("visit__enterprise", "official", "unit")
        .order_by("-visit__date", "-visit_id", "id")
    )


def visit_figures(*, user, campaign, date_from, date_to, region=None) -> dict:
    """Visits, person-times and coverage for a scope and period, plus the
    units that have not visited and the help plans missing: a few queries."""
    from django.db.models import Exists, OuterRef

    from enterprises.models import AssignmentUnit, Enterprise, HelpPlan

    visits = Visit.objects.restrict(user).filter(date__range=(date_from, date_to))
    if campaign is not None:
        visits = visits.filter(campaign=campaign)
    if region is not None:
        visits = visits.filter(enterprise__region__path__startswith=region.path)
    figures = {
        "visits": visits.count(),
        "person_times": participations(visits=visits).count(),
        "assigned": 0,
        "covered": 0,
        "coverage": None,
        "quiet_units": [],
        "plans_missing": [],
    }
    if campaign is None:
        return figures
    enterprises = Enterprise.objects.restrict(user).filter(assignments__campaign=campaign)
    if region is not None:
        enterprises = enterprises.filter(region__path__startswith=region.path)
    figures["assigned"] = enterprises.count()
    figures["covered"] = enterprises.filter(Exists(visits.filter(enterprise=OuterRef("pk")))).count()
    figures["coverage"] = round(figures["covered"] / figures["assigned"], 4) if figures["assigned"] else None
    pairs = AssignmentUnit.objects.filter(
        assignment__campaign=campaign, assignment__enterprise__in=enterprises.values("pk")
    )
    visited = VisitParticipant.objects.filter(
        visit__in=visits.values("pk"), visit__enterprise=OuterRef("assignment__enterprise"), unit=OuterRef("unit")
    )
    # A unit is quiet while one of its enterprises has had no visit with it in the period.
    figures["quiet_units"] = [
        {"id": pk, "name": name, "not_visited": n}
        for pk, name, n in pairs.exclude(Exists(visited))
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "unit__name", "n")
        .order_by("unit__name")
    ]
    filed = HelpPlan.objects.filter(campaign=campaign, unit=OuterRef("unit"), submitted_at__isnull=False)
    figures["plans_missing"] = [
        {"id": pk, "name": name}
        for pk, name in pairs.exclude(Exists(filed)).values_list("unit", "unit__name").distinct().order_by("unit__name")
    ]
    return figures
