"""Time-limit schemes (issues.schemes) applied by the lifecycle services,
against the official 2026 calendar loaded from chinesecalendar and dates
counted by hand. Every limit is in working days from the next working day
(次日起算): the day of the act never counts, whatever hour it is.

The autumn of 2026 as the State Council set it (H holiday, W make-up
working day; the `autumn` fixture checks the package agrees):

        September 2026                 October 2026              November 2026
    Mo Tu We Th Fr Sa Su          Mo Tu We Th Fr Sa Su          Mo Tu We Th Fr
        1  2  3  4  5  6                   1H 2H 3H 4H           2  3  4  5  6
     7  8  9 10 11 12 13          5H 6H 7H  8  9 10W 11          9 10 11 12 13
    14 15 16 17 18 19 20W        12 13 14 15 16 17 18          16 17 18 19 20
    21 22 23 24 25H 26H 27H      19 20 21 22 23 24 25          23 24 25 26 27
    28 29 30                     26 27 28 29 30 31             30

Mid-Autumn is Friday 25 to Sunday 27 September, National Day Thursday 1 to
Wednesday 7 October; Sunday 20 September and Saturday 10 October are worked.
"""

import copy
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core import clock, holidays
from core.errors import InvalidInput
from core.models import CalendarDay
from issues import schemes, services
from issues.models import ExtensionRequest, IssueEvent, SchemeLimit, TimeLimitScheme

from ..factories import CampaignFactory

D = datetime.date


def at(day: datetime.date, hour: int = 10):
    return clock.frozen_at(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0))))


@pytest.fixture
def autumn(world):
    """The world, with every year chinesecalendar knows loaded as `make run` does."""
    holidays.calendar_load()
    days = dict(CalendarDay.objects.filter(date__range=(D(2026, 9, 1), D(2026, 11, 30))).values_list("date", "kind"))
    assert days == {
        D(2026, 9, 20): "workday",
        **{D(2026, 9, day): "holiday" for day in (25, 26, 27)},
        **{D(2026, 10, day): "holiday" for day in range(1, 8)},
        D(2026, 10, 10): "workday",
    }
    return world


def register(world, *, category="finance", priority="normal"):
    return services.issue_register(
        actor=world.official_a, enterprise=world.enterprise_a, category=category, priority=priority, title="融资难"
    )


def assign(world, issue, *, is_complex=False):
    services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=world.unit_a, is_complex=is_complex)
    issue.refresh_from_db()
    return issue


def walk(world, *, assigned, resolved, category="finance", priority="normal"):
    """Two issues assigned at `assigned`, one usual and one marked complex;
    the usual one signed for then and resolved at `resolved`."""
    usual, complex_ = (
        register(world, category=category, priority=priority),
        register(world, category=category, priority=priority),
    )
    with clock.frozen_at(assigned):
        assign(world, usual)
        assign(world, complex_, is_complex=True)
        services.issue_accept(actor=world.official_a, issue_id=usual.pk)
    assert usual.events.get(action="assign").data["due_date"] == usual.due_date.isoformat()
    with clock.frozen_at(resolved):
        services.issue_resolve(actor=world.official_a, issue_id=usual.pk, outcome="solved", note="已办结")
    usual.refresh_from_db()
    return usual, complex_


def moment(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


# Each preset across the autumn holidays ----------------------------------------------------


def test_shandong_assigned_on_the_eve_of_national_day(autumn):
    schemes.scheme_choose(campaign=autumn.campaign, preset="shandong")  # 1/3/15, 30 for complex items
    # Assigned Wednesday 30 September at 16:00, the last working day before
    # National Day; resolved Friday 9 October at 17:00.
    usual, complex_ = walk(autumn, assigned=moment(D(2026, 9, 30), 16), resolved=moment(D(2026, 10, 9), 17))
    assert usual.events.get(action="assign").data["scheme"] == "shandong"
    # sign for, 1: 10/1–10/7 off; 10/8 Thu (1).
    assert usual.accept_due_date == D(2026, 10, 8)
    # answer, 3: 10/8 (1), 10/9 (2), 10/10 Sat make-up (3).
    assert usual.answer_due_date == D(2026, 10, 10)
    # resolve, 15: 10/8, 10/9, 10/10 Sat, 12, 13, 14, 15, 16 (8), 19, 20, 21, 22, 23 (13), 26, 27 (15).
    assert usual.due_date == usual.assigned_due_date == D(2026, 10, 27)
    # complex, 30: from the fifteenth (10/27) on: 28, 29, 30 (18), 11/2–6 (23), 11/9–13 (28), 16, 17 (30).
    assert complex_.due_date == complex_.assigned_due_date == D(2026, 11, 17)
    assert (complex_.accept_due_date, complex_.answer_due_date) == (D(2026, 10, 8), D(2026, 10, 10))
    # progress note every 30 calendar days: 30 September + 30.
    assert complex_.progress_due_date == D(2026, 10, 30)
    # Resolved Friday 10/9. 回访, 1: 10/10 Sat make-up (1).
    assert usual.follow_up_due_date == D(2026, 10, 10)
    # 销号, 5: 10/10 Sat (1), 12, 13, 14, 15 (5).
    assert usual.verify_due_date == D(2026, 10, 15)


def test_henan_13710_assigned_on_a_holiday_friday_afternoon(autumn):
    schemes.scheme_choose(campaign=autumn.campaign, preset="henan_13710")  # 1/3/7, 10 for complex items
    # Assigned Friday 25 September at 15:00, the first day of Mid-Autumn;
    # resolved Wednesday 30 September at 15:00, the eve of National Day.
    usual, complex_ = walk(autumn, assigned=moment(D(2026, 9, 25), 15), resolved=moment(D(2026, 9, 30), 15))
    assert usual.events.get(action="assign").data["scheme"] == "henan_13710"
    # sign for, 1: 9/26, 9/27 off; 9/28 Mon (1).
    assert usual.accept_due_date == D(2026, 9, 28)
    # answer, 3: 9/28 (1), 9/29 (2), 9/30 (3).
    assert usual.answer_due_date == D(2026, 9, 30)
    # resolve, 7: 9/28, 29, 30 (3); 10/1–10/7 off; 10/8 (4), 10/9 (5), 10/10 Sat make-up (6), 10/12 (7).
    assert usual.due_date == D(2026, 10, 12)
    # complex, 10: the seventh is 10/12; 13 (8), 14 (9), 15 (10).
    assert complex_.due_date == D(2026, 10, 15)
    # Resolved 9/30. 回访, 1: 10/1–10/7 off; 10/8 (1).
    assert usual.follow_up_due_date == D(2026, 10, 8)
    # 销号, 5: 10/8 (1), 10/9 (2), 10/10 Sat (3), 12 (4), 13 (5).
    assert usual.verify_due_date == D(2026, 10, 13)


def test_zaozhuang_assigned_on_a_friday_afternoon_before_a_sunday_worked(autumn):
    schemes.scheme_choose(campaign=autumn.campaign, preset="zaozhuang")  # 1/2/10/25
    # Assigned Friday 18 September at 17:00: Saturday 19 is off, Sunday 20 is
    # worked for National Day, so the first counted day is that Sunday.
    # Resolved Thursday 24 September at 16:00, the eve of Mid-Autumn.
    usual, complex_ = walk(autumn, assigned=moment(D(2026, 9, 18), 17), resolved=moment(D(2026, 9, 24), 16))
    assert usual.events.get(action="assign").data["scheme"] == "zaozhuang"
    # sign for, 1: 9/19 Sat off; 9/20 Sun make-up (1).
    assert usual.accept_due_date == D(2026, 9, 20)
    # answer, 2: 9/20 Sun (1), 9/21 Mon (2).
    assert usual.answer_due_date == D(2026, 9, 21)
    # resolve, 10: 9/20 Sun, 21, 22, 23, 24 (5); 9/25–27 off; 28, 29, 30 (8); 10/1–7 off; 10/8 (9), 10/9 (10).
    assert usual.due_date == D(2026, 10, 9)
    # complex, 25: the tenth is 10/9; 10/10 Sat (11), 12–16 (16), 19–23 (21), 26, 27, 28, 29 (25).
    assert complex_.due_date == D(2026, 10, 29)
    # Resolved Thursday 9/24. 回访, 1: 9/25–27 off; 9/28 (1).
    assert usual.follow_up_due_date == D(2026, 9, 28)
    # 销号, 5: 9/28, 29, 30 (3); 10/1–7 off; 10/8 (4), 10/9 (5).
    assert usual.verify_due_date == D(2026, 10, 9)


def test_custom_scheme_refined_for_urgent_finance_assigned_on_a_holiday(autumn):
    scheme = schemes.scheme_choose(
        campaign=autumn.campaign,
        preset="custom",
        # the issue is finance and urgent: the first row is the one that holds
        refinements={("finance", "urgent"): 6, ("finance", ""): 9, ("", "urgent"): 11},
    )
    TimeLimitScheme.objects.filter(pk=scheme.pk).update(
        accept_days=2, answer_days=5, resolve_days=12, complex_resolve_days=20, follow_up_days=2, verify_days=7
    )
    # Assigned Saturday 3 October (National Day) at 10:00; resolved Saturday
    # 10 October, a make-up working day, at 11:00.
    usual, complex_ = walk(
        autumn,
        assigned=moment(D(2026, 10, 3), 10),
        resolved=moment(D(2026, 10, 10), 11),
        priority="urgent",
    )
    assert usual.events.get(action="assign").data["scheme"] == "custom"
    # sign for, 2: 10/4–10/7 off; 10/8 (1), 10/9 (2).
    assert usual.accept_due_date == D(2026, 10, 9)
    # answer, 5: 10/8, 10/9, 10/10 Sat (3), 12 (4), 13 (5).
    assert usual.answer_due_date == D(2026, 10, 13)
    # resolve, finance+urgent row 6: 10/8, 9, 10 Sat, 12, 13 (5), 14 (6).
    assert usual.due_date == D(2026, 10, 14)
    # complex: the longer of 6 and the scheme's 20, so 20: 10/8, 9, 10 Sat, 12–16 (8), 19–23 (13),
    # 26–30 (18), 11/2 (19), 11/3 (20).
    assert complex_.due_date == D(2026, 11, 3)
    # Resolved on the make-up Saturday 10/10, which does not count. 回访, 2: 10/12 (1), 10/13 (2).
    assert usual.follow_up_due_date == D(2026, 10, 13)
    # 销号, 7: 10/12–16 (5), 19 (6), 20 (7).
    assert usual.verify_due_date == D(2026, 10, 20)


def test_rework_and_the_second_return_call_across_national_day(autumn):
    schemes.scheme_choose(campaign=autumn.campaign, preset="henan_13710")  # rework 5, second call 5
    # As in the Henan test: assigned 9/25 (holiday), due 10/12, resolved 9/30.
    usual, _complex = walk(autumn, assigned=moment(D(2026, 9, 25), 15), resolved=moment(D(2026, 9, 30), 15))
    assert usual.due_date == D(2026, 10, 12)
    with at(D(2026, 10, 8)):
        services.issue_follow_up(
            actor=autumn.supervisor_a,
            issue_id=usual.pk,
            channel="phone",
            contact="王经理",
            verdict="unsatisfied",
            note="贷款仍未到位",
            caused_by_handling=True,
        )
    usual.refresh_from_db()
    # Called back Thursday 10/8, unsatisfied: rework, 5: 10/9 (1), 10/10 Sat (2), 12, 13, 14 (5) —
    # later than the 10/12 in force, so it moves.
    assert (usual.status, usual.due_date) == ("in_progress", D(2026, 10, 14))
    with at(D(2026, 10, 9), 17):
        services.issue_resolve(actor=autumn.official_a, issue_id=usual.pk, outcome="solved", note="贷款已发放")
    usual.refresh_from_db()
    # Resolved again Friday 10/9. Second 回访, 5: 10/10 Sat (1), 12, 13, 14, 15 (5); 销号, 5: the same day.
    assert usual.follow_up_due_date == D(2026, 10, 15)
    assert usual.verify_due_date == D(2026, 10, 15)


# Which limit holds ----------------------------------------------------------------------------


REFINED = {("finance", "urgent"): 4, ("finance", ""): 6, ("", "urgent"): 8, ("land", ""): 40}


@pytest.mark.parametrize(
    ("category", "priority", "is_complex", "days", "due"),
    [
        # Assigned Wednesday 30 September; the working days after it:
        # 10/8 (1), 9 (2), 10 Sat (3), 12 (4), 13 (5), 14 (6), 15 (7), 16 (8), 19–23 (13), 26, 27 (15),
        # 28, 29, 30 (18), 11/2–6 (23), 11/9–13 (28), 16 (29), 17 (30), 18–20 (33), 23–27 (38), 30 (39),
        # 12/1 (40).
        ("finance", "urgent", False, 4, D(2026, 10, 12)),  # (category, priority) beats the rest
        ("finance", "high", False, 6, D(2026, 10, 14)),  # (category, "") next
        ("policy", "urgent", False, 8, D(2026, 10, 16)),  # ("", priority) next
        ("policy", "high", False, 15, D(2026, 10, 27)),  # the scheme's own
        ("land", "urgent", False, 40, D(2026, 12, 1)),  # (category, "") beats ("", priority)
        ("finance", "urgent", True, 30, D(2026, 11, 17)),  # complex: the scheme's 30 is longer than 4
        ("land", "urgent", True, 40, D(2026, 12, 1)),  # complex: the row's 40 is longer than 30
        ("policy", "high", True, 30, D(2026, 11, 17)),  # complex, no row: the scheme's complex limit
    ],
)
def test_the_most_specific_refinement_holds(autumn, category, priority, is_complex, days, due):
    schemes.scheme_choose(campaign=autumn.campaign, preset="shandong", refinements=REFINED)
    assert schemes.for_campaign(autumn.campaign.pk).resolve_days(category, priority, is_complex) == days
    issue = register(autumn, category=category, priority=priority)
    with at(D(2026, 9, 30), 16):
        assign(autumn, issue, is_complex=is_complex)
    assert issue.due_date == due
    # the batch path used by lists and the reminder sweep agrees with the single one
    schemes.for_campaigns([issue])
    assert schemes.resolve_due(issue.scheme_limits, issue, D(2026, 9, 30)) == due


def test_a_campaign_without_a_scheme_uses_shandong(autumn):
    # Another campaign with a Henan scheme must not lend it to this one.
    other = CampaignFactory(name="2025年联手帮扶行动", is_current=False)
    schemes.scheme_choose(campaign=other, preset="henan_13710")
    assert not TimeLimitScheme.objects.filter(campaign=autumn.campaign).exists()
    issue = register(autumn)
    with at(D(2026, 9, 30), 16):
        assign(autumn, issue)
    assert issue.events.get(action="assign").data["scheme"] == "shandong"
    # As Shandong in the first test: sign for 10/8, answer 10/10 Sat, resolve 15 → 10/27.
    assert (issue.accept_due_date, issue.answer_due_date, issue.due_date) == (
        D(2026, 10, 8),
        D(2026, 10, 10),
        D(2026, 10, 27),
    )
    schemes.for_campaigns([issue])
    assert issue.scheme_limits.preset == "shandong" and issue.scheme_limits.extension_cap_days == 30


def test_a_campaigns_limits_survive_a_copy(autumn):
    # Limits hands every other name to its scheme; copy (like pickle) rebuilds an
    # instance before its scheme is set, which used to recurse without end.
    schemes.scheme_choose(campaign=autumn.campaign, preset="zaozhuang", refinements={("finance", "urgent"): 4})
    limits = schemes.for_campaign(autumn.campaign.pk)
    for again in (copy.copy(limits), copy.deepcopy(limits)):
        assert (again.preset, again.resolve_days("finance", "urgent"), again.resolve_days("land", "normal")) == (
            "zaozhuang",
            4,
            10,
        )


# The extension cap ----------------------------------------------------------------------------


def _written(issue):
    issue.refresh_from_db()
    return issue.version, issue.due_date, ExtensionRequest.objects.count(), IssueEvent.objects.count()


def test_extensions_reach_the_cap_counted_in_working_days_past_the_assigned_due_date(autumn):
    schemes.scheme_choose(campaign=autumn.campaign, preset="henan_13710")  # resolve 7, extensions at most 30
    issue = register(autumn)
    with at(D(2026, 9, 16)):  # Wednesday
        assign(autumn, issue)
        services.issue_accept(actor=autumn.official_a, issue_id=issue.pk)
    # resolve, 7: 9/17 (1), 9/18 (2), 9/20 Sun make-up (3), 21, 22, 23, 24 (7).
    assert issue.due_date == issue.assigned_due_date == D(2026, 9, 24)
    # The cap, 30 past 9/24: 9/25–27 off; 28, 29, 30 (3); 10/1–7 off; 10/8, 9, 10 Sat (6), 12–16 (11),
    # 19–23 (16), 26–30 (21), 11/2–6 (26), 9, 10, 11, 12 (30). Weekends alone would give 11/5.
    with at(D(2026, 9, 22)):
        services.issue_request_extension(
            actor=autumn.official_a, issue_id=issue.pk, new_due_date=D(2026, 10, 20), reason="需上级审批"
        )
        services.issue_approve_extension(actor=autumn.supervisor_a, issue_id=issue.pk)
    issue.refresh_from_db()
    assert (issue.due_date, issue.assigned_due_date) == (D(2026, 10, 20), D(2026, 9, 24))
    # A second request, before the new due date: the cap still runs from the assigned 9/24, not 10/20.
    with at(D(2026, 10, 19)):
        before = _written(issue)
        with pytest.raises(InvalidInput) as refused:
            services.issue_request_extension(
                actor=autumn.official_a, issue_id=issue.pk, new_due_date=D(2026, 11, 13), reason="仍需审批"
            )
        assert refused.value.code == "extension_over_cap"
        assert "2026-11-12" in str(refused.value.message)
        assert _written(issue) == before
        services.issue_request_extension(
            actor=autumn.official_a, issue_id=issue.pk, new_due_date=D(2026, 11, 12), reason="仍需审批"
        )
    request = issue.extensions.get(status="pending")
    assert (request.old_due_date, request.new_due_date) == (D(2026, 10, 20), D(2026, 11, 12))
    assert issue.events.last().data["new_due_date"] == "2026-11-12"


# The admin ----------------------------------------------------------------------------------------


LIMIT_FIELDS = list(schemes.PRESETS["shandong"])


def _admin(client, world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)


def _form(campaign, preset, values, limits=(), scheme=None):
    data = {"campaign": campaign.pk, "preset": preset, **values}
    data.update(
        {
            "limits-TOTAL_FORMS": len(limits),
            "limits-INITIAL_FORMS": 0,
            "limits-MIN_NUM_FORMS": 0,
            "limits-MAX_NUM_FORMS": 1000,
        }
    )
    for n, (category, priority, days) in enumerate(limits):
        data.update(
            {
                f"limits-{n}-category": category,
                f"limits-{n}-priority": priority,
                f"limits-{n}-resolve_days": days,
                f"limits-{n}-id": "",
                f"limits-{n}-scheme": scheme.pk if scheme else "",
            }
        )
    return data


def _values(scheme):
    return {name: getattr(scheme, name) for name in LIMIT_FIELDS}


def test_the_admin_adds_a_scheme_from_a_preset_and_resets_it(world, client):
    _admin(client, world)
    add = reverse("admin:issues_timelimitscheme_add")
    # The add page starts from the preset asked for, Shandong's when none is.
    page = client.get(add, {"preset": "zaozhuang"})
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert {name: form[name].value() for name in ["preset", *LIMIT_FIELDS]} == {
        "preset": "zaozhuang",
        **schemes.PRESETS["shandong"],
        "answer_days": 2,
        "resolve_days": 10,
        "complex_resolve_days": 25,
    }
    html = page.content.decode()
    assert 'name="resolve_days" value="10"' in html and 'name="complex_resolve_days" value="25"' in html
    plain = client.get(add).context["adminform"].form
    assert (plain["preset"].value(), plain["resolve_days"].value()) == ("shandong", 15)

    # Saved as shown, with one refinement, then a day changed by hand.
    initial = {name: form[name].value() for name in LIMIT_FIELDS}
    saved = client.post(add, _form(world.campaign, "zaozhuang", initial, limits=[("finance", "urgent", 4)]))
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    scheme = TimeLimitScheme.objects.get(campaign=world.campaign)
    assert (scheme.preset, _values(scheme)) == ("zaozhuang", schemes.PRESETS["zaozhuang"])
    assert list(scheme.limits.values_list("category", "priority", "resolve_days")) == [("finance", "urgent", 4)]
    assert schemes.for_campaign(world.campaign.pk).resolve_days("finance", "urgent") == 4
    TimeLimitScheme.objects.filter(pk=scheme.pk).update(answer_days=4, resolve_days=12, extension_cap_days=20)

    # "Reset to the preset" brings Zaozhuang's limits back and drops the refinements.
    reset = client.post(
        reverse("admin:issues_timelimitscheme_changelist"),
        {"action": "reset_to_preset", "_selected_action": [scheme.pk]},
    )
    assert reset.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.preset, _values(scheme)) == ("zaozhuang", schemes.PRESETS["zaozhuang"])
    assert not SchemeLimit.objects.exists()


def test_the_admin_refuses_a_complex_limit_shorter_than_the_usual_one(world, client):
    _admin(client, world)
    add = reverse("admin:issues_timelimitscheme_add")
    short = {**schemes.PRESETS["henan_13710"], "complex_resolve_days": 5}  # resolve 7, complex 5
    refused = client.post(add, _form(world.campaign, "henan_13710", short))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.non_field_errors()
    assert "复杂事项的时限不能短于一般时限。" in errors, errors
    assert "errornote" in refused.content.decode()
    assert not TimeLimitScheme.objects.exists()

    # The same on a scheme's change page: what was saved stays.
    scheme = schemes.scheme_choose(campaign=world.campaign, preset="henan_13710")
    change = reverse("admin:issues_timelimitscheme_change", args=[scheme.pk])
    again = client.post(change, _form(world.campaign, "henan_13710", short, scheme=scheme))
    assert again.status_code == 200 and again.context["adminform"].form.non_field_errors()
    scheme.refresh_from_db()
    assert (scheme.resolve_days, scheme.complex_resolve_days) == (7, 10)


def test_choosing_another_preset_in_the_admin_applies_its_limits(world, client):
    _admin(client, world)
    scheme = schemes.scheme_choose(campaign=world.campaign, preset="shandong")
    change = reverse("admin:issues_timelimitscheme_change", args=[scheme.pk])
    response = client.post(change, _form(world.campaign, "henan_13710", schemes.PRESETS["shandong"]), follow=True)
    assert response.status_code == 200
    scheme.refresh_from_db()
    assert (scheme.preset, scheme.resolve_days, scheme.complex_resolve_days) == ("henan_13710", 7, 10)
