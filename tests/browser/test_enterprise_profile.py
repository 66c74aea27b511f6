"""一企一档 in a real Chromium: reached from the enterprise's page, its photo
loaded through the access-checked download, its trend drawn, and printed on
A4 (the PDF is left in test-artifacts/ to look at)."""

import datetime
import re
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enterprises.models import AssignmentUnit
from visits import services as visit_services

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def png(width=8, height=6, rgb=(200, 16, 46)) -> bytes:
    """A real PNG of one colour (the browser must be able to draw it)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_the_profile_is_reached_from_the_enterprise_and_prints_on_a4(
    signed_in, live_server, live_world, make_issue, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = live_world
    w.official_a2.phone = "13905790123"
    w.official_a2.save(update_fields=["phone"])
    AssignmentUnit.objects.filter(assignment=w.assignment_a, unit=w.unit_a2).update(
        responsible=w.official_a2, contact=w.official_a_colleague
    )
    today = datetime.date.today()
    for months_ago, output, revenue, headcount in (
        (3, "1180.5", "960", 298),
        (2, "1234.5", "1010.25", 312),
        (1, "1402", None, 330),
    ):
        year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
        visit_services.visit_record(
            actor=w.official_a,
            enterprise=w.enterprise_a,
            date=datetime.date(year, month + 1, 10),
            form="onsite",
            purposes=["situation"],
            summary=f"了解生产经营情况,第{4 - months_ago}次走访。",
            participants=[w.official_a, w.official_a2],
            snapshot=visit_services.Snapshot(
                output_value=Decimal(output), revenue=revenue and Decimal(revenue), headcount=headcount
            ),
            files=[SimpleUploadedFile(f"现场{months_ago}.png", png(), "image/png")],
        )
    issue = make_issue("assigned")

    page = signed_in("off_a")
    page.goto(f"{live_server.url}/enterprises/{w.enterprise_a.pk}/")
    page.click("#profile-link")
    page.wait_for_selector("#profile")
    assert "一企一档" in page.inner_text("h1")
    assert "13905790123" in page.inner_text("#profile-teams")
    assert issue.number in page.inner_text("#profile-issues")
    assert page.locator("#profile-trend rect.profile-bar").count() == 3 + 2 + 3
    photos = page.locator("img.profile-photo")
    assert photos.count() == 3
    page.wait_for_function("[...document.querySelectorAll('img.profile-photo')].every(i => i.complete)")
    assert all(width > 0 for width in photos.evaluate_all("images => images.map(i => i.naturalWidth)"))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "enterprise-profile.png"), full_page=True)
    page.emulate_media(media="print")
    pdf = page.pdf(path=str(SCREENSHOTS / "enterprise-profile.pdf"), prefer_css_page_size=True)
    # A4 is 595 × 842 points; the navigation is not printed.
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert sizes and all(round(float(x)) == 595 and round(float(y)) == 842 for x, y in sizes)
    assert page.locator("nav.navbar").is_hidden()
