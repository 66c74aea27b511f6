"""core.search: a search finds the rows holding what was typed, in the order
typed, whatever its length and script; on PostgreSQL through the GIN
indexes of character pairs (a two-character word included), on SQLite by
LIKE. The behaviour tests also run on SQLite (smoke)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import search
from enterprises.models import Enterprise
from issues.filters import IssueFilter
from issues.models import Issue

TITLES = {
    "word": "企业贷款难，申请流动资金贷款",
    "apart": "贷后管理拨款延迟",  # 贷 and 款, not together
    "reversed": "款贷倒置",  # the pair 款贷, not 贷款
    "phrase": "厂区用地融资问题",
    "pairs": "用地融洽，融资难",  # 用地, 地融 and 融资, but not 用地融资
    "latin": "ERP系统对接",
}


@pytest.fixture
def titled(world, make_issue):
    issues = {}
    for key, title in TITLES.items():
        issue = make_issue("registered")
        Issue.objects.filter(pk=issue.pk).update(title=title)
        issues[key] = issue.pk
    return issues


def theirs(world):
    """An issue of the other county's enterprise, registered there."""
    from issues import services

    return services.issue_register(actor=world.official_b, enterprise=world.enterprise_b, category="land", title="用电")


def found(q, fields=IssueFilter.search_fields) -> set:
    return set(Issue.objects.filter(search.matches(Issue, fields, q)).values_list("pk", flat=True))


def keys(titled, ids) -> set:
    return {key for key, pk in titled.items() if pk in ids}


@pytest.mark.smoke
def test_a_two_character_word_is_found_and_not_its_characters_apart(titled):
    assert keys(titled, found("贷款")) == {"word"}
    assert keys(titled, found(" 贷款 ")) == {"word"}  # typed with spaces around it


@pytest.mark.smoke
def test_a_four_character_phrase_is_found_and_not_its_pairs_scattered(titled):
    assert keys(titled, found("用地融资")) == {"phrase"}
    assert keys(titled, found("融资")) == {"phrase", "pairs"}


@pytest.mark.smoke
def test_a_single_character_is_matched_by_like(titled):
    with CaptureQueriesContext(connection) as queries:
        hits = found("贷")
    assert keys(titled, hits) == {"word", "apart", "reversed"}
    assert not any("zf_bigrams" in query["sql"] for query in queries.captured_queries)


@pytest.mark.smoke
def test_latin_letters_ignoring_case_and_register_numbers_from_their_start(world, titled):
    assert keys(titled, found("erp")) == {"latin"}
    assert keys(titled, found("Erp系统")) == {"latin"}
    numbers = dict(Issue.objects.values_list("pk", "number"))
    number = numbers[titled["phrase"]]
    assert found(number) == {titled["phrase"]}
    assert found(f" {number} ") == {titled["phrase"]}
    assert found(number[:-1]) == {pk for pk, other in numbers.items() if other.startswith(number[:-1])}
    assert found(number[:4]) == set(numbers)  # the year
    assert titled["phrase"] not in found(number[-3:])  # a code is not searched inside


@pytest.mark.smoke
def test_an_issue_is_found_by_its_enterprise_name_and_credit_code(world, make_issue):
    ours, other = make_issue("registered"), theirs(world)
    assert found("甲企业") == {ours.pk}
    code = world.enterprise_b.credit_code
    assert found(code) == {other.pk}
    assert found(code[:-1].lower()) == {other.pk}  # from its start, in any case
    assert found(code[:8]) == {ours.pk, other.pk}  # (both enterprises are in one city)
    assert found(code[-6:]) == set()
    assert found("企业") == {ours.pk, other.pk}
    # The enterprise's legal representative is in its index but not searched from the issue list.
    Enterprise.objects.filter(pk=world.enterprise_b.pk).update(legal_representative="张贷款")
    assert found("张贷") == set()


@pytest.mark.smoke
def test_many_matching_enterprises_are_named_by_a_subquery(world, make_issue, monkeypatch):
    ours, other = make_issue("registered"), theirs(world)
    monkeypatch.setattr(search, "RELATED_IDS_MAX", 1)
    assert found("企业") == {ours.pk, other.pk}
    assert found("乙企业") == {other.pk}


@pytest.mark.smoke
def test_the_issue_list_and_the_api_search_the_same_way(client, world, titled, api):
    client.force_login(world.admin)
    page = client.get("/issues/", {"q": "贷款"}).content.decode()
    assert TITLES["word"] in page and TITLES["apart"] not in page
    listed = api(world.admin).get("/api/v1/issues/", {"q": "用地融资"}).json()
    assert [row["title"] for row in listed["results"]] == [TITLES["phrase"]]


def _plan(sql, params) -> str:
    """The plan with only bitmap scans allowed, the one way to read a GIN
    index: on a table of a few rows the planner may otherwise walk the list
    order's index and filter (which it did, now and then, with the
    statistics of the moment)."""
    with connection.cursor() as cursor:
        for path in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{path} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_postgresql_reads_the_character_pairs_from_their_indexes(db, pg_only, titled):
    issues = Issue.objects.filter(search.matches(Issue, ("number", "title"), "贷款")).values("pk")
    plan = _plan(*issues.query.sql_with_params())
    assert "issue_search" in plan and "issue_number_prefix" not in plan, plan  # no code has 贷款 in it
    issues = Issue.objects.filter(search.matches(Issue, ("number", "title"), "2026-0001")).values("pk")
    plan = _plan(*issues.query.sql_with_params())
    assert "issue_search" in plan and "issue_number_prefix" in plan, plan
    enterprises = Enterprise.objects.filter(search.matches(Enterprise, ("name", "credit_code"), "企业")).values("pk")
    plan = _plan(*enterprises.query.sql_with_params())
    assert "enterprise_search" in plan, plan
    enterprises = Enterprise.objects.filter(search.matches(Enterprise, ("name", "credit_code"), "9133")).values("pk")
    plan = _plan(*enterprises.query.sql_with_params())
    assert "enterprise_search" in plan and "enterprise_code_prefix" in plan, plan


def test_every_search_document_has_its_index(db, pg_only):
    """A model's `search_document` and the GIN index its migration made name
    the same columns in the same order: otherwise the planner finds no index
    for the expression and every search scans the table."""
    from django.apps import apps

    documents = [model for model in apps.get_models() if getattr(model, "search_document", ())]
    assert {model._meta.label for model in documents} == {"issues.Issue", "enterprises.Enterprise"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE indexdef LIKE %s", ["%zf_bigrams%"])
        indexes = cursor.fetchall()
    for model in documents:
        columns = ", ".join(f"({column})::text" for column in model.search_document)
        assert any(
            table == model._meta.db_table and "USING gin" in definition and f"ARRAY[{columns}]" in definition
            for table, definition in indexes
        ), (model, indexes)


def test_the_pairs_are_lowercased_and_distinct(db, pg_only):
    with connection.cursor() as cursor:
        cursor.execute("SELECT zf_bigrams('贷款贷款', 'AbC'), zf_bigrams('贷'), zf_bigrams(NULL::text, 'xy')")
        pairs, single, with_null = cursor.fetchone()
    assert sorted(pairs) == sorted(["贷款", "款贷", "ab", "bc"])
    assert single == [] and with_null == ["xy"]
