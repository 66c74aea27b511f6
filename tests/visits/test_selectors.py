"""'Visited within the campaign's frequency' is one rule (visits.selectors):
the enterprise list, its filter and the reminder sweep agree, to the day."""

import datetime

from django.urls import reverse

from core import clock
from enterprises.choices import Rank
from issues import reminders
from visits import selectors, services

from ..factories import OfficialFactory


def test_a_visit_exactly_the_frequency_ago_still_counts_everywhere(client, world):
    w = world
    today = clock.today()
    boundary = today - datetime.timedelta(days=w.campaign.visit_every_days)
    services.visit_record(
        summary="了解情况",
        actor=w.official_a,
        enterprise=w.enterprise_a,
        date=boundary,
        form="onsite",
        purposes=["situation"],
    )
    assert selectors.visit_due_since(w.campaign, today) == boundary
    assert selectors.visited_in_time(boundary, w.campaign, today)
    assert not selectors.visited_in_time(boundary - datetime.timedelta(days=1), w.campaign, today)

    client.force_login(w.supervisor_a)
    rows = {row.pk: row for row in client.get(reverse("enterprise-list")).context["page"].object_list}
    assert rows[w.enterprise_a.pk].not_visited is False
    visited = client.get(reverse("enterprise-list"), {"visited": "true"}).context["page"].object_list
    assert w.enterprise_a.pk in {row.pk for row in visited}

    head_a = OfficialFactory(username="head_a", unit=w.unit_a, rank=Rank.HEAD)
    head_a2 = OfficialFactory(username="head_a2", unit=w.unit_a2, rank=Rank.HEAD)
    not_visited = {(r, e) for r, kind, _key, _i, e, _t in reminders.collect(today) if kind == "not_visited"}
    assert (head_a.pk, w.enterprise_a.pk) not in not_visited
    # The partner unit, which was not on that visit, is reminded.
    assert (head_a2.pk, w.enterprise_a.pk) in not_visited


def test_a_unit_that_logged_visits_is_not_quiet_and_one_that_logged_none_is_with_its_count(world):
    from ..factories import AssignmentFactory, AssignmentUnitFactory

    w = world
    # 甲县经信局 helps 甲企业 and 甲县未结对企业 and visited 甲企业 four times in the
    # month (never the other); 甲县商务局 helps 甲企业 and logged nothing.
    AssignmentUnitFactory(
        assignment=AssignmentFactory(campaign=w.campaign, enterprise=w.enterprise_a_other), unit=w.unit_a, is_lead=True
    )
    start = datetime.date(2026, 5, 1)
    for day in (4, 11, 18, 25):
        services.visit_record(
            summary="了解情况",
            actor=w.official_a,
            enterprise=w.enterprise_a,
            date=datetime.date(2026, 5, day),
            form="onsite",
            purposes=["situation"],
        )
    figures = selectors.visit_figures(
        user=w.supervisor_a, campaign=w.campaign, date_from=start, date_to=datetime.date(2026, 5, 31), region=w.county_a
    )
    assert figures["visits"] == 4
    assert figures["quiet_units"] == [{"id": w.unit_a2.pk, "name": "甲县商务局", "assigned": 1, "visits": 0}]
    # In April nobody visited: both are quiet, each with the enterprises it helps.
    april = selectors.visit_figures(
        user=w.supervisor_a,
        campaign=w.campaign,
        date_from=datetime.date(2026, 4, 1),
        date_to=datetime.date(2026, 4, 30),
        region=w.county_a,
    )
    assert [(u["name"], u["assigned"]) for u in april["quiet_units"]] == [("甲县商务局", 1), ("甲县经信局", 2)]
