"""core.pagination: a list counts its rows only up to a cap, and not at all
when the page it shows says how many there are; deep pages read ids first;
the API's pages say when their count is capped."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pagination
from core.pagination import CappedPaginator
from enterprises.models import Region

from ..factories import RegionFactory


@pytest.fixture
def regions(db):
    root = RegionFactory(name="根", level="city")
    for n in range(23):
        RegionFactory(name=f"区{n:02d}", parent=root)
    return Region.objects.exclude(pk=root.pk).order_by("name", "id")


def names(page) -> list[str]:
    return [region.name for region in page]


def selects(queries) -> list[str]:
    return [query["sql"].removeprefix(pagination.SERIAL) for query in queries.captured_queries]


def test_a_short_list_is_counted_exactly(regions):
    paginator = CappedPaginator(regions, 5, cap=100)
    page = paginator.get_page(2)
    assert names(page) == [f"区{n:02d}" for n in range(5, 10)]
    assert (paginator.count, paginator.capped, paginator.num_pages) == (23, False, 5)
    assert page.has_next() and page.has_previous() and (page.start_index(), page.end_index()) == (6, 10)


def test_a_long_list_is_counted_up_to_the_cap(regions):
    paginator = CappedPaginator(regions, 5, cap=10)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(1)
        assert (paginator.count, paginator.capped) == (10, True)
    ids, rows, count = selects(queries)
    assert "LIMIT 6" in ids and "COUNT(*)" in count and "LIMIT 11" in count
    assert page.has_next() and page.next_page_number() == 2


def test_postgresql_reads_a_page_without_parallel_workers(regions, pg_only):
    """(Workers scanning ahead of a 25-row LIMIT made a filtered page 40 times slower.)"""
    paginator = CappedPaginator(regions, 5, cap=10)
    with CaptureQueriesContext(connection) as queries:
        paginator.get_page(1)
        assert paginator.count == 10
    ids, rows, count = (query["sql"] for query in queries.captured_queries)
    assert ids.startswith(pagination.SERIAL) and count.startswith(pagination.SERIAL)
    assert not rows.startswith(pagination.SERIAL)  # (25 rows by id)


def test_the_last_page_and_a_page_past_the_cap_need_no_count(regions):
    last = CappedPaginator(regions, 5, cap=100)
    with CaptureQueriesContext(connection) as queries:
        page = last.get_page(5)
        assert (last.count, last.capped) == (23, False)
    assert names(page) == ["区20", "区21", "区22"] and not page.has_next()
    assert len(selects(queries)) == 2  # the page's ids, then its rows
    deep = CappedPaginator(regions, 5, cap=10)
    with CaptureQueriesContext(connection) as queries:
        page = deep.get_page(3)
        assert (deep.count, deep.capped) == (10, True)
    assert names(page) == [f"区{n:02d}" for n in range(10, 15)] and page.has_next()
    assert len(selects(queries)) == 2
    assert deep.num_pages == 4  # what is known: this page and the next


def test_a_page_past_the_end_is_the_last_one_and_a_bad_number_the_first(regions):
    paginator = CappedPaginator(regions, 5, cap=10)
    assert paginator.get_page(99).number == 5
    assert paginator.get_page("x").number == 1
    with pytest.raises(EmptyPage):
        paginator.page(99)
    with pytest.raises(PageNotAnInteger):
        paginator.page("2.5")
    assert paginator.last_page_number() == 5


def test_rows_come_in_the_lists_order_with_what_they_need(regions):
    """The page's rows are read by id after the ids, in the list's order, and
    keep their select_related (no query per row)."""
    listed = regions.select_related("parent").order_by("-name", "id")
    page = CappedPaginator(listed, 4).get_page(2)
    with CaptureQueriesContext(connection) as queries:
        parents = {region.parent.name for region in page}
    assert names(page) == ["区18", "区17", "区16", "区15"] and parents == {"根"} and not queries


def test_an_empty_list_has_one_empty_page(db):
    paginator = CappedPaginator(Region.objects.order_by("id"), 5)
    page = paginator.get_page(1)
    assert list(page) == [] and paginator.count == 0 and paginator.num_pages == 1 and not page.has_next()


def test_the_api_says_when_its_count_is_capped(world, make_issue, api, monkeypatch):
    for _ in range(3):
        make_issue("registered")
    client = api(world.admin)
    body = client.get("/api/v1/issues/", {"page_size": 1}).json()
    assert (body["count"], body["count_capped"]) == (3, False)
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    body = client.get("/api/v1/issues/", {"page_size": 1}).json()
    assert (body["count"], body["count_capped"]) == (2, True) and body["next"]
    deep = client.get("/api/v1/issues/", {"page_size": 1, "page": 3}).json()
    assert len(deep["results"]) == 1 and deep["next"] is None and deep["count"] == 3
    last = client.get("/api/v1/issues/", {"page_size": 1, "page": "last"}).json()
    assert last["results"] == deep["results"]
    assert client.get("/api/v1/issues/", {"page_size": 1, "page": 4}).status_code == 404


def test_the_page_says_more_than_the_cap(client, world, make_issue, monkeypatch):
    for _ in range(3):
        make_issue("registered")
    client.force_login(world.admin)
    monkeypatch.setattr("issues.views.PAGE_SIZE", 1)
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    heading = client.get("/issues/").content.decode().split("<h1")[1].split("</h1>")[0]
    assert "2+" in heading
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    heading = client.get("/issues/").content.decode().split("<h1")[1].split("</h1>")[0]
    assert ">3<" in heading and "+" not in heading
