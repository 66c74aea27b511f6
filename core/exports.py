"""XLSX exports in constant memory: openpyxl's write-only mode streams rows to
a temporary file, which is then streamed to the browser."""

import tempfile
from collections.abc import Iterable

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


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
    for row in rows:
        worksheet.append(row)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
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
