"""enterprises.selectors.admin_gaps: what an administrator's home lists as
left to set up, by the same rules as the pages that close each gap."""

from django.core.files.uploadedfile import SimpleUploadedFile

from enterprises import selectors, services
from enterprises.models import HelpUnit


def _counts(world):
    return {gap["key"]: gap["count"] for gap in selectors.admin_gaps(user=world.admin, campaign=world.campaign)}


def test_the_gaps_are_the_boards_the_plans_and_the_imports(world):
    board = selectors.board_enterprises(user=world.admin, campaign=world.campaign, gaps_only=True).count()
    teamed = HelpUnit.objects.filter(assignments__assignment__campaign=world.campaign).distinct().count()
    before = _counts(world)
    assert before == {"teams": board, "plans": teamed, "imports": 0} and board and teamed
    bad = "统一社会信用代码,企业名称,所在区划,行业门类,企业规模\n123,坏,市/甲县/甲镇,C,小型\n"
    job = services.import_job_start(
        actor=world.admin, kind="enterprises", upload=SimpleUploadedFile("b.csv", bad.encode())
    )
    services.import_job_run(job.pk, "check")
    assert _counts(world)["imports"] == 1
    links = {gap["key"]: gap["link"] for gap in selectors.admin_gaps(user=world.admin, campaign=world.campaign)}
    assert links["teams"].endswith(f"?campaign={world.campaign.pk}&gaps=1") and links["imports"] == "/manage/imports/"


def test_without_a_campaign_only_the_imports_are_asked_about(world):
    assert [gap["key"] for gap in selectors.admin_gaps(user=world.admin, campaign=None)] == ["imports"]
