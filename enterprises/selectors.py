"""Reads of master data, always through each model's restrict(user) (enterprises.scope)."""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region


def region_list(*, user):
    return Region.objects.restrict(user).select_related("parent")


def unit_list(*, user):
    return HelpUnit.objects.restrict(user).select_related("region")


def official_list(*, user):
    return Official.objects.restrict(user).select_related("unit")


def enterprise_list(*, user):
    return Enterprise.objects.restrict(user).select_related("region")


def campaign_list(*, user):
    return Campaign.objects.restrict(user)


def assignment_list(*, user):
    return (
        Assignment.objects.restrict(user)
        .select_related("campaign", "enterprise", "leader")
        .prefetch_related(
            Prefetch(
                "units",
                queryset=AssignmentUnit.objects.select_related("unit", "responsible", "contact").order_by(
                    "-is_lead", "unit__name"
                ),
            )
        )
    )


def last_visit(*, user, enterprise_ref="pk", unit_id=None):
    """Subquery: the date of the latest visit to an enterprise that `user` may
    see (by one unit's people when `unit_id` is given). Built from the scoped
    visits, so a date is never shown for a visit the user cannot open."""
    from visits.models import Visit

    visits = Visit.objects.restrict(user).filter(enterprise=OuterRef(enterprise_ref))
    if unit_id is not None:
        visits = visits.filter(participant_rows__unit_id=unit_id)
    return Subquery(visits.order_by("-date").values("date")[:1])


def enterprise_directory(*, user):
    """The enterprise list page: each row with its last visit."""
    return enterprise_list(user=user).annotate(last_visit=last_visit(user=user))


def unit_assignments(*, user, campaign):
    """The enterprises the user's unit helps in a campaign (My work), each with
    the date of the unit's last visit."""
    if campaign is None or user.unit_id is None:
        return Assignment.objects.none()
    return (
        assignment_list(user=user)
        .filter(campaign=campaign, units__unit_id=user.unit_id)
        .annotate(last_visit=last_visit(user=user, enterprise_ref="enterprise", unit_id=user.unit_id))
        .order_by("last_visit", "enterprise__name")
    )


def enterprise_team(*, user, enterprise: Enterprise, campaign):
    """The enterprise's 三帮一 team in a campaign, or None."""
    if campaign is None:
        return None
    return assignment_list(user=user).filter(campaign=campaign, enterprise=enterprise).first()


def _team_count(campaign, **extra):
    return Coalesce(
        Subquery(
            AssignmentUnit.objects.filter(assignment__campaign=campaign, assignment__enterprise=OuterRef("pk"), **extra)
            .order_by()
            .values("assignment")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


def board_enterprises(*, user, campaign, gaps_only: bool = False, query: str = ""):
    """The assignment board: key enterprises (and any with a team) in scope,
    each annotated with its team's size, leads, missing contacts and leader,
    so gaps are found and filtered in the database."""
    rows = enterprise_list(user=user).filter(Q(is_key=True) | Q(assignments__campaign=campaign)).distinct()
    rows = rows.annotate(
        team_units=_team_count(campaign),
        team_leads=_team_count(campaign, is_lead=True),
        team_no_contact=_team_count(campaign, contact__isnull=True),
        team_leader=Subquery(
            Assignment.objects.filter(campaign=campaign, enterprise=OuterRef("pk")).values("leader_id")[:1]
        ),
    )
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(credit_code__icontains=query))
    if gaps_only:
        rows = rows.filter(
            Q(team_units__lt=campaign.units_per_enterprise)
            | ~Q(team_leads=1)
            | Q(team_no_contact__gt=0)
            | Q(team_leader__isnull=True)
        )
    return rows.order_by("name", "id")


def attach_teams(enterprises, *, campaign) -> None:
    """Set `.team` (the campaign's Assignment with its units, or None) on
    each enterprise: two queries for the whole page."""
    teams = {
        a.enterprise_id: a
        for a in Assignment.objects.filter(campaign=campaign, enterprise__in=[e.pk for e in enterprises])
        .select_related("leader")
        .prefetch_related(
            Prefetch(
                "units",
                queryset=AssignmentUnit.objects.select_related("unit", "responsible", "contact").order_by(
                    "-is_lead", "unit__name"
                ),
            )
        )
    }
    for enterprise in enterprises:
        enterprise.team = teams.get(enterprise.pk)


def unit_partners(*, user, campaign):
    """A unit's own board: the enterprises it helps, and with whom."""
    return unit_assignments(user=user, campaign=campaign).order_by("enterprise__name")
