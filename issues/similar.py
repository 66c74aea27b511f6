"""Duplicate hints (重复提示): an issue being registered, or waiting for
dispatch, that reads like one its enterprise already raised is named beside
it — "该企业于 2026-10-08 反映过类似问题（2026-000116，办理中）" — so the official
or supervisor may link it to that one (the enterprise raised it again,
issues.services.issue_raise_again) instead of registering it twice. The rule
lives here, and the visit form, the dispatch desk and the API all ask it.

Two issues of one enterprise are alike when they pass the radar's two tests
(issues.radar): the same concepts (the radar's words, those of the title
weightier) and some of the same wording (the pairs of characters, filler left
out). Within one enterprise there are a handful of issues, not a ledger to
weigh words over, so each is compared as it stands (no IDF) and the wording
must agree more than the radar asks. Two issues that name none of the
radar's concepts (a trademark, a parking lot) are alike on their wording
alone, of which they must share much more.

Precision first: a hint that is usually wrong teaches people to ignore it.
The thresholds are measured on labelled pairs (tests/issues/data/, `python
benchmarks/bench_radar.py --duplicates`).

What a hint may name: an issue of the same enterprise in the user's scope
(Issue.objects.restrict), open — or closed in the last RECENTLY_CLOSED_DAYS
days. A closed one cannot take a raise-again (销号 is final), but an
enterprise raising within a quarter what was just closed says the closure
did not hold, and the one registering it again should know that and say so;
a quarter is the campaign's visit cycle, so the last visit's closures are in
view and older ones are history. Cancelled issues are never named.

And what a link leaves: the issues raised again at a visit (raised_again_at)."""

import copy
import datetime
import math
from collections import Counter
from dataclasses import dataclass

from django.db.models import Q

from core import clock

from . import radar, selectors
from .actions import RULES
from .choices import Action, Status
from .models import Issue, IssueEvent

RECENTLY_CLOSED_DAYS = 90
MOST_HINTS = 3  # per issue, the most alike first
MOST_READ = 500  # issues read at most, times the enterprises asked about (newest first, over all of them)

# The states in which an issue can take a raise-again (issues.actions).
LINKABLE = RULES[Action.RAISED_AGAIN].sources


@dataclass(frozen=True)
class Settings:
    concepts: float = 0.8  # least cosine of concepts…
    wording: float = 0.14  # …and of wording, for two issues to be alike
    wording_alone: float = 0.3  # least cosine of wording for two issues that name no concept


DEFAULT = Settings()


def _cosine(a: dict, b: dict, norms: float) -> float:
    if not norms:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items()) / norms


def _norm(vector: dict) -> float:
    return math.sqrt(sum(weight * weight for weight in vector.values()))


@dataclass(frozen=True)
class Read:
    """What is compared of an issue: its concepts and its wording, weighed."""

    id: int
    concepts: dict
    wording: dict
    concepts_norm: float
    wording_norm: float


def read(row: radar.Row) -> Read:
    concepts = dict(Counter(radar.concept_terms(row)))
    wording = {pair: 1.0 + math.log(n) for pair, n in Counter(radar.wording_terms(row)).items()}  # sublinear
    return Read(row.id, concepts, wording, _norm(concepts), _norm(wording))


def likeness(a: Read, b: Read, settings: Settings = DEFAULT) -> float | None:
    """How alike two issues read (the cosine of their wording), or None when
    they are not alike enough to be one issue raised twice."""
    least = settings.wording_alone
    if a.concepts or b.concepts:
        if _cosine(a.concepts, b.concepts, a.concepts_norm * b.concepts_norm) < settings.concepts:
            return None
        least = settings.wording
    wording = _cosine(a.wording, b.wording, a.wording_norm * b.wording_norm)
    return wording if wording >= least else None


def matches(one: Read, others: list[Read], settings: Settings = DEFAULT) -> list[tuple[int, float]]:
    """The ids of `others` alike to `one` (itself left out), the most alike
    first, with their likeness."""
    found = []
    for other in others:
        if other.id != one.id and (alike := likeness(one, other, settings)) is not None:
            found.append((other.id, alike))
    found.sort(key=lambda pair: (-pair[1], -pair[0]))
    return found


def _row(issue: Issue) -> radar.Row:
    return radar.Row(
        id=issue.pk,
        enterprise_id=issue.enterprise_id,
        category=issue.category,
        title=issue.title,
        description=issue.description,
        request=issue.request,
    )


def _namable(*, user, enterprise_ids, closed: bool) -> dict[int, list[Issue]]:
    """What a hint may name, by enterprise: the issues in `user`'s scope,
    open (and, with `closed`, closed recently). One query."""
    if not enterprise_ids:
        return {}
    shown = Q(status__in=LINKABLE)
    if closed:
        shown |= Q(status=Status.CLOSED, closed_at__gte=clock.now() - datetime.timedelta(days=RECENTLY_CLOSED_DAYS))
    rows = (
        Issue.objects.restrict(user)
        .filter(shown, enterprise_id__in=set(enterprise_ids))
        .only(
            "id",
            "number",
            "enterprise_id",
            "category",
            "title",
            "description",
            "request",
            "status",
            "version",
            "registered_at",
            "closed_at",
        )
        .order_by("-registered_at", "-id")[: MOST_READ * len(set(enterprise_ids))]
    )
    by_enterprise: dict[int, list[Issue]] = {}
    for issue in rows:
        issue.linkable = issue.status in LINKABLE
        by_enterprise.setdefault(issue.enterprise_id, []).append(issue)
    return by_enterprise


def _hints(one: Read, namable: list[Issue], reads: list[Read], settings: Settings) -> list[Issue]:
    by_id = {issue.pk: issue for issue in namable}
    hints = []
    for issue_id, alike in matches(one, reads, settings)[:MOST_HINTS]:
        issue = copy.copy(by_id[issue_id])  # one issue may be a hint to two rows of a desk
        issue.likeness = round(alike, 3)
        hints.append(issue)
    return hints


@dataclass(frozen=True)
class Raised:
    """What an official is about to register."""

    title: str
    description: str = ""
    request: str = ""
    category: str = ""


def for_new(*, user, enterprise, raised: list[Raised], settings: Settings = DEFAULT) -> list[list[Issue]]:
    """The hints for issues about to be registered for `enterprise` (a
    visit's blocks, or one through the API), one list per issue: open ones
    to link to, and ones closed recently. One query. Each hint carries
    `linkable` and `likeness`."""
    if not raised:
        return []
    namable = _namable(user=user, enterprise_ids=[enterprise.pk], closed=True).get(enterprise.pk, [])
    reads = [read(_row(issue)) for issue in namable]
    return [
        _hints(
            read(radar.Row(0, enterprise.pk, one.category, one.title, one.description, one.request)),
            namable,
            reads,
            settings,
        )
        for one in raised
    ]


def for_issues(*, user, issues, closed: bool = False, settings: Settings = DEFAULT) -> dict[int, list[Issue]]:
    """The hints for issues already registered (a page of the dispatch desk,
    one just registered through the API): other open issues of the same
    enterprise (and, with `closed`, ones closed recently), by issue id. One
    query for the page."""
    namable = _namable(user=user, enterprise_ids={issue.enterprise_id for issue in issues}, closed=closed)
    reads = {enterprise: [read(_row(issue)) for issue in rows] for enterprise, rows in namable.items()}
    return {
        issue.pk: hints
        for issue in issues
        if (
            hints := _hints(
                read(_row(issue)), namable.get(issue.enterprise_id, []), reads.get(issue.enterprise_id, []), settings
            )
        )
    }


def raised_again_at(*, user, visit) -> list[Issue]:
    """The issues already in the ledger that the enterprise raised again at
    `visit` (linked instead of registered), those `user` may see."""
    linked = IssueEvent.objects.filter(action=Action.RAISED_AGAIN, data__visit=visit.pk).values("issue_id")
    return list(selectors.issue_list(user=user).filter(pk__in=linked).order_by("number"))
