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
        actor=w.official_a, enterprise=w.enterprise_a, date=boundary, form="onsite", purposes=["situation"]
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
