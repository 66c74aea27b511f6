"""Who may see what: the one scoping rule, declared here once for every model.

In words (README and DOMAIN.md say exactly this):

- an **admin** (role admin, or a Django superuser) sees everything;
- a **supervisor** sees their unit's region and every region below it;
- an **official** sees the enterprises their unit helps (三帮一, in any
  campaign) and those with an issue their unit is responsible for or
  co-handles; **every issue of the enterprises their unit helps** (the units
  of a team serve one enterprise together), the issues their unit is
  responsible for or co-handles and the issues they registered; the visits
  their unit took part in and the visits to the enterprises it helps; the
  三帮一 teams of the enterprises they see, with the people named on them
  (county leader, first responsible persons, contacts); their own unit and
  the units on those teams, with their people; their unit's help plans;
- anyone else (signed out, deactivated, without a unit) sees nothing.

Seeing is not acting: the lifecycle (issues.services) lets only the
responsible unit sign for, resolve or ask for more time, and the responsible
and co-handling units give feedback.

Every scoped model's queryset is a `ScopedQuerySet`, and `restrict(user)` is
the only way a page, export, search, filter, annotation, drop-down, API view
or admin list reads it; `REACH` below says, per model, which region it lies in
(for supervisors) and how an official's unit reaches it. Models of the layers
above (visits, issues) are named by label, so this module imports none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

# Scope of one user ----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    region_path: str | None = None
    unit_id: int | None = None
    user_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.region_path is None and self.unit_id is None

    @property
    def is_supervisor(self) -> bool:
        return self.region_path is not None


NOTHING = Scope()


def scope_of(user) -> Scope:
    """The user's scope, computed once per user object (one query for a supervisor)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_zoufang_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    user._zoufang_scope = scope
    return scope


def _compute(user) -> Scope:
    if user.is_superuser or user.role == "admin":
        return Scope(everything=True, user_id=user.pk)
    if user.unit_id is None:
        return NOTHING
    if user.role == "supervisor":
        path = _model("enterprises.HelpUnit").objects.filter(pk=user.unit_id).values_list("region__path", flat=True)
        path = path.first()
        if path is None:
            return NOTHING
        return Scope(region_path=path, unit_id=user.unit_id, user_id=user.pk)
    return Scope(unit_id=user.unit_id, user_id=user.pk)


# How an official's unit reaches things ---------------------------------------------


def _model(label: str):
    return apps.get_model(label)


def _helps(scope: Scope, enterprise: str) -> Q:
    """The official's unit is on the team of the enterprise at `enterprise`."""
    teams = _model("enterprises.AssignmentUnit").objects.filter(
        unit_id=scope.unit_id, assignment__enterprise=OuterRef(enterprise)
    )
    return Q(Exists(teams))


def handled_by(unit_id: int, issue: str = "") -> Q:
    """The issue (at the lookup `issue`) is one the unit is responsible for or co-handles."""
    prefix = f"{issue}__" if issue else ""
    co = _model("issues.Issue").co_units.through.objects.filter(issue=OuterRef(f"{prefix}pk"), helpunit_id=unit_id)
    return Q(**{f"{prefix}responsible_unit_id": unit_id}) | Q(Exists(co))


def handled_by_ids(unit_id: int):
    """The ids of the issues the unit is responsible for or co-handles (the
    rule of `handled_by`), as a union of two index lookups: a filter by unit
    then reads the unit's few issues instead of testing every issue, and
    the planner knows how many there are."""
    issue = _model("issues.Issue")
    co = issue.co_units.through.objects.filter(helpunit_id=unit_id).values("issue_id")
    return issue.objects.filter(responsible_unit_id=unit_id).order_by().values("pk").union(co, all=True)


# More co-handled issues than this and handled_by_listed falls back to the union.
CO_HANDLED_IDS_MAX = 2000


def handled_by_listed(unit_id: int) -> Q:
    """The rule of `handled_by` with the co-handled issues' ids read first
    (one query): `responsible_unit_id = u OR id = ANY(…)`, which the issue
    list combines with its other filters in one index scan (a unit's issues
    in one state: a bitmap of its rows in that state, instead of all its
    issues looked up one by one)."""
    issue = _model("issues.Issue")
    co = issue.co_units.through.objects.filter(helpunit_id=unit_id).values_list("issue_id", flat=True)
    ids = list(co.order_by()[: CO_HANDLED_IDS_MAX + 1])
    if len(ids) > CO_HANDLED_IDS_MAX:
        return Q(pk__in=handled_by_ids(unit_id))
    return Q(responsible_unit_id=unit_id) | Q(pk__in=ids)


def _enterprise(scope: Scope, path: str = "") -> Q:
    ref = f"{path}__pk" if path else "pk"
    handled = _model("issues.Issue").objects.filter(handled_by(scope.unit_id), enterprise=OuterRef(ref))
    return _helps(scope, ref) | Q(Exists(handled))


def _issue(scope: Scope, path: str = "") -> Q:
    prefix = f"{path}__" if path else ""
    return (
        handled_by(scope.unit_id, path)
        | Q(**{f"{prefix}registered_by_id": scope.user_id})
        | _helps(scope, f"{prefix}enterprise")
    )


def _visit(scope: Scope, path: str = "") -> Q:
    prefix = f"{path}__" if path else ""
    ours = _model("visits.VisitParticipant").objects.filter(visit=OuterRef(f"{prefix}pk"), unit_id=scope.unit_id)
    return Q(Exists(ours)) | _helps(scope, f"{prefix}enterprise")


def _teams_seen(scope: Scope):
    """The team rows (unit on a team) of the enterprises the official sees."""
    return _model("enterprises.AssignmentUnit").objects.filter(_enterprise(scope, "assignment__enterprise"))


def _units(scope: Scope, path: str = "") -> Q:
    """Own unit and the units on the teams of the enterprises the official sees."""
    ref = f"{path}__pk" if path else "pk"
    return Q(**{ref: scope.unit_id}) | Q(Exists(_teams_seen(scope).filter(unit_id=OuterRef(ref))))


def _officials(scope: Scope) -> Q:
    """The people of those units, and the people named on those teams."""
    leads = _model("enterprises.Assignment").objects.filter(_enterprise(scope, "enterprise"), leader_id=OuterRef("pk"))
    named = _teams_seen(scope).filter(Q(responsible_id=OuterRef("pk")) | Q(contact_id=OuterRef("pk")))
    return _units(scope, "unit") | Q(Exists(leads)) | Q(Exists(named))


@dataclass(frozen=True)
class Reach:
    """How a model is reached: `region` is the lookup from it to the Region it
    lies in (a supervisor sees it when that region is theirs or below);
    `official` is how an official's unit reaches it (None: it does not).
    `public` models are reference data any signed-in user reads; `admin_only`
    ones only admins see."""

    region: str | None = None
    official: Callable[[Scope], Q] | None = None
    public: bool = False
    admin_only: bool = False


REACH: dict[str, Reach] = {
    "enterprises.Region": Reach(public=True),
    "enterprises.Campaign": Reach(public=True),
    "enterprises.HelpUnit": Reach(region="region", official=_units),
    "enterprises.Official": Reach(region="unit__region", official=_officials),
    "enterprises.Enterprise": Reach(region="region", official=_enterprise),
    "enterprises.Assignment": Reach(region="enterprise__region", official=lambda s: _enterprise(s, "enterprise")),
    "enterprises.AssignmentUnit": Reach(
        region="assignment__enterprise__region", official=lambda s: _enterprise(s, "assignment__enterprise")
    ),
    "enterprises.HelpPlan": Reach(region="unit__region", official=lambda s: Q(unit_id=s.unit_id)),
    "enterprises.ImportJob": Reach(admin_only=True),
    "visits.Visit": Reach(region="enterprise__region", official=_visit),
    "visits.VisitParticipant": Reach(region="visit__enterprise__region", official=lambda s: _visit(s, "visit")),
    "visits.VisitAttachment": Reach(region="visit__enterprise__region", official=lambda s: _visit(s, "visit")),
    "issues.Issue": Reach(region="enterprise__region", official=_issue),
    "issues.IssueEvent": Reach(region="issue__enterprise__region", official=lambda s: _issue(s, "issue")),
    "issues.ExtensionRequest": Reach(region="issue__enterprise__region", official=lambda s: _issue(s, "issue")),
    "issues.FollowUp": Reach(region="issue__enterprise__region", official=lambda s: _issue(s, "issue")),
    "issues.IssueAttachment": Reach(region="issue__enterprise__region", official=lambda s: _issue(s, "issue")),
    "issues.Bulletin": Reach(region="region"),
    # A common problem is the supervisors' (officials see it named on their issues).
    "issues.CommonProblem": Reach(region="region"),
    # A coordination meeting is its region's supervisors' (its decisions reach officials as events on their issues).
    "issues.Meeting": Reach(region="region"),
    "issues.MeetingItem": Reach(region="meeting__region"),
    # A 督办单 is seen with its issue, and always by the unit it was issued to.
    "issues.SuperviseNotice": Reach(
        region="issue__enterprise__region", official=lambda s: Q(unit_id=s.unit_id) | _issue(s, "issue")
    ),
}


def restrict(queryset, user):
    """`queryset` narrowed to what `user` may see (see the rule above)."""
    reach = REACH[queryset.model._meta.label]
    scope = scope_of(user)
    if scope.nothing:
        return queryset.none()
    if scope.everything or reach.public:
        return queryset
    if reach.admin_only:
        return queryset.none()
    if scope.is_supervisor:
        reached = Q(**{f"{reach.region}__path__startswith": scope.region_path}) if reach.region else None
    else:
        reached = reach.official(scope) if reach.official else None
    return queryset.none() if reached is None else queryset.filter(reached)


class ScopedQuerySet(models.QuerySet):
    """The queryset of every scoped model: `restrict(user)` is its one way in.
    A restricted queryset (and every queryset derived from it) says so, so the
    API base view and the page helpers refuse to serve one that is not."""

    is_restricted = False

    def restrict(self, user):
        restricted = restrict(self, user)._chain()
        restricted.is_restricted = True
        return restricted

    def _clone(self):
        clone = super()._clone()
        clone.is_restricted = self.is_restricted
        return clone


def scope_region(user):
    """A supervisor's own region (None for an admin or an official)."""
    path = scope_of(user).region_path
    return _model("enterprises.Region").objects.filter(path=path).first() if path else None


def region_roots(user, region=None):
    """Where what `user` sees lies in the region tree, narrowed to `region`
    when one is chosen: (root, ids of the regions whose subtrees it is). The
    root is the chosen region or a supervisor's own, with its id alone; for
    an administrator it is None (above the tree), with every top region.
    None for anyone else (an official reaches through a unit), whom figures
    kept per region (issues.summary, visits.summary) cannot answer."""
    scope = scope_of(user)
    if not (scope.everything or scope.is_supervisor):
        return None
    root = region or scope_region(user)
    if root is not None:
        return root, (root.pk,)
    return None, tuple(_model("enterprises.Region").objects.filter(parent__isnull=True).values_list("pk", flat=True))
