"""Reads of master data, always through each model's restrict(user) (enterprises.scope)."""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpPlan, HelpUnit, ImportJob, Official, Region


def region_list(*, user):
    return Region.objects.restrict(user).select_related("parent")


def unit_list(*, user):
    return HelpUnit.objects.restrict(user).select_related("region")


def assignable_units(*, user):
    """The units `user` may hand work to (交办, a meeting's lead unit and those
    working with it, a common problem's answer): active, in their scope, by name."""
    return HelpUnit.objects.restrict(user).filter(is_active=True).order_by("name")


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


def admin_gaps(*, user, campaign) -> list[dict]:
    """What an administrator's home lists as left to do, each with its count
    and the page that closes it: key enterprises whose 三帮一 team is not
    complete, units of the campaign that filed no help plan, and imports
    checked but not applied (or failed)."""
    gaps = []
    if campaign is not None:
        incomplete = board_enterprises(user=user, campaign=campaign, gaps_only=True).count()
        gaps.append(
            {
                "key": "teams",
                "label": _("Key enterprises whose team is not complete"),
                "count": incomplete,
                "link": reverse("board") + f"?campaign={campaign.pk}&gaps=1",
            }
        )
        units = HelpUnit.objects.restrict(user).filter(assignments__assignment__campaign=campaign).distinct()
        filed = HelpPlan.objects.filter(campaign=campaign, submitted_at__isnull=False).values("unit_id")
        gaps.append(
            {
                "key": "plans",
                "label": _("Units without a help plan"),
                "count": units.exclude(pk__in=filed).count(),
                "link": reverse("plan-status") + f"?campaign={campaign.pk}",
            }
        )
    waiting = ImportJob.objects.restrict(user).filter(status__in=[ImportJob.Status.CHECKED, ImportJob.Status.FAILED])
    gaps.append(
        {
            "key": "imports",
            "label": _("Imports checked but not applied, or failed"),
            "count": waiting.count(),
            "link": reverse("import-list"),
        }
    )
    return gaps
