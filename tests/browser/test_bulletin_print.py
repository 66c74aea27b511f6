"""The bulletin printed by Chromium on A4: a long overdue list with long
names, and every register number and date on one line, inside its column,
with the tables inside the page; the PDF's text holds each number whole.
The PDF is kept as test-artifacts/bulletin-a4.pdf, the workbook as
test-artifacts/bulletin.xlsx."""

import datetime
import io
import re

import pytest
from pypdf import PdfReader

from issues import bulletins, services
from issues.models import Issue

from ..factories import AssignmentFactory, AssignmentUnitFactory, EnterpriseFactory, HelpUnitFactory, OfficialFactory
from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = SCREENSHOTS.parent / "bulletin-a4.pdf"
XLSX = SCREENSHOTS.parent / "bulletin.xlsx"
NUMBER = re.compile(r"\d{4}-\d{6}")
# The text area of A4 less the bulletin's @page margins (22 mm and 20 mm), in CSS pixels.
A4_TEXT_WIDTH = round((210 - 42) / 25.4 * 96)

CELLS = """() => {
  const cells = [...document.querySelectorAll('#bulletin .zf-register-number, #bulletin-overdue td:nth-child(5)')];
  return cells.map(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const text = range.getBoundingClientRect();
    const style = getComputedStyle(cell);
    const inner = cell.tagName === 'TD'
      ? cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      : cell.parentElement.clientWidth;
    return {text: cell.textContent.trim(), lines: range.getClientRects().length, width: text.width,
            room: inner, height: text.height, fontSize: parseFloat(style.fontSize)};
  });
}"""

TABLES = """() => {
  const page = document.querySelector('#bulletin').getBoundingClientRect();
  return [...document.querySelectorAll('#bulletin table')].map(table => {
    const box = table.getBoundingClientRect();
    return {id: table.id, left: box.left - page.left, right: page.right - box.right,
            overflow: table.scrollWidth - table.clientWidth};
  });
}"""


def _ledger(w):
    """Thirty overdue issues of enterprises and units with long names."""
    long_unit = HelpUnitFactory(name="甲县发展和改革局（甲县粮食和物资储备局）", region=w.county_a)
    OfficialFactory(username="long_unit", unit=long_unit)
    issues = []
    for n in range(30):
        enterprise = EnterpriseFactory(name=f"甲县第{n + 1}精密机械制造股份有限公司第二分公司", region=w.town_a)
        team = AssignmentFactory(campaign=w.campaign, enterprise=enterprise)
        AssignmentUnitFactory(assignment=team, unit=w.unit_a, is_lead=True)
        issue = services.issue_register(
            actor=w.supervisor_a,
            enterprise=enterprise,
            category=("finance", "land", "people")[n % 3],
            title="企业反映技术改造项目用地指标和配套资金迟迟未落实，影响新生产线按期投产" if n % 2 else "融资难",
        )
        unit = long_unit if n % 3 else w.unit_a
        services.issue_assign(actor=w.supervisor_a, issue_id=issue.pk, unit=unit)
        if n % 3 == 1:  # land: escalated, so the common problems list their numbers
            services.issue_escalate(actor=w.supervisor_a, issue_id=issue.pk, note="需县领导协调用地指标")
        issues.append(issue)
    for n, issue in enumerate(issues):
        Issue.objects.filter(pk=issue.pk).update(due_date=datetime.date.today() - datetime.timedelta(days=3 + n))
    return issues


def test_the_bulletin_prints_on_a4_with_every_register_number_whole(
    browser, signed_in, live_server, live_world, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    w = live_world
    issues = _ledger(w)
    start, end = bulletins.month_of(datetime.date.today())
    bulletin = bulletins.bulletin_make(
        actor=w.supervisor_a, region=w.county_a, start=start, end=end, office="甲县联手帮扶企业工作领导小组办公室"
    )
    numbers = sorted(issue.number for issue in issues)
    assert [len(group["numbers"]) for group in bulletin.data["escalated"]] == [3]
    assert sorted(row["number"] for row in bulletin.data["overdue"]) == numbers

    page = signed_in("sup_a")
    page.goto(f"{live_server.url}/supervise/bulletins/{bulletin.pk}/")
    screenshot(page, "bulletin-screen")

    # Laid out for print at the width of A4's text area.
    page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": 1100})
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible() and not page.locator("[data-print]").is_visible()
    cells = page.evaluate(CELLS)
    assert len([c for c in cells if NUMBER.fullmatch(c["text"])]) == len(numbers) + sum(
        len(group["numbers"]) for group in bulletin.data["escalated"]
    )
    for cell in cells:
        assert cell["lines"] == 1, cell  # one line box: the text never wraps
        assert cell["height"] < 2 * cell["fontSize"], cell
        assert cell["width"] <= cell["room"] + 0.5, cell  # and stays inside its column
    for table in page.evaluate(TABLES):
        assert table["left"] >= -0.5 and table["right"] >= -0.5 and table["overflow"] <= 0, table

    pdf = page.pdf(format="A4", print_background=True)
    PDF.parent.mkdir(parents=True, exist_ok=True)
    PDF.write_bytes(pdf)
    XLSX.write_bytes(bulletin.file.read())  # its workbook beside it, for a look
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2  # thirty issues run onto a second page
    for sheet in reader.pages:
        # A4, 210 × 297 mm (Chromium rounds it to 8.27 × 11.7 inches).
        size = [float(side) * 25.4 / 72 for side in (sheet.mediabox.width, sheet.mediabox.height)]
        assert abs(size[0] - 210) < 1 and abs(size[1] - 297) < 1, size
    text = "\n".join(sheet.extract_text() for sheet in reader.pages)
    compact = re.sub(r"\s+", "", text)  # the extraction puts spaces between Chinese and digits
    assert (
        f"甲县联手帮扶企业工作通报{bulletin.year}年第{bulletin.number}期甲县联手帮扶企业工作领导小组办公室" in compact
    )
    # The units' scores: two departments with the same record share the first place, and a
    # level group singles no one out for either list.
    assert [(row["place"], row["red_black"]) for row in bulletin.data["ranking"]] == [(1, None), (1, None)]
    assert compact.count("红榜") == 0
    # Every register number is in the text whole, on one line (a wrapped one
    # would read "2026-" and "000001" on two lines).
    assert sorted(set(NUMBER.findall(text)) & set(numbers)) == numbers
    for number in numbers:
        year, serial = number.split("-")
        assert not re.search(rf"{year}-?\s*\n\s*-?{serial}", text), number
