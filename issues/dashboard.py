"""The supervisors' dashboard: the figures for a scope and period, each with
the address of the list behind it (issues, visits, visit person-times or
enterprises), whose count is the figure."""

import calendar as month_calendar
import datetime
import functools
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock

from . import figures, scoring, selectors


def default_period(campaign) -> tuple[datetime.date, datetime.date]:
    today = clock.today()
    return (campaign.start_date if campaign else today.replace(month=1, day=1)), today


def _url(name: str, params: dict) -> str:
    return reverse(name) + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)


class _Links(dict):
    """One link per figure: the issue list filtered to what the figure
    counts, made when a page asks for it (a province's ranking would
    otherwise make 70,000 links to show a few hundred)."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def __missing__(self, name: str) -> str:
        if name not in figures.LABELS:
            raise KeyError(name)
        return f"{self.prefix}&figure={name}"


def _issue_links(base: dict, **extra) -> dict:
    return _Links(reverse("issue-list") + "?" + urlencode({**base, **extra}))


def _score_link(unit_id: int, query: str) -> str:
    return f"{reverse('unit-score', args=[unit_id])}?{query}"


def _window(start: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    if period == "week":
        return start, start + datetime.timedelta(days=6)
    return start, start.replace(day=month_calendar.monthrange(start.year, start.month)[1])


def _base(campaign, region, date_from, date_to) -> dict:
    """The issue list's filters for what the dashboard counts."""
    base = {"registered_from": date_from.isoformat(), "registered_to": date_to.isoformat()}
    if campaign:
        base["campaign"] = campaign.pk
    if region:
        base["region"] = region.pk
    return base


def _scores(rows, *, base: dict, choice: dict) -> dict:
    """The red and black lists of the unit rows, each unit's figures linked
    to their issues and its score to the page that works it out (the two
    links made once or when shown: a province ranks 3,000 units)."""
    unit_issues = reverse("issue-list") + "?" + urlencode(base)
    # campaign="" stays: it means every campaign (left out, the current one).
    query = urlencode({k: v for k, v in choice.items() if v is not None})
    for row in rows:
        if row["group"]:
            row["links"] = _Links(f"{unit_issues}&responsible_unit={int(row['group'])}")
            # Made when a template shows it (a template calls a callable).
            row["score_link"] = functools.partial(_score_link, row["group"], query)
        else:
            row["links"] = {}
    return scoring.board(rows, scoring.rule_in_force())


# A group of more units than this shows its top and its bottom, RANKING_ENDS
# each (the red and black lists are there), and a link to all of them: a
# province's 3,000 units in one table are a page no one reads.
RANKING_ENDS = 20
RANKING_WHOLE = 2 * RANKING_ENDS + 10
UNRANKED_SHOWN = 100


def _shorten(scores: dict, *, all_units: bool) -> None:
    """Each group's rows to show (`top`, then `bottom` after `hidden` left
    out), and the unranked units' (`unranked_shown`, `unranked_hidden`)."""
    for group in scores["groups"]:
        rows = group["rows"]
        if all_units or len(rows) <= RANKING_WHOLE:
            group.update(top=rows, bottom=[], hidden=0)
        else:
            group.update(top=rows[:RANKING_ENDS], bottom=rows[-RANKING_ENDS:], hidden=len(rows) - 2 * RANKING_ENDS)
    unranked = scores["unranked"]
    shown = unranked if all_units else unranked[:UNRANKED_SHOWN]
    scores.update(unranked_shown=shown, unranked_hidden=len(unranked) - len(shown))


def _choice(campaign, region, date_from, date_to) -> dict:
    """The dashboard's own query for the same choice."""
    return {
        "campaign": campaign.pk if campaign else "",
        "region": region.pk if region else None,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
    }


def unit_score(*, user, unit, campaign, region, date_from, date_to) -> dict:
    """One unit's row of the red and black lists (None when it has no issue
    in the period), with its group's size: the same figures and rule as the
    dashboard, for the same choice."""
    filters = {"campaign": campaign, "region": region, "date_from": date_from, "date_to": date_to}
    rows = selectors.issue_figures(user=user, groups=("unit",), **filters)["unit"]
    scores = _scores(rows, base=_base(**filters), choice=_choice(**filters))
    row = next((row for row in rows if row["group"] == unit.pk), None)
    group = next((g for g in scores["groups"] if row is not None and g["key"] == row.get("score_group")), None)
    dashboard = reverse("dashboard") + "?" + urlencode({k: v for k, v in _choice(**filters).items() if v is not None})
    return {"row": row, "group": group, "scores": scores, "rule": scores["rule"], "dashboard_link": dashboard}


def build(*, user, campaign, region, date_from, date_to, period: str = "month", all_units: bool = False) -> dict:
    filters = {"campaign": campaign, "region": region, "date_from": date_from, "date_to": date_to}
    base = _base(**filters)

    data = selectors.issue_figures(user=user, **filters)
    totals = data["totals"]
    totals["links"] = _issue_links(base)
    scores = _scores(data["unit"], base=base, choice=_choice(**filters))
    _shorten(scores, all_units=all_units)
    for row in data["region"]:
        row["links"] = _issue_links(base, **{"enterprise_region" if row["direct"] else "region": row["group"]})
    for row in data["category"]:
        row["links"] = _issue_links(base, category=row["group"])

    trend = []
    for point in selectors.trend(user=user, period=period, **filters):
        start, end = _window(point["start"], period)
        registered = {
            **base,
            "registered_from": max(start, date_from).isoformat(),
            "registered_to": min(end, date_to).isoformat(),
            "figure": "registered",
        }
        closed = {**base, "closed_from": start.isoformat(), "closed_to": end.isoformat(), "figure": "closed"}
        label = f"{start:%Y-%m}" if period == "month" else f"{start:%m-%d}"
        trend.append(
            {
                **point,
                "label": label,
                "registered_link": _url("issue-list", registered),
                "closed_link": _url("issue-list", closed),
            }
        )

    visits = selectors.visit_figures(user=user, campaign=campaign, date_from=date_from, date_to=date_to, region=region)
    scope = {"campaign": campaign.pk if campaign else None, "region": region.pk if region else None}
    period_params = {**scope, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    enterprise_period = {**scope, "visit_from": date_from.isoformat(), "visit_to": date_to.isoformat()}
    visits["links"] = {
        "visits": _url("visit-list", period_params),
        "person_times": _url("visit-participations", period_params),
        "assigned": _url("enterprise-list", scope),
        "covered": _url("enterprise-list", {**enterprise_period, "visited_in_period": "true"}),
        "not_covered": _url("enterprise-list", {**enterprise_period, "visited_in_period": "false"}),
    }
    visits["not_covered"] = visits["assigned"] - visits["covered"]
    for unit in visits["quiet_units"]:
        unit["link"] = _url(
            "enterprise-list", {**enterprise_period, "unit": unit["id"], "unit_visited_in_period": "false"}
        )

    by_region = sorted(data["region"], key=lambda row: (-(row["closure_rate"] or 0), row["name"]))
    return {
        "common_problems": selectors.common_problems_widest(user=user, region=region),
        "totals": totals,
        "scores": scores,
        "by_region": by_region,
        "by_category": data["category"],
        "tables": [
            (_("By region"), by_region, "region-table"),
            (_("By category"), data["category"], "category-table"),
        ],
        "trend": trend,
        "visits": visits,
        "chart": {
            "labels": [point["label"] for point in trend],
            "registered": [point["registered"] for point in trend],
            "closed": [point["closed"] for point in trend],
            "registered_links": [point["registered_link"] for point in trend],
            "closed_links": [point["closed_link"] for point in trend],
            "categories": [row["name"] for row in data["category"]],
            "category_registered": [row["registered"] for row in data["category"]],
            "category_closed": [row["closed"] for row in data["category"]],
            "category_links": [row["links"]["registered"] for row in data["category"]],
            "category_closed_links": [row["links"]["closed"] for row in data["category"]],
        },
    }
