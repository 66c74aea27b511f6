"""The import parser and importers against arbitrary files (hypothesis):
any bytes under any name are read or refused as a file (FileError), never
crash; any cell values of any type, in UTF-8 or GB18030 CSV or typed XLSX
cells, are checked row by row, and an apply writes all or nothing.

Bounded and deterministic (derandomize), so `make test` runs the same
examples every time."""

import datetime
import io

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from enterprises.imports import IMPORTERS, FileError, read_rows

from ..conftest import build_full_world
from ..writes import project_writes, rolled_back

BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
ODD = ["", " ", "是", "否", "Y", "x", "\x00", "a\x00b", "=1+1", "1e999", "²", "2026-01-01", "9" * 40, "市/甲县"]
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(ODD),
    st.sampled_from(ODD),
    st.sampled_from(["91330100000000001X", "甲县经信局", "干部", "县级领导", "乡镇/街道", "职能部门", "C", "小型"]),
)


@settings(BOUNDED, max_examples=150)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda tail: b"PK\x03\x04" + tail),
        st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    ),
    name=st.sampled_from(["a.csv", "A.CSV", "a.xlsx", "a.txt", "a", ".csv"]),
)
def test_any_bytes_are_read_or_refused_as_a_file(content, name):
    try:
        headers, rows = read_rows(io.BytesIO(content), name)
    except FileError:
        return
    assert all(isinstance(header, str) for header in headers)
    assert all(isinstance(cell, str) for row in rows for cell in row)


def _sheet(kind, draw):
    """Headers: the importer's required ones and some of the others,
    shuffled, now and then one missing or a stranger; rows of arbitrary
    cells, now and then ragged."""
    columns = IMPORTERS[kind].columns
    headers = [c.header for c in columns if c.required]
    headers += draw(st.lists(st.sampled_from([c.header for c in columns if not c.required]), unique=True))
    if draw(st.integers(0, 9)) == 0:
        headers.pop(draw(st.integers(0, len(headers) - 1)))
    if draw(st.integers(0, 9)) == 0:
        headers.append(draw(st.sampled_from(["备注", "*", ""])))
    headers = draw(st.permutations(headers))
    width = len(headers)
    rows = draw(st.lists(st.lists(CELLS, min_size=width - 1, max_size=width + 1), min_size=1, max_size=6))
    return headers, rows


@st.composite
def csv_uploads(draw):
    import csv

    kind = draw(st.sampled_from(sorted(IMPORTERS)))
    headers, rows = _sheet(kind, draw)
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8-sig", "utf-8", "gb18030"]))
    return kind, text.encode(encoding, errors="replace"), "upload.csv"


@st.composite
def xlsx_uploads(draw):
    kind = draw(st.sampled_from(sorted(IMPORTERS)))
    headers, _rows = _sheet(kind, draw)
    typed = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.dates(min_value=datetime.date(1900, 1, 2)),
        st.datetimes(min_value=datetime.datetime(1900, 1, 2)),
        CELLS.filter(lambda cell: not ILLEGAL_CHARACTERS_RE.search(cell)),  # openpyxl cannot write those
    )
    rows = draw(st.lists(st.lists(typed, max_size=len(headers) + 1), min_size=1, max_size=5))
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return kind, out.getvalue(), "upload.xlsx"


def _check_and_apply(world, kind, content, name):
    """What an import job does with the file, in the test's transaction."""
    try:
        headers, rows = read_rows(io.BytesIO(content), name)
    except FileError:
        return
    importer = IMPORTERS[kind](actor=world.admin, campaign=world.campaign)
    try:
        report = importer.check(headers, rows)
    except FileError:
        return  # a missing column: said about the file as a whole
    assert report.total == len(rows)
    assert sum(report.counts.values()) == report.total
    assert all(error["column"] for error in report.errors)
    with rolled_back():
        before = project_writes()
        applied = importer.apply(headers, rows)
        if not applied.clean:
            assert project_writes() == before, "an import with errors wrote rows"


@pytest.mark.django_db
def test_any_cells_in_csv_are_checked_row_by_row_and_applied_whole_or_not_at_all(frozen_today, pg_only):
    world = build_full_world()

    @settings(BOUNDED, max_examples=150)
    @given(upload=csv_uploads())
    def run(upload):
        _check_and_apply(world, *upload)

    run()


@pytest.mark.django_db
def test_any_typed_cells_in_xlsx_are_checked_row_by_row(frozen_today, pg_only):
    world = build_full_world()

    @settings(BOUNDED, max_examples=60)
    @given(upload=xlsx_uploads())
    def run(upload):
        _check_and_apply(world, *upload)

    run()
