"""The radar's desk in Chromium at 1366×768: the radar proposes the issues
several enterprises raised about one broken park road; a supervisor confirms
them as one common problem, records the decision and closes it, dispatching
its issues to the responsible unit; each issue's page shows it. Every page
is checked as the role walks check theirs (tests/browser/walk.py)."""

import pytest

from enterprises.models import Official
from issues import common
from issues import services as issue_services
from issues.models import CommonProblem, Issue

from ..factories import EnterpriseFactory
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


def test_a_supervisor_confirms_decides_and_closes_a_common_problem(
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

    card.locator("select[name=answer_kind]").select_option("unit")
    card.locator("input[name=answer]").fill("县交通运输局年内完成纬二路大修")
    unit = card.locator("select[name=responsible_unit]")
    unit.focus()  # every unit is copied in when it is first opened
    unit.select_option(str(w.unit_a2.pk))
    card.locator("[data-act=decide]").click()
    page.wait_for_url("**/supervise/escalations/*")
    me.step("decided")

    card = page.locator(f"#problem-{problem.pk}")
    card.locator("select[name=handling]").select_option("assign")
    card.locator("[data-act=close]").click()
    page.wait_for_url("**/supervise/escalations/*")
    me.step("closed")
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert set(Issue.objects.filter(pk__in=[i.pk for i in issues]).values_list("responsible_unit", flat=True)) == {
        w.unit_a2.pk
    }
    page = me.go(f"/issues/{issues[0].pk}/", "issue")
    assert "县交通运输局年内完成纬二路大修" in page.inner_text("#common-problem")
