"""一企一档: one enterprise's printable profile — its 三帮一 teams with the
people and their phones, its visits and the situation they recorded as a
trend, its issues and its photos. Every read goes through the user's scope
(the selectors' restrict), and the page costs the same few queries however
much the enterprise holds."""

import dataclasses
import datetime
from decimal import Decimal

from core import clock
from enterprises.selectors import assignment_list
from issues.selectors import issue_list
from visits.models import Visit, VisitAttachment
from visits.selectors import situation_by_month, visit_list

ROWS_SHOWN = 200  # visits and issues, the latest; a longer history is on the lists
PHOTOS_SHOWN = 24  # the latest photos, as thumbnails

# The trend charts' geometry (SVG user units; the page scales them).
BAR_WIDTH, BAR_GAP, SIDE = 28, 12, 8
PLOT_TOP, PLOT_HEIGHT, LABELS = 16, 100, 18


@dataclasses.dataclass
class Bar:
    month: datetime.date
    value: Decimal | int | None
    x: int
    y: int
    height: int

    @property
    def middle(self) -> int:
        return self.x + BAR_WIDTH // 2


@dataclasses.dataclass
class Chart:
    figure: str  # the SituationPeriod field
    bars: list[Bar]
    width: int
    height: int = PLOT_TOP + PLOT_HEIGHT + LABELS
    bar_width: int = BAR_WIDTH
    baseline: int = PLOT_TOP + PLOT_HEIGHT
    label_y: int = PLOT_TOP + PLOT_HEIGHT + LABELS - 4


def chart(periods, figure: str) -> Chart | None:
    """Bars of one figure month by month, each scaled to the largest; None
    when no visit recorded that figure."""
    values = [(period.month, getattr(period, figure)) for period in periods]
    top = max((value for _month, value in values if value is not None), default=None)
    if top is None:
        return None
    bars = []
    for index, (month, value) in enumerate(values):
        height = 0
        if value is not None and value > 0 and top > 0:
            height = max(1, round(PLOT_HEIGHT * float(value) / float(top)))
        x = SIDE + index * (BAR_WIDTH + BAR_GAP)
        bars.append(Bar(month=month, value=value, x=x, y=PLOT_TOP + PLOT_HEIGHT - height, height=height))
    return Chart(figure=figure, bars=bars, width=2 * SIDE + len(values) * (BAR_WIDTH + BAR_GAP) - BAR_GAP)


def enterprise_profile(*, user, enterprise) -> dict:
    teams = list(
        assignment_list(user=user)
        .filter(enterprise=enterprise)
        .order_by("-campaign__is_current", "-campaign__start_date", "-pk")
    )
    visits = list(visit_list(user=user).filter(enterprise=enterprise)[: ROWS_SHOWN + 1])
    issues = list(
        issue_list(user=user).filter(enterprise=enterprise).order_by("-registered_at", "-id")[: ROWS_SHOWN + 1]
    )
    photos = list(
        VisitAttachment.objects.restrict(user)
        # Of the visits that count: Visit.objects leaves a withdrawn one out.
        .filter(visit__in=Visit.objects.filter(enterprise=enterprise).values("pk"))
        .filter(kind=VisitAttachment.Kind.PHOTO, content_type__startswith="image/")
        .select_related("visit")
        .order_by("-visit__date", "-id")[: PHOTOS_SHOWN + 1]
    )
    trend = situation_by_month(visits[:ROWS_SHOWN])
    charts = [c for c in (chart(trend, name) for name in ("output_value", "revenue", "headcount")) if c]
    return {
        "enterprise": enterprise,
        "teams": teams,
        "visits": visits[:ROWS_SHOWN],
        "more_visits": len(visits) > ROWS_SHOWN,
        "issues": issues[:ROWS_SHOWN],
        "more_issues": len(issues) > ROWS_SHOWN,
        "photos": photos[:PHOTOS_SHOWN],
        "more_photos": len(photos) > PHOTOS_SHOWN,
        "rows_shown": ROWS_SHOWN,
        "photos_shown": PHOTOS_SHOWN,
        "trend": trend,
        "charts": charts,
        "today": clock.today(),
    }
