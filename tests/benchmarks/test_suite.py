"""The benchmark suite's own parts (make bench runs the rest, not make test):
its figures and verdicts, the table, the order of the rounds, the form
reader that signs in and posts, and every floor statement, run against the
test database so a schema change cannot silently break `make bench`."""

import base64
import datetime
import json
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection, transaction

from benchmarks.suite.cases import FASTER_THAN_PEER, INTERACTIVE, Case, peer_cases, zoufang_cases
from benchmarks.suite.client import find_form, forms_of
from benchmarks.suite.floors import FLOORS
from benchmarks.suite.measure import interleaved, page_results, rounds
from benchmarks.suite.prepare import floor_params
from benchmarks.suite.stats import Target, median, percentile, render_table, verdict

IDS = {
    "unit_id": 7,
    "campaign_id": 1,
    "busiest_enterprise_id": 3,
    "issue_with_events_id": 11,
    "issue_events": 24,
    "county_scope": "/1/2/%",
    "official_unit": 7,
    "official_enterprise": 3,
}
PEER_IDS = {"ticket": 5, "followups": 9, "queue": 2, "update_ticket": 6}


def test_percentiles_interpolate_between_the_nearest_ranks():
    assert median([4, 1, 3, 2]) == 2.5
    assert median([5]) == 5
    assert percentile(range(1, 21), 95) == pytest.approx(19.05)
    assert percentile([10, 20], 0) == 10 and percentile([10, 20], 100) == 20
    assert median([]) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_a_verdict_names_each_missed_target_and_judges_only_what_was_measured():
    assert verdict({"median": 0.040, "p95": 0.100, "floor_ratio": 2.0}, INTERACTIVE) == ("PASS", [])
    status, missed = verdict({"median": 0.060, "p95": 0.100, "floor_ratio": 4.5}, INTERACTIVE)
    assert status == "MISS" and missed == ["median≤50ms", "≤3×floor"]
    # No floor measured: judged on the rest.
    assert verdict({"median": 0.040, "p95": 0.100, "floor_ratio": None}, INTERACTIVE) == ("PASS", [])
    # Speed-up and throughput are at least, not at most.
    assert verdict({"speedup": 12}, [FASTER_THAN_PEER]) == ("PASS", [])
    assert verdict({"rps": 90}, [Target("rps", 150)]) == ("MISS", ["≥150/s"])
    assert verdict({}, INTERACTIVE) == ("—", [])


def test_page_results_put_the_peer_beside_its_page_and_judge_the_speed_up():
    cases = [
        Case("list", "zoufang", "province", "/issues/", floor="list", peer="peer list"),
        Case("peer list", "peer", "peer", "/tickets/", targets=()),
    ]
    data = {
        "list": {"samples": [0.02, 0.03, 0.04], "queries": [9, 9, 10], "floor": [0.01, 0.01, 0.01], "path": "/issues/"},
        "peer list": {"samples": [0.5, 0.6, 0.7], "queries": [30, 30, 30], "floor": [], "path": "/tickets/"},
    }
    ours, theirs = page_results(cases, data)
    assert ours["median"] == 0.03 and ours["queries"] == 9 and ours["queries_max"] == 10
    assert ours["floor_ratio"] == pytest.approx(3.0) and ours["speedup"] == pytest.approx(20)
    assert ours["verdict"] == "PASS" and "≥10×peer" in ours["targets"]
    assert theirs["verdict"] == "—" and theirs["floor"] is None


def test_the_table_lines_up_chinese_names_and_shows_both_systems():
    rows = [
        {"name": "issue list: search 贷款", "kind": "page", "median": 0.0421, "p95": 0.09, "queries": 9,
         "floor": 0.005, "floor_ratio": 8.4, "targets": ["≤3×floor"], "verdict": "MISS",
         "peer": "peer: search", "peer_median": 1.2, "speedup": 28.5},
        {"name": "issue page throughput, c=2", "kind": "throughput", "rps": 151.2, "peer_rps": 20.0,
         "speedup": 7.6, "targets": ["≥150/s"], "verdict": "PASS"},
        {"name": "reminder sweep (first of the day)", "kind": "job", "seconds": 4.2, "growth_mib": 12.0,
         "queries": 40, "targets": ["≤30s"], "verdict": "PASS"},
    ]  # fmt: skip
    table = render_table(rows).splitlines()
    assert table[0].startswith("page") and set(table[1]) <= {"-", " "}
    search = table[2]
    assert "42" in search and "8.4×" in search and "MISS" in search and "1200" in search and "28.5×" in search
    assert "151.2/s" in table[3] and "20.0/s" in table[3]
    assert "4.20 s (+12 MB)" in table[4]

    # Each column starts at the same place on the screen, a Chinese character taking two.
    def screen(text):
        return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)

    verdict_at = {
        screen(line[: line.index(word)]) for line, word in zip(table[2:], ["MISS", "PASS", "PASS"], strict=True)
    }
    assert len(verdict_at) == 1


def test_rounds_alternate_each_page_with_its_peer():
    order = [case.name for case in interleaved(zoufang_cases(IDS) + peer_cases(PEER_IDS))]
    assert order.index("peer: ticket list (JSON rows)") == order.index("issue list") + 1
    assert order.index("peer: dashboard") == order.index("dashboard: province, current campaign") + 1
    assert order[-1] == "peer: ticket list page (HTML)"  # compared with nothing: after the rest
    assert len(order) == len(set(order))


def test_every_page_names_a_floor_and_a_peer_case_that_exist():
    peers = {case.name for case in peer_cases(PEER_IDS)}
    for case in zoufang_cases(IDS):
        assert case.floor is None or case.floor in FLOORS, case.name
        assert case.peer is None or case.peer in peers, case.name


def test_the_peer_list_asks_its_json_endpoint_as_its_page_does():
    search = next(case for case in peer_cases(PEER_IDS) if case.name == "peer: ticket list, search 贷款")
    url = urlparse(search.path)
    query = json.loads(base64.b64decode(url.path.rsplit("/", 1)[1]))
    assert query["search_string"] == "贷款" and query["sorting"] == "created" and query["sortreverse"]
    assert parse_qs(url.query)["length"] == ["25"]


def test_forms_are_read_as_a_browser_would_submit_them():
    html = """
    <form id="search" method="get" action="/tickets/"><input name="q" value="x"></form>
    <form id="respond" method="post" action="/tickets/6/update/">
      <input type="hidden" name="csrfmiddlewaretoken" value="tok">
      <input type="radio" name="new_status" value="1" checked><input type="radio" name="new_status" value="2">
      <input type="checkbox" name="public" value="1" checked><input type="checkbox" name="private" value="1">
      <select name="queue"><option value="">---</option><option value="4" selected>单位4</option></select>
      <select name="priority"><option value="3">normal</option><option value="1">high</option></select>
      <select name="owner"><option>Alice</option></select>
      <textarea name="comment">已联系</textarea>
      <input type="submit" name="go" value="Send"><input type="file" name="attachment">
    </form>"""
    assert [form.attrs["id"] for form in forms_of(html)] == ["search", "respond"]
    form = find_form(html, id="respond")
    assert form.method == "post" and form.action == "/tickets/6/update/"
    assert form.data() == {
        "csrfmiddlewaretoken": "tok",
        "new_status": "1",
        "public": "1",
        "queue": "4",
        "priority": "3",
        "comment": "已联系",
    }
    assert form.data(new_status="2", co_units=["1", "2"])["co_units"] == ["1", "2"]
    with pytest.raises(LookupError):
        find_form(html, id="missing")


def test_every_floor_runs_on_the_schema_as_it_is(world, make_issue, pg_only):
    """Each statement with the parameters the suite gives it, on PostgreSQL;
    the writes leave nothing behind."""
    issue = make_issue("in_progress")
    registered = make_issue("registered")
    campaign = world.campaign
    ids = {
        **IDS,
        "province_scope": world.city.path + "%",
        "county_scope": world.county_a.path + "%",
        "unit_id": world.unit_a.pk,
        "campaign_id": campaign.pk,
        "campaign_start": campaign.start_date,
        "issue_with_events_id": issue.pk,
        "busiest_enterprise_id": world.enterprise_a.pk,
        "official": world.official_a.pk,
        "supervisor": world.supervisor_a.pk,
        "official_enterprise": world.enterprise_a.pk,
        "registered_issue": registered.pk,
        "export_from": datetime.date(2000, 1, 1),
        "month_start": datetime.date(2026, 5, 1),
        "month_end": datetime.date(2026, 6, 1),
        "official_unit": world.unit_a.pk,
    }
    base = floor_params(ids)
    extra = {case.floor: case.floor_params for case in zoufang_cases(ids) if case.floor}
    rows = {}
    for name, sql in FLOORS.items():
        params = {**base, **extra.get(name, {})}
        assert set(re.findall(r"%\((\w+)\)s", sql)) <= set(params), name
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows[name] = cursor.fetchall() if cursor.description else cursor.rowcount
            transaction.set_rollback(True)
    assert {row[0] for row in rows["list"]} == {issue.pk, registered.pk}
    assert rows["issue"][0][0] == issue.pk and len(rows["issue"]) == issue.events.count()
    assert rows["register"] == 1 and rows["assign"] == 1
    registered.refresh_from_db()
    assert registered.status == "registered"  # rolled back


def test_a_failing_page_is_noted_and_the_rounds_go_on():
    class FakeSite:
        def request(self, method, path, *, expect, **kwargs):
            if path == "/broken/":
                raise RuntimeError("GET /broken/ answered 500")
            return SimpleNamespace(seconds=0.01, queries=3)

    cases = [
        Case("broken", "zoufang", "province", "/broken/"),
        Case("fine", "zoufang", "province", "/fine/", runs=1),
    ]
    data = rounds(cases, sites={"province": FakeSite()}, state={}, connection=None, params={}, runs=3, warmup=1)
    assert data["fine"]["samples"] == [0.01] and data["fine"]["queries"] == [3]  # one counted run, as asked
    assert len(data["broken"]["errors"]) == 4 and not data["broken"]["samples"]
    broken, fine = page_results(cases, data)
    assert broken["verdict"] == "ERROR" and "answered 500" in broken["errors"][0]
    assert fine["verdict"] == "PASS"
