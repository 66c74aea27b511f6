"""The dashboard: its numbers, each a link to a list of exactly that many
rows, worked out by hand on the ledger of test_stats, in scope."""

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from core import clock
from enterprises.models import HelpPlan
from issues import figures
from visits import services as visit_services

from ..factories import AssignmentFactory, AssignmentUnitFactory
from ..issues.test_stats import D, at, ledger  # noqa: F401 - the hand-built ledger fixture

JUNE = {"date_from": "2026-06-01", "date_to": "2026-06-30"}


@pytest.fixture
def visited(world, ledger):  # noqa: F811
    """A second assigned enterprise (水务局 alone), one visit by 经信局 to 甲企业
    on 5 June with two of its officials, and 经信局's help plan filed."""
    w = world
    other = AssignmentFactory(campaign=w.campaign, enterprise=w.enterprise_a_other)
    AssignmentUnitFactory(assignment=other, unit=w.unit_a3, is_lead=True)
    with at(D(2026, 6, 5)):
        visit_services.visit_record(
            summary="了解情况",
            actor=w.official_a,
            enterprise=w.enterprise_a,
            date=D(2026, 6, 5),
            form="onsite",
            purposes=["situation"],
            participants=[w.official_a, w.official_a_colleague],
        )
    HelpPlan.objects.create(campaign=w.campaign, unit=w.unit_a, submitted_at=timezone.now(), submitted_by=w.official_a)


def on_30_june():
    return clock.frozen_at(timezone.make_aware(datetime.datetime(2026, 6, 30, 9)))


def links(page):
    """Every (address, number shown, data-count) on the page."""
    found = re.findall(r'<a href="([^"]+)"(?: class="[^"]*")? data-count="(\d+)"[^>]*>([^<]+)</a>', page)
    return [(html.unescape(href), shown, int(count)) for href, count, shown in found]


def listed(client, url):
    page = client.get(url).content.decode()
    return int(re.search(r'<h1 class="h4[^"]*">[^<]+<small class="text-secondary">(\d+)</small>', page).group(1))


def text_of(page, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:span|strong|a)>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_every_number_links_to_a_list_of_that_many(client, world, visited):
    client.force_login(world.supervisor_a)
    with on_30_june():
        page = client.get(reverse("dashboard"), JUNE).content.decode()
        found = links(page)
        assert len(found) > 50
        for url, _shown, count in found:
            assert listed(client, url) == count, url
    shown_figures = {parse_qs(urlsplit(url).query).get("figure", [""])[0] for url, _s, _c in found}
    assert set(figures.LABELS) <= shown_figures  # every figure is reachable
    assert {urlsplit(url).path for url, _s, _c in found} == {
        reverse("issue-list"),
        reverse("visit-list"),
        reverse("visit-participations"),
        reverse("enterprise-list"),
    }


def test_the_figures_worked_out_by_hand(client, world, visited):
    client.force_login(world.supervisor_a)
    with on_30_june():
        page = client.get(reverse("dashboard"), JUNE).content.decode()
    # Seven registered in county A (K2 cancelled, L1 in county B): I1, I2 closed, J1 resolved;
    # I3 (due 22 June) and J2 (due 20 June, extension rejected) overdue on 30 June.
    assert [text_of(page, f"fig-{name}") for name in ("registered", "resolved", "closed", "overdue")] == [
        "7",
        "3",
        "2",
        "2",
    ]
    assert text_of(page, "fig-closure-rate") == "29%"  # 2 / 7
    assert text_of(page, "fig-resolution-rate") == "43%"  # 3 / 7
    more = page.split('id="more-figures"')[1].split('id="visit-figures"')[0]
    # On time: I1 closed 10 June ≤ 22 June, I2 closed 25 June > 22 June.
    assert "50%" in more and "（<a" in more  # the counts in the language's brackets
    # Extensions: I4 and J2 requested, I4 approved; mean days to close (9 + 24) / 2.
    assert re.search(r'data-count="2">2</a> \S+ <a [^>]*data-count="1">1</a>', more)
    assert ">16.5<" in more
    # Visits: one, with two officials; coverage 1 of 2 assigned (甲企业 visited, 未结对企业 not).
    assert text_of(page, "fig-visits") == "1"
    assert text_of(page, "fig-person-times") == "2"
    assert text_of(page, "fig-covered") == "1"
    visits = page.split('id="visit-figures"')[1].split("</div></div>")[0]
    assert "50%" in visits
    # Quiet: 商务局 (on 甲企业's team, not on the visit) and 水务局 (never visited its enterprise).
    quiet = page.split('id="quiet-units"')[1].split("</div></div>")[0]
    assert re.findall(r">([^<>\s]+) <a href=[^>]+>(\d+)</a>", quiet) == [("甲县商务局", "1"), ("甲县水务局", "1")]
    missing = page.split('id="plans-missing"')[1].split("</div></div>")[0]
    assert "甲县商务局" in missing and "甲县水务局" in missing and "甲县经信局" not in missing
    ranking = page.split('id="unit-ranking"')[1]
    # 经信局 is scored; 商务局, with two items (fewer than the rule's three), is listed apart, unranked.
    unranked = ranking.split('id="unranked-units"')[1]
    assert "甲县经信局" in ranking.split('id="unranked-units"')[0] and "甲县商务局" in unranked
    regions = page.split('id="region-table"')[1].split("</table>")[0]
    assert "甲镇" in regions and "乙镇" not in regions


def test_the_trend_by_month_and_by_week(client, world, visited):
    client.force_login(world.supervisor_a)
    with on_30_june():
        monthly = client.get(reverse("dashboard"), JUNE).content.decode()
        weekly = client.get(reverse("dashboard"), {**JUNE, "trend": "week"}).content.decode()
        trend = weekly.split('id="trend-table"')[1].split("</table>")[0]
        # All seven registered in the week of 1 June; I1 closed 10 June (week of 8 June),
        # I2 closed 25 June (week of 22 June).
        rows = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td>(.*?)</tr>", trend)
        counts = {week: [int(n) for n in re.findall(r'data-count="(\d+)"', cells)] for week, cells in rows}
        assert counts == {"2026-06-01": [7, 0], "2026-06-08": [0, 1], "2026-06-22": [0, 1]}
        for url, _shown, count in links(trend):
            assert listed(client, url) == count
    month = monthly.split('id="trend-table"')[1].split("</table>")[0]
    assert re.findall(r"<td>(2026-\d\d)</td>", month) == ["2026-06"]
    assert "by week" in weekly or "按周" in weekly


def test_a_region_below_and_a_bad_period(client, world, visited):
    client.force_login(world.supervisor_a)
    with on_30_june():
        town = client.get(reverse("dashboard"), {**JUNE, "region": world.town_a.pk}).content.decode()
        assert text_of(town, "fig-registered") == "7"
        # Only regions in the supervisor's own region can be chosen.
        outside = client.get(reverse("dashboard"), {**JUNE, "region": world.county_b.pk}).content.decode()
        assert 'id="id_region"' in outside and "invalid-feedback" in outside
        assert "乙企业" not in outside and text_of(outside, "fig-registered") == "7"
        backwards = client.get(reverse("dashboard"), {"date_from": "2026-06-30", "date_to": "2026-06-01"})
    assert backwards.status_code == 200
    assert "invalid-feedback" in backwards.content.decode()


def test_the_dashboard_stays_in_the_region(client, world, visited):
    client.force_login(world.supervisor_b)
    with on_30_june():
        page = client.get(reverse("dashboard"), JUNE).content.decode()
        assert text_of(page, "fig-registered") == "1"
        assert "甲县经信局" not in page and "甲企业" not in page
        for url, _shown, count in links(page):
            assert listed(client, url) == count
        # A guessed figure link for someone else's unit lists nothing.
        guessed = f"{reverse('issue-list')}?responsible_unit={world.unit_a.pk}&figure=registered"
        assert "甲县经信局" not in client.get(guessed).content.decode()


def test_an_admin_sees_each_county(client, world, visited):
    client.force_login(world.admin)
    with on_30_june():
        page = client.get(reverse("dashboard"), JUNE).content.decode()
    regions = page.split('id="region-table"')[1].split("</table>")[0]
    assert re.findall(r"<tr><td[^>]*>(\S+?)</td>", regions) == ["甲县", "乙县"]  # ranked by closure rate
    assert text_of(page, "fig-registered") == "8"


def test_dashboard_queries_do_not_grow(client, world, make_issue, django_assert_max_num_queries):
    """More issues, units, towns, enterprises, visits and escalations: the
    same number of queries."""
    from issues import services

    from ..factories import EnterpriseFactory, HelpUnitFactory, RegionFactory

    client.force_login(world.supervisor_a)
    make_issue("closed")
    client.get(reverse("dashboard"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("dashboard"))
    baseline = len(few.captured_queries)
    for state in ("closed", "in_progress", "resolved", "registered") * 3:
        make_issue(state, extra=("escalate",) if state == "in_progress" else ())
    for n in range(4):
        town = RegionFactory(name=f"新镇{n}", parent=world.county_a)
        unit = HelpUnitFactory(name=f"新单位{n}", region=world.county_a)
        enterprise = EnterpriseFactory(region=town)
        assignment = AssignmentFactory(campaign=world.campaign, enterprise=enterprise)
        AssignmentUnitFactory(assignment=assignment, unit=unit, is_lead=True)
        issue = services.issue_register(actor=world.supervisor_a, enterprise=enterprise, category="land", title="x")
        services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=unit)
        visit_services.visit_record(
            summary="了解情况",
            actor=world.supervisor_a,
            enterprise=enterprise,
            date=D(2026, 6, 1),
            form="onsite",
            purposes=["policy"],
        )
    for params in ({}, {"trend": "week"}, {"region": world.county_a.pk}):
        with django_assert_max_num_queries(baseline):
            page = client.get(reverse("dashboard"), params).content.decode()
        assert "新单位3" in page and "新镇3" in page


def test_the_dashboard_shows_the_common_problems_touching_most_enterprises(client, world):
    from issues import common, services

    from ..factories import EnterpriseFactory

    w = world

    def register(enterprise):
        return services.issue_register(actor=w.supervisor_a, enterprise=enterprise, category="land", title="问题")

    wide = [register(EnterpriseFactory(name=f"甲县企业{n}", region=w.town_a)) for n in range(3)]
    narrow = [register(w.enterprise_a), register(w.enterprise_a_other)]
    common.common_propose(actor=w.supervisor_a, title="园区道路破损", issue_ids=[i.pk for i in wide])
    common.common_propose(actor=w.supervisor_a, title="用地指标不足", issue_ids=[i.pk for i in narrow])
    client.force_login(w.supervisor_a)
    page = client.get(reverse("dashboard")).content.decode()
    table = page.split('id="common-problems"')[1].split("</table>")[0]
    assert table.index("园区道路破损") < table.index("用地指标不足")  # three enterprises before two
    assert "<td>3</td><td>3</td><td>0</td>" in table.replace("\n", "")
    client.force_login(w.supervisor_b)
    assert "园区道路破损" not in client.get(reverse("dashboard")).content.decode()
