"""Imports with real files built here: clean, broken in every column kind,
applied twice, and exported then imported back."""

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from core.errors import NotPermitted
from enterprises.imports import IMPORTERS, FileError, read_rows
from enterprises.models import Assignment, AssignmentUnit, Enterprise, HelpUnit, Official, Region

from .. import samples
from ..factories import make_credit_code


def xlsx(headers, rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def run(world, kind, headers, rows, mode="check", campaign=None, name="data.xlsx"):
    upload = xlsx(headers, rows) if name.endswith(".xlsx") else io.BytesIO(rows)
    head, body = read_rows(upload, name)
    importer = IMPORTERS[kind](actor=world.admin, campaign=campaign)
    return importer.check(head, body) if mode == "check" else importer.apply(head, body)


ENTERPRISE_HEADERS = [c.header for c in IMPORTERS["enterprises"].columns]
TOWN_A = "市/甲县/甲镇"


def enterprise_row(code, name="新企业有限公司", region=TOWN_A, industry="C", size="中型", above="是", key="否"):
    return [
        code,
        name,
        region,
        "工业园1号",
        industry,
        size,
        above,
        key,
        "张三",
        "李四",
        "13800000000",
        "专精特新、外贸",
    ]


def snapshot():
    return sorted(
        Enterprise.objects.values_list("credit_code", "name", "region_id", "industry", "size", "is_key", "tags")
    )


def test_clean_enterprise_file_dry_run_then_apply_then_again(world):
    codes = [make_credit_code() for _ in range(3)]
    rows = [enterprise_row(code, name=f"企业{i}") for i, code in enumerate(codes)]
    rows.append(enterprise_row(world.enterprise_a.credit_code, name="甲企业(更名)", industry="制造业"))
    before = snapshot()
    report = run(world, "enterprises", ENTERPRISE_HEADERS, rows)
    assert report.clean and report.counts == {"create": 3, "update": 1, "unchanged": 0, "error": 0}
    assert snapshot() == before  # a dry run writes nothing
    applied = run(world, "enterprises", ENTERPRISE_HEADERS, rows, mode="apply")
    assert applied.counts["create"] == 3
    created = Enterprise.objects.get(credit_code=codes[0])
    assert (created.name, created.region, created.size, created.is_above_scale, created.tags) == (
        "企业0",
        world.town_a,
        "medium",
        True,
        ["专精特新", "外贸"],
    )
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.name == "甲企业(更名)"
    after = snapshot()
    again = run(world, "enterprises", ENTERPRISE_HEADERS, rows, mode="apply")
    assert again.counts == {"create": 0, "update": 0, "unchanged": 4, "error": 0}
    assert snapshot() == after


def test_every_industry_is_read_by_its_chinese_name(world):
    """GB/T 4754's sections by the names in the standard: section J is
    金融业, not the issue category 融资 that shares its English word."""
    from django.utils import translation

    from enterprises.choices import Industry
    from issues.choices import Category

    with translation.override("zh-hans"):
        names = {str(label): value for value, label in Industry.choices}
        assert str(Category.FINANCE.label) == "融资"
    assert names["金融业"] == "J" and len(names) == len(Industry.choices)  # no two sections share a name
    rows = [enterprise_row(make_credit_code(), name=f"企业{i}", industry=name) for i, name in enumerate(names)]
    report = run(world, "enterprises", ENTERPRISE_HEADERS, rows, mode="apply")
    assert report.clean, report.errors
    assert set(Enterprise.objects.filter(name__startswith="企业").values_list("industry", flat=True)) == set(
        names.values()
    )


def test_every_kind_of_bad_enterprise_cell_is_reported_and_nothing_written(world):
    good = make_credit_code()
    rows = [
        enterprise_row("91350100M000100Y44"),  # row 2: check character
        enterprise_row(good),  # row 3: fine
        enterprise_row(good),  # row 4: duplicate of row 3
        enterprise_row(make_credit_code(), region="市/甲县/无此镇"),  # row 5: unknown region
        enterprise_row(make_credit_code(), industry="Z"),  # row 6: not an industry
        enterprise_row(make_credit_code(), size="巨型"),  # row 7: not a size
        enterprise_row(make_credit_code(), above="也许"),  # row 8: not a flag
        enterprise_row(make_credit_code(), name="长" * 201),  # row 9: too long
        enterprise_row(make_credit_code(), name=""),  # row 10: missing
        enterprise_row(""),  # row 11: no code
    ]
    before = snapshot()
    report = run(world, "enterprises", ENTERPRISE_HEADERS, rows, mode="apply")
    found = {(e["row"], e["column"]) for e in report.errors}
    assert found == {
        (2, "统一社会信用代码"),
        (4, "统一社会信用代码"),
        (5, "所在区划"),
        (6, "行业门类"),
        (7, "企业规模"),
        (8, "规上企业"),
        (9, "企业名称"),
        (10, "企业名称"),
        (11, "统一社会信用代码"),
    }
    reasons = {(e["row"], e["column"]): e["reason"] for e in report.errors}
    assert "校验位" in reasons[(2, "统一社会信用代码")] or "check character" in reasons[(2, "统一社会信用代码")]
    assert "3" in reasons[(4, "统一社会信用代码")]
    assert report.counts["create"] == 1 and report.counts["error"] == 9
    assert snapshot() == before


def test_an_error_after_a_blank_row_names_the_row_the_sheet_shows(world):
    rows = [
        enterprise_row(make_credit_code(), name="企业甲"),
        [None] * 12,
        enterprise_row(make_credit_code(), size="巨型"),
    ]
    report = run(world, "enterprises", ENTERPRISE_HEADERS, rows)
    assert [(error["row"], error["column"]) for error in report.errors] == [(4, "企业规模")]  # row 3 is blank


def test_missing_columns_and_bad_files_are_refused(world):
    with pytest.raises(FileError):
        run(world, "enterprises", ["企业名称"], [["x"]])
    with pytest.raises(FileError):
        read_rows(io.BytesIO(b"not a zip"), "data.xlsx")
    with pytest.raises(FileError):
        read_rows(io.BytesIO(b""), "data.csv")
    with pytest.raises(FileError):
        read_rows(io.BytesIO(b"x"), "data.txt")


def test_csv_with_old_mac_line_ends_reads(world):
    """A lone \r between rows made the csv module raise (the job failed on an
    'unexpected error'); the rows are read as rows."""
    code = make_credit_code()
    text = ",".join(ENTERPRISE_HEADERS) + "\r" + ",".join(enterprise_row(code)) + "\r"
    report = run(world, "enterprises", None, text.encode("utf-8"), name="roster.csv")
    assert report.clean and report.counts["create"] == 1


def test_a_credit_code_the_database_cannot_hold_is_an_error_on_its_row(world):
    """A NUL byte in the code column crashed the check (the batch lookup sent it
    to PostgreSQL); it is refused on its row, in the enterprise and pairing
    tables. (A CSV file holding a NUL byte is refused whole, as not text:
    core.uploads.text_encoding; the rows here are what a sheet's cells give.)"""
    importer = IMPORTERS["enterprises"](actor=world.admin)
    report = importer.check(ENTERPRISE_HEADERS, [enterprise_row("9133\x00")])
    assert report.error_count and report.errors[0]["column"] == "统一社会信用代码"
    pairing = IMPORTERS["assignments"](actor=world.admin, campaign=world.campaign).check(
        ["统一社会信用代码", "帮扶单位", "是否牵头"], [["9\x00", "甲县经信局", "是"]]
    )
    assert pairing.errors[0]["column"] == "统一社会信用代码"
    text = ",".join(ENTERPRISE_HEADERS) + "\n" + ",".join(enterprise_row("9133\x00")) + "\n"
    with pytest.raises(FileError):
        run(world, "enterprises", None, text.encode(), name="roster.csv")


def test_gbk_csv_from_excel_reads(world):
    code = make_credit_code()
    text = ",".join(ENTERPRISE_HEADERS) + "\n" + ",".join(enterprise_row(code)) + "\n"
    report = run(world, "enterprises", None, text.encode("gb18030"), name="roster.csv")
    assert report.clean and report.counts["create"] == 1


def test_only_admins_import(world):
    importer = IMPORTERS["enterprises"](actor=world.supervisor_a)
    with pytest.raises(NotPermitted):
        importer.check(ENTERPRISE_HEADERS, [])


ASSIGNMENT_HEADERS = [c.header for c in IMPORTERS["assignments"].columns]


def pairing(code, unit, lead, responsible="", contact="", leader="", region=""):
    return [code, "", leader, unit, region, "是" if lead else "否", responsible, contact]


def test_pairing_table_creates_teams_and_is_idempotent(world):
    code = world.enterprise_a_other.credit_code
    rows = [
        pairing(code, "甲县商务局", True, responsible="off_a_partner", contact=world.official_a2.name, leader="leader"),
        pairing(code, "甲县经信局", False, contact="off_a2"),
        pairing(code, "甲县水务局", False),
    ]
    report = run(world, "assignments", ASSIGNMENT_HEADERS, rows, mode="apply", campaign=world.campaign)
    assert report.clean and report.counts["create"] == 3
    assignment = Assignment.objects.get(campaign=world.campaign, enterprise=world.enterprise_a_other)
    assert assignment.leader == world.leader
    units = {u.unit.name: u for u in assignment.units.select_related("unit", "responsible", "contact")}
    assert units["甲县商务局"].is_lead and units["甲县商务局"].responsible == world.official_a2
    assert units["甲县经信局"].contact == world.official_a_colleague
    again = run(world, "assignments", ASSIGNMENT_HEADERS, rows, mode="apply", campaign=world.campaign)
    assert again.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0}


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([pairing("E", "甲县商务局", True), pairing("E", "甲县经信局", True)], {(3, "是否牵头")}),
        (
            [
                pairing("E", "甲县商务局", True),
                pairing("E", "甲县经信局", False),
                pairing("E", "甲县水务局", False),
                pairing("E", "甲县税务局", False),
            ],
            {(5, "帮扶单位")},
        ),
        ([pairing("E", "甲县商务局", False)], {(2, "是否牵头")}),
        ([pairing("E", "无此单位", True)], {(2, "帮扶单位")}),
        ([pairing("E", "甲县商务局", True), pairing("E", "甲县商务局", False)], {(3, "帮扶单位")}),
        ([pairing("E", "甲县商务局", True, responsible="off_b")], {(2, "第一责任人")}),
        ([pairing("E", "甲县商务局", True, leader="off_a")], {(2, "县级领导")}),
        ([pairing("91350100M000100Y43", "甲县商务局", True)], {(2, "统一社会信用代码")}),
    ],
    ids=[
        "second-lead",
        "fourth-unit",
        "no-lead",
        "unknown-unit",
        "unit-twice",
        "person-not-in-unit",
        "not-a-leader",
        "unknown-enterprise",
    ],
)
def test_pairing_table_errors(world, rows, expected):
    code = world.enterprise_a_other.credit_code
    rows = [[code if cell == "E" else cell for cell in row] for row in rows]
    before = AssignmentUnit.objects.count()
    report = run(world, "assignments", ASSIGNMENT_HEADERS, rows, mode="apply", campaign=world.campaign)
    assert {(e["row"], e["column"]) for e in report.errors} == expected
    assert AssignmentUnit.objects.count() == before
    assert not Assignment.objects.filter(enterprise=world.enterprise_a_other).exists()


def test_pairing_table_replaces_a_team(world):
    code = world.enterprise_a.credit_code  # today: 经信局 (lead) + 商务局
    rows = [pairing(code, "甲县水务局", True), pairing(code, "甲县经信局", False)]
    report = run(world, "assignments", ASSIGNMENT_HEADERS, rows, mode="apply", campaign=world.campaign)
    assert report.counts["update"] == 2
    team = {(u.unit.name, u.is_lead) for u in world.assignment_a.units.select_related("unit")}
    assert team == {("甲县水务局", True), ("甲县经信局", False)}


def test_officials_units_and_regions_import(world):
    regions = run(
        world,
        "regions",
        ["区划全称", "层级", "区划代码"],
        [["市/甲县/新镇", "乡镇/街道", ""], ["市/甲县/新镇/新村", "乡镇/街道", ""]],
        mode="apply",
    )
    assert regions.clean and Region.objects.get(name="新村").parent.name == "新镇"
    units = run(
        world,
        "units",
        [c.header for c in IMPORTERS["units"].columns],
        [["新镇人民政府", "市/甲县/新镇", "乡镇/街道", "王五", "", ""]],
        mode="apply",
    )
    assert units.clean and HelpUnit.objects.get(name="新镇人民政府").kind == "township"
    officials = run(
        world,
        "officials",
        [c.header for c in IMPORTERS["officials"].columns],
        [
            ["xz01", "新镇干部", "新镇人民政府", "", "工作人员", "干部", "139", ""],
            ["bad name", "坏", "新镇人民政府", "", "工作人员", "干部", "", ""],
            ["xz02", "无单位", "", "", "工作人员", "督查", "", ""],
        ],
        mode="apply",
    )
    # "139" is no phone number: the row is refused like the other two.
    assert {(e["row"], e["column"]) for e in officials.errors} == {(2, "手机"), (3, "用户名"), (4, "所属单位")}
    assert not Official.objects.filter(username="xz01").exists()


@pytest.mark.parametrize("kind", ["regions", "units", "officials", "enterprises", "assignments"])
def test_export_then_import_changes_nothing(world, kind):
    from enterprises.imports import export_queryset

    importer = IMPORTERS[kind](actor=world.admin, campaign=world.campaign)
    queryset = export_queryset(kind, user=world.admin, campaign=world.campaign)
    rows = list(importer.export_rows(queryset))
    assert rows
    buffer = xlsx([c.header for c in importer.columns], rows)
    headers, body = read_rows(buffer, "export.xlsx")
    report = importer.apply(headers, body)
    assert report.clean, report.errors
    assert report.counts["create"] == report.counts["update"] == 0
    assert report.counts["unchanged"] == len(rows)
    if kind == "enterprises":
        assert {row[4] for row in rows} <= {label for _code, label in _zh_industries()}  # by name, not letter
    if kind == "assignments":
        people = {cell for row in rows for cell in (row[2], row[6], row[7]) if cell}
        assert people and not people & set(Official.objects.values_list("username", flat=True))  # by name


def _zh_industries():
    from django.utils import translation

    from enterprises.choices import Industry

    with translation.override("zh-hans"):
        return [(code, str(label)) for code, label in Industry.choices]


@pytest.mark.parametrize("kind", list(IMPORTERS))
def test_the_template_can_be_filled_and_imports_as_it_is(world, client, kind):
    """Each template: the Chinese headers (required ones starred), a note on
    each column that has one, drop-downs of the values the importer reads
    (from the user's scope), a sheet explaining every column with an example,
    and an empty data sheet that imports as it is."""
    from django.urls import reverse

    from enterprises.imports import read_rows

    client.force_login(world.admin)
    response = client.get(reverse("import-template", args=[kind]))
    content = response.content
    workbook = load_workbook(io.BytesIO(content))
    data, options, guide = workbook.worksheets
    columns = IMPORTERS[kind].columns
    assert [cell.value for cell in data[1]] == [("*" if c.required else "") + c.header for c in columns]
    assert all(bool(data.cell(row=1, column=n).comment) == bool(c.note) for n, c in enumerate(columns, start=1))
    assert options.sheet_state == "hidden" and data.max_row == 1
    lists = {str(v.sqref).split(":")[0].rstrip("0123456789"): v for v in data.data_validations.dataValidation}
    for number, column in enumerate(columns, start=1):
        offered = [row[0] for row in options.iter_rows(min_col=number, max_col=number, values_only=True) if row[0]]
        letter = data.cell(row=1, column=number).column_letter
        assert (letter in lists) == bool(column.options) == bool(offered), column.header
        if column.example and column.options:
            assert column.example in offered or column.options in ("regions", "units"), column.header
    rows = {row[0]: row for row in guide.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert all(rows[c.header][3] == c.example and c.example for c in columns)
    headers, body = read_rows(io.BytesIO(content), f"template-{kind}.xlsx")
    assert headers == [c.header for c in columns] and body == []
    if kind == "enterprises":
        industries = [row[0] for row in options.iter_rows(min_col=5, max_col=5, values_only=True) if row[0]]
        assert "金融业" in industries and "制造业" in industries
        units = set(_offered(options, columns, "所在区划"))
        assert TOWN_A in units and "市/乙县/乙镇" in units  # regions are reference data every admin reads
    if kind == "officials":
        assert world.unit_a.name in _offered(options, columns, "所属单位")


def _offered(options, columns, header):
    number = [c.header for c in columns].index(header) + 1
    return [row[0] for row in options.iter_rows(min_col=number, max_col=number, values_only=True) if row[0]]


def test_a_job_no_worker_took_is_queued_again_once(world):
    """A broker that lost its queue left the job "queued" for ever; half an
    hour on, beat queues it again, and not while its message is fresh."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    from core import clock
    from core.models import OutboxMessage
    from enterprises import services
    from enterprises.models import ImportJob

    job = services.import_job_start(
        actor=world.admin, kind="enterprises", upload=SimpleUploadedFile("lost.csv", "统一社会信用代码\n".encode())
    )
    assert services.import_jobs_resume() == 0  # its message has not even been handed over
    OutboxMessage.objects.update(sent_at=clock.now())  # handed over, then lost with the broker's queue
    assert services.import_jobs_resume() == 0  # fresh: a worker may be on it
    later = clock.now() + datetime.timedelta(minutes=31)
    ImportJob.objects.filter(pk=job.pk).update(created_at=clock.now() - datetime.timedelta(minutes=31))
    with clock.frozen_at(later):
        assert services.import_jobs_resume() == 1
        assert services.import_jobs_resume() == 0  # its new message waits in the outbox
    assert OutboxMessage.objects.filter(args=[job.pk, "check"]).count() == 2


# Limits, checked before and while reading --------------------------------------------


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(world):
    """What the attacker sent: 433 KB that inflates to 269,000 rows (81 s of
    worker time). Only the ZIP directory at the end of the file is read."""
    bomb = samples.xlsx_bomb()
    reader = samples.CountingReader(bomb)
    with pytest.raises(FileError, match="解压后将达到172MB，超过上限50MB"):
        read_rows(reader, "名册.xlsx")
    assert reader.bytes_read < 8192, f"{reader.bytes_read} of {len(bomb)} bytes read"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_reading_stops_at_the_first_row_past_the_limit(world, settings, kind):
    settings.ZOUFANG_IMPORT_MAX_ROWS = 1000
    rows = [[make_credit_code(), f"企业{n}", TOWN_A] for n in range(10_000)]
    if kind == "xlsx":
        content = samples.xlsx(ENTERPRISE_HEADERS[:3], rows)
    else:
        content = "\n".join(",".join(row) for row in [ENTERPRISE_HEADERS[:3], *rows]).encode()
    reader = samples.CountingReader(content)
    with pytest.raises(FileError, match="文件超过1000行，请拆分成每个不超过1000行的文件"):
        read_rows(reader, f"名册.{kind}")
    if kind == "xlsx":
        # The sheet is inflated as it is parsed: the refusal came a fraction of the way in.
        assert reader.bytes_read < len(content) * 0.4, f"{reader.bytes_read} of {len(content)} bytes read"
    # At the limit exactly, every row is read.
    at_limit = samples.xlsx(ENTERPRISE_HEADERS[:3], rows[:1000]) if kind == "xlsx" else None
    if at_limit is not None:
        headers, body = read_rows(io.BytesIO(at_limit), "名册.xlsx")
        assert len(body) == 1000


def test_blank_rows_do_not_let_a_sheet_run_on(world, settings):
    settings.ZOUFANG_IMPORT_MAX_ROWS = 100
    workbook = load_workbook(io.BytesIO(samples.xlsx(["名称"], [["甲"]])))
    sheet = workbook.active
    for row in range(3, 400):
        sheet.cell(row=row, column=1).number_format = "0.00"
        sheet.cell(row=row, column=1).value = ""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    with pytest.raises(FileError, match="超过100行"):
        read_rows(buffer, "名册.xlsx")


def test_a_file_past_the_size_limit_is_not_read(world, settings):
    settings.ZOUFANG_IMPORT_MAX_BYTES = 1024 * 1024
    reader = samples.CountingReader(b"a,b\n" * (300 * 1024))
    with pytest.raises(FileError, match="文件大小为1.2MB，不能超过1MB"):
        read_rows(reader, "名册.csv")
    assert reader.bytes_read == 0


def test_a_csv_line_too_long_for_the_parser_is_a_file_error(world):
    with pytest.raises(FileError, match="无法读取该CSV文件"):
        read_rows(io.BytesIO(b'"' + b"a" * 200_000 + b'"\n'), "名册.csv")


def _job_with(world, name, content):
    from django.core.files.base import ContentFile

    from enterprises.models import ImportJob

    job = ImportJob(kind="enterprises", file_name=name, created_by=world.admin)
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return job


def test_the_worker_fails_a_bomb_or_a_long_file_with_a_clear_message(world, settings, tmp_path):
    """A file that got past the upload checks (stored before the limits were
    lowered, say): the job ends failed with the reason, not stuck or a 500."""
    from enterprises.services import import_job_run

    settings.MEDIA_ROOT = tmp_path
    bomb = _job_with(world, "名册.xlsx", samples.xlsx_bomb())
    import_job_run(bomb.pk, "check")
    bomb.refresh_from_db()
    assert bomb.status == "failed" and bomb.message.startswith("“名册.xlsx”解压后将达到172MB")
    settings.ZOUFANG_IMPORT_MAX_ROWS = 10
    rows = [enterprise_row(make_credit_code(), name=f"企业{n}") for n in range(11)]
    long = _job_with(world, "名册.xlsx", samples.xlsx(ENTERPRISE_HEADERS, rows))
    import_job_run(long.pk, "check")
    long.refresh_from_db()
    assert long.status == "failed" and long.message == "文件超过10行，请拆分成每个不超过10行的文件后再导入。"
    assert long.done_rows == 0 and long.counts == {}


def test_a_checked_file_with_errors_says_so_and_a_file_of_headers_alone_is_refused(world):
    """The check of a file with bad rows lists them with no banner of its own
    (it used to say the data had changed since the check); a file with its
    headers and no rows is refused, not offered for applying."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enterprises import services
    from enterprises.models import ImportJob

    bad = "统一社会信用代码,企业名称,所在区划,行业门类,企业规模\n123,坏代码企业,市/甲县/甲镇,C,小型\n"
    job = services.import_job_start(
        actor=world.admin, kind="enterprises", upload=SimpleUploadedFile("bad.csv", bad.encode())
    )
    services.import_job_run(job.pk, "check")
    job.refresh_from_db()
    assert (job.status, job.message, job.counts["error"]) == (ImportJob.Status.CHECKED, "", 1)
    assert not job.is_clean
    empty = services.import_job_start(
        actor=world.admin,
        kind="enterprises",
        upload=SimpleUploadedFile("empty.csv", "统一社会信用代码,企业名称,所在区划,行业门类,企业规模\n".encode()),
    )
    services.import_job_run(empty.pk, "check")
    empty.refresh_from_db()
    assert empty.status == ImportJob.Status.FAILED and "没有" in empty.message and not empty.is_clean


def test_a_date_or_a_cell_past_the_last_column_refuses_the_file_naming_the_cells(world):
    import datetime

    rows = [enterprise_row(make_credit_code()), enterprise_row(make_credit_code())]
    rows[0][10] = datetime.datetime(2026, 5, 1)  # 联系电话, read by Excel as a date
    rows[1] = [*rows[1], "", "备注：待核实"]  # a note typed beside the table
    with pytest.raises(FileError) as refused:
        run(world, "enterprises", ENTERPRISE_HEADERS, rows)
    message = str(refused.value)
    assert "K2" in message and "2026-05-01" in message and "N3" in message and "备注：待核实" in message
    assert not Enterprise.objects.filter(name="新企业有限公司").exists()


def _with_cached_values(buffer: io.BytesIO, values: dict[str, str]) -> io.BytesIO:
    """The workbook as a spreadsheet that computes its formulas saves it: each
    formula cell named in `values` keeps its value beside it."""
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for cell, value in values.items():
                    start = text.index(f'<c r="{cell}"')
                    end = text.index("</c>", start)
                    cached = (
                        text[start:end]
                        .replace("<v />", f"<v>{value}</v>")
                        .replace(f'r="{cell}"', f'r="{cell}" t="str"')
                    )
                    text = text[:start] + cached + text[end:]
                data = text.encode()
            target.writestr(item, data)
    out.seek(0)
    return out


def test_a_formula_with_no_value_saved_refuses_the_file_naming_the_cell():
    """openpyxl and some programs write formulas without their values: read
    for values, such a cell is blank, and would import as blank."""
    rows = [["91310000MA1FL0001X", '=A2&"有限公司"'], ["91310000MA1FL0002X", '=A3&"有限公司"']]
    with pytest.raises(FileError) as refused:
        read_rows(xlsx(["统一社会信用代码", "企业名称"], rows), "data.xlsx")
    said = str(refused.value)
    assert "B2" in said and "B3" in said and "有限公司" in said
    # Saved by a spreadsheet that keeps what it computed, the same file reads.
    saved = _with_cached_values(xlsx(["统一社会信用代码", "企业名称"], rows), {"B2": "甲有限公司", "B3": "乙有限公司"})
    headers, body = read_rows(saved, "data.xlsx")
    assert [row[1] for row in body] == ["甲有限公司", "乙有限公司"]


def test_a_row_of_formulas_alone_is_not_taken_for_a_blank_row():
    with pytest.raises(FileError) as refused:
        read_rows(xlsx(["统一社会信用代码", "企业名称"], [["=1+1", "=2+2"]]), "data.xlsx")
    assert "A2" in str(refused.value)
