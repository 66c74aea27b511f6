"""issues.exports: the issue list's spreadsheet streams plain values, never
an Issue object, judges each row by the deadlines' rule, lists the
co-handling units, and runs the same queries for 3 rows as for 300."""

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from issues import deadlines
from issues.models import Issue

from ..conftest import TODAY
from ..factories import bulk_issues


def exported(client, **params) -> tuple[list[tuple], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("issue-export"), params)
        data = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)), len(queries)


def test_rows_are_the_lists_judged_by_the_deadline_rule(client, world, monkeypatch):
    issues = bulk_issues(world, 6)
    client.force_login(world.admin)

    def no_objects(*args, **kwargs):
        raise AssertionError("the export built an Issue")

    monkeypatch.setattr(Issue, "from_db", no_objects)
    rows, _queries = exported(client, sort="number")
    monkeypatch.undo()
    header, *rows = rows
    column = {name: header.index(name) for name in header}
    assert [row[0] for row in rows] == sorted(issue.number for issue in issues)
    judged = {issue.number: issue for issue in deadlines.mark(Issue.objects.all(), TODAY)}
    for row in rows:
        issue = judged[row[0]]
        assert row[column["逾期工作日"]] == issue.overdue_by  # working days overdue, by deadlines.mark
        co_units = "、".join(unit.name for unit in issue.co_units.order_by("name"))
        assert (row[column["协办单位"]] or "") == co_units
        assert row[column["承办单位"]] == issue.responsible_unit.name and row[1] == issue.enterprise.name
        assert row[column["所在区域"]] == issue.enterprise.region.name
    assert any(row[column["逾期工作日"]] for row in rows) and any(row[column["协办单位"]] for row in rows)


def test_the_ledger_columns_carry_the_description_and_the_latest_progress(client, world, make_issue):
    """The columns of a 台账: the region, the description and the unit's latest progress note."""
    from issues import services

    issue = make_issue("in_progress")
    Issue.objects.filter(pk=issue.pk).update(description="流动资金缺口约500万元")
    services.issue_feedback(actor=world.official_a, issue_id=issue.pk, note="已对接银行")
    services.issue_feedback(actor=world.official_a, issue_id=issue.pk, note="银行已受理贷款申请")
    client.force_login(world.supervisor_a)
    (header, row), _queries = exported(client)
    shown = dict(zip(header, row, strict=True))
    assert shown["问题描述"] == "流动资金缺口约500万元"
    assert shown["最新进展"] == "银行已受理贷款申请"
    assert shown["所在区域"] == issue.enterprise.region.name
    assert list(header[:5]) == ["挂号编号", "企业", "所在区域", "问题类别", "标题"]


def test_the_exports_queries_do_not_grow_with_its_rows(client, world):
    client.force_login(world.admin)
    bulk_issues(world, 3)
    exported(client)  # (the session and the user, as on any page)
    few, small = exported(client)
    bulk_issues(world, 300, start=4)
    many, large = exported(client)
    assert (len(few), len(many)) == (4, 304)
    assert small == large
