"""The dashboard: its numbers, each equal to the list behind it, in scope."""

import html
import re

from django.urls import reverse

from ..issues.test_stats import ledger  # noqa: F401 - the hand-built ledger fixture


def figure(page, name):
    match = re.search(rf'id="fig-{name}" href="([^"]+)">(\d+)<', page)
    return html.unescape(match.group(1)), int(match.group(2))


def listed(client, url):
    page = client.get(url).content.decode()
    return int(re.search(r'<h1 class="h4">[^<]+<small class="text-secondary">(\d+)</small>', page).group(1))


def test_every_number_links_to_a_list_of_that_many(client, world, ledger):  # noqa: F811
    client.force_login(world.supervisor_a)
    page = client.get(reverse("dashboard"), {"from": "2026-06-01", "to": "2026-06-30"}).content.decode()
    # Worked out in test_stats: 7 registered, 3 resolved, 2 closed, and on 1 June nothing overdue yet.
    expected = {"registered": 7, "resolved": 3, "closed": 2, "overdue": 0}
    for name, number in expected.items():
        url, shown = figure(page, name)
        assert shown == number, name
        assert listed(client, url) == number, name
    assert 'id="fig-closure-rate">29%' in page
    ranking = page.split('id="unit-ranking"')[1]
    assert ranking.index("甲县经信局") < ranking.index("甲县商务局")  # 50% before 0%
    for href, shown in re.findall(r'<td><a href="([^"]+)">(\d+)</a></td>', ranking):
        assert listed(client, html.unescape(href)) == int(shown)


def test_the_dashboard_stays_in_the_region(client, world, ledger):  # noqa: F811
    client.force_login(world.supervisor_b)
    page = client.get(reverse("dashboard"), {"from": "2026-06-01", "to": "2026-06-30"}).content.decode()
    assert figure(page, "registered")[1] == 1
    assert "甲县经信局" not in page


def test_dashboard_queries_do_not_grow(client, world, make_issue, django_assert_max_num_queries):
    client.force_login(world.supervisor_a)
    make_issue("closed")
    client.get(reverse("dashboard"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("dashboard"))
    for state in ("closed", "in_progress", "resolved", "registered") * 3:
        make_issue(state)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboard"))
