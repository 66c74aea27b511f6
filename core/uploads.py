"""Checks every uploaded file goes through: known type, real content, size."""

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import InvalidInput

# extension → (kind, content type, leading bytes that a real file of it starts with)
KNOWN_TYPES = {
    "jpg": ("photo", "image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("photo", "image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("photo", "image/png", (b"\x89PNG\r\n\x1a\n",)),
    "webp": ("photo", "image/webp", (b"RIFF",)),
    "pdf": ("document", "application/pdf", (b"%PDF",)),
    "docx": ("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("document", "application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("document", "application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
}


def file_name(uploaded) -> str:
    return (getattr(uploaded, "name", "") or "").rsplit("/", 1)[-1][:200]


def extension_of(uploaded) -> str:
    name = file_name(uploaded)
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def content_matches(uploaded, extension: str) -> bool:
    """Whether the file starts the way a real .extension file does."""
    head = uploaded.read(16)
    uploaded.seek(0)
    return any(head.startswith(signature) for signature in KNOWN_TYPES[extension][2])


def check_size(uploaded, *, field: str) -> None:
    name, limit = file_name(uploaded), settings.ZOUFANG_UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise InvalidInput(
            "file_too_large",
            _("“%(n)s” is %(size).1f MB; at most %(max)d MB per file.")
            % {"n": name, "size": uploaded.size / 1048576, "max": limit // 1048576},
            field=field,
        )
    if uploaded.size == 0:
        raise InvalidInput("file_empty", _("“%(n)s” is empty.") % {"n": name}, field=field)
