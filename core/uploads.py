"""Uploaded files: which kinds each form takes, judged by content, and how
they are stored so that none outlives a write that did not commit.

Every interface that accepts a file (the visit form and API, help plans,
master-data imports) calls `check` with its set of allowed kinds: the name's
extension must be one of them, the size within limits, and the content must
be what the extension says. Signatures are read by `filetype`; the Office
formats are containers, so a .docx or .xlsx must be a ZIP holding
`[Content_Types].xml` and a `word/` or `xl/` part (a plain ZIP renamed is
refused), with limits on how far it inflates (zip bombs), and a .doc or .xls
an OLE2 compound file holding a Word or Excel stream. CSV has no signature:
it must be UTF-8 or GB18030 text without NUL bytes.

Services store files through `save` inside `atomic_with_files()`, which
deletes them again if the transaction does not commit.
"""

import codecs
import contextlib
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput

logger = logging.getLogger(__name__)

MB = 1024 * 1024
CHUNK = 1024 * 1024
# An OLE2 compound file (Office 97–2003) starts with these bytes; the names of
# its streams are stored in UTF-16LE in its directory.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A part this small cannot hurt however well it compresses (an empty sheet's
# XML compresses 100 to 1); the ratio is judged on larger parts only.
RATIO_FLOOR_BYTES = MB
MAX_ZIP_PARTS = 10_000


# What a file's content is -------------------------------------------------------------


def _signature(*extensions: str) -> Callable:
    """The content starts with the signature `filetype` knows for one of
    `extensions` (APNG is a PNG)."""

    def judge(file, name: str) -> bool:
        found = filetype.guess(_head(file))
        return found is not None and found.extension in extensions

    return judge


def _ooxml(folder: str) -> Callable:
    """A ZIP package with a content-types part and a part under `folder`
    (word/ for Word, xl/ for Excel), within the limits on inflating."""

    def judge(file, name: str) -> bool:
        try:
            with zipfile.ZipFile(file) as package:
                parts = package.infolist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            file.seek(0)
        names = {part.filename for part in parts}
        if "[Content_Types].xml" not in names or not any(n.startswith(folder) for n in names):
            return False
        check_inflating(parts, name=name)
        return True

    return judge


def _ole2(*streams: str) -> Callable:
    """An OLE2 compound file with one of `streams` in its directory."""
    wanted = [stream.encode("utf-16-le") for stream in streams]

    def judge(file, name: str) -> bool:
        if _head(file)[:8] != OLE2:
            return False
        # Directory sectors may lie anywhere; the file is at most a few MB.
        content = b"".join(_chunks(file))
        return any(stream in content for stream in wanted)

    return judge


def _text(file, name: str) -> bool:
    if text_encoding(file) is not None:
        return True
    if filetype.guess(_head(file)) is not None:
        return False  # a known binary kind, named as such
    file.seek(0)
    if any(b"\x00" in chunk for chunk in _chunks(file)):
        raise InvalidInput(
            "file_content", _("“%(n)s” holds binary data (NUL bytes), not CSV text.") % {"n": name}, field=None
        )
    raise InvalidInput("file_encoding", _("“%(n)s” is neither UTF-8 nor GB18030 text.") % {"n": name}, field=None)


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]  # the first is the one shown
    label: str  # what a real one is, for messages ("a JPG image")
    kind: str  # photo / document / table
    content_type: str
    judge: Callable


JPG = FileType(("jpg", "jpeg"), gettext_lazy("JPG image"), "photo", "image/jpeg", _signature("jpg"))
PNG = FileType(("png",), gettext_lazy("PNG image"), "photo", "image/png", _signature("png", "apng"))
WEBP = FileType(("webp",), gettext_lazy("WebP image"), "photo", "image/webp", _signature("webp"))
PDF = FileType(("pdf",), gettext_lazy("PDF document"), "document", "application/pdf", _signature("pdf"))
DOCX = FileType(
    ("docx",),
    gettext_lazy("Word document"),
    "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    _ooxml("word/"),
)
DOC = FileType(("doc",), gettext_lazy("Word 97–2003 document"), "document", "application/msword", _ole2("WordDocument"))
XLSX = FileType(
    ("xlsx",),
    gettext_lazy("Excel workbook"),
    "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    _ooxml("xl/"),
)
XLS = FileType(
    ("xls",), gettext_lazy("Excel 97–2003 workbook"), "document", "application/vnd.ms-excel", _ole2("Workbook", "Book")
)
CSV = FileType(("csv",), gettext_lazy("CSV text file"), "table", "text/csv", _text)


@dataclass(frozen=True)
class Allowed:
    """The kinds of file one form takes, and how to name them to its users."""

    types: tuple[FileType, ...]
    described: str

    def by_extension(self, extension: str) -> FileType | None:
        return next((t for t in self.types if extension in t.extensions), None)

    @property
    def accept(self) -> str:
        """For the file input's accept attribute."""
        return ",".join(f".{extension}" for t in self.types for extension in t.extensions)


VISIT_FILES = Allowed(
    (JPG, PNG, WEBP, PDF, DOCX, DOC, XLSX, XLS),
    gettext_lazy("photos (JPG, PNG, WebP) and documents (PDF, Word, Excel)"),
)
EVIDENCE_FILES = Allowed(
    (JPG, PNG, WEBP, PDF, DOCX, DOC, XLSX, XLS),
    gettext_lazy("photos (JPG, PNG, WebP) and documents (PDF, Word, Excel)"),
)
HELP_PLAN_FILES = Allowed((PDF, DOCX, DOC), gettext_lazy("a PDF or Word document"))
IMPORT_FILES = Allowed((XLSX, CSV), gettext_lazy("an .xlsx or .csv file"))


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    type: FileType
    size: int


def file_name(uploaded) -> str:
    return (getattr(uploaded, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:200]


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check(uploaded, allowed: Allowed, *, field: str | None, max_bytes: int | None = None) -> CheckedFile:
    """The upload's kind (by extension, then by content) and size, or an
    InvalidInput saying what is wrong with it."""
    name = file_name(uploaded)
    extension = extension_of(name)
    kind = allowed.by_extension(extension)
    if kind is None:
        raise InvalidInput(
            "file_type",
            _("“%(n)s”: only %(allowed)s can be uploaded here.") % {"n": name, "allowed": allowed.described},
            field=field,
        )
    limit = max_bytes or settings.ZOUFANG_UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise InvalidInput(
            "file_too_large",
            _("“%(n)s” is %(size).1f MB; at most %(max)d MB per file.")
            % {"n": name, "size": uploaded.size / MB, "max": limit // MB},
            field=field,
        )
    if uploaded.size == 0:
        raise InvalidInput("file_empty", _("“%(n)s” is empty.") % {"n": name}, field=field)
    try:
        genuine = kind.judge(uploaded, name)
    except InvalidInput as error:
        raise InvalidInput(error.code, error.message, field=field) from None
    finally:
        uploaded.seek(0)
    if not genuine:
        raise InvalidInput("file_content", _not_genuine(uploaded, name, kind), field=field)
    return CheckedFile(name=name, extension=extension, type=kind, size=uploaded.size)


def check_all(files, allowed: Allowed, *, limit: int, too_many: str, field: str = "files") -> list[CheckedFile]:
    """A form's files: at most `limit` of them (`too_many` says so, with
    %(max)d and %(n)d), each judged by `check`. Nothing is stored here."""
    if len(files) > limit:
        raise InvalidInput("too_many_files", too_many % {"max": limit, "n": len(files)}, field=field)
    return [check(uploaded, allowed, field=field) for uploaded in files]


def _not_genuine(uploaded, name: str, kind: FileType) -> str:
    found = filetype.guess(_head(uploaded))
    if found is not None and found.extension not in kind.extensions:
        return _("“%(n)s” is not a real %(label)s: its content is a file of type %(found)s (%(mime)s).") % {
            "n": name,
            "label": kind.label,
            "found": found.extension.upper(),
            "mime": found.mime,
        }
    return _("“%(n)s” is not a real %(label)s: its content does not match its name.") % {"n": name, "label": kind.label}


def _head(file) -> bytes:
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    return head


def _chunks(file) -> Iterator[bytes]:
    file.seek(0)
    while chunk := file.read(CHUNK):
        yield chunk


def text_encoding(file) -> str | None:
    """'utf-8-sig' or 'gb18030', whichever decodes the whole file, or None
    when neither does or it holds a NUL byte (binary, not text)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in _chunks(file):
                if b"\x00" in chunk:
                    return None
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            file.seek(0)
        return encoding
    return None


def check_inflating(parts: list[zipfile.ZipInfo], *, name: str) -> None:
    """Refuse a ZIP package that would inflate past the limits, judged from
    the sizes its directory declares before any part is opened. (Python's
    zipfile never inflates a part past its declared size: a part that lies
    fails its CRC check instead.)"""
    limit, max_ratio = settings.ZOUFANG_ZIP_MAX_INFLATED_BYTES, settings.ZOUFANG_ZIP_MAX_RATIO
    if len(parts) > MAX_ZIP_PARTS:
        raise InvalidInput(
            "zip_parts",
            _("“%(n)s” holds %(count)d parts; a real document holds far fewer (at most %(max)d).")
            % {"n": name, "count": len(parts), "max": MAX_ZIP_PARTS},
        )
    inflated = sum(part.file_size for part in parts)
    if inflated > limit:
        raise InvalidInput(
            "zip_too_large",
            _("“%(n)s” would expand to %(size)d MB when opened; at most %(max)d MB.")
            % {"n": name, "size": inflated // MB, "max": limit // MB},
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR_BYTES and ratio > max_ratio:
            raise InvalidInput(
                "zip_ratio",
                _(
                    "“%(n)s” is compressed %(ratio)d to 1, far more than a real document or spreadsheet"
                    " (at most %(max)d to 1); it looks like a zip bomb."
                )
                % {"n": name, "ratio": ratio, "max": max_ratio},
            )


# Storing: nothing outlives a write that did not commit ----------------------------------

_stored: ContextVar[list | None] = ContextVar("zoufang_stored_files", default=None)


@contextlib.contextmanager
def atomic_with_files():
    """A transaction (a savepoint when nested) in which files stored with
    `save` are deleted again if it raises, its commit included. A nested
    block hands its files to the enclosing one once it succeeds, so a
    refusal after it (an issue of the visit, say) still takes them away.
    The outermost block is meant to be the transaction itself: a plain
    `transaction.atomic()` around it that rolls back later would leave the
    files behind, so services that store files open this one."""
    stored: list = []
    token = _stored.set(stored)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for storage, name in stored:
            _delete(storage, name)
        raise
    finally:
        _stored.reset(token)
    enclosing = _stored.get()
    if enclosing is not None:
        enclosing.extend(stored)


def save(field_file, uploaded) -> None:
    """Store `uploaded` as `field_file` (the model's row is saved by the
    caller), to be deleted again unless the enclosing atomic_with_files()
    commits."""
    stored = _stored.get()
    if stored is None:
        raise RuntimeError("uploads.save() runs inside uploads.atomic_with_files()")
    uploaded.seek(0)
    field_file.save(file_name(uploaded), uploaded, save=False)
    stored.append((field_file.storage, field_file.name))


def delete_on_commit(field_file) -> None:
    """Delete the file a row pointed to once the change that replaced it commits."""
    if field_file:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: _delete(storage, name))


def _delete(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete %s", name)


# The request as a whole ------------------------------------------------------------------


class RequestSizeLimit(FileUploadHandler):
    """Refuses a multipart body larger than ZOUFANG_REQUEST_MAX_BYTES before
    reading any of it (Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files
    out). Listed first in FILE_UPLOAD_HANDLERS; it stores nothing itself."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.ZOUFANG_REQUEST_MAX_BYTES:
            raise RequestDataTooBig("The request body exceeds ZOUFANG_REQUEST_MAX_BYTES.")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
