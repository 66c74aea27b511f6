"""core.uploads: each form's kinds of file judged by content, the limits on
size and inflating, and files that never outlive a rolled-back write."""

import io

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from core import uploads
from core.errors import InvalidInput
from enterprises.models import ImportJob

from .. import samples
from ..samples import upload

VISIT, PLAN, IMPORT = uploads.VISIT_FILES, uploads.HELP_PLAN_FILES, uploads.IMPORT_FILES


@pytest.mark.parametrize(
    "allowed, name, content, content_type",
    [
        (VISIT, "现场.png", samples.PNG, "image/png"),
        (VISIT, "现场.JPEG", samples.JPG, "image/jpeg"),
        (VISIT, "现场.webp", samples.WEBP, "image/webp"),
        (VISIT, "纪要.pdf", samples.PDF, "application/pdf"),
        (VISIT, "纪要.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (VISIT, "台账.xlsx", samples.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (VISIT, "纪要.doc", samples.ole2("WordDocument"), "application/msword"),
        (VISIT, "台账.xls", samples.ole2("Workbook"), "application/vnd.ms-excel"),
        (PLAN, "方案.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (IMPORT, "名册.csv", "名称,地址\n甲企业,工业园\n".encode(), "text/csv"),
        (IMPORT, "名册.csv", "名称,地址\n甲企业,工业园\n".encode("gb18030"), "text/csv"),
        (IMPORT, "名册.csv", "\ufeff名称\n甲\n".encode(), "text/csv"),
    ],
)
def test_real_files_pass_with_their_type(allowed, name, content, content_type):
    checked = uploads.check(upload(name, content), allowed, field="files")
    assert (checked.name, checked.type.content_type, checked.size) == (name, content_type, len(content))


@pytest.mark.parametrize(
    "allowed, name, content, code, message",
    [
        # What the attacker sent: a WAV named .webp, a plain ZIP named .docx.
        (VISIT, "录音.webp", samples.WAV, "file_content", "“录音.webp”不是真正的WebP图片：其内容是WAV类型的文件"),
        (VISIT, "纪要.docx", samples.plain_zip(), "file_content", "不是真正的Word文档：其内容是ZIP类型的文件"),
        (VISIT, "纪要.docx", samples.xlsx(), "file_content", "不是真正的Word文档：其内容是XLSX类型的文件"),
        (VISIT, "台账.xlsx", samples.docx(), "file_content", "不是真正的Excel工作簿"),
        (VISIT, "台账.xls", samples.ole2("WordDocument"), "file_content", "不是真正的Excel 97–2003工作簿"),
        (VISIT, "照片.jpg", samples.EXE, "file_content", "其内容是EXE类型的文件"),
        (VISIT, "照片.png", b"not a png at all", "file_content", "与文件名不符"),
        (VISIT, "病毒.exe", samples.EXE, "file_type", "这里只能上传照片（JPG、PNG、WebP）和文档（PDF、Word、Excel）"),
        (VISIT, "无扩展名", samples.PNG, "file_type", "这里只能上传"),
        (VISIT, "空.png", b"", "file_empty", "是空文件"),
        (PLAN, "方案.xlsx", samples.xlsx(), "file_type", "这里只能上传PDF或Word文档"),
        (IMPORT, "名册.txt", b"a,b\n", "file_type", "这里只能上传.xlsx或.csv文件"),
        (IMPORT, "名册.csv", b"a,b\x00c\n", "file_content", "含有二进制数据（NUL字节）"),
        (IMPORT, "名册.csv", b"\xff\xfe\xfa\xff,\x80\n", "file_encoding", "既不是UTF-8也不是GB18030"),
        (IMPORT, "名册.csv", samples.plain_zip(), "file_content", "其内容是ZIP类型的文件"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(allowed, name, content, code, message):
    with pytest.raises(InvalidInput) as refused:
        uploads.check(upload(name, content), allowed, field="files")
    assert refused.value.code == code and refused.value.field == "files"
    assert message in refused.value.message


def test_size_limit(settings):
    settings.ZOUFANG_UPLOAD_MAX_BYTES = 1024 * 1024
    uploads.check(upload("a.png", samples.PNG.ljust(1024 * 1024, b"\x00")), VISIT, field="files")
    with pytest.raises(InvalidInput) as refused:
        uploads.check(upload("大图.png", samples.PNG.ljust(1024 * 1024 + 1, b"\x00")), VISIT, field="files")
    assert refused.value.code == "file_too_large" and "每个文件不能超过1MB" in refused.value.message


def test_a_zip_bomb_is_refused_from_its_directory_alone():
    bomb = samples.xlsx_bomb()  # 269,000 rows
    assert len(bomb) < 1024 * 1024
    reader = samples.CountingReader(bomb)
    reader.name = "名册.xlsx"
    reader.size = len(bomb)
    with pytest.raises(InvalidInput) as refused:
        uploads.check(reader, IMPORT, field="file")
    assert refused.value.code == "zip_too_large" and "解压后将达到172MB" in refused.value.message
    # The central directory at the end was read, not the compressed sheet.
    assert reader.bytes_read < 2 * 8192 + 4096, reader.bytes_read


def test_a_smaller_bomb_is_refused_by_its_compression_ratio():
    bomb = samples.xlsx_bomb(rows=40_000)  # 26 MB of XML, under the size limit
    with pytest.raises(InvalidInput) as refused:
        uploads.check(upload("名册.xlsx", bomb), VISIT, field="files")
    assert refused.value.code == "zip_ratio" and "疑似压缩炸弹" in refused.value.message


def test_a_real_workbook_of_20000_rows_is_within_the_limits():
    rows = [(f"91350100M{n:09d}", f"企业{n}有限公司", "市/甲县/甲镇", f"工业园{n}号") for n in range(20_000)]
    content = samples.xlsx(("统一社会信用代码", "企业名称", "所在区划", "地址"), rows)
    assert uploads.check(upload("名册.xlsx", content), IMPORT, field="file").type == uploads.XLSX


def test_text_encoding_reads_the_whole_file():
    utf8 = ("甲" * 600_000).encode()  # a character split across the 1 MB chunks
    assert uploads.text_encoding(io.BytesIO(utf8)) == "utf-8-sig"
    assert uploads.text_encoding(io.BytesIO("甲".encode("gb18030") * 10)) == "gb18030"
    assert uploads.text_encoding(io.BytesIO(b"a" * (2 * 1024 * 1024) + b"\x00")) is None


# Storing ------------------------------------------------------------------------------


def _job(name="名册.csv"):
    from enterprises.models import ImportJob

    return ImportJob(kind="units", file_name=name)


def stored(media) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_files_of_a_block_that_raises_are_deleted(world, media):
    with pytest.raises(ValueError), uploads.atomic_with_files():
        job = _job()
        job.created_by = world.admin
        uploads.save(job.file, upload("名册.csv", b"a\n"))
        job.save()
        assert len(stored(media)) == 1
        raise ValueError
    assert stored(media) == [] and not ImportJob.objects.exists()


def test_a_nested_block_hands_its_files_to_the_enclosing_one(world, media):
    with pytest.raises(ValueError), uploads.atomic_with_files():
        with uploads.atomic_with_files():
            job = _job()
            job.created_by = world.admin
            uploads.save(job.file, upload("名册.csv", b"a\n"))
            job.save()
        raise ValueError  # after the inner block succeeded
    assert stored(media) == []


def test_a_nested_block_rolled_back_and_caught_loses_only_its_own_files(world, media):
    with uploads.atomic_with_files():
        kept = _job("kept.csv")
        kept.created_by = world.admin
        uploads.save(kept.file, upload("kept.csv", b"a\n"))
        kept.save()
        try:
            with uploads.atomic_with_files():
                lost = _job("lost.csv")
                uploads.save(lost.file, upload("lost.csv", b"b\n"))
                lost.created_by = world.admin
                lost.save()
                raise ValueError
        except ValueError:
            pass
    assert [path.rsplit("/", 1)[-1] for path in stored(media)] == ["kept.csv"]
    assert default_storage.exists(ImportJob.objects.get().file.name)


def test_files_are_stored_only_inside_a_block():
    with pytest.raises(RuntimeError), transaction.atomic():
        uploads.save(_job().file, upload("名册.csv", b"a\n"))
