"""A unit's score (考核) and the red and black lists (红黑榜), defined once.

A score is worked out from the unit's figures (issues.figures, as
issues.selectors.issue_figures counts them per unit) and the rule in force
(models.ScoringRule): each metric earns up to its weight in points,

- a rate: weight × rate (on-time sign-for, on time, closure, satisfaction,
  the return call (回访), the first answer on time);
- a bad rate: weight × (1 − rate) (returned, sent back for rework);
- a deduction: weight − points per item × items counted, at least 0
  (overdue now; issues given a 督办单, issues criticised in a 通报批评).

A rate with nothing to count (no closed issue to be on time) is left out and
the other metrics are scaled up to 100 (缺项折算), so a unit is neither
given the points nor docked them for work it had none of. Units with fewer
items than the rule asks are listed apart, with no score, never on either
list; each kind of unit is ranked apart when the rule says so. Equal scores
share a place (相同分数排名不分先后), and the list that place is on.

Every metric is a figure, so each number leads to the issues behind it (the
issue list's `figure=` filter). Adding a metric is one entry in METRICS
naming a figure of issues.figures.
"""

import bisect
import dataclasses
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit
from core.audit import audited
from core.errors import InvalidInput
from core.services import require_admin, save_or_conflict
from core.validators import text_error
from enterprises.choices import UnitKind
from enterprises.rules import RuleError

from . import figures
from .choices import Grade, ListBy
from .models import ScoringRule

RATE = "rate"
BAD_RATE = "bad_rate"
DEDUCTION = "deduction"


@dataclasses.dataclass(frozen=True)
class Metric:
    """What a unit is scored on: a rate of figures.RATES (RATE, BAD_RATE)
    or a count of figures.LABELS (DEDUCTION), named by the metric's key."""

    label: str
    kind: str


# Metric → how it scores. The key is the figure it reads.
METRICS = {
    "on_time_sign_for_rate": Metric(gettext_lazy("On-time sign-for"), RATE),
    "on_time_rate": Metric(gettext_lazy("On-time closure rate"), RATE),
    "closure_rate": Metric(gettext_lazy("Closure rate"), RATE),
    "satisfaction_rate": Metric(gettext_lazy("Satisfaction rate"), RATE),
    "follow_up_rate": Metric(gettext_lazy("Return-call rate"), RATE),
    "answer_on_time_rate": Metric(gettext_lazy("On-time first answer"), RATE),
    "return_rate": Metric(gettext_lazy("Return rate"), BAD_RATE),
    "rework_rate": Metric(gettext_lazy("Rework rate"), BAD_RATE),
    "overdue": Metric(gettext_lazy("Overdue now"), DEDUCTION),
    "ever_supervised": Metric(gettext_lazy("Given a supervision notice"), DEDUCTION),
    "ever_criticised": Metric(gettext_lazy("Criticised in a notice"), DEDUCTION),
}

# Zoufang's default rule. No published county rule with points per metric for
# these figures was found; it follows the common pattern of the published
# ones cited in `source` (and in the README). The migrations that create it
# (0010) and bring it to the closure loop's metrics (0012) hold the same
# values, and a test keeps them equal.
PRESET = {
    "name": "走访默认考核细则（参照各地诉求办理考核通行做法）",
    "source": (
        "走访的默认设置，各项分值为走访自定，请按本地细则修改。未找到逐项给出签收、办结、回访、满意等分值的县级公开细则，"
        "参照以下公开做法：\n"
        "1. 榆林市12345热线月度综合考评“红黑榜”：评分指标为工单量、满意度、及时接收率、回退率、重办率、按时办结率；"
        "红榜分别取县市区、市直部门得分前五名，相同分数排名不分先后。"
        "https://m.yybnet.net/yulin/news/202201/11719082.html\n"
        "2. 蚌埠市市长热线电话工作考核办法（试行）（蚌政办〔2011〕118号）：百分制，优秀90分以上、良好80–89分、"
        "合格60–79分、不合格59分以下。http://www.fymate.com/html/text/lar/174199/17419926.html\n"
        "3. 鲁山县政府热线办理工作考核办法（试行）（鲁政办〔2017〕26号）：百分制，其中转交办理40分、催办督办22分；"
        "当年无承办件的单位不作为考核对象。https://www.hnls.gov.cn/contents/33124/269609.html\n"
        "4. 连云港市12345在线平台绩效评估标准（试行）：县区、区、市直部门分开考评，及时签收率、按时办结率、"
        "回访满意率分项计分。http://www.lyg.gov.cn/zglygzfmhwz/fktj/content/f7176698-8c1e-4122-a0f0-74dd65af7f19.html\n"
        "闭环管理的考核项：办结件逐件回访，回访率与满意率并列计分；首次答复在时限内；"
        "督办单、通报批评计入承办单位考核，按被督办、被通报的问题逐件扣分（参照第3条以催办督办计分）。"
    ),
    "source_url": "https://m.yybnet.net/yulin/news/202201/11719082.html",
    "weights": {
        "on_time_sign_for_rate": 10,
        "on_time_rate": 20,
        "closure_rate": 10,
        "satisfaction_rate": 20,
        "follow_up_rate": 10,
        "answer_on_time_rate": 5,
        "return_rate": 5,
        "rework_rate": 5,
        "overdue": 5,
        "ever_supervised": 5,
        "ever_criticised": 5,
    },
    "per_item": {"overdue": 1, "ever_supervised": 1, "ever_criticised": 2.5},
    "excellent_from": 90,
    "good_from": 80,
    "qualified_from": 60,
    "min_items": 3,
    "group_by_kind": True,
    "list_by": ListBy.PLACES,
    "red_places": 3,
    "black_places": 3,
}


# The rule ---------------------------------------------------------------------------------


def rule_in_force() -> ScoringRule:
    """The rule in force, or the preset (unsaved) when none is."""
    return ScoringRule.objects.filter(is_active=True).first() or ScoringRule(**PRESET, is_active=True)


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def rule_errors(rule: ScoringRule) -> list[RuleError]:
    """Every broken rule of a scoring rule: the one check, used by the
    service and the Django admin."""
    errors = []
    if not (rule.name or "").strip():
        errors.append(RuleError("required", "name", _("Give the rule a name.")))
    for field in ("name", "source"):
        if reason := text_error(getattr(rule, field)):
            errors.append(RuleError("invalid_text", field, reason))
    weights = rule.weights if isinstance(rule.weights, dict) else None
    per_item = rule.per_item if isinstance(rule.per_item, dict) else None
    if weights is None or per_item is None:
        errors.append(RuleError("invalid", "weights", _("The points are given per metric.")))
        weights, per_item = weights or {}, per_item or {}
    unknown = sorted((set(weights) | set(per_item)) - set(METRICS), key=str)
    if unknown:
        names = "、".join(str(name) for name in unknown)
        errors.append(RuleError("unknown_metric", "weights", _("Unknown metric: %(names)s.") % {"names": names}))
    total = 0
    for name, points in weights.items():
        if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
            label = METRICS[name].label if name in METRICS else name
            errors.append(
                RuleError(
                    "invalid_weight",
                    "weights",
                    _("The points of %(metric)s are a whole number from 0 to 100.") % {"metric": label},
                )
            )
        else:
            total += points
    if total != 100:
        message = _("The points add up to %(total)s; they must add up to 100.") % {"total": total}
        errors.append(RuleError("weights_total", "weights", message))
    for name, metric in METRICS.items():
        if metric.kind != DEDUCTION or not weights.get(name):
            continue
        value = per_item.get(name)
        if not _is_number(value) or not 0 < value <= 100:
            errors.append(
                RuleError(
                    "invalid_per_item",
                    "per_item",
                    _("Give the points taken off per item for %(metric)s (more than 0, at most 100).")
                    % {"metric": metric.label},
                )
            )
    bands = (rule.qualified_from, rule.good_from, rule.excellent_from)
    if not all(_is_number(band) for band in bands) or not 0 < bands[0] < bands[1] < bands[2] <= 100:
        message = _("The grade bands rise: 0 < qualified < good < excellent ≤ 100.")
        errors.append(RuleError("bands_order", "excellent_from", message))
    if not _is_number(rule.min_items) or rule.min_items < 1:
        errors.append(RuleError("min_items", "min_items", _("A unit needs at least one item to be ranked.")))
    if rule.list_by not in ListBy.values:
        errors.append(RuleError("invalid_choice", "list_by", _("Choose how the red and black lists are drawn.")))
    elif rule.list_by == ListBy.SCORES:
        if rule.red_from is None or rule.black_below is None:
            errors.append(
                RuleError(
                    "thresholds_missing",
                    "red_from",
                    _("Give both scores: the red list's lowest and the black list's ceiling."),
                )
            )
        elif not 0 <= rule.black_below <= rule.red_from <= 100:
            errors.append(
                RuleError(
                    "thresholds_order",
                    "black_below",
                    _("The black list's score is at most the red list's, both from 0 to 100."),
                )
            )
    return errors


@audited
@transaction.atomic
def scoring_rule_save(*, actor, rule: ScoringRule) -> ScoringRule:
    """Save a scoring rule as checked by rule_errors; putting one in force
    retires the one that was."""
    require_admin(actor)
    errors = rule_errors(rule)
    if errors:
        raise InvalidInput(errors[0].code, errors[0].message, field=errors[0].field)
    if rule.is_active:
        retired = list(ScoringRule.objects.select_for_update().filter(is_active=True).exclude(pk=rule.pk))
        for old in retired:  # an UPDATE sends no signal: recorded here
            audit.record(audit.Action.UPDATE, obj=old, changes={"is_active": [True, False]})
        ScoringRule.objects.filter(pk__in=[old.pk for old in retired]).update(is_active=False)
    return save_or_conflict(rule, code="duplicate", message=_("A scoring rule with this name exists."))


# Scores -----------------------------------------------------------------------------------


def _fixed(value: Fraction, places: int = 2) -> float:
    """Rounded half up (away from nought), as a published score is; in whole
    numbers, as a province's ranking rounds 60,000 of them."""
    return _rounded(value.numerator, value.denominator, places)


def _rounded(numerator: int, denominator: int, places: int = 2) -> float:
    """numerator / denominator (denominator > 0) as _fixed rounds it, from the
    integers themselves: no Fraction, whose every step reduces by a gcd."""
    scale = 10**places
    magnitude = (2 * abs(numerator) * scale + denominator) // (2 * denominator)
    return (magnitude if numerator >= 0 else -magnitude) / scale


@dataclasses.dataclass(frozen=True)
class _Term:
    """A metric as a rule weighs it, worked out once per ranking."""

    name: str
    metric: Metric
    weight: int
    per_item: Fraction


def _terms(rule: ScoringRule) -> list[_Term]:
    weights, per_item = rule.weights or {}, rule.per_item or {}
    return [
        _Term(name, metric, int(weights[name]), Fraction(str(per_item.get(name, 0))))
        for name, metric in METRICS.items()
        if weights.get(name)
    ]


def _line(term: _Term, row: dict) -> dict:
    """One metric of one unit: its value, weight and points, and the
    figures behind it (for the links). `share` is the points earned exactly,
    as (numerator, denominator): a province scores 30,000 lines a page."""
    name, metric, weight = term.name, term.metric, term.weight
    line = {"metric": name, "label": metric.label, "kind": metric.kind, "weight": weight}
    if metric.kind == DEDUCTION:
        per_item = term.per_item
        count = row[name]
        # max(0, weight − per_item × count), over per_item's denominator
        share = (max(0, weight * per_item.denominator - per_item.numerator * count), per_item.denominator)
        return {
            **line,
            "part": name,
            "whole": None,
            "value": count,
            "per_item": float(per_item),
            "share": share,
            "points": _rounded(*share),
            "applies": True,
        }
    part, whole = figures.RATES[name]
    if not row[whole]:
        return {**line, "part": part, "whole": whole, "value": None, "share": None, "points": None, "applies": False}
    counted, of = row[part], row[whole]
    share = (weight * (of - counted if metric.kind == BAD_RATE else counted), of)
    return {
        **line,
        "part": part,
        "whole": whole,
        "value": counted / of,  # as float(Fraction(counted, of)): int division rounds correctly
        "share": share,
        "points": _rounded(*share),
        "applies": True,
    }


def grade(score: float, rule: ScoringRule) -> str:
    if score >= rule.excellent_from:
        return Grade.EXCELLENT
    if score >= rule.good_from:
        return Grade.GOOD
    if score >= rule.qualified_from:
        return Grade.QUALIFIED
    return Grade.UNQUALIFIED


def score_row(row: dict, rule: ScoringRule, terms: list[_Term] | None = None) -> dict:
    """The unit's lines and score (None when nothing applies)."""
    lines = [_line(term, row) for term in (terms if terms is not None else _terms(rule))]
    applicable, numerator, denominator = 0, 0, 1
    for line in lines:
        if line["applies"]:
            applicable += line["weight"]
            part, of = line["share"]
            numerator, denominator = numerator * of + part * denominator, denominator * of
    score = _rounded(numerator * 100, denominator * applicable) if applicable else None
    graded = grade(score, rule) if score is not None else None
    return {
        "lines": lines,
        "applicable_weight": applicable,
        "earned": _rounded(numerator, denominator),
        "score": score,
        "grade": graded,
        "grade_label": Grade(graded).label if graded else "",
    }


def _group_key(row: dict, rule: ScoringRule) -> str:
    return (row.get("kind") or UnitKind.OTHER) if rule.group_by_kind else ""


def _draw_lists(ranked: list[dict], rule: ScoringRule) -> None:
    """Place within the group (equal scores share one) and the red and black
    lists. By places, each list takes at most half the group, so a small
    group is not all red (three of four) or a pair both listed; a level
    group has no list, and a failing unit is never on the red one."""
    scores = sorted(row["score"] for row in ranked)
    top, bottom = scores[-1], scores[0]
    half = len(ranked) // 2
    red_places, black_places = min(rule.red_places, half), min(rule.black_places, half)
    for row in ranked:
        # 1 + how many scored higher, and 1 + how many lower (a sorted search, not a count per unit).
        row["place"] = 1 + len(scores) - bisect.bisect_right(scores, row["score"])
        from_bottom = 1 + bisect.bisect_left(scores, row["score"])
        if rule.list_by == ListBy.SCORES:
            red = row["score"] >= rule.red_from
            black = not red and row["score"] < rule.black_below
        else:
            # A list singles a unit out: nobody when the whole group is level,
            # and the red list never honours a failing (不合格) unit.
            red = row["place"] <= red_places and row["score"] > bottom and row["grade"] != Grade.UNQUALIFIED
            black = not red and from_bottom <= black_places and row["score"] < top
        row["red_black"] = "red" if red else "black" if black else None


def board(rows, rule: ScoringRule) -> dict:
    """Score the unit rows of issue_figures (each row gains `score`,
    `grade`, `place`, `score_group`, `red_black` and its `lines`) and rank
    them: `groups` of comparable units, each ranked, and `unranked`, the
    units with too few items (or nothing to score). No query."""
    kinds = dict(UnitKind.choices)
    groups: dict[str, list[dict]] = {}
    unranked = []
    terms = _terms(rule)
    for row in rows:
        if not row["group"]:
            continue  # issues not yet assigned to a unit
        row.update(score_row(row, rule, terms))
        row.update(place=None, red_black=None, score_group=_group_key(row, rule))
        if row["registered"] < rule.min_items or row["score"] is None:
            # Not assessed: no score or grade is given on so few items.
            row["unranked_reason"] = "too_few" if row["registered"] < rule.min_items else "nothing_to_score"
            row.update(score=None, grade=None, grade_label="")
            unranked.append(row)
            continue
        groups.setdefault(row["score_group"], []).append(row)
    order = {kind: index for index, kind in enumerate([*kinds, ""])}
    result = []
    for key in sorted(groups, key=lambda k: order.get(k, len(order))):
        ranked = sorted(groups[key], key=lambda row: (-row["score"], -row["registered"], str(row["name"])))
        _draw_lists(ranked, rule)
        result.append({"key": key, "label": kinds.get(key, _("All units")), "rows": ranked})
    weights, per_item = rule.weights or {}, rule.per_item or {}
    return {
        "rule": rule,
        "metrics": [
            {
                "name": name,
                "label": metric.label,
                "kind": metric.kind,
                "weight": weights[name],
                "per_item": per_item.get(name),
            }
            for name, metric in METRICS.items()
            if weights.get(name)
        ],
        "groups": result,
        "unranked": sorted(unranked, key=lambda row: (-row["registered"], str(row["name"]))),
    }
