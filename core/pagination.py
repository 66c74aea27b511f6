"""Pages of a long list at a cost that does not grow with the list.

Django's Paginator counts every row of the list before showing 25 of them:
a full scan of the user's scope on each page. `CappedPaginator` counts only
up to `COUNT_CAP` rows (a list longer than that says "10,000+"), and
not at all when the page itself tells: a page with fewer rows than fit is
the last, so the count is what came before it plus its own rows, and a page
that goes past the cap needs no count to say "more than the cap".

Rows are read in two steps: the ids of the page, by the list's filters and
order alone (a narrow query an index can answer), then the page's rows by
id with everything they show (`select_related`, annotations, prefetches).
A deep page (page 500) so walks 12,500 index entries, not 12,500 joined
rows. On PostgreSQL the ids and the count are read without parallel
workers (SERIAL)."""

import math

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property

COUNT_CAP = 10_000


# A page reads 25 rows, or its count at most cap + 1 of them; parallel
# workers scanning ahead each fill their queue far past that before the
# leader stops them (a filtered page of 200,000 issues: 80 ms with two
# workers, 2 ms without). So on PostgreSQL these two queries run without:
# the setting goes in the same call, which PostgreSQL runs as one
# transaction, so it ends with the query (or, inside an atomic block, with
# that block's transaction).
SERIAL = "SET LOCAL max_parallel_workers_per_gather = 0; "


def _select(queryset, wrap: str = "{}") -> list[tuple]:
    """The rows of `queryset`'s SQL (put in `wrap`), serially on PostgreSQL;
    none for a query Django knows matches nothing."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return []
    connection = connections[queryset.db]
    sql = wrap.format(sql)
    if connection.vendor == "postgresql":
        sql = SERIAL + sql
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class CappedPage(Page):
    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def next_page_number(self):
        if not self.more:
            raise EmptyPage("That page contains no results")
        return self.number + 1

    def start_index(self):
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self):
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class CappedPaginator(Paginator):
    """A Paginator whose `count` stops at `cap` (then `capped` is true and
    `count` is the cap: "at least"), reading each page by ids first. The
    object list must be an ordered queryset whose order ends in a unique
    column (as every list's does: `…, "id"` or the register number)."""

    def __init__(self, object_list, per_page, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap or COUNT_CAP
        self.capped = False
        self.deepest = 0  # the last page known to exist from the pages read

    @cached_property
    def count(self):
        """The number of rows, counted up to the cap (one query, which reads
        at most cap + 1 rows)."""
        queryset = self.object_list
        if not hasattr(queryset, "values"):
            return len(queryset)
        counted = _select(queryset.order_by().values("pk")[: self.cap + 1], "SELECT COUNT(*) FROM ({}) AS listed")
        found = counted[0][0] if counted else 0
        self.capped = found > self.cap
        return min(found, self.cap)

    @property
    def num_pages(self):
        """The pages known to exist: all of them unless the count is capped."""
        if not self.count:
            return 1 if self.allow_empty_first_page else 0
        return max(math.ceil(self.count / self.per_page), self.deepest)

    def validate_number(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        ids = self._ids(offset, self.per_page + 1)
        if not ids and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        more = len(ids) > self.per_page
        ids = ids[: self.per_page]
        self.deepest = max(self.deepest, number + more)
        if not more:
            # The last page: the count is known without counting.
            self.__dict__["count"] = offset + len(ids)
            self.capped = False
        elif offset + len(ids) >= self.cap:
            self.__dict__["count"] = self.cap
            self.capped = True
        return CappedPage(self._load(ids), number, self, more)

    def get_page(self, number):
        """The page, page 1 for a number that is not one, and the last page
        for one past the end (which takes an exact count)."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.last_page()

    def last_page(self):
        return self.page(self.last_page_number())

    def last_page_number(self) -> int:
        """The number of the last page, from an exact count (the one time a
        list counts all its rows: when asked for its end)."""
        queryset = self.object_list
        total = queryset.order_by().count() if hasattr(queryset, "order_by") else len(queryset)
        return max(1, math.ceil(total / self.per_page))

    def _two_steps(self) -> bool:
        queryset = self.object_list
        return (
            hasattr(queryset, "values_list")
            and queryset._iterable_class is ModelIterable
            and not queryset.query.distinct
            and not queryset.query.combinator
        )

    def _ids(self, offset: int, limit: int) -> list:
        """The page's ids, by the list's filters and order alone (or its rows,
        for a list that cannot be read in two steps)."""
        if not self._two_steps():
            return list(self.object_list[offset : offset + limit])
        ids = self.object_list.values_list("pk", flat=True)[offset : offset + limit]
        return [pk for (pk,) in _select(ids)]

    def _load(self, ids: list) -> list:
        """The page's rows by id, with everything they show, in the ids' order."""
        if not ids or not self._two_steps():
            return ids
        found = {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]


__all__ = ["COUNT_CAP", "CappedPage", "CappedPaginator", "EmptyPage", "InvalidPage"]
