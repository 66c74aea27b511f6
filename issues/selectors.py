"""Reads of the issue ledger, always through Issue.objects.restrict(user)."""

import datetime
from collections import defaultdict

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from enterprises.models import HelpUnit, Region
from enterprises.scope import scope_region
from visits import selectors as visit_selectors
from visits.selectors import visit_list

from . import figures, summary
from .actions import ELSEWHERE
from .choices import OPEN_STATUSES, Action, ExtensionStatus, Status
from .deadlines import WORKING
from .models import ExtensionRequest, FollowUp, Issue, IssueAttachment, IssueEvent


def issue_list(*, user):
    return (
        Issue.objects.restrict(user)
        .select_related("enterprise", "enterprise__region", "responsible_unit", "registered_by")
        .prefetch_related(Prefetch("co_units", queryset=HelpUnit.objects.only("id", "name")))
        .with_extension_pending()
    )


def issue_events(*, issue: Issue):
    return IssueEvent.objects.filter(issue=issue).select_related("actor", "actor_unit").order_by("created_at", "id")


def last_returns(issue_ids) -> dict[int, IssueEvent]:
    """The latest return (退回) of each issue, with the unit's reason: one query."""
    latest = {}
    for event in (
        IssueEvent.objects.filter(issue_id__in=issue_ids, action=Action.RETURN)
        .select_related("actor_unit")
        .order_by("issue_id", "created_at", "id")
    ):
        latest[event.issue_id] = event
    return latest


UNIT_WORK_SHOWN = 50


def unit_work(*, user) -> dict:
    """The work of `user`'s unit, each issue in one list: `to_sign` (assigned
    to it, not yet signed for), `own` (its own in hand) and `co_handled`
    (another unit's it co-handles, 协办), by deadline, the first
    UNIT_WORK_SHOWN of each, and their `counts`."""
    unit_id = user.unit_id
    issues = issue_list(user=user)
    mine = issues.filter(pk__in=Issue.objects.handled_by_unit(unit_id).values("pk")) if unit_id else issues.none()
    waiting = Q(status=Status.ASSIGNED, responsible_unit_id=unit_id)
    parts = {
        "to_sign": (waiting, "accept_due_date"),
        "own": (WORKING & Q(responsible_unit_id=unit_id) & ~waiting, "due_date"),
        "co_handled": (WORKING & ~Q(responsible_unit_id=unit_id), "due_date"),
    }
    work = {name: list(mine.filter(part).order_by(by, "id")[:UNIT_WORK_SHOWN]) for name, (part, by) in parts.items()}
    work["counts"] = mine.order_by().aggregate(
        **{name: Count("pk", filter=part) for name, (part, _by) in parts.items()}
    )
    return work


def handled_by_category(*, user, unit_ids, categories) -> dict[tuple[int, str], int]:
    """How many issues in `user`'s scope each unit has been responsible for,
    per category ({(unit, category): n}): what a dispatch suggestion weighs.
    One grouped query."""
    if not unit_ids or not categories:
        return {}
    rows = (
        issue_list(user=user)
        .filter(responsible_unit_id__in=unit_ids, category__in=categories)
        .order_by()
        .values_list("responsible_unit_id", "category")
        .annotate(n=Count("pk"))
    )
    return {(unit, category): n for unit, category, n in rows}


def with_closure(issues):
    """Set on each loaded issue what its closure rests on: `history` (its
    events, each with its `evidence`), `resolution` (the latest 办结 event)
    and `calls` (its return calls). Three queries for the whole list."""
    issues = list(issues)
    ids = [issue.pk for issue in issues]
    files = defaultdict(list)
    for attachment in IssueAttachment.objects.filter(issue_id__in=ids).order_by("uploaded_at", "id"):
        files[attachment.event_id].append(attachment)
    history = defaultdict(list)
    for event in (
        IssueEvent.objects.filter(issue_id__in=ids).select_related("actor", "actor_unit").order_by("created_at", "id")
    ):
        event.evidence = files[event.pk]
        history[event.issue_id].append(event)
    calls = defaultdict(list)
    for call in FollowUp.objects.filter(issue_id__in=ids).select_related("event").order_by("issue_id", "round"):
        calls[call.issue_id].append(call)
    for issue in issues:
        issue.history = history[issue.pk]
        issue.resolution = next((e for e in reversed(issue.history) if e.action == Action.RESOLVE), None)
        issue.calls = calls[issue.pk]
    return issues


# Figures -------------------------------------------------------------------

# The groups every figure is broken down by: group name → the issue's key.
GROUPS = {"unit": "responsible_unit", "region": "enterprise__region", "category": "category"}
KEYS = tuple(GROUPS.values())
GROUPS_BY_KEY = {key: group_by for group_by, key in GROUPS.items()}
COUNTS = (*figures.ROW_FIGURES, *figures.EVENT_FIGURES, *figures.EXTENSION_FIGURES)


def scoped_issues(
    *,
    user,
    campaign=None,
    region: Region | None = None,
    unit: HelpUnit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """Issues the figures count: in scope, not cancelled, filtered."""
    qs = Issue.objects.restrict(user).filter(figures.COUNTED)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if region is not None:
        qs = qs.filter(enterprise__region__path__startswith=region.path)
    if unit is not None:
        qs = qs.filter(pk__in=Issue.objects.handled_by_unit(unit.pk).values("pk"))
    if date_from is not None:
        qs = qs.filter(registered_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(registered_at__date__lte=date_to)
    return qs


def _cells(issues, today):
    """Every count per (unit, region, category) cell: one grouped scan of the
    issues, one of their events and one of their extension requests. Each
    issue sits in exactly one cell, so cells add up to any grouping."""
    closed = figures.condition("closed", today)
    counts = {name: Count("pk", filter=figures.condition(name, today)) for name in figures.ROW_FIGURES}
    counts["registered"] = Count("pk")
    counts["time_to_close"] = Sum(F("closed_at") - F("registered_at"), filter=closed)
    rows = issues.values(*KEYS).annotate(**counts)
    cells = {tuple(row[k] for k in KEYS): row for row in rows.order_by()}

    scope_sql, scope_params = issues.values("pk", *KEYS).order_by().query.sql_with_params()

    def merge(table, conditions: dict, where: str = "", where_params=()):
        # The issues in scope are computed once (a materialized CTE) and the
        # side table is probed by issue: a plan that stays sound even when the
        # planner's statistics are stale, as they are right after bulk loads.
        selects = ", ".join(
            f"COUNT(DISTINCT CASE WHEN {condition} THEN side.issue_id END)" for condition, _p in conditions.values()
        )
        # Django's own SQL for the scoped queryset, fixed conditions and table names; every value is a parameter.
        sql = (
            f"WITH scope (id, unit, region, category) AS MATERIALIZED ({scope_sql}) "  # nosec B608
            f"SELECT scope.unit, scope.region, scope.category, {selects} "
            f"FROM {table} side JOIN scope ON scope.id = side.issue_id {where} GROUP BY 1, 2, 3"
        )
        params = [*scope_params, *[p for _c, ps in conditions.values() for p in ps], *where_params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for unit, region, category, *numbers in cursor.fetchall():
                cell = cells.get((unit, region, category))
                if cell is not None:  # (always found: the same issues)
                    cell.update(zip(conditions, numbers, strict=True))

    actions = [action for _l, action in figures.EVENT_FIGURES.values()]
    merge(
        IssueEvent._meta.db_table,
        {name: ("side.action = %s", [action]) for name, (_l, action) in figures.EVENT_FIGURES.items()},
        where=f"WHERE side.action IN ({', '.join(['%s'] * len(actions))})",
        where_params=actions,
    )
    merge(
        ExtensionRequest._meta.db_table,
        {
            name: ("side.status = %s", [status]) if status else ("TRUE", [])
            for name, (_l, status) in figures.EXTENSION_FIGURES.items()
        },
    )
    return cells


def _figures(counts: dict, time_to_close) -> dict:
    result = dict(counts)
    for rate, (part, whole) in figures.RATES.items():
        result[rate] = figures.rate(counts[part], counts[whole])
    result["mean_days_to_close"] = (
        round(time_to_close.total_seconds() / 86400 / counts["closed"], 2) if counts["closed"] else None
    )
    return result


def _sum_up(cells, group_of, into: dict | None = None) -> dict:
    """Add the cells up by `group_of(cell key)` (into `into`'s sums, if given)."""
    sums: dict = into if into is not None else {}
    for key, cell in cells.items():
        _add_to(sums, group_of(key), cell, cell.get("time_to_close"))
    return sums


def _add_to(sums: dict, group, counts: dict, time) -> None:
    total = sums.setdefault(group, {"counts": dict.fromkeys(COUNTS, 0), "time": datetime.timedelta()})
    into = total["counts"]
    for name, value in counts.items():
        if name in into:  # (a cell also holds its keys)
            into[name] += value or 0
    if time:
        total["time"] += time


def _roll_up(cells, group_of) -> dict:
    """Add the cells up by `group_of(cell key)`."""
    return _figured(_sum_up(cells, group_of))


def _figured(sums: dict) -> dict:
    return {group: _figures(total["counts"], total["time"]) for group, total in sums.items()}


def _region_levels(region_ids, root: Region | None) -> dict:
    """Map each enterprise region to the region one level below `root` that
    holds it (the root itself for enterprises directly in it), going one
    level further down while everything sits in a single region: a county's
    supervisor sees its towns, an admin of one city its counties."""
    paths = dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "path"))
    chains = {pk: [int(part) for part in path.strip("/").split("/")] for pk, path in paths.items()}
    depth = root.path.count("/") - 1 if root else 0
    while True:
        groups = {pk: chain[depth] if len(chain) > depth else pk for pk, chain in chains.items()}
        deeper = all(len(chain) > depth + 1 for chain in chains.values())
        if len(set(groups.values())) != 1 or not deeper:
            return groups
        depth += 1


def _named(group_by: str, rows: dict, root_path: str | None) -> list[dict]:
    if group_by == "category":
        names = {key: str(label) for key, label in Issue._meta.get_field("category").choices}
        paths = {}
    elif group_by == "unit":
        found = HelpUnit.objects.filter(pk__in=[g for g in rows if g]).values_list("pk", "name", "kind")
        names = {pk: name for pk, name, _kind in found}
        kinds = {pk: kind for pk, _name, kind in found}  # units are scored against their own kind
        paths = {}
    else:
        found = Region.objects.filter(pk__in=[g for g in rows if g]).values_list("pk", "name", "path")
        names = {pk: name for pk, name, _path in found}
        paths = {pk: path for pk, _name, path in found}
    named = []
    for group, row in rows.items():
        extra = {}
        if group_by == "region":
            # Enterprises directly in the chosen region (not in one below it).
            extra["direct"] = paths.get(group) == root_path
        elif group_by == "unit":
            extra["kind"] = kinds.get(group)
        name = names.get(group, group) if group is not None else _("Not yet assigned")
        named.append({"group": group, "name": name, **extra, **row})
    return sorted(named, key=lambda row: (row["group"] is None, str(row["name"])))


def issue_figures(*, user, today: datetime.date | None = None, groups=tuple(GROUPS), **filters) -> dict:
    """The figures of DOMAIN.md for a scope: `totals`, and the same figures
    per `unit`, `region` (the regions one level below the chosen one) and
    `category`, from a fixed number of queries whatever the number of issues
    or groups: from the summary (issues.summary) where it answers, else from
    the ledger."""
    today = today or clock.today()
    plan = summary.plan(user=user, **filters)
    if plan is not None:
        result = _figures_from_summary(plan, user=user, today=today, groups=groups, filters=filters)
        if result is not None:
            return result
    cells = _cells(scoped_issues(user=user, **filters), today)
    empty = _figures(dict.fromkeys(COUNTS, 0), datetime.timedelta())
    result = {"totals": _roll_up(cells, lambda key: None).get(None, empty)}
    for group_by in groups:
        index = KEYS.index(GROUPS[group_by])
        root_path = None
        if group_by == "region":
            root = filters.get("region") or scope_region(user)
            root_path = root.path if root else None
            level = _region_levels({key[index] for key in cells}, root)
            rows = _roll_up(cells, lambda key, i=index, up=level: up.get(key[i], key[i]))
        else:
            rows = _roll_up(cells, lambda key, i=index: key[i])
        result[group_by] = _named(group_by, rows, root_path)
    return result


def _moving(issues, today) -> dict:
    """The part of each figure that comes with the date (figures.MOVING), per
    unit, enterprise region and category ({group: {value: {figure: n}}}): a
    query per figure over the few issues its own partial index holds (open
    work, calls not yet made, answers not yet given), added up here by each
    of the three."""
    result = {group_by: defaultdict(lambda: defaultdict(int)) for group_by in GROUPS}
    positions = [(GROUPS_BY_KEY[key], i) for i, key in enumerate(KEYS)]
    for name, (_settled, moving) in figures.MOVING.items():
        for *key, n in issues.filter(moving(today)).values_list(*KEYS).annotate(n=Count("pk")).order_by():
            for group_by, i in positions:
                result[group_by][key[i]][name] += n
    return result


def _figures_from_summary(plan, *, user, today, groups, filters) -> dict | None:
    """issue_figures from the summary's cells for the whole months of the
    period, the ledger for the days around them, and the ledger for what
    comes with the date. None when the regions of the days counted live do
    not fit the summary's grouping (then the ledger answers it all)."""
    scoped = scoped_issues(user=user, **filters)
    live = _cells(scoped.filter(plan.live), today) if plan.live is not None else {}
    moving = _moving(scoped.filter(summary.whole_months(plan)), today)
    index = {group_by: KEYS.index(key) for group_by, key in GROUPS.items()}
    sums = {}
    # Every issue is in one unit group (None: not yet assigned) and one
    # category: either adds up to the totals.
    read = [g for g in ("unit", "category") if g in groups] or ["category"]
    for group_by in read:
        rows = summary.by_member(plan, summary.UNIT if group_by == "unit" else summary.CATEGORY)
        _sum_up(live, lambda key, i=index[group_by]: key[i], into=rows)
        for member, counts in moving[group_by].items():
            _add_to(rows, member, counts, None)
        sums[group_by] = rows
    totals: dict = {}
    for total in sums[read[0]].values():
        _add_to(totals, None, total["counts"], total["time"])
    empty = _figures(dict.fromkeys(COUNTS, 0), datetime.timedelta())
    result = {"totals": _figured(totals).get(None, empty)}
    if "region" in groups:
        root, rows = summary.by_region(plan)
        leaves = {key[index["region"]] for key in live} | set(moving["region"])
        paths = dict(Region.objects.filter(pk__in=leaves).values_list("pk", "path"))
        if root != plan.root and not all(path.startswith(root.path) and path != root.path for path in paths.values()):
            return None
        _sum_up(live, lambda key: summary.group_of(root, paths[key[index["region"]]]), into=rows)
        for leaf, counts in moving["region"].items():
            _add_to(rows, summary.group_of(root, paths[leaf]), counts, None)
        result["region"] = _named("region", _figured(rows), root.path if root else None)
    for group_by in ("unit", "category"):
        if group_by in groups:
            result[group_by] = _named(group_by, _figured(sums[group_by]), None)
    return result


def visit_figures(*, user, campaign, date_from, date_to, region=None) -> dict:
    """visits.selectors.visit_figures, reading visits.summary when the
    summaries are current (issues.summary keeps that state for both)."""
    return visit_selectors.visit_figures(
        user=user,
        campaign=campaign,
        date_from=date_from,
        date_to=date_to,
        region=region,
        summarised=summary.current(),
    )


def issue_totals(*, user, today: datetime.date | None = None, **filters) -> dict:
    return issue_figures(user=user, today=today, groups=(), **filters)["totals"]


def issue_stats(*, user, group_by: str, today: datetime.date | None = None, **filters) -> list[dict]:
    return issue_figures(user=user, today=today, groups=(group_by,), **filters)[group_by]


TRUNC = {"month": TruncMonth, "week": TruncWeek}


def trend(*, user, period: str = "month", **filters) -> list[dict]:
    """Issues registered and closed per month or week (weeks start on
    Monday): from the summary's cells for the whole months it answers, and
    one query of the ledger for the rest, grouped by both periods at once."""
    issues = scoped_issues(user=user, **filters)
    registered: dict = defaultdict(int)
    closed: dict = defaultdict(int)
    plan = summary.plan(user=user, **filters)
    if plan is not None:
        issues = issues.filter(plan.live) if plan.live is not None else issues.none()
        weekly = period == "week"
        for start, n in summary.by_period(plan, summary.WEEK if weekly else summary.CATEGORY).items():
            registered[start] += n
        for start, n in summary.by_period(plan, summary.CLOSED_WEEK if weekly else summary.CLOSED_MONTH).items():
            closed[start] += n
    trunc = TRUNC[period]
    rows = (
        issues.annotate(reg=trunc("registered_at"), done=trunc("closed_at"))
        .values("reg", "done", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        registered[row["reg"].date()] += row["n"]
        if row["status"] == Status.CLOSED and row["done"] is not None:
            closed[row["done"].date()] += row["n"]
    return [
        {"start": start, "registered": registered.get(start, 0), "closed": closed.get(start, 0)}
        for start in sorted(set(registered) | set(closed))
        if registered.get(start) or closed.get(start)
    ]


# Escalated for coordination (提请协调) and not yet closed or cancelled.
ESCALATED_OPEN = Q(escalated_at__isnull=False, status__in=OPEN_STATUSES)


def pending_extensions(*, user):
    """Extension requests waiting for a decision on the issues `user` sees,
    oldest first."""
    return (
        ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING, issue__in=issue_list(user=user).values("pk"))
        .select_related("issue", "issue__enterprise", "unit", "requested_by")
        .order_by("requested_at", "id")
    )


def escalation_groups(*, user, first: int, region: Region | None = None) -> list[dict]:
    """Open escalated issues grouped by category and region, the groups that
    touch most enterprises first (面上共性问题): counts from one grouped
    query, each group's `first` issues from one window-ranked query. A
    `region` keeps the enterprises of it and below (the bulletin's)."""
    escalated = issue_list(user=user).filter(ESCALATED_OPEN)
    if region is not None:
        escalated = escalated.filter(enterprise__region__path__startswith=region.path)
    counts = (
        escalated.values("category", "enterprise__region")
        .annotate(issues=Count("pk"), enterprises=Count("enterprise", distinct=True))
        .order_by()
    )
    # Region names for regions of issues already in scope (the tree itself is public).
    regions = dict(Region.objects.filter(pk__in={r["enterprise__region"] for r in counts}).values_list("pk", "name"))
    labels = dict(Issue._meta.get_field("category").choices)
    groups = {
        (row["category"], row["enterprise__region"]): {
            "category": row["category"],
            "category_name": labels.get(row["category"], row["category"]),
            "region": row["enterprise__region"],
            "region_name": regions.get(row["enterprise__region"], ""),
            "count": row["issues"],
            "enterprises": row["enterprises"],
            "issues": [],
        }
        for row in counts
    }
    ranked = escalated.annotate(
        rank=Window(
            RowNumber(), partition_by=[F("category"), F("enterprise__region")], order_by=F("escalated_at").asc()
        )
    ).filter(rank__lte=first)
    for issue in ranked.order_by("escalated_at"):
        groups[(issue.category, issue.enterprise.region_id)]["issues"].append(issue)
    return sorted(groups.values(), key=lambda group: (-group["enterprises"], -group["count"], group["category"]))


def categories_by_reach(*, user, **filters) -> list[dict]:
    """The categories of the issues the figures count (scoped_issues, same
    filters), those that touch most enterprises first: the common problems
    (面上共性问题) of a period, one grouped query."""
    labels = dict(Issue._meta.get_field("category").choices)
    rows = (
        scoped_issues(user=user, **filters)
        .values("category")
        .annotate(enterprises=Count("enterprise", distinct=True), issues=Count("pk"))
        .order_by("-enterprises", "-issues", "category")
    )
    return [{**row, "category_name": str(labels.get(row["category"], row["category"]))} for row in rows]


def visits_with_issue_counts(*, user, including_withdrawn: bool = False):
    """The user's visits (visits.selectors.visit_list), each with the number of
    issues raised at it that the user may see: counted from the restricted
    ledger, so a count never includes an issue outside the scope."""
    raised = (
        Issue.objects.restrict(user)
        .filter(visit=OuterRef("pk"))
        .order_by()
        .values("visit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    visits = visit_list(user=user, including_withdrawn=including_withdrawn)
    return visits.annotate(issue_count=Coalesce(Subquery(raised), 0))


def common_problems(*, user, states) -> list:
    """The common problems `user` may see in `states`, newest first, each with
    its issues the user may see (enterprise and unit loaded): three queries."""
    from .models import CommonProblem

    issues = issue_list(user=user).select_related("enterprise", "responsible_unit").order_by("number")
    return list(
        CommonProblem.objects.restrict(user)
        .filter(status__in=states)
        .select_related("region", "responsible_unit", "confirmed_by")
        .prefetch_related(Prefetch("issues", queryset=issues, to_attr="cases"))
        .order_by("-proposed_at", "-id")[:100]
    )


def common_problems_widest(*, user, region=None, first: int = 5, today=None, until=None) -> list:
    """The open common problems (confirmed, on an agenda or decided) that
    touch most enterprises, for the dashboard and the bulletin: each with its
    enterprises and issues counted (cancelled ones left out) and its age in
    days since it was confirmed, at `today`; `until`: confirmed before that
    moment. One query."""
    from .choices import CommonStatus
    from .models import CommonProblem

    rows = CommonProblem.objects.restrict(user).filter(
        status__in=(CommonStatus.CONFIRMED, CommonStatus.ON_AGENDA, CommonStatus.DECIDED)
    )
    if region is not None:
        rows = rows.filter(region__path__startswith=region.path)
    if until is not None:  # a period's (the bulletin's): those confirmed by its end
        rows = rows.filter(confirmed_at__lt=until)
    rows = (
        rows.select_related("responsible_unit")
        .annotate(
            enterprises=Count("issues__enterprise", filter=~Q(issues__status=Status.CANCELLED), distinct=True),
            cases=Count("issues", filter=~Q(issues__status=Status.CANCELLED), distinct=True),
        )
        .order_by("-enterprises", "confirmed_at", "pk")[:first]
    )
    today = today or clock.today()
    problems = list(rows)
    for problem in problems:
        since = problem.confirmed_at or problem.proposed_at
        problem.age_days = (today - timezone.localtime(since).date()).days
    return problems


# Coordination meetings (协调例会) --------------------------------------------------------


def meeting_list(*, user):
    """The meetings `user` may see, latest first, with their items counted
    (and those decided): one query."""
    from .models import Meeting

    return (
        Meeting.objects.restrict(user)
        .select_related("region")
        .annotate(
            item_count=Count("items", distinct=True),
            decided_count=Count("items", filter=Q(items__decided_at__isnull=False), distinct=True),
        )
        .order_by("-held_on", "-id")
    )


def meeting_agenda(*, user, meeting) -> list:
    """The meeting's items in order, each with what it covers as `user` may
    see it: a problem's issues (`cases`) or the single issue, and how the
    decision is being carried out (`progress`: issues, closed, overdue) — a
    fixed number of queries for the whole agenda."""
    from .deadlines import overdue
    from .models import MeetingItem

    issues = issue_list(user=user).select_related("enterprise", "responsible_unit").order_by("number")
    items = list(
        MeetingItem.objects.restrict(user)
        .filter(meeting=meeting)
        .select_related("common_problem", "unit", "decided_by")
        .prefetch_related(
            # A single issue read as the problems' are, through the user's scope.
            Prefetch("issue", queryset=issues),
            Prefetch("common_problem__issues", queryset=issues, to_attr="cases"),
            Prefetch("co_units", queryset=HelpUnit.objects.order_by("name"), to_attr="co_unit_list"),
        )
        .order_by("position", "id")
    )
    single = {item.issue_id for item in items if item.issue_id}
    problems = {item.common_problem_id for item in items if item.common_problem_id}
    tally = defaultdict(lambda: {"issues": 0, "closed": 0, "overdue": 0})
    rows = (
        issue_list(user=user)
        .filter(Q(pk__in=single) | Q(common_problem__in=problems))
        .annotate(late=ExpressionWrapper(overdue(clock.today()), output_field=BooleanField()))
        .values_list("pk", "common_problem_id", "status", "late")
    )
    for pk, problem, status, late in rows:
        for key in (("issue", pk), ("problem", problem)):
            counts = tally[key]
            counts["issues"] += 1
            counts["closed"] += status == Status.CLOSED
            counts["overdue"] += bool(late)
    for item in items:
        item.cases = item.common_problem.cases if item.common_problem_id else ([item.issue] if item.issue else [])
        item.working_with = [unit.name for unit in item.co_unit_list]
        key = ("problem", item.common_problem_id) if item.common_problem_id else ("issue", item.issue_id)
        item.progress = tally[key] if key in tally else {"issues": 0, "closed": 0, "overdue": 0}
    return items


def meeting_candidates(*, user, meeting) -> dict:
    """What could go on the meeting's agenda: the confirmed common problems
    of its region, and its open escalated issues in no problem and on no
    agenda waiting, oldest first (two queries)."""
    from .choices import CommonStatus
    from .models import CommonProblem, MeetingItem

    waiting = MeetingItem.objects.waiting().filter(issue=OuterRef("pk"))
    return {
        "problems": list(
            CommonProblem.objects.restrict(user)
            .filter(status=CommonStatus.CONFIRMED, region__path__startswith=meeting.region.path)
            .annotate(enterprises=Count("issues__enterprise", distinct=True))
            .order_by("-enterprises", "confirmed_at", "pk")[:50]
        ),
        "issues": list(
            issue_list(user=user)
            .filter(
                escalated_at__isnull=False,
                status__in=ELSEWHERE[Action.MEETING_DECISION].sources,
                enterprise__region__path__startswith=meeting.region.path,
            )
            .filter(common_problem__isnull=True)
            .exclude(Exists(waiting))
            .select_related("enterprise")
            .order_by("escalated_at", "pk")[:50]
        ),
    }


def problems_with_meetings(*, user, problems: list) -> None:
    """Set on each common problem the open meetings whose agenda it may go
    on (`meetings`: of a region holding it) and the one it waits on
    (`waiting`): two queries for the radar's desk."""
    from .models import Meeting, MeetingItem

    today = clock.today()
    open_meetings = sorted(
        Meeting.objects.restrict(user).filter(issued_at__isnull=True).select_related("region"),
        # The next meetings first, soonest first; those already held after them, latest first.
        key=lambda m: (m.held_on < today, abs((m.held_on - today).days), m.pk),
    )
    waiting = {
        item.common_problem_id: item.meeting
        for item in MeetingItem.objects.restrict(user)
        .waiting()
        .filter(common_problem__in=[p.pk for p in problems])
        .select_related("meeting")
    }
    for problem in problems:
        path = problem.region.path if problem.region_id else None
        problem.meetings = [m for m in open_meetings if m.covers(path)]
        problem.waiting = waiting.get(problem.pk)


def meeting_waiting_for(*, user, issue):
    """The undecided agenda item `issue` waits on (alone or with its common
    problem), if `user` may see its meeting; else None."""
    from .models import MeetingItem

    reach = Q(issue=issue)
    if issue.common_problem_id:
        reach |= Q(common_problem_id=issue.common_problem_id)
    return MeetingItem.objects.restrict(user).waiting().filter(reach).select_related("meeting").first()
