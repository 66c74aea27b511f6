"""XLSX exports in constant memory: openpyxl's write-only mode streams rows to
a temporary file, which is then streamed to the browser."""

import tempfile
from collections.abc import Iterable

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core import audit

# A spreadsheet takes a cell that begins with one of these for a formula when
# it is opened, typed or edited (formula injection): a title "=HYPERLINK(…)"
# or an imported address must stay text in the file a supervisor opens.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cells(worksheet, values) -> list:
    """A row's values as they may be written: text a spreadsheet would read as
    a formula becomes a text cell with a quote prefix (shown as written, never
    evaluated, still text when edited). Every workbook the app writes goes
    through here."""
    row = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(worksheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            value = cell
        row.append(value)
    return row


def append_row(worksheet, values) -> None:
    worksheet.append(safe_cells(worksheet, values))


def xlsx_response(*, filename: str, sheet: str, headers: list[str], rows: Iterable[list]) -> FileResponse:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    bold = Font(bold=True)
    header_cells = []
    for title in headers:
        cell = WriteOnlyCell(worksheet, value=str(title))
        cell.font = bold
        header_cells.append(cell)
    worksheet.append(header_cells)
    count = 0
    for row in rows:
        append_row(worksheet, row)
        count += 1
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    # Every list the app exports comes through here: who, which list (the
    # page's path and the file), with which filter and how many rows.
    audit.record_export(name=filename, rows=count)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def chunked(queryset, size: int, prepare=None):
    """Stream a queryset in chunks of `size` rows, letting `prepare` work on
    each whole chunk first (one query per chunk for what rows need, never one
    per row)."""
    chunk = []
    for row in queryset.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield from prepare(chunk) if prepare else chunk
            chunk = []
    if chunk:
        yield from prepare(chunk) if prepare else chunk
