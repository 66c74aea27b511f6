"""The radar's desk and the coordination meeting in Chromium at 1366×768:
the radar proposes the issues several enterprises raised about one broken
park road; a supervisor confirms them as one common problem, schedules a
coordination meeting, puts the problem on its agenda, records the meeting's
decision (lead unit and date), and each issue is handed to that unit with
that deadline and shows the decision; the minutes print on A4; the problem
is closed on the desk. Every page is checked as the role walks check theirs
(tests/browser/walk.py)."""

import datetime

import pytest

from core import clock
from enterprises.models import Official
from issues import common
from issues import services as issue_services
from issues.models import CommonProblem, Issue, Meeting

from ..factories import EnterpriseFactory
from .conftest import PHONE
from .walk import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
ROAD = [
    ("园区纬二路路面破损严重", "纬二路坑洼不平，重载货车通行困难，雨天积水。"),
    ("园区道路坑洼，大货车进出难", "厂门口道路年久失修，路面破损，货车经常托底。"),
    ("道路破损影响原料运输", "进厂道路路面破损，运输车辆颠簸，玻璃制品破损率上升。"),
]


@pytest.fixture
def proposed(live_world):
    w = live_world
    enterprises = [
        w.enterprise_a,
        w.enterprise_a_other,
        EnterpriseFactory(name="甲县恒通机械有限公司", region=w.town_a),
    ]
    issues = [
        issue_services.issue_register(
            actor=w.supervisor_a, enterprise=enterprise, category="infrastructure", title=title, description=text
        )
        for enterprise, (title, text) in zip(enterprises, ROAD, strict=True)
    ]
    assert common.radar_run().proposed == 1
    return CommonProblem.objects.get(), issues


def test_a_supervisor_takes_a_common_problem_through_a_coordination_meeting(
    signed_in, live_server, live_world, screenshot, proposed
):
    w = live_world
    problem, issues = proposed
    names = frozenset(Official.objects.values_list("username", flat=True))
    page = signed_in("sup_a", viewport=LAPTOP)
    me = Walk(page, role="common", origin=live_server.url, screenshot=screenshot, data=names)
    page = me.go("/supervise/escalations/", "proposed")
    card = page.locator(f"#problem-{problem.pk}")
    assert card.locator("[name=issues]").count() == 3 and "路面" in card.inner_text()

    card.locator("input[name=title]").first.fill("工业园区道路破损")
    card.locator("[data-act=confirm]").click()
    page.wait_for_url("**/supervise/escalations/*")
    me.step("confirmed")
    card = page.locator(f"#problem-{problem.pk}")
    assert "工业园区道路破损" in card.inner_text() and "已确认" in card.inner_text()

    # A coordination meeting of the county, and the problem on its agenda.
    page = me.go("/supervise/meetings/", "meetings")
    page.fill("#id_title", "第十二次周五协调例会")
    page.select_option("#id_region", str(w.county_a.pk))
    page.fill("#id_chair", "副县长 李明")
    page.fill("#id_place", "县政府三楼会议室")
    page.locator("#meeting-form button[type=submit]").click()
    page.wait_for_url("**/supervise/meetings/*/")
    meeting = Meeting.objects.get()
    page = me.go("/supervise/escalations/", "agenda")
    card = page.locator(f"#problem-{problem.pk}")
    card.locator("select[name=meeting]").select_option(str(meeting.pk))
    card.locator("[data-act=agenda]").click()
    page.wait_for_url(f"**/supervise/meetings/{meeting.pk}/*")
    me.step("on-the-agenda")
    item = page.locator(".agenda-item").first
    assert "工业园区道路破损" in item.inner_text() and item.locator(".list-group-item").count() == 3

    # The decision: the transport bureau leads, by a date.
    due = clock.today() + datetime.timedelta(days=30)
    item.locator("textarea").fill("县交通运输局牵头，年内完成纬二路大修")
    unit = item.locator('select[name$="-unit"]')
    unit.focus()  # every unit is copied in when it is first opened
    unit.select_option(str(w.unit_a2.pk))
    item.locator("input[type=date]").fill(due.isoformat())
    item.locator("[data-act=decide]").click()
    page.wait_for_url(f"**/supervise/meetings/{meeting.pk}/*")
    me.step("decided")
    assert page.locator('.agenda-item[data-decided="yes"]').count() == 1
    assert set(
        Issue.objects.filter(pk__in=[i.pk for i in issues]).values_list("status", "responsible_unit", "due_date")
    ) == {("assigned", w.unit_a2.pk, due)}

    # Each issue shows it; the minutes print it.
    page = me.go(f"/issues/{issues[0].pk}/", "issue")
    decision = page.inner_text("#meeting-decision")
    assert "县交通运输局牵头，年内完成纬二路大修" in decision and w.unit_a2.name in decision
    assert "第十二次周五协调例会" in decision and "工业园区道路破损" in page.inner_text("#common-problem")
    # The lead unit's official, on a phone, sees what the meeting decided and signs for it.
    phone = Walk(
        signed_in("off_a_partner", viewport=PHONE),
        role="lead",
        origin=live_server.url,
        screenshot=screenshot,
        data=names,
    )
    lead = phone.go(f"/issues/{issues[0].pk}/", "issue")
    assert "县交通运输局牵头，年内完成纬二路大修" in lead.inner_text("#meeting-decision")
    assert lead.locator("#action-accept").count() == 1 and lead.locator("#action-return").count() == 0
    page = me.go(f"/supervise/meetings/{meeting.pk}/minutes/", "minutes")
    assert "县交通运输局牵头，年内完成纬二路大修" in page.inner_text("#minutes")
    page.emulate_media(media="print")
    me.step("minutes-print")
    page.emulate_media(media="screen")

    # Closed on the desk: each goes on along its own path (already with the unit).
    page = me.go("/supervise/escalations/", "decided-desk")
    card = page.locator(f"#problem-{problem.pk}")
    card.locator("select[name=handling]").select_option("keep")
    card.locator("[data-act=close]").click()
    page.wait_for_url("**/supervise/escalations/*")
    me.step("closed")
    problem.refresh_from_db()
    assert problem.status == "closed"
