"""visits.summary: the cells give the visits' own figures, for every user
and period, whole months or not; a rebuild gives what the visits kept."""

import datetime

import pytest

from core import clock
from issues import summary as issue_summary
from visits import selectors, services, summary
from visits.models import Visit, VisitCell

from ..factories import AssignmentFactory, AssignmentUnitFactory, CampaignFactory, OfficialFactory

D = datetime.date


def _visits(w):
    """Visits over three months in both counties, by one unit, by two units
    together and with no campaign (recorded before one was current)."""
    colleague_b = OfficialFactory(username="off_b_visits", unit=w.unit_b)
    AssignmentUnitFactory(
        assignment=AssignmentFactory(campaign=w.campaign, enterprise=w.enterprise_a_other), unit=w.unit_a4, is_lead=True
    )
    plan = [
        (D(2026, 3, 3), w.official_a, w.enterprise_a, [w.official_a]),
        (D(2026, 3, 30), w.official_a, w.enterprise_a, [w.official_a, w.official_a2]),
        (D(2026, 4, 1), w.official_a2, w.enterprise_a, [w.official_a2]),
        (D(2026, 4, 15), w.official_a4, w.enterprise_a_other, [w.official_a4, w.official_a_colleague]),
        (D(2026, 4, 30), w.official_b, w.enterprise_b, [w.official_b, colleague_b]),
        (D(2026, 5, 2), w.official_a4, w.enterprise_a_other, [w.official_a4]),
        (D(2026, 5, 20), w.official_b, w.enterprise_b, [w.official_b]),
    ]
    for date, actor, enterprise, people in plan:
        services.visit_record(
            summary="了解情况",
            actor=actor,
            enterprise=enterprise,
            date=date,
            form="onsite",
            purposes=["situation"],
            participants=people,
        )


PERIODS = [
    (D(2026, 3, 1), D(2026, 5, 31)),  # whole months
    (D(2026, 3, 2), D(2026, 5, 31)),  # a visit on 3 March: March from the visits
    (D(2026, 3, 4), D(2026, 4, 30)),  # March's first visit left out
    (D(2026, 4, 1), D(2026, 6, 1)),  # up to today: June has no visit yet
    (D(2026, 4, 2), D(2026, 4, 29)),  # inside one month
    (D(2026, 1, 1), D(2026, 12, 31)),
]


@pytest.mark.parametrize("who", ["supervisor_a", "supervisor_b", "admin", "official_a"])
def test_the_cells_give_the_visits_figures(world, who):
    w = world
    _visits(w)
    user = getattr(w, who)
    for date_from, date_to in PERIODS:
        for campaign in (w.campaign, None):
            for region in (None, w.county_a, w.town_b) if who == "admin" else (None,):
                asked = {"user": user, "campaign": campaign, "date_from": date_from, "date_to": date_to}
                ledger = selectors.visit_figures(**asked, region=region)
                cells = selectors.visit_figures(**asked, region=region, summarised=True)
                assert cells == ledger, (date_from, date_to, campaign, region)
    # The figures are not all nought: the comparison above compared something.
    whole = selectors.visit_figures(
        user=w.admin, campaign=w.campaign, date_from=D(2026, 3, 1), date_to=D(2026, 5, 31), summarised=True
    )
    assert (whole["visits"], whole["person_times"]) == (7, 10)


def test_the_whole_months_are_read_from_the_cells(world, django_assert_max_num_queries):
    """A supervisor's period of whole months counts no visit: the cells say it
    (a cell changed by hand shows through, which the visits would not)."""
    w = world
    _visits(w)
    VisitCell.objects.filter(region_id=w.county_a.pk, month=D(2026, 4, 1), unit_id=summary.EVERY).update(visits=100)
    asked = {"user": w.supervisor_a, "campaign": w.campaign, "date_from": D(2026, 3, 1), "date_to": D(2026, 5, 31)}
    assert selectors.visit_figures(**asked, summarised=True)["visits"] == 100 + 3
    assert selectors.visit_figures(**asked)["visits"] == 5


def test_a_visit_with_no_campaign_and_a_new_campaign_keep_their_cells_apart(world):
    w = world
    w.campaign.is_current = False
    w.campaign.save(update_fields=["is_current"])
    services.visit_record(
        summary="了解情况",
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=D(2026, 5, 5),
        form="onsite",
        purposes=["situation"],
    )
    later = CampaignFactory(name="2027年行动", is_current=True)
    services.visit_record(
        summary="了解情况",
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=D(2026, 5, 6),
        form="onsite",
        purposes=["situation"],
    )
    cells = VisitCell.objects.filter(region_id=w.county_a.pk, unit_id=summary.EVERY)
    assert sorted(cells.values_list("campaign_id", "visits")) == [(0, 1), (later.pk, 1)]


def test_a_rebuild_gives_what_the_visits_kept(world):
    w = world
    _visits(w)
    kept = sorted(VisitCell.objects.values_list(*summary.KEY, *summary.COLUMNS))
    assert len(kept) > 20
    # By town, county and city, each with every visit and the units on them.
    assert {row[0] for row in kept} == {w.city.pk, w.county_a.pk, w.county_b.pk, w.town_a.pk, w.town_b.pk}
    VisitCell.objects.update(visits=0)
    issue_summary.rebuild()
    assert sorted(VisitCell.objects.values_list(*summary.KEY, *summary.COLUMNS)) == kept


def test_a_moved_enterprise_is_read_from_the_visits_until_the_rebuild(world, django_capture_on_commit_callbacks):
    from enterprises import services as enterprise_services

    w = world
    _visits(w)
    with django_capture_on_commit_callbacks(execute=False):
        enterprise_services.enterprise_save(actor=w.admin, enterprise=w.enterprise_b, region=w.town_a)
    assert not issue_summary.current()
    asked = {"user": w.supervisor_a, "campaign": w.campaign, "date_from": D(2026, 3, 1), "date_to": clock.today()}
    from issues import selectors as issue_selectors

    assert issue_selectors.visit_figures(**asked)["visits"] == 5 + 2
    issue_summary.ensure_current()
    assert not VisitCell.objects.filter(region_id=w.county_b.pk, visits__gt=0).exists()
    assert issue_selectors.visit_figures(**asked)["visits"] == 7


def test_corrections_and_withdrawals_keep_the_cells_as_a_rebuild_gives_them(world):
    """A date moved to another month, people added and taken away, a visit
    withdrawn: the cells move with each, in the change's transaction."""
    from issues import intake

    w = world
    _visits(w)
    first, second, moved = Visit.objects.filter(enterprise=w.enterprise_a).order_by("date")[:3]
    asked = {"user": w.admin, "campaign": w.campaign, "date_from": D(2026, 3, 1), "date_to": D(2026, 5, 31)}
    before = selectors.visit_figures(**asked, summarised=True)
    services.visit_correct(
        actor=w.official_a2,
        visit_id=moved.pk,
        reason="日期记错",
        date=D(2026, 5, 1),
        form=moved.form,
        purposes=moved.purposes,
        summary=moved.summary,
        participants=[w.official_a2, w.official_a],
    )
    services.visit_correct(
        actor=w.official_a,
        visit_id=second.pk,
        reason="只有我一人",
        date=second.date,
        form=second.form,
        purposes=second.purposes,
        summary=second.summary,
        participants=[w.official_a],
    )
    intake.visit_withdraw(actor=w.official_a, visit_id=first.pk, reason="重复录入")
    after = selectors.visit_figures(**asked, summarised=True)
    assert (after["visits"], after["person_times"]) == (before["visits"] - 1, before["person_times"] - 1)
    assert after == selectors.visit_figures(**asked)  # the ledger agrees
    kept = sorted(VisitCell.objects.filter(visits__gt=0).values_list(*summary.KEY, *summary.COLUMNS))
    issue_summary.rebuild()
    assert sorted(VisitCell.objects.filter(visits__gt=0).values_list(*summary.KEY, *summary.COLUMNS)) == kept
