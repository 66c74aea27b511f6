"""Master data from spreadsheets (XLSX or CSV), all or nothing.

`check` reads a file and says, row by row, what applying it would do
(create / update / unchanged) or why a row is refused (the column and the
reason). `apply` runs the same check inside one transaction and writes only
when every row is clean, so a file with one bad row writes nothing, and the
same file applied twice changes nothing the second time. Exports use the same
columns, so an exported sheet can be edited and imported back.

The rules are the services' own: each row goes through the same function of
enterprises.rules (credit codes, phones, e-mail, choices, lengths, the 三帮一
mode, single lead, leader's rank, people of their own unit), and each error
it reports lands under its column with the same message the forms and the
API show. What is the importer's own is reading the sheet: labels to codes,
names and paths to objects, 是/否, and the same key twice in one file. Lookups
are loaded once per file and writes go in batches, so 50,000 rows cost a few
dozen queries, not one per row.
"""

import csv
import datetime
import io
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from auditlog.context import disable_auditlog
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.audit import acting, record_many
from core.services import require_admin
from core.validators import text_error

from . import audit, rules, signals
from .choices import EnterpriseSize, Industry, Rank, RegionLevel, Role, UnitKind
from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, ImportJob, Official, Region

BATCH = 2000
MAX_ERRORS_KEPT = 2000
YES, NO = "是", "否"
PATH_SEPARATOR = "/"


class FileError(Exception):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass
class Column:
    header: str
    required: bool = False
    note: str = ""
    example: str = ""  # the template's example row
    options: str = ""  # the template's drop-down: a key of TEMPLATE_OPTIONS


@dataclass
class RowOutcome:
    row: int
    key: str
    action: str = ""  # create / update / unchanged / error
    errors: list[tuple[str, str]] = field(default_factory=list)
    diffs: list[list[str]] = field(default_factory=list)  # [column, before, after] of an update


@dataclass
class Report:
    total: int = 0
    counts: dict = field(default_factory=lambda: {"create": 0, "update": 0, "unchanged": 0, "error": 0})
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    changes: list[list] = field(default_factory=list)  # [row, key, action] of rows that would change

    def add(self, outcome: RowOutcome) -> None:
        self.total += 1
        action = "error" if outcome.errors else outcome.action
        self.counts[action] += 1
        if action in ("create", "update"):  # every one: a file holds at most ZOUFANG_IMPORT_MAX_ROWS
            self.changes.append([outcome.row, outcome.key, action, outcome.diffs])
        if outcome.errors:
            self.error_count += len(outcome.errors)
            for column, reason in outcome.errors:
                if len(self.errors) < MAX_ERRORS_KEPT:
                    self.errors.append({"row": outcome.row, "key": outcome.key, "column": column, "reason": reason})

    @property
    def clean(self) -> bool:
        return self.error_count == 0


def _zh(choices) -> dict[str, str]:
    """Chinese label → code for a choices class (the sheets are in Chinese)."""
    with translation.override("zh-hans"):
        return {str(label): value for value, label in choices.choices}


def _zh_label(choices, value) -> str:
    with translation.override("zh-hans"):
        return str(dict(choices.choices).get(value, value))


def read_rows(upload, name: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the first sheet, every cell as stripped text.

    The limits hold before and while reading: a file over
    ZOUFANG_IMPORT_MAX_BYTES is not read; an .xlsx that would inflate past
    the limits (core.uploads.check_inflating) is refused before openpyxl
    opens it; reading stops at the first row past ZOUFANG_IMPORT_MAX_ROWS."""
    from django.conf import settings

    from core import uploads
    from core.errors import InvalidInput

    max_bytes = settings.ZOUFANG_IMPORT_MAX_BYTES
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    if size > max_bytes:
        raise FileError(
            _("The file is %(size).1f MB; at most %(max)d MB.") % {"size": size / 1048576, "max": max_bytes // 1048576}
        )
    lower, uncached = name.lower(), []
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            with zipfile.ZipFile(upload) as package:
                uploads.check_inflating(package.infolist(), name=name)
        except zipfile.BadZipFile as exc:
            raise FileError(_("This is not a readable XLSX file.")) from exc
        except InvalidInput as error:
            raise FileError(error.message) from None
        upload.seek(0)
        try:
            workbook = load_workbook(upload, read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
        except Exception as exc:
            raise FileError(_("This is not a readable XLSX file.")) from exc
        try:
            rows = _at_most([_cell(value) for value in row] for row in sheet.iter_rows(values_only=True))
        finally:
            workbook.close()
        uncached = _uncached_formulas(upload, rows)
    elif lower.endswith(".csv"):
        encoding = uploads.text_encoding(upload)
        if encoding is None:
            raise FileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
        # newline="": the csv module reads line ends itself, a lone \r (old Mac files) included.
        text = io.StringIO(upload.read().decode(encoding), newline="")
        try:
            rows = _at_most([cell.strip() for cell in row] for row in csv.reader(text))
        except csv.Error as exc:
            raise FileError(_("The CSV file cannot be read: %(e)s") % {"e": exc}) from exc
    else:
        raise FileError(_("Upload an .xlsx or .csv file."))
    if not rows:
        raise FileError(_("The file is empty."))
    _refuse_odd_cells(rows, uncached)
    return [header.strip().lstrip("*") for header in rows[0]], rows[1:]


ODD_CELLS_NAMED = 10


def _uncached_formulas(upload, rows) -> list[tuple[str, str]]:
    """The formulas of the first sheet that hold no value, as (cell, formula):
    a file written by a program, or saved by a spreadsheet that does not keep
    the values it computed, reads blank there. The sheet is read a second
    time, for its formulas, only when the package holds any (the first
    reading has held it to the size limits)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    upload.seek(0)
    with zipfile.ZipFile(upload) as package:
        sheets = [item for item in package.infolist() if item.filename.startswith("xl/worksheets/")]
        if not any(_holds_formula(package, item) for item in sheets):
            return []
    upload.seek(0)
    values = {row.number: row for row in rows}
    found = []
    workbook = load_workbook(upload, read_only=True, data_only=False)
    try:
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            for index, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    cached = values.get(number, [])
                    if index >= len(cached) or not cached[index]:
                        found.append((f"{get_column_letter(index + 1)}{number}", value))
            if len(found) >= ODD_CELLS_NAMED:
                break
    finally:
        workbook.close()
    return found


def _holds_formula(package, item) -> bool:
    """Whether a sheet's XML has a formula element, read in chunks."""
    tail = b""
    with package.open(item) as stream:
        while chunk := stream.read(1 << 16):
            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                return True
            tail = chunk[-3:]
    return False


def _refuse_odd_cells(rows, uncached=()) -> None:
    """A cell past the last header (a note typed beside the table, or columns
    shifted), a date (no column takes one: a credit code or a phone number
    Excel read as a date) and a formula with no value saved (`uncached`)
    refuse the file, naming the first of them, rather than pass unnoticed."""
    from openpyxl.utils import get_column_letter

    width = max((index + 1 for index, header in enumerate(rows[0]) if header), default=0)
    odd = [
        _("%(cell)s is a formula (%(f)s) with no value saved; paste it as values") % {"cell": cell, "f": formula[:30]}
        for cell, formula in uncached[:ODD_CELLS_NAMED]
    ]
    for row in rows:
        number = getattr(row, "number", None)
        for index, value in enumerate(row):
            where = f"{get_column_letter(index + 1)}{number}"
            if index >= width and value:
                odd.append(_("%(cell)s holds “%(v)s” past the last column") % {"cell": where, "v": value[:20]})
            elif isinstance(value, DateCell):
                odd.append(_("%(cell)s is a date (%(v)s); format the column as text") % {"cell": where, "v": value})
            if len(odd) >= ODD_CELLS_NAMED:
                break
    if odd:
        raise FileError(_("Check these cells and upload the file again: %(cells)s.") % {"cells": "；".join(odd)})


class DateCell(str):
    """A cell the spreadsheet holds as a date, as text."""


def _at_most(rows) -> list[list[str]]:
    """The rows that hold anything: the header and at most
    ZOUFANG_IMPORT_MAX_ROWS more. Reading stops at the first row past that,
    or past twice that many rows of any kind (blank rows cost parsing too)."""
    from django.conf import settings

    limit = settings.ZOUFANG_IMPORT_MAX_ROWS
    kept = []
    for read, row in enumerate(rows):
        if read > 2 * limit or (any(row) and len(kept) > limit):
            raise FileError(
                _("The file holds more than %(max)d rows; split it into files of at most %(max)d rows each.")
                % {"max": limit}
            )
        if any(row):
            kept.append(SheetRow(row, number=read + 1))
    return kept


class SheetRow(list):
    """A row's cells, with its number in the sheet (blank rows are skipped,
    but the number a report gives is the one the spreadsheet shows)."""

    def __init__(self, cells, *, number: int):
        super().__init__(cells)
        self.number = number


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return DateCell(value.date() if isinstance(value, datetime.datetime) else value)
    return str(value).strip()


class Importer:
    kind = ""
    columns: list[Column] = []

    def __init__(self, *, actor, campaign: Campaign | None = None):
        self.actor = actor
        self.campaign = campaign

    # -- reading -------------------------------------------------------------

    def records(self, headers: list[str], rows: list[list[str]]) -> list[tuple[int, dict]]:
        known = {column.header for column in self.columns}
        missing = [c.header for c in self.columns if c.required and c.header not in headers]
        if missing:
            raise FileError(
                _("Missing columns: %(c)s. Download the template to see the layout.") % {"c": "、".join(missing)}
            )
        if not rows:
            raise FileError(_("The file has its headers but no rows to import."))
        positions = {header: index for index, header in enumerate(headers) if header in known}
        return [
            (
                getattr(row, "number", number),
                {header: (row[index] if index < len(row) else "") for header, index in positions.items()},
            )
            for number, row in enumerate(rows, start=2)
        ]

    # -- the two entry points -----------------------------------------------

    def check(self, headers, rows, progress=None) -> Report:
        require_admin(self.actor)
        report, _plan = self._plan(self.records(headers, rows), progress)
        return report

    def apply(self, headers, rows, progress=None) -> Report:
        require_admin(self.actor)
        with transaction.atomic():
            report, plan = self._plan(self.records(headers, rows), progress)
            if report.clean:
                # Written in bulk, so audited in bulk: each kind's write()
                # records its rows' entries (signals would cost a query a row).
                with acting(self.actor), disable_auditlog():
                    self.write(plan)
        return report

    # -- what each kind provides ----------------------------------------------

    def _plan(self, records, progress):
        raise NotImplementedError

    def write(self, plan):
        raise NotImplementedError

    def export_rows(self, queryset):
        raise NotImplementedError


def _choice(values: dict, header: str, mapping: dict[str, str]) -> str:
    """A Chinese label as its code; anything else as written, for the rule
    to refuse (or accept, when it is a code already)."""
    text = values.get(header, "")
    return mapping.get(text, text)


def _rule_errors(outcome: RowOutcome, errors: list, columns: dict[str, str]) -> None:
    """The rules' refusals under their columns. A column that could not be
    read keeps that reason alone: "unknown unit" says more than "required"."""
    unreadable = {column for column, _reason in outcome.errors}
    for error in errors:
        column = columns.get(error.field) or next(iter(columns.values()))
        if column not in unreadable:
            outcome.errors.append((column, error.message))


def _flag(values: dict, header: str, outcome: RowOutcome) -> bool:
    text = values.get(header, "")
    if text in ("", NO, "N", "n", "0", "false", "FALSE", "False"):
        return False
    if text in (YES, "Y", "y", "1", "true", "TRUE", "True"):
        return True
    outcome.errors.append((header, _("write 是 or 否")))
    return False


class _Duplicates:
    """Keys already seen in this file, to report a second row for one key."""

    def __init__(self):
        self.seen: dict[str, int] = {}

    def check(self, key: str, outcome: RowOutcome, header: str) -> None:
        if not key:
            return
        if key in self.seen:
            outcome.errors.append((header, _("duplicate of row %(n)d") % {"n": self.seen[key]}))
        else:
            self.seen[key] = outcome.row


def region_paths() -> dict[str, Region]:
    """Full name path ("云溪市/丰乐县/城关镇") → region, for every region."""
    regions = {region.pk: region for region in Region.objects.all()}
    paths = {}
    for region in regions.values():
        names, current = [], region
        while current is not None:
            names.append(current.name)
            current = regions.get(current.parent_id)
        paths[PATH_SEPARATOR.join(reversed(names))] = region
    return paths


def enterprises_by_code(codes) -> dict[str, Enterprise]:
    """The enterprises holding these credit codes, in batches. A code the
    database cannot even compare (a NUL byte) is held by none; the credit
    code rule refuses it on its row."""
    codes = [code for code in dict.fromkeys(codes) if not text_error(code)]
    found = {}
    for start in range(0, len(codes), BATCH):
        found.update(
            {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes[start : start + BATCH])}
        )
    return found


def path_of(region: Region, by_id: dict[int, Region]) -> str:
    names, current = [], region
    while current is not None:
        names.append(current.name)
        current = by_id.get(current.parent_id)
    return PATH_SEPARATOR.join(reversed(names))


# Regions ----------------------------------------------------------------------


class RegionImporter(Importer):
    kind = "regions"
    columns = [
        Column("区划全称", True, "自上而下用“/”分隔，如：云溪市/丰乐县/城关镇", "云溪市/丰乐县/城关镇"),
        Column("层级", True, "省、市、区/县、乡镇/街道", "乡镇/街道", "levels"),
        Column("区划代码", False, "可选", "331122100"),
    ]
    COLUMNS = {"name": "区划全称", "parent": "区划全称", "level": "层级", "code": "区划代码"}

    def _plan(self, records, progress):
        levels = _zh(RegionLevel)
        known = region_paths()
        report, plan, seen = Report(), [], _Duplicates()
        planned = set()
        for number, values in records:
            path = PATH_SEPARATOR.join(part.strip() for part in values.get("区划全称", "").split(PATH_SEPARATOR))
            outcome = RowOutcome(number, path)
            level = _choice(values, "层级", levels)
            code = values.get("区划代码", "")
            seen.check(path, outcome, "区划全称")
            parent_path, _sep, name = path.rpartition(PATH_SEPARATOR)
            if parent_path and parent_path not in known and parent_path not in planned:
                outcome.errors.append(("区划全称", _("the parent region “%(p)s” does not exist") % {"p": parent_path}))
            # A row is found by its path, so a known path is an update and
            # never a second region of the same name.
            _rule_errors(outcome, rules.region_errors({"name": name, "level": level, "code": code}), self.COLUMNS)
            existing = known.get(path)
            if not outcome.errors:
                if existing is None:
                    outcome.action = "create"
                    planned.add(path)
                elif (existing.level, existing.code) != (level, code):
                    outcome.action = "update"
                else:
                    outcome.action = "unchanged"
                if outcome.action != "unchanged":
                    plan.append((path, parent_path, name, level, code))
            report.add(outcome)
        return report, plan

    def write(self, plan):
        known = region_paths()
        written = []
        for path, parent_path, name, level, code in plan:  # parents come first in a sheet
            region = known.get(path)
            before = None
            if region is None:
                region = Region(name=name, parent=known.get(parent_path))
            else:
                before = {"level": region.level, "code": region.code}
            region.level, region.code = level, code
            region.save()
            known[path] = region
            after = {"level": level, "code": code}
            if before is None:
                after = {"name": name, "parent_id": region.parent_id, **after}
            written.append((region, before, after))
        record_many(audit.import_entries(Region, written))

    def export_rows(self, queryset):
        by_id = {region.pk: region for region in Region.objects.all()}
        for region in queryset.order_by("path"):
            yield [path_of(region, by_id), _zh_label(RegionLevel, region.level), region.code]


# Help units ---------------------------------------------------------------------


class UnitImporter(Importer):
    kind = "units"
    columns = [
        Column("单位名称", True, "", "丰乐县经济和信息化局"),
        Column("所在区划", True, "区划全称，如：云溪市/丰乐县", "云溪市/丰乐县", "regions"),
        Column("单位类型", True, "职能部门、乡镇/街道、其他", "职能部门", "unit_kinds"),
        Column("一把手", False, "", "王建国"),
        Column("联系人", False, "", "李明"),
        Column("联系电话", False, "手机11位，或带区号的固定电话", "0578-6123456"),
    ]
    COLUMNS = {
        "name": "单位名称",
        "region": "所在区划",
        "kind": "单位类型",
        "head_name": "一把手",
        "contact_name": "联系人",
        "contact_phone": "联系电话",
    }

    def _plan(self, records, progress):
        words = _Words()  # the report's before and after, as the sheet writes them
        kinds = _zh(UnitKind)
        regions = region_paths()
        existing = {(u.region_id, u.name): u for u in HelpUnit.objects.all()}
        report, plan, seen = Report(), [], _Duplicates()
        for number, values in records:
            name = values.get("单位名称", "")
            region_path = values.get("所在区划", "")
            outcome = RowOutcome(number, f"{region_path} {name}")
            region = regions.get(region_path)
            if region_path and region is None:
                outcome.errors.append(("所在区划", _("unknown region “%(r)s”") % {"r": region_path}))
            fields = {
                "kind": _choice(values, "单位类型", kinds),
                "head_name": values.get("一把手", ""),
                "contact_name": values.get("联系人", ""),
                "contact_phone": values.get("联系电话", ""),
            }
            seen.check(f"{region_path}|{name}", outcome, "单位名称")
            # Found by region and name: a known pair is an update, not a clash.
            _rule_errors(outcome, rules.unit_errors({**fields, "name": name, "region": region}), self.COLUMNS)
            if not outcome.errors:
                unit = existing.get((region.pk, name))
                outcome.action = _diff_action(unit, fields, outcome, self.COLUMNS, words)
                if outcome.action != "unchanged":
                    plan.append((unit or HelpUnit(region=region, name=name), fields))
            report.add(outcome)
        return report, plan

    def write(self, plan):
        _bulk_write(HelpUnit, plan, ["kind", "head_name", "contact_name", "contact_phone"], keys=["name", "region_id"])

    def export_rows(self, queryset):
        by_id = {region.pk: region for region in Region.objects.all()}
        for unit in queryset.order_by("name"):
            yield [
                unit.name,
                path_of(by_id[unit.region_id], by_id),
                _zh_label(UnitKind, unit.kind),
                unit.head_name,
                unit.contact_name,
                unit.contact_phone,
            ]


def _diff_action(instance, fields: dict, outcome=None, columns=None, words=None) -> str:
    """create, update or unchanged; an update's changed fields go to
    `outcome.diffs` as [column, before, after], in the sheet's `words`."""
    if instance is None or instance.pk is None:
        return "create"
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    if outcome is not None:
        outcome.diffs = [
            [
                columns.get(name.removesuffix("_id"), name),
                words(name, getattr(instance, name)),
                words(name, fields[name]),
            ]
            for name in changed
        ]
    return "update" if changed else "unchanged"


class _Words:
    """A field's value as the sheet writes it: a choice by its Chinese name,
    a flag as 是/否, a region by its full path, a unit by its name (the
    regions and units read once, when first needed)."""

    CHOICES = {"kind": UnitKind, "rank": Rank, "role": Role, "industry": Industry, "size": EnterpriseSize}

    def __call__(self, name: str, value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(value, list):
            return "、".join(str(item) for item in value)
        if name in self.CHOICES:
            return _zh_label(self.CHOICES[name], value)
        if name == "region_id":
            return self._regions().get(value, str(value))
        if name == "unit_id":
            return self._units().get(value, str(value))
        return str(value)

    def __init__(self):
        self._region_paths: dict | None = None
        self._unit_names: dict | None = None

    def _regions(self) -> dict:
        if self._region_paths is None:
            by_id = {region.pk: region for region in Region.objects.all()}
            self._region_paths = {pk: path_of(region, by_id) for pk, region in by_id.items()}
        return self._region_paths

    def _units(self) -> dict:
        if self._unit_names is None:
            self._unit_names = dict(HelpUnit.objects.values_list("pk", "name"))
        return self._unit_names


def _bulk_write(model, plan, update_fields, keys=()):
    """`keys`: what finds a row (recorded with a created row's values)."""
    creates, updates, written = [], [], []
    for instance, fields in plan:
        before = {name: getattr(instance, name) for name in fields} if instance.pk else None
        for name, value in fields.items():
            setattr(instance, name, value)
        (updates if instance.pk else creates).append(instance)
        after = fields if before is not None else {**{key: getattr(instance, key) for key in keys}, **fields}
        written.append((instance, before, after))
    model.objects.bulk_create(creates, batch_size=BATCH)
    model.objects.bulk_update(updates, update_fields, batch_size=BATCH)
    if any(
        before is not None and before.get("region") != after.get("region", before.get("region"))
        for _i, before, after in written
    ):
        signals.moved.send(sender=model)
    record_many(audit.import_entries(model, written), batch_size=BATCH)


def _units_by_name():
    """Unit name → units (a name may repeat in different regions)."""
    units = defaultdict(list)
    for unit in HelpUnit.objects.select_related("region"):
        units[unit.name].append(unit)
    return units


def _resolve_unit(values, header, region_header, outcome, units_by_name, regions):
    name = values.get(header, "")
    if not name:
        return None
    candidates = units_by_name.get(name, [])
    region_path = values.get(region_header, "") if region_header else ""
    if region_path:
        region = regions.get(region_path)
        candidates = [unit for unit in candidates if region is not None and unit.region_id == region.pk]
    if not candidates:
        outcome.errors.append((header, _("unknown unit “%(u)s”") % {"u": name}))
        return None
    if len(candidates) > 1:
        outcome.errors.append((header, _("several units are named “%(u)s”; add the region") % {"u": name}))
        return None
    return candidates[0]


# Officials ------------------------------------------------------------------------


class OfficialImporter(Importer):
    kind = "officials"
    columns = [
        Column("用户名", True, "登录名，唯一", "zhangsan"),
        Column("姓名", False, "可留空，显示为用户名", "张三"),
        Column("所属单位", False, "管理员可留空", "丰乐县经济和信息化局", "units"),
        Column("单位所在区划", False, "单位重名时填写", "云溪市/丰乐县", "regions"),
        Column("职级", True, "县级领导、单位负责人、分管负责人、工作人员", "工作人员", "ranks"),
        Column("角色", True, "干部、督查、管理员", "干部", "roles"),
        Column("手机", False, "11位手机号", "13812345678"),
        Column("邮箱", False, "", "zhangsan@fengle.gov.cn"),
    ]
    COLUMNS = {
        "username": "用户名",
        "name": "姓名",
        "unit": "所属单位",
        "rank": "职级",
        "role": "角色",
        "phone": "手机",
        "email": "邮箱",
    }

    def _plan(self, records, progress):
        words = _Words()  # the report's before and after, as the sheet writes them
        ranks, roles = _zh(Rank), _zh(Role)
        units, regions = _units_by_name(), region_paths()
        existing = {o.username: o for o in Official.objects.all()}
        report, plan, seen = Report(), [], _Duplicates()
        for number, values in records:
            username = values.get("用户名", "")
            outcome = RowOutcome(number, username)
            fields = {
                "name": values.get("姓名", ""),
                "rank": _choice(values, "职级", ranks),
                "role": _choice(values, "角色", roles),
                "phone": values.get("手机", ""),
                "email": values.get("邮箱", ""),
            }
            unit = _resolve_unit(values, "所属单位", "单位所在区划", outcome, units, regions)
            fields["unit_id"] = unit.pk if unit else None
            seen.check(username, outcome, "用户名")
            official = existing.get(username)
            # Found by user name: a known one is an update, never a clash.
            candidate = {
                **fields,
                "username": username,
                "unit": fields["unit_id"],
                "is_superuser": official is not None and official.is_superuser,
            }
            _rule_errors(outcome, rules.official_errors(candidate), self.COLUMNS)
            if not outcome.errors:
                outcome.action = _diff_action(official, fields, outcome, self.COLUMNS, words)
                if outcome.action != "unchanged":
                    if official is None:
                        official = Official(username=username)
                        official.set_unusable_password()  # they set one through the reset link
                    plan.append((official, fields))
            report.add(outcome)
        return report, plan

    def write(self, plan):
        _bulk_write(Official, plan, ["name", "rank", "role", "phone", "email", "unit_id"], keys=["username"])

    def export_rows(self, queryset):
        by_id = {region.pk: region for region in Region.objects.all()}
        for official in queryset.select_related("unit").order_by("username"):
            unit = official.unit
            yield [
                official.username,
                official.name,
                unit.name if unit else "",
                path_of(by_id[unit.region_id], by_id) if unit else "",
                _zh_label(Rank, official.rank),
                _zh_label(Role, official.role),
                official.phone,
                official.email,
            ]


# Enterprises ------------------------------------------------------------------------


class EnterpriseImporter(Importer):
    kind = "enterprises"
    columns = [
        Column("统一社会信用代码", True, "18位，校验位按GB 32100-2015", "91331122MA2A0B1C2J"),
        Column("企业名称", True, "", "浙江丰乐机械有限公司"),
        Column("所在区划", True, "区划全称，如：云溪市/丰乐县/城关镇", "云溪市/丰乐县/城关镇", "regions"),
        Column("地址", False, "", "丰乐县工业园区创业路8号"),
        Column("行业门类", True, "GB/T 4754门类名称（或字母A–T）", "制造业", "industries"),
        Column("企业规模", True, "大型、中型、小型、微型", "中型", "sizes"),
        Column("规上企业", False, "是/否", "是", "yes_no"),
        Column("重点企业", False, "是/否", "是", "yes_no"),
        Column("法定代表人", False, "", "陈志强"),
        Column("联系人", False, "", "刘芳"),
        Column("联系电话", False, "手机11位，或带区号的固定电话", "13912345678"),
        Column("标签", False, "多个用“、”分隔", "专精特新、外贸"),
    ]
    COLUMNS = {
        "credit_code": "统一社会信用代码",
        "name": "企业名称",
        "region": "所在区划",
        "address": "地址",
        "industry": "行业门类",
        "size": "企业规模",
        "is_above_scale": "规上企业",
        "is_key": "重点企业",
        "legal_representative": "法定代表人",
        "contact_name": "联系人",
        "contact_phone": "联系电话",
        "tags": "标签",
    }
    FIELDS = [
        "name",
        "region_id",
        "address",
        "industry",
        "size",
        "is_above_scale",
        "is_key",
        "legal_representative",
        "contact_name",
        "contact_phone",
        "tags",
    ]

    def _plan(self, records, progress):
        words = _Words()  # the report's before and after, as the sheet writes them
        industries, sizes = _zh(Industry), _zh(EnterpriseSize)
        regions = region_paths()
        codes = [rules.clean_credit_code(values.get("统一社会信用代码")) for _n, values in records]
        existing = enterprises_by_code(codes)
        report, plan, seen = Report(), [], _Duplicates()
        for index, (number, values) in enumerate(records):
            code = codes[index]
            outcome = RowOutcome(number, code)
            seen.check(code, outcome, "统一社会信用代码")
            region_path = values.get("所在区划", "")
            region = regions.get(region_path)
            if region_path and region is None:
                outcome.errors.append(("所在区划", _("unknown region “%(r)s”") % {"r": region_path}))
            fields = {
                "name": values.get("企业名称", ""),
                "region_id": region.pk if region else None,
                "address": values.get("地址", ""),
                "industry": _choice(values, "行业门类", industries),
                "size": _choice(values, "企业规模", sizes),
                "is_above_scale": _flag(values, "规上企业", outcome),
                "is_key": _flag(values, "重点企业", outcome),
                "legal_representative": values.get("法定代表人", ""),
                "contact_name": values.get("联系人", ""),
                "contact_phone": values.get("联系电话", ""),
                "tags": [tag for tag in values.get("标签", "").replace(",", "、").split("、") if tag],
            }
            # Found by credit code: a known code is an update, not a clash.
            candidate = {**fields, "credit_code": code, "region": fields["region_id"]}
            _rule_errors(outcome, rules.enterprise_errors(candidate), self.COLUMNS)
            if not outcome.errors:
                enterprise = existing.get(code)
                outcome.action = _diff_action(enterprise, fields, outcome, self.COLUMNS, words)
                if outcome.action != "unchanged":
                    plan.append((enterprise or Enterprise(credit_code=code), fields))
            report.add(outcome)
            if progress and index % BATCH == 0:
                progress(index)
        return report, plan

    def write(self, plan):
        _bulk_write(Enterprise, plan, self.FIELDS, keys=["credit_code"])

    def export_rows(self, queryset):
        by_id = {region.pk: region for region in Region.objects.all()}
        paths = {}
        for enterprise in queryset.order_by("credit_code").iterator(chunk_size=BATCH):
            if enterprise.region_id not in paths:
                paths[enterprise.region_id] = path_of(by_id[enterprise.region_id], by_id)
            yield [
                enterprise.credit_code,
                enterprise.name,
                paths[enterprise.region_id],
                enterprise.address,
                _zh_label(Industry, enterprise.industry),
                _zh_label(EnterpriseSize, enterprise.size),
                YES if enterprise.is_above_scale else NO,
                YES if enterprise.is_key else NO,
                enterprise.legal_representative,
                enterprise.contact_name,
                enterprise.contact_phone,
                "、".join(enterprise.tags),
            ]


# Assignments (三帮一) ------------------------------------------------------------------


class AssignmentImporter(Importer):
    """One row per enterprise and help unit (the pairing table); the rows of
    one enterprise together are its whole team in the campaign."""

    kind = "assignments"
    columns = [
        Column("统一社会信用代码", True, "每个帮扶单位一行，同一企业的几行信用代码相同", "91331122MA2A0B1C2J"),
        Column("企业名称", False, "仅供核对", "浙江丰乐机械有限公司"),
        Column("县级领导", False, "县级领导的用户名或姓名", "周县长"),
        Column("帮扶单位", True, "", "丰乐县经济和信息化局", "units"),
        Column("单位所在区划", False, "单位重名时填写", "云溪市/丰乐县", "regions"),
        Column("是否牵头", True, "是/否，每家企业恰有一个牵头单位", "是", "yes_no"),
        Column("第一责任人", False, "该单位干部的用户名或姓名", "张三"),
        Column("具体联系人", False, "该单位干部的用户名或姓名", "李四"),
    ]
    # A team rule's error lands under the column of the entry at fault.
    COLUMNS = {
        "enterprise": "统一社会信用代码",
        "leader": "县级领导",
        "unit": "帮扶单位",
        "is_lead": "是否牵头",
        "responsible": "第一责任人",
        "contact": "具体联系人",
    }

    def _plan(self, records, progress):
        campaign = self.campaign
        units, regions = _units_by_name(), region_paths()
        enterprises = enterprises_by_code(
            {rules.clean_credit_code(values.get("统一社会信用代码")) for _n, values in records}
        )
        people = defaultdict(list)  # (unit id or None, name or username) → officials
        leaders = defaultdict(list)
        # Anyone by name or user name, so a person named under the wrong unit
        # or as a leader without the rank reaches the rule, which says so.
        everyone = defaultdict(list)
        for official in Official.objects.filter(is_active=True).only("pk", "username", "name", "unit_id", "rank"):
            for handle in {official.username, official.name} - {""}:
                people[(official.unit_id, handle)].append(official)
                everyone[handle].append(official)
                if official.rank == Rank.COUNTY_LEADER:
                    leaders[handle].append(official)

        groups: dict[str, list] = defaultdict(list)
        report, outcomes = Report(), []
        for index, (number, values) in enumerate(records):
            if progress and index % BATCH == 0:
                progress(index)
            code = rules.clean_credit_code(values.get("统一社会信用代码"))
            outcome = RowOutcome(number, code)
            enterprise = enterprises.get(code)
            if not code:
                outcome.errors.append(("统一社会信用代码", _("%(field)s is required.") % {"field": "统一社会信用代码"}))
            elif enterprise is None:
                outcome.errors.append(("统一社会信用代码", _("no enterprise has the credit code %(c)s") % {"c": code}))
            unit = _resolve_unit(values, "帮扶单位", "单位所在区划", outcome, units, regions)
            if not values.get("帮扶单位"):
                outcome.errors.append(("帮扶单位", _("%(field)s is required.") % {"field": "帮扶单位"}))
            is_lead = _flag(values, "是否牵头", outcome)
            responsible = self._person(values, "第一责任人", unit, people, everyone, outcome)
            contact = self._person(values, "具体联系人", unit, people, everyone, outcome)
            leader = self._leader(values.get("县级领导", ""), leaders, everyone, outcome)
            groups[code].append((outcome, unit, is_lead, responsible, contact, leader, values.get("县级领导", "")))
            outcomes.append(outcome)

        # Today's teams as plain tuples: 150,000 rows as model instances would
        # cost several hundred MiB.
        existing, teams = {}, defaultdict(list)
        # The whole campaign is read (it is bounded by its enterprises), which
        # also keeps huge IN lists away from SQLite.
        for pk, enterprise_id, leader_id, code in Assignment.objects.filter(campaign=campaign).values_list(
            "pk", "enterprise_id", "leader_id", "enterprise__credit_code"
        ):
            if code in groups:
                existing[code] = Assignment(pk=pk, campaign=campaign, enterprise_id=enterprise_id, leader_id=leader_id)
        wanted = {assignment.pk for assignment in existing.values()}
        for assignment_id, *slot in AssignmentUnit.objects.filter(assignment__campaign=campaign).values_list(
            "assignment_id", "unit_id", "is_lead", "responsible_id", "contact_id"
        ):
            if assignment_id in wanted:
                teams[assignment_id].append(tuple(slot))
        plan = []
        for code, rows in groups.items():
            self._check_group(rows, campaign)
            if any(row[0].errors for row in rows):
                # The group's clean rows say what they would have done.
                for row in rows:
                    row[0].action = "update" if code in existing else "create"
                continue
            enterprise = enterprises[code]
            leader = next((row[5] for row in rows if row[5] is not None), None)
            slots = sorted(
                (row[1].pk, row[2], getattr(row[3], "pk", None), getattr(row[4], "pk", None)) for row in rows
            )
            assignment = existing.get(code)
            if assignment is None:
                action = "create"
            else:
                current = sorted(teams[assignment.pk])
                same = current == slots and assignment.leader_id == getattr(leader, "pk", None)
                action = "unchanged" if same else "update"
            for row in rows:
                row[0].action = action
            if action != "unchanged":
                plan.append((enterprise, assignment, leader, slots))
        for outcome in outcomes:
            report.add(outcome)
        return report, plan

    @staticmethod
    def _person(values, header, unit, people, everyone, outcome):
        handle = values.get(header, "")
        if not handle or unit is None:
            return None
        found = people.get((unit.pk, handle), [])
        if len(found) > 1:
            reason = _("%(u)s has several officials “%(n)s”; use the user name")
        else:
            found = found or everyone.get(handle, [])
            if len(found) == 1:
                return found[0]  # of another unit, maybe: the team rule says so
            reason = _("%(u)s has no official “%(n)s”")
        outcome.errors.append((header, reason % {"u": unit.name, "n": handle}))
        return None

    @staticmethod
    def _leader(handle, leaders, everyone, outcome):
        if not handle:
            return None
        found = leaders.get(handle, [])
        if len(found) > 1:
            reason = _("several county leaders are called “%(n)s”")
        else:
            found = found or everyone.get(handle, [])
            if len(found) == 1:
                return found[0]  # without the rank, maybe: the team rule says so
            reason = _("no county leader is called “%(n)s”")
        outcome.errors.append(("县级领导", reason % {"n": handle}))
        return None

    def _check_group(self, rows, campaign):
        """The team rule on one enterprise's rows; each error goes to the row
        of the entry at fault (the group's last row when it is the team as a
        whole, such as no lead)."""
        seated = [row for row in rows if row[1] is not None]
        leader_row = next((row for row in rows if row[5] is not None), None)
        errors = rules.team_errors(
            mode=campaign.units_per_enterprise,
            leader=leader_row[5] if leader_row else None,
            units=[rules.UnitSlot(unit=row[1], is_lead=row[2], responsible=row[3], contact=row[4]) for row in seated],
        )
        for error in errors:
            if error.field == "leader":
                row = leader_row
            elif error.item is not None:
                row = seated[error.item]
            else:
                row = rows[-1]
            _rule_errors(row[0], [error], {error.field: self.COLUMNS[error.part or error.field]})
        named = {row[6] for row in rows if row[6]}
        if len(named) > 1:
            rows[-1][0].errors.append(("县级领导", _("different county leaders for one enterprise")))

    def write(self, plan):
        from core.services import check_deferred_constraints

        campaign = self.campaign
        new = [Assignment(campaign=campaign, enterprise=e, leader=leader) for e, a, leader, _s in plan if a is None]
        Assignment.objects.bulk_create(new, batch_size=BATCH)
        changed, leaders_before = [], {}
        for _enterprise, assignment, leader, _slots in plan:
            if assignment is not None:
                leaders_before[assignment.pk] = assignment.leader_id
                assignment.leader = leader
                changed.append(assignment)
        Assignment.objects.bulk_update(changed, ["leader"], batch_size=BATCH)
        by_enterprise = {a.enterprise_id: a for a in new + changed}
        teams_before = defaultdict(list)
        for start in range(0, len(changed), BATCH):
            rows = AssignmentUnit.objects.filter(assignment__in=[a.pk for a in changed[start : start + BATCH]])
            for assignment_id, *slot in rows.values_list(
                "assignment_id", "unit_id", "is_lead", "responsible_id", "contact_id"
            ):
                teams_before[assignment_id].append(tuple(slot))
            rows.delete()
        AssignmentUnit.objects.bulk_create(
            [
                AssignmentUnit(
                    assignment=by_enterprise[enterprise.pk],
                    unit_id=unit_id,
                    is_lead=is_lead,
                    responsible_id=responsible_id,
                    contact_id=contact_id,
                )
                for enterprise, _a, _l, slots in plan
                for unit_id, is_lead, responsible_id, contact_id in slots
            ],
            batch_size=BATCH,
        )
        check_deferred_constraints("assignmentunit_rules")
        written = []
        for enterprise, assignment, leader, slots in plan:
            before = (leaders_before[assignment.pk], teams_before[assignment.pk]) if assignment is not None else None
            after = (getattr(leader, "pk", None), slots)
            written.append((by_enterprise[enterprise.pk], f"{campaign} · {enterprise}", before, after))
        record_many(audit.team_entries(written), batch_size=BATCH)

    def export_rows(self, queryset):
        by_id = {region.pk: region for region in Region.objects.all()}
        rows = (
            AssignmentUnit.objects.filter(assignment__in=queryset.values("pk"))
            .select_related("assignment__enterprise", "assignment__leader", "unit", "responsible", "contact")
            .order_by("assignment__enterprise__credit_code", "-is_lead", "unit__name")
        )
        # People by name, as an office writes them, where the name alone finds
        # them again on import (in their unit; among the county leaders); else
        # by user name.
        in_unit, leaders = Counter(), Counter()  # counted as _plan looks them up
        people = Official.objects.filter(is_active=True).values_list("unit_id", "username", "name", "rank")
        for unit_id, username, name, rank in people:
            for handle in {username, name} - {""}:
                in_unit[(unit_id, handle)] += 1
                leaders[handle] += rank == Rank.COUNTY_LEADER

        def member(person, unit_id):
            if person is None:
                return ""
            return person.name if person.name and in_unit[(unit_id, person.name)] == 1 else person.username

        for row in rows.iterator(chunk_size=BATCH):
            assignment = row.assignment
            leader = assignment.leader
            yield [
                assignment.enterprise.credit_code,
                assignment.enterprise.name,
                (leader.name if leader.name and leaders[leader.name] == 1 else leader.username) if leader else "",
                row.unit.name,
                path_of(by_id[row.unit.region_id], by_id),
                YES if row.is_lead else NO,
                member(row.responsible, row.unit_id),
                member(row.contact, row.unit_id),
            ]


def export_queryset(kind: str, *, user, campaign: Campaign | None):
    """What an export of `kind` holds: the user's scope, and for the pairing
    table the campaign's teams."""
    from . import selectors

    queryset = {
        "regions": selectors.region_list,
        "units": selectors.unit_list,
        "officials": selectors.official_list,
        "enterprises": selectors.enterprise_list,
        "assignments": selectors.assignment_list,
    }[kind](user=user)
    return queryset.filter(campaign=campaign) if kind == "assignments" else queryset


IMPORTERS = {
    importer.kind: importer
    for importer in (RegionImporter, UnitImporter, OfficialImporter, EnterpriseImporter, AssignmentImporter)
}


# Templates ------------------------------------------------------------------------


def _option_values(key: str, user) -> list[str]:
    """The values a template's drop-down offers, as the importer reads them
    (Chinese names; regions by their full path; the user's scope)."""
    from .models import HelpUnit

    if key == "regions":
        return sorted(region_paths())
    if key == "units":
        return list(
            HelpUnit.objects.restrict(user)
            .filter(is_active=True)
            .order_by("name")
            .values_list("name", flat=True)
            .distinct()
        )
    if key == "yes_no":
        return [YES, NO]
    choices = {
        "levels": RegionLevel,
        "unit_kinds": UnitKind,
        "ranks": Rank,
        "roles": Role,
        "industries": Industry,
        "sizes": EnterpriseSize,
    }[key]
    return list(_zh(choices))


TEMPLATE_ROWS = 5000  # rows a drop-down covers


def template_workbook(kind: str, *, user) -> bytes:
    """A template an office can fill: the headers (required ones marked *,
    which the reader ignores) with each column's note as a comment, a
    drop-down of the accepted values for coded columns, and a second sheet
    explaining every column with an example row. The first sheet stays
    empty below its headers, so the template imports as it is."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    importer = IMPORTERS[kind]
    workbook = Workbook()
    sheet = workbook.active
    with translation.override("zh-hans"):
        sheet.title = str(dict(ImportJob.Kind.choices)[kind])
    options = workbook.create_sheet("选项")
    guide = workbook.create_sheet("填写说明")
    guide.append(["列名", "是否必填", "填写说明", "示例"])
    for number, column in enumerate(importer.columns, start=1):
        letter = get_column_letter(number)
        cell = sheet.cell(row=1, column=number, value=("*" if column.required else "") + column.header)
        cell.font = Font(bold=True, color="B42318" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="F2F4F7")
        if column.note:
            cell.comment = Comment(column.note, "走访")
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4, len(column.example) + 4)
        guide.append([column.header, "是" if column.required else "否", column.note, column.example])
        if column.options:
            values = _option_values(column.options, user)
            for row, value in enumerate(values, start=1):
                options.cell(row=row, column=number, value=value)
            if values:
                validation = DataValidation(
                    type="list",
                    formula1=f"{quote_sheetname(options.title)}!${letter}$1:${letter}${len(values)}",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="不在可选值中",
                    error=f"请从下拉列表中选择{column.header}。",
                )
                validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
                sheet.add_data_validation(validation)
    guide.append([])
    for line in (
        "第一行为表头，请勿修改；带*的列必填。",
        "有下拉箭头的列请从列表中选择；所在区划填写区划全称，自上而下用“/”分隔。",
        "空行会被跳过；出错时报告的行号即表格左侧的行号。",
        "本说明页和“选项”页不会被导入，只导入第一个工作表。",
    ):
        guide.append([line])
    for letter, width in zip("ABCD", (18, 10, 48, 30), strict=True):
        guide.column_dimensions[letter].width = width
    for cell in guide[1]:
        cell.font = Font(bold=True)
    options.sheet_state = "hidden"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
