"""面上共性问题: the writes of a common problem — proposed by the radar (or a
supervisor), confirmed, split, merged, dismissed (and remembered), decided
and closed. Closing can close or dispatch its issues in the same step, each
through the lifecycle (issues.services) with its own event; if one of them
cannot be, nothing changes and the refusal names it.

Who: supervisors and administrators, within their scope (a problem is seen
where its region is: the deepest region holding its enterprises). Every
change checks the version the actor read, so two supervisors acting at once
cannot overwrite each other."""

import datetime
import math
import time
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from core import clock
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.services import locked_for_change, require_supervisor, require_text
from enterprises.choices import RegionLevel
from enterprises.models import Enterprise, HelpUnit, Region

from . import radar, services
from .actions import NOTE_MAX
from .choices import AnswerKind, CommonStatus, Status
from .models import CommonProblem, Issue, MeetingItem

# The radar reads the issues still open, registered in this many days.
WINDOW_DAYS = 180
# States in which a problem's issues may still change.
GATHERING = (CommonStatus.PROPOSED, CommonStatus.CONFIRMED, CommonStatus.ON_AGENDA)
# States in which a problem may still be merged or dismissed: not while it
# waits on a meeting's agenda (take it off first), which was judged for the
# issues and the region it had.
UNSCHEDULED = (CommonStatus.PROPOSED, CommonStatus.CONFIRMED)
CLOSED_ISSUE = (Status.CLOSED, Status.CANCELLED)


def _require_supervisor(actor) -> None:
    require_supervisor(actor, _("Only supervisors and administrators handle common problems."))


def _locked(actor, problem_id: int, expected_version: int | None, allowed: tuple) -> CommonProblem:
    _require_supervisor(actor)
    problem = locked_for_change(
        CommonProblem.objects.restrict(actor),
        problem_id,
        expected_version,
        missing=NotFound("common_problem_not_found", _("No such common problem in your scope.")),
        stale=_(
            "Someone else changed this common problem in the meantime (version %(now)d, you had %(had)d). "
            "It is shown as it now is: check it and act again."
        ),
    )
    if problem.status not in allowed:
        raise Conflict(
            "common_problem_state",
            _("This common problem is %(state)s: that cannot be done now.") % {"state": problem.get_status_display()},
        )
    return problem


def _saved(problem: CommonProblem) -> CommonProblem:
    problem.version += 1
    problem.save()
    return problem


def _region_of(enterprise_ids) -> Region | None:
    """The deepest region holding every one of these enterprises."""
    paths = list(
        Enterprise.objects.filter(pk__in=set(enterprise_ids)).values_list("region__path", flat=True).distinct()
    )
    if not paths:
        return None
    common = Region.chain(paths[0])
    for path in paths[1:]:
        chain = Region.chain(path)
        length = 0
        while length < min(len(common), len(chain)) and common[length] == chain[length]:
            length += 1
        common = common[:length]
    return Region.objects.get(pk=common[-1]) if common else None


def _issues_for(actor, ids) -> list[Issue]:
    """Issues the actor may see, open, in no other problem: refused by name otherwise."""
    ids = list(dict.fromkeys(ids))
    rows = Issue.objects.restrict(actor).filter(pk__in=ids).select_for_update(of=("self",))
    found = {issue.pk: issue for issue in rows}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise NotFound("issue_not_found", _("No such issue in your scope: %(ids)s.") % {"ids": missing})
    for issue in found.values():
        if issue.status in CLOSED_ISSUE:
            raise InvalidInput(
                "issue_not_open", _("%(n)s is %(state)s.") % {"n": issue.number, "state": issue.get_status_display()}
            )
    waiting = Issue.objects.filter(pk__in=found).filter(Exists(_waiting_alone())).values_list("number", flat=True)
    if waiting:
        raise Conflict(
            "issue_on_agenda",
            _("Waiting alone on a meeting's agenda: %(n)s. Take it off the agenda first.")
            % {"n": "、".join(sorted(waiting))},
            field="issues",
        )
    return [found[pk] for pk in ids]


def _waiting_alone():
    """An issue's undecided item of its own on a meeting's agenda (for Exists)."""
    return MeetingItem.objects.waiting().filter(issue=OuterRef("pk"))


def _attach(problem: CommonProblem, issues: list[Issue]) -> None:
    Issue.objects.filter(pk__in=[issue.pk for issue in issues]).update(common_problem=problem)
    problem.region = _region_of(issue.enterprise_id for issue in problem.issues.all())


def _judged(problem: CommonProblem, actor) -> None:
    """Splitting, taking out or merging a proposal is a supervisor's judgement
    of it: it is confirmed, so the next night's run keeps it as it is."""
    if problem.status == CommonStatus.PROPOSED:
        problem.status = CommonStatus.CONFIRMED
        problem.confirmed_at, problem.confirmed_by = clock.now(), actor


def _at_least_two(issues, what: str) -> None:
    if len(issues) < 2:
        message = _("%(what)s needs at least two issues: one issue is not a common problem.")
        raise InvalidInput("too_few_issues", message % {"what": what})


# Made by a supervisor ------------------------------------------------------------------


@transaction.atomic
def common_propose(*, actor, title: str, issue_ids: list[int]) -> CommonProblem:
    """A supervisor gathers issues into a common problem: confirmed at once."""
    _require_supervisor(actor)
    title = require_text(title, field="title", max_length=200)
    issues = _issues_for(actor, issue_ids)
    _at_least_two(issues, _("A common problem"))
    taken = [issue.number for issue in issues if issue.common_problem_id is not None]
    if taken:
        raise Conflict(
            "issue_in_a_problem", _("Already in a common problem: %(n)s.") % {"n": "、".join(taken)}, field="issues"
        )
    now = clock.now()
    problem = CommonProblem.objects.create(
        title=title,
        category=Counter(issue.category for issue in issues).most_common(1)[0][0],
        status=CommonStatus.CONFIRMED,
        proposed_at=now,
        proposed_by=actor,
        confirmed_at=now,
        confirmed_by=actor,
    )
    _attach(problem, issues)
    problem.save(update_fields=["region"])
    return problem


@transaction.atomic
def common_confirm(*, actor, problem_id: int, title: str = "", expected_version: int | None = None) -> CommonProblem:
    """确认: the radar's proposal is one problem; its title may be reworded."""
    problem = _locked(actor, problem_id, expected_version, (CommonStatus.PROPOSED,))
    if title.strip():
        problem.title = require_text(title, field="title", max_length=200)
    problem.status = CommonStatus.CONFIRMED
    problem.confirmed_at, problem.confirmed_by = clock.now(), actor
    return _saved(problem)


@transaction.atomic
def common_split(
    *, actor, problem_id: int, issue_ids: list[int], title: str, expected_version: int | None = None
) -> CommonProblem:
    """拆分: the ticked issues become a problem of their own (in the same
    state, confirmed if it was a proposal); each part keeps at least two issues."""
    problem = _locked(actor, problem_id, expected_version, GATHERING)
    title = require_text(title, field="title", max_length=200)
    issues = _issues_for(actor, issue_ids)
    strangers = [issue.number for issue in issues if issue.common_problem_id != problem.pk]
    if strangers:
        raise InvalidInput("not_in_problem", _("Not in this common problem: %(n)s.") % {"n": "、".join(strangers)})
    _at_least_two(issues, _("The part split off"))
    _at_least_two(list(problem.issues.exclude(pk__in=[i.pk for i in issues])), _("The part that stays"))
    _judged(problem, actor)
    part = CommonProblem.objects.create(
        title=title,
        category=Counter(issue.category for issue in issues).most_common(1)[0][0],
        # The part is not on the agenda its problem waits on: it is put on one of its own.
        status=CommonStatus.CONFIRMED if problem.status == CommonStatus.ON_AGENDA else problem.status,
        proposed_at=problem.proposed_at,
        proposed_by=problem.proposed_by,
        confirmed_at=problem.confirmed_at,
        confirmed_by=problem.confirmed_by,
    )
    _attach(part, issues)
    part.save(update_fields=["region"])
    problem.region = _region_of(problem.issues.values_list("enterprise_id", flat=True))
    _saved(problem)
    return part


@transaction.atomic
def common_release(
    *, actor, problem_id: int, issue_ids: list[int], expected_version: int | None = None
) -> CommonProblem:
    """移出: issues that are not this problem leave it (at least two stay)."""
    problem = _locked(actor, problem_id, expected_version, GATHERING)
    released = [issue.pk for issue in problem.issues.filter(pk__in=issue_ids)]
    if len(released) != len(set(issue_ids)):
        raise InvalidInput("not_in_problem", _("Some of these issues are not in this common problem."))
    _at_least_two(list(problem.issues.exclude(pk__in=released)), _("The part that stays"))
    Issue.objects.filter(pk__in=released).update(common_problem=None)
    _judged(problem, actor)
    problem.region = _region_of(problem.issues.values_list("enterprise_id", flat=True))
    return _saved(problem)


@transaction.atomic
def common_merge(*, actor, problem_id: int, other_id: int, expected_version: int | None = None) -> CommonProblem:
    """合并: another problem's issues join this one; the other is gone."""
    problem = _locked(actor, problem_id, expected_version, UNSCHEDULED)
    other = _locked(actor, other_id, None, UNSCHEDULED)
    if other.pk == problem.pk:
        raise InvalidInput("same_problem", _("A common problem cannot be merged with itself."))
    Issue.objects.filter(common_problem=other).update(common_problem=problem)
    other.delete()
    _judged(problem, actor)
    problem.region = _region_of(problem.issues.values_list("enterprise_id", flat=True))
    return _saved(problem)


@transaction.atomic
def common_dismiss(*, actor, problem_id: int, reason: str, expected_version: int | None = None) -> CommonProblem:
    """不是共性问题: the issues go back to being cases of their own, and the
    radar does not propose them together again."""
    problem = _locked(actor, problem_id, expected_version, UNSCHEDULED)
    problem.dismissal_reason = require_text(reason, field="reason", max_length=2000)
    problem.dismissed_ids = sorted(problem.issues.values_list("pk", flat=True))
    Issue.objects.filter(common_problem=problem).update(common_problem=None)
    problem.status = CommonStatus.DISMISSED
    problem.dismissed_at, problem.dismissed_by = clock.now(), actor
    return _saved(problem)


@transaction.atomic
def common_to_agenda(*, actor, problem_id: int, expected_version: int | None = None) -> CommonProblem:
    """列入议程: a confirmed problem waits on a coordination meeting's agenda
    (issues.meetings, which holds the item)."""
    problem = _locked(actor, problem_id, expected_version, (CommonStatus.CONFIRMED,))
    problem.status = CommonStatus.ON_AGENDA
    return _saved(problem)


@transaction.atomic
def common_off_agenda(*, actor, problem_id: int) -> CommonProblem:
    """Taken off an agenda undecided (carried to another meeting, or settled
    otherwise): confirmed again."""
    problem = _locked(actor, problem_id, None, (CommonStatus.ON_AGENDA,))
    problem.status = CommonStatus.CONFIRMED
    return _saved(problem)


def _answer(problem, *, answer_kind: str, answer: str, responsible_unit: HelpUnit | None, actor) -> None:
    if answer_kind not in AnswerKind.values:
        raise InvalidInput("invalid_answer_kind", _("Say what settles it."), field="answer_kind")
    problem.answer = require_text(answer, field="answer", max_length=5000)
    if answer_kind == AnswerKind.UNIT and responsible_unit is None:
        raise InvalidInput("unit_required", _("Name the responsible unit."), field="responsible_unit")
    if responsible_unit is not None and not HelpUnit.objects.restrict(actor).filter(pk=responsible_unit.pk).exists():
        raise NotFound("unit_not_found", _("No such unit in your scope."), field="responsible_unit")
    problem.answer_kind, problem.responsible_unit = answer_kind, responsible_unit


@transaction.atomic
def common_decide(
    *,
    actor,
    problem_id: int,
    answer_kind: str,
    answer: str,
    responsible_unit: HelpUnit | None = None,
    expected_version: int | None = None,
    at_meeting: bool = False,
) -> CommonProblem:
    """决定: the answer — a policy, a decision, a responsible unit. A problem
    on a meeting's agenda is decided there (issues.meetings: `at_meeting`)."""
    allowed = (CommonStatus.ON_AGENDA,) if at_meeting else (CommonStatus.CONFIRMED,)
    problem = _locked(actor, problem_id, expected_version, allowed)
    _answer(problem, answer_kind=answer_kind, answer=answer, responsible_unit=responsible_unit, actor=actor)
    problem.status, problem.decided_at = CommonStatus.DECIDED, clock.now()
    return _saved(problem)


class Handling:
    """What closing does to the issues."""

    KEEP = "keep"  # each goes on along its own path
    CLOSE = "close"  # 销号, each one (all must be ready)
    ASSIGN = "assign"  # those waiting for dispatch go to the responsible unit

    VALUES = (KEEP, CLOSE, ASSIGN)


@transaction.atomic
def common_close(
    *,
    actor,
    problem_id: int,
    handling: str = Handling.KEEP,
    due_date: datetime.date | None = None,
    expected_version: int | None = None,
) -> CommonProblem:
    """销号 of the common problem once decided, and in the same step, by
    `handling`, its issues: each closed (销号) or each waiting issue dispatched
    to the responsible unit, through the lifecycle with its own event noting
    the answer. One issue that cannot be refuses the whole (nothing changes)."""
    problem = _locked(actor, problem_id, expected_version, (CommonStatus.DECIDED,))
    if handling not in Handling.VALUES:
        raise InvalidInput("invalid_handling", _("Say what becomes of the issues."), field="handling")
    note = _("Common problem “%(title)s”: %(answer)s") % {"title": problem.title, "answer": problem.answer}
    note = note[:NOTE_MAX]
    issues = list(problem.issues.select_for_update(of=("self",)).order_by("number"))
    if handling == Handling.ASSIGN and problem.responsible_unit is None:
        raise InvalidInput("unit_required", _("Dispatching needs the answer's responsible unit."), field="handling")
    for issue in issues:
        try:
            if handling == Handling.CLOSE and issue.status not in CLOSED_ISSUE:
                services.issue_close(actor=actor, issue_id=issue.pk, note=note)
            elif handling == Handling.ASSIGN and issue.status == Status.REGISTERED:
                services.issue_assign(
                    actor=actor, issue_id=issue.pk, unit=problem.responsible_unit, due_date=due_date, note=note
                )
        except (Conflict, InvalidInput, NotPermitted) as error:
            raise Conflict(
                "issue_refused",
                _("%(n)s cannot be handled with the common problem: %(reason)s Nothing was changed.")
                % {"n": issue.number, "reason": error.message},
            ) from error
    problem.status = CommonStatus.CLOSED
    problem.closed_at, problem.closed_by = clock.now(), actor
    return _saved(problem)


# The radar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RadarRun:
    read: int  # open issues read
    proposed: int  # groups proposed
    remembered: int  # groups left out: dismissed before
    seconds: float


def _remembered(ids: set[int], dismissed: list[set[int]]) -> bool:
    """A group mostly made of issues once dismissed together."""
    return any(len(ids & gone) >= max(2, math.ceil(len(ids) / 2)) for gone in dismissed)


def _lock_radar() -> None:
    """One run at a time (the nightly task and a supervisor's button)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('zoufang.radar'))")


def radar_run(*, today: datetime.date | None = None, settings: radar.Settings | None = None) -> RadarRun:
    """Read the open issues of the window that are in no problem but the
    radar's own untouched proposals, find the groups county by county (the
    level of a 协调例会; a problem across counties is made by merging
    theirs), and put them in place of those proposals.

    The reading and the finding (a minute or two over a province) hold no
    lock: the issues go on being worked meanwhile. Only the replacing is one
    short transaction, and it takes no issue a supervisor has put in a
    problem since it was read; a group left with fewer than three is not
    proposed."""
    started = time.monotonic()
    today = today or clock.today()
    first_day = today - datetime.timedelta(days=WINDOW_DAYS)
    since = clock.day_start(first_day)
    counties = set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("pk", flat=True))

    def county_of(path: str) -> int:
        """The county an enterprise lies in (0: none above it), where 协调例会 are held."""
        return next((pk for pk in Region.chain(path) if pk in counties), 0)

    unclaimed = (Q(common_problem__isnull=True) | Q(common_problem__status=CommonStatus.PROPOSED)) & ~Exists(
        _waiting_alone()
    )
    rows = [
        radar.Row(
            id=pk,
            enterprise_id=enterprise,
            category=category,
            title=title,
            description=text,
            request=asked,
            bucket=county_of(path),
        )
        for pk, enterprise, category, title, text, asked, path in Issue.objects.filter(
            unclaimed, registered_at__gte=since
        )
        .exclude(status__in=CLOSED_ISSUE)
        .order_by("pk")
        .values_list("pk", "enterprise_id", "category", "title", "description", "request", "enterprise__region__path")
        .iterator(chunk_size=5000)
    ]
    groups = radar.propose(rows, settings or radar.Settings())
    proposed, remembered = _replace_proposals(groups, {row.id: row for row in rows})
    return RadarRun(read=len(rows), proposed=proposed, remembered=remembered, seconds=time.monotonic() - started)


@transaction.atomic
def _replace_proposals(groups: list[radar.Group], by_id: dict) -> tuple[int, int]:
    """The last run's untouched proposals out, these in (one run at a time)."""
    _lock_radar()
    Issue.objects.filter(common_problem__status=CommonStatus.PROPOSED).update(common_problem=None)
    CommonProblem.objects.filter(status=CommonStatus.PROPOSED).delete()
    dismissed = [
        set(ids)
        for ids in CommonProblem.objects.filter(status=CommonStatus.DISMISSED).values_list("dismissed_ids", flat=True)
    ]
    now, proposed, remembered = clock.now(), 0, 0
    for group in groups:
        if _remembered(set(group.ids), dismissed):
            remembered += 1
            continue
        # Still free now: a supervisor may have put some in a problem meanwhile.
        free = set(
            Issue.objects.filter(pk__in=group.ids, common_problem__isnull=True)
            .filter(~Exists(_waiting_alone()))
            .values_list("pk", flat=True)
        )
        members = [by_id[pk] for pk in group.ids if pk in free]
        if len({row.enterprise_id for row in members}) < radar.DEFAULT.least:
            continue
        problem = CommonProblem.objects.create(
            title=members[0].title[:200],
            category=Counter(row.category for row in members).most_common(1)[0][0],
            status=CommonStatus.PROPOSED,
            likeness=group.likeness,
            words=group.words,
            proposed_at=now,
            region=_region_of(row.enterprise_id for row in members),
        )
        Issue.objects.filter(pk__in=[row.id for row in members], common_problem__isnull=True).update(
            common_problem=problem
        )
        proposed += 1
    return proposed, remembered
