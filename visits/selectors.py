import dataclasses
import datetime
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Prefetch, Q, Subquery, Value

from enterprises.models import Assignment
from enterprises.scope import region_roots
from enterprises.selectors import assignment_list, enterprise_list

from . import summary
from .models import Visit, VisitParticipant


def visit_list(*, user, including_withdrawn: bool = False):
    """The visits `user` may see; a withdrawn one only when asked (its own page)."""
    visits = Visit.all_objects if including_withdrawn else Visit.objects
    return (
        visits.restrict(user)
        .select_related("enterprise", "created_by", "campaign")
        .prefetch_related(
            Prefetch("participant_rows", queryset=VisitParticipant.objects.select_related("official", "unit"))
        )
        .order_by("-date", "-id")
    )


def same_day_visits(*, user, enterprise, date: datetime.date, participants) -> list[Visit]:
    """The visits `user` may see to `enterprise` on `date` that any of
    `participants` took part in: a second one is more often the first typed
    twice than a second trip."""
    return list(
        visit_list(user=user)
        .filter(enterprise=enterprise, date=date, participant_rows__official__in=participants)
        .distinct()
        .order_by("created_at")
    )


def participations(*, visits):
    """The officials on the given (already scoped) visits: one row each."""
    return (
        VisitParticipant.objects.filter(visit__in=visits.values("pk"))
        .select_related("visit__enterprise", "official", "unit")
        .order_by("-visit__date", "-visit_id", "id")
    )


def visit_figures(*, user, campaign, date_from, date_to, region=None, summarised: bool = False) -> dict:
    """Visits, person-times and coverage for a scope and period, plus the
    units that have not visited (the dashboard's and the bulletin's) and the
    help plans missing: a few queries. With `summarised` (the summaries are
    current: issues.summary.current()), a supervisor's or an admin's whole
    months are read from visits.summary and only the days around them from
    the visits."""
    from django.db.models import Exists, OuterRef

    from enterprises.models import AssignmentUnit, Enterprise, HelpPlan, HelpUnit

    visits = Visit.objects.restrict(user).filter(date__range=(date_from, date_to))
    if campaign is not None:
        visits = visits.filter(campaign=campaign)
    if region is not None:
        visits = visits.filter(enterprise__region__path__startswith=region.path)
    reach = region_roots(user, region) if summarised else None
    months = summary.split(date_from, date_to) if reach is not None else None
    counted, cells = visits, None
    if months is not None:
        edges = summary.edges(months)
        counted = visits.filter(edges) if edges is not None else visits.none()
        cells = {"months": months, "roots": reach[1], "campaign_id": campaign.pk if campaign else None}
        sums = summary.totals(**cells)
    else:
        sums = {"visits": 0, "person_times": 0}
    figures = {
        "visits": sums["visits"] + counted.count(),
        "person_times": sums["person_times"] + participations(visits=counted).count(),
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
    # Only the units in the user's scope are judged (a unit of another region on a
    # team here is that region's to judge, and its plan is not this user's to see).
    # (A pair's scope is its enterprise's: the enterprises counted above.)
    pairs = AssignmentUnit.objects.restrict(user).filter(
        assignment__campaign=campaign, unit__in=HelpUnit.objects.restrict(user).values("pk")
    )
    if region is not None:
        pairs = pairs.filter(assignment__enterprise__region__path__startswith=region.path)
    # A unit is quiet when it helps enterprises here but logged no visit in the
    # period (none of the visits counted above has it among the participants);
    # its count is the enterprises it helps. A unit that visited one of its
    # enterprises four times is not quiet, whatever its others wait for (the
    # reminders chase each enterprise due a visit). Both tests are sets of
    # units, worked out once, not a lookup per pair; one grouped query answers
    # both lists, and one more names the units listed.
    visiting = []  # the units that visited, as sets: in the days counted here, in the cells
    if not counted.query.is_empty():
        visiting.append(Q(unit__in=VisitParticipant.objects.filter(visit__in=counted.values("pk")).values("unit")))
    if cells is not None:
        visiting.append(Q(unit__in=summary.units_visiting(**cells)))
    visited = ExpressionWrapper(reduce(or_, visiting), output_field=BooleanField()) if visiting else Value(False)
    filed = HelpPlan.objects.restrict(user).filter(campaign=campaign, submitted_at__isnull=False).values("unit")
    # A unit is on an enterprise's team once per campaign (constraints
    # assignmentunit_unit_once, assignment_one_per_enterprise): its pairs
    # here are the enterprises it helps, counted without DISTINCT.
    units = {
        row["unit"]: row
        for row in pairs.values("unit").annotate(
            n=Count("pk"),
            visited=visited,
            filed=ExpressionWrapper(Q(unit__in=filed), output_field=BooleanField()),
        )
    }
    listed = [pk for pk, row in units.items() if not (row["visited"] and row["filed"])]
    for pk, name in HelpUnit.objects.filter(pk__in=listed).order_by("name", "pk").values_list("pk", "name"):
        if not units[pk]["visited"]:
            figures["quiet_units"].append({"id": pk, "name": name, "assigned": units[pk]["n"], "visits": 0})
        if not units[pk]["filed"]:
            figures["plans_missing"].append({"id": pk, "name": name})
    return figures


# Enterprises with their visits -------------------------------------------------


def visit_due_since(campaign, today: datetime.date) -> datetime.date | None:
    """The first day a visit keeps an enterprise "visited within the
    campaign's frequency" (at least every N days); None without a campaign."""
    return today - datetime.timedelta(days=campaign.visit_every_days) if campaign else None


def visited_in_time(last: datetime.date | None, campaign, today: datetime.date) -> bool:
    """The same rule for a date already loaded (a row's last visit)."""
    since = visit_due_since(campaign, today)
    return since is None or (last is not None and last >= since)


def last_visit(*, user, enterprise_ref="pk", unit_id=None):
    """Subquery: the date of the latest visit to an enterprise that `user` may
    see (by one unit's people when `unit_id` is given). Built from the scoped
    visits, so a date is never shown for a visit the user cannot open."""
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


def unit_partners(*, user, campaign):
    """A unit's own board: the enterprises it helps, and with whom."""
    return unit_assignments(user=user, campaign=campaign).order_by("enterprise__name")


# The situation snapshots as a trend ----------------------------------------------------

SITUATION_FIGURES = ("output_value", "revenue", "headcount")


@dataclasses.dataclass
class SituationPeriod:
    """A month's situation: each figure as the month's latest visit that
    gave it reported it (None when no visit that month did)."""

    month: datetime.date  # its first day
    output_value: Decimal | None = None
    revenue: Decimal | None = None
    headcount: int | None = None
    visits: int = 0  # visits that month with a figure


def situation_by_month(visits) -> list[SituationPeriod]:
    """The snapshots of already loaded visits (of one enterprise), month by
    month, oldest first; months with no figure are left out. No query."""
    periods: dict[datetime.date, SituationPeriod] = {}
    for visit in sorted(visits, key=lambda v: (v.date, v.pk)):
        figures = {name: getattr(visit, name) for name in SITUATION_FIGURES}
        if all(value is None for value in figures.values()):
            continue
        month = visit.date.replace(day=1)
        period = periods.setdefault(month, SituationPeriod(month=month))
        period.visits += 1
        for name, value in figures.items():
            if value is not None:
                setattr(period, name, value)
    return [periods[month] for month in sorted(periods)]
