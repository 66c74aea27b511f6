"""Time-limit schemes (时限方案), the one home of every step's limit.

A campaign chooses a preset and refines it per category and priority; an
issue's limits are its campaign's scheme (or the default preset when its
campaign has none). Every limit is in working days counted from the next
working day (次日起算: `core.calendar.add_working_days` never counts the day
it starts from, so an item assigned on a Friday afternoon or on a holiday has
its first day on the next working day).

The presets, with their sources:

- **Shandong** (山东省 12345 热线工单办理时限): sign for within 1 working day,
  answer within 3, resolve within 15, complex items within 30; extensions up
  to 30 working days in all.
- **Henan "13710"** (河南省 "13710" 工作制度): 1 day to sign for, 3 to answer,
  7 to resolve, 10 for complex items; a month unresolved goes up the ladder.
- **Zaozhuang** (枣庄市 1/2/10/25): 1 day to sign for, 2 to answer, 10 to
  resolve, 25 for complex items.
- **Custom**: starts as Shandong's and is edited in the admin.

The return call (回访) follows 办结 on the next working day (the 12345 rules),
a second one within 5 working days of the rework's 办结 (Ruzhou); a unit
disputes an assignment within the sign-for window (Quanzhou).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import calendar
from core.errors import InvalidInput

from .choices import Category, Priority
from .models import SchemeLimit, TimeLimitScheme

Preset = TimeLimitScheme.Preset

_SHANDONG = {
    "assign_days": 1,
    "accept_days": 1,
    "answer_days": 3,
    "resolve_days": 15,
    "complex_resolve_days": 30,
    "follow_up_days": 1,
    "follow_up_again_days": 5,
    "verify_days": 5,
    "rework_days": 5,
    "extension_cap_days": 30,
    "progress_every_days": 30,
    "notice_after_days": 1,
    "criticise_after_days": 5,
}

PRESETS: dict[str, dict[str, int]] = {
    Preset.SHANDONG: _SHANDONG,
    Preset.HENAN: {**_SHANDONG, "answer_days": 3, "resolve_days": 7, "complex_resolve_days": 10},
    Preset.ZAOZHUANG: {**_SHANDONG, "answer_days": 2, "resolve_days": 10, "complex_resolve_days": 25},
    Preset.CUSTOM: _SHANDONG,
}

DEFAULT_PRESET = Preset.SHANDONG


def preset_scheme(preset: str = DEFAULT_PRESET) -> TimeLimitScheme:
    """An unsaved scheme holding a preset's limits."""
    return TimeLimitScheme(preset=preset, **PRESETS[preset])


class Limits:
    """One campaign's scheme with its refinements, loaded once."""

    def __init__(self, scheme: TimeLimitScheme, refinements: list[SchemeLimit] = ()):
        self.scheme = scheme
        self._resolve = {(row.category, row.priority): row.resolve_days for row in refinements}

    def __getattr__(self, name):
        # Only names not found on the instance arrive here. While copy or
        # pickle rebuild one, `scheme` is not set yet: asking the scheme for
        # it would call this again without end.
        if name == "scheme":
            raise AttributeError(name)
        return getattr(self.scheme, name)

    def resolve_days(self, category: str, priority: str, is_complex: bool = False) -> int:
        """The most specific limit: category and priority, then category,
        then priority, then the scheme's (its complex-item limit when the
        dispatcher marked the item complex, whichever is longer)."""
        for key in ((category, priority), (category, ""), ("", priority)):
            if key in self._resolve:
                days = self._resolve[key]
                break
        else:
            days = self.scheme.resolve_days
        return max(days, self.scheme.complex_resolve_days) if is_complex else days


def for_campaign(campaign_id: int | None) -> Limits:
    scheme = TimeLimitScheme.objects.filter(campaign_id=campaign_id).first() if campaign_id else None
    if scheme is None:
        return Limits(preset_scheme())
    return Limits(scheme, list(scheme.limits.all()))


def for_issue(issue) -> Limits:
    """The issue's limits: those set on it by `for_campaigns` for a batch, else its campaign's."""
    return getattr(issue, "scheme_limits", None) or for_campaign(issue.campaign_id)


def for_campaigns(issues) -> None:
    """Set `scheme_limits` on each loaded issue: two queries for the batch."""
    ids = {issue.campaign_id for issue in issues if issue.campaign_id}
    found = {
        scheme.campaign_id: Limits(scheme, list(scheme.limits.all()))
        for scheme in TimeLimitScheme.objects.filter(campaign_id__in=ids).prefetch_related("limits")
    }
    default = Limits(preset_scheme())
    for issue in issues:
        issue.scheme_limits = found.get(issue.campaign_id, default)


def dispatch_dates(issues, today: datetime.date) -> None:
    """Set on each registered issue of a page what the dispatch desk offers:
    `default_due` and `complex_due` (resolve by, if assigned today) and
    `assign_due` / `assign_late` (the scheme's time to assign, from the next
    working day after registration). Three queries for the page."""
    for_campaigns(issues)
    days = {
        issue.pk: (
            issue.scheme_limits.resolve_days(issue.category, issue.priority),
            issue.scheme_limits.resolve_days(issue.category, issue.priority, True),
        )
        for issue in issues
    }
    longest = max((complex_days for _usual, complex_days in days.values()), default=0)
    first = min((timezone.localdate(issue.registered_at) for issue in issues), default=today)
    window = calendar.Window(first, today + datetime.timedelta(days=calendar.add_span(longest)))
    for issue in issues:
        issue.default_due, issue.complex_due = (window.add(today, n) for n in days[issue.pk])
        issue.assign_due = window.add(timezone.localdate(issue.registered_at), issue.scheme_limits.assign_days)
        issue.assign_late = today > issue.assign_due


def resolve_due(limits: Limits, issue, start: datetime.date) -> datetime.date:
    return calendar.add_working_days(start, limits.resolve_days(issue.category, issue.priority, issue.is_complex))


def extension_cap(limits: Limits, issue) -> datetime.date | None:
    """The latest due date an extension may reach: the scheme's cap in
    working days past the due date given at assignment."""
    base = issue.assigned_due_date or issue.due_date
    return calendar.add_working_days(base, limits.extension_cap_days) if base else None


def progress_due(limits: Limits, day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=limits.progress_every_days)


# Writes ---------------------------------------------------------------------


@transaction.atomic
def scheme_choose(*, campaign, preset: str, refinements: dict[tuple[str, str], int] | None = None) -> TimeLimitScheme:
    """Give a campaign a preset's limits (replacing what it had), refined by
    {(category, priority): resolve_days} ('' for either meaning any)."""
    if preset not in PRESETS:
        raise InvalidInput("invalid_preset", _("Unknown preset “%(p)s”.") % {"p": preset}, field="preset")
    scheme, _created = TimeLimitScheme.objects.update_or_create(
        campaign=campaign, defaults={"preset": preset, **PRESETS[preset]}
    )
    scheme.limits.all().delete()
    rows = []
    for (category, priority), days in (refinements or {}).items():
        if category not in ("", *Category.values) or priority not in ("", *Priority.values) or days < 1:
            raise InvalidInput("invalid_limit", _("A refinement names an unknown category or priority, or no days."))
        rows.append(SchemeLimit(scheme=scheme, category=category, priority=priority, resolve_days=days))
    SchemeLimit.objects.bulk_create(rows)
    return scheme
