"""Every page: signed out → sign-in; in scope → 200; out of scope → 404; and
a query count that does not grow with the rows."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core import clock
from issues import intake
from issues.models import Issue
from visits.models import Visit

from ..factories import EnterpriseFactory


def login(client, user):
    client.force_login(user)
    return client


def record_visit(world, enterprise=None, issues=0, who=None):
    who = who or world.official_a
    return intake.visit_record_with_issues(
        actor=who,
        enterprise=enterprise or world.enterprise_a,
        date=clock.today(),
        form="onsite",
        purposes=["situation"],
        summary="了解情况",
        issues=[intake.RaisedIssue(category="finance", title=f"问题{i}") for i in range(issues)],
    )


@pytest.fixture
def pages(world, make_issue):
    issue = make_issue("in_progress")
    visit = record_visit(world, issues=1)
    return {
        "my-work": reverse("my-work"),
        "enterprise-list": reverse("enterprise-list"),
        "enterprise-detail": reverse("enterprise-detail", args=[world.enterprise_a.pk]),
        "visit-list": reverse("visit-list"),
        "visit-detail": reverse("visit-detail", args=[visit.pk]),
        "visit-create": reverse("visit-create"),
        "visit-export": reverse("visit-export"),
        "issue-list": reverse("issue-list"),
        "issue-detail": reverse("issue-detail", args=[issue.pk]),
        "issue-export": reverse("issue-export"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "my-work",
        "enterprise-list",
        "enterprise-detail",
        "visit-list",
        "visit-detail",
        "visit-create",
        "visit-export",
        "issue-list",
        "issue-detail",
        "issue-export",
    ],
)
def test_signed_out_is_sent_to_sign_in(client, pages, name):
    response = client.get(pages[name])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["enterprise-detail", "visit-detail", "issue-detail"])
@pytest.mark.parametrize(
    "who, status",
    [
        ("official_a", 200),
        ("supervisor_a", 200),
        ("admin", 200),
        ("official_b", 404),
        ("supervisor_b", 404),
        ("official_a4", 404),
    ],
)
def test_detail_pages_follow_scope(client, world, pages, name, who, status):
    assert login(client, getattr(world, who)).get(pages[name]).status_code == status


def test_guessed_ids_are_404(client, world):
    login(client, world.official_a)
    for name in ("enterprise-detail", "visit-detail", "issue-detail"):
        assert client.get(reverse(name, args=[987654])).status_code == 404
    other = EnterpriseFactory(region=world.town_b)
    assert client.get(reverse("enterprise-detail", args=[other.pk])).status_code == 404


def test_lists_and_exports_show_only_the_scope(client, world, make_issue):
    from issues import services

    mine = make_issue("in_progress")
    theirs = services.issue_register(
        actor=world.official_b, enterprise=world.enterprise_b, category="land", title="乙县的问题"
    )
    record_visit(world, enterprise=world.enterprise_b, who=world.official_b)
    login(client, world.official_a)
    page = client.get(reverse("issue-list")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert "乙企业" not in client.get(reverse("enterprise-list")).content.decode()
    assert "乙企业" not in client.get(reverse("visit-list")).content.decode()
    workbook = load_workbook(io.BytesIO(b"".join(client.get(reverse("issue-export")).streaming_content)))
    numbers = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert numbers == [mine.number]
    visits = load_workbook(io.BytesIO(b"".join(client.get(reverse("visit-export")).streaming_content)))
    assert [row[1] for row in visits.active.iter_rows(min_row=2, values_only=True)] == []
    # Filter dropdowns do not list units outside the scope either.
    assert "乙县经信局" not in client.get(reverse("issue-list")).content.decode()


def test_export_follows_the_filters(client, world, make_issue):
    land = make_issue("in_progress", category="land")
    make_issue("in_progress", category="finance")
    login(client, world.supervisor_a)
    response = client.get(reverse("issue-export"), {"category": "land"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "挂号编号"
    assert [row[0] for row in rows[1:]] == [land.number]
    assert rows[1][rows[0].index("承办单位")] == "甲县经信局"


def _grow(world, make_issue, n):
    for _ in range(n):
        make_issue("in_progress")
        record_visit(world, issues=1)


@pytest.mark.parametrize("name", ["my-work", "issue-list", "visit-list", "enterprise-list", "enterprise-detail"])
def test_query_count_does_not_grow_with_rows(client, world, make_issue, django_assert_max_num_queries, name):
    login(client, world.official_a)
    url = {
        "my-work": reverse("my-work"),
        "issue-list": reverse("issue-list"),
        "visit-list": reverse("visit-list"),
        "enterprise-list": reverse("enterprise-list"),
        "enterprise-detail": reverse("enterprise-detail", args=[world.enterprise_a.pk]),
    }[name]
    _grow(world, make_issue, 2)
    client.get(url)
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    _grow(world, make_issue, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_exports_query_count_does_not_grow_with_rows(client, world, make_issue, django_assert_max_num_queries):
    login(client, world.supervisor_a)
    _grow(world, make_issue, 2)
    for url in (reverse("issue-export"), reverse("visit-export")):
        with django_assert_max_num_queries(40) as small:
            b"".join(client.get(url).streaming_content)
        _grow(world, make_issue, 6)
        with django_assert_max_num_queries(len(small.captured_queries)):
            b"".join(client.get(url).streaming_content)


def test_pages_are_chinese_unless_english_is_chosen(client, world):
    login(client, world.official_a)
    assert "我的工作" in client.get(reverse("my-work"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "My work" in client.get(reverse("my-work")).content.decode()


def test_sign_in_with_a_wrong_password_says_so(client, world):
    response = client.post(reverse("login"), {"username": "off_a", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    ok = client.post(reverse("login"), {"username": "off_a", "password": "pw-for-tests"})
    assert ok.status_code == 302 and ok["Location"] == reverse("my-work")


def test_my_work_lists_what_waits(client, world, make_issue):
    to_sign = make_issue("assigned")
    working = make_issue("in_progress")
    Issue.objects.filter(pk=working.pk).update(due_date="2026-05-29")
    registered = make_issue("registered")
    record_visit(world)
    page = login(client, world.official_a).get(reverse("my-work")).content.decode()
    assert to_sign.number in page.split('id="to-sign"')[1].split('id="open-issues"')[0]
    open_part = page.split('id="open-issues"')[1].split('id="my-enterprises"')[0]
    assert working.number in open_part and "逾期1个工作日" in open_part
    assert registered.number in page.split('id="registered"')[1]
    assert "甲企业" in page.split('id="my-enterprises"')[1]
    assert Visit.objects.count() == 1 and "甲企业" in page.split('id="recent-visits"')[1]


def test_my_work_counts_each_issue_once_and_sets_co_handled_ones_apart(client, world, make_issue):
    """An issue waiting for sign-for is not also an open one; another unit's
    issue we co-handle has its own list, marked, with the unit that leads it."""
    waiting, working = make_issue("assigned"), make_issue("in_progress")  # 经信局 leads, 商务局 co-handles
    page = login(client, world.official_a).get(reverse("my-work")).content.decode()
    to_sign = page.split('id="to-sign"')[1].split('id="open-issues"')[0]
    own = page.split('id="open-issues"')[1].split('id="my-enterprises"')[0]
    assert waiting.number in to_sign and waiting.number not in own and working.number in own
    assert 'data-count="1"' in to_sign and 'data-count="1"' in own and 'id="co-issues"' not in page
    page = login(client, world.official_a2).get(reverse("my-work")).content.decode()
    co = page.split('id="co-issues"')[1].split('id="my-enterprises"')[0]
    assert waiting.number in co and working.number in co and "协办" in co and "甲县经信局" in co
    assert 'data-count="0"' in page.split('id="open-issues"')[1].split("</span></div>")[0]


def test_my_work_folds_a_long_list_of_enterprises_those_due_a_visit_first(client, world):
    from ..factories import AssignmentFactory, AssignmentUnitFactory

    page = login(client, world.official_a).get(reverse("my-work")).content.decode()
    assert '<details class="card zf-fold" id="my-enterprises" open>' in page  # one enterprise: open
    for n in range(6):
        enterprise = EnterpriseFactory(region=world.town_a, name=f"结对企业{n}")
        assignment = AssignmentFactory(campaign=world.campaign, enterprise=enterprise)
        AssignmentUnitFactory(assignment=assignment, unit=world.unit_a, is_lead=True)
    record_visit(world)  # 甲企业 visited today; the six new ones never
    page = client.get(reverse("my-work")).content.decode()
    assert '<details class="card zf-fold" id="my-enterprises">' in page
    listed = page.split('id="my-enterprises"')[1]
    assert 'id="due-visits">6' in listed and listed.index("结对企业") < listed.index("甲企业")


def test_a_unit_handling_an_issue_sees_the_enterprise_and_its_team(client, world, make_issue):
    from issues import services

    issue = make_issue("registered")
    services.issue_assign(actor=world.supervisor_a, issue_id=issue.pk, unit=world.unit_a4)
    client.force_login(world.official_a4)  # unit_a4 is not on 甲企业's team
    page = client.get(reverse("enterprise-detail", args=[world.enterprise_a.pk])).content.decode()
    team = page.split('id="team"')[1].split('id="issues"')[0]
    assert "甲县经信局" in team and "牵头单位" in team
    assert client.get(reverse("enterprise-detail", args=[world.enterprise_b.pk])).status_code == 404


def test_every_page_names_its_icon_and_the_browsers_guess_finds_it(client, world):
    from django.contrib.staticfiles import finders

    login(client, world.official_a)
    page = client.get(reverse("my-work")).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and finders.find(icon.group(1).split("/static/", 1)[1])
    guessed = client.get("/favicon.ico")  # what a browser asks for on a page without the link (the admin)
    assert guessed.status_code == 301 and guessed["Location"].endswith("favicon.ico")
    ico = finders.find("favicon.ico")
    with open(ico, "rb") as file:
        assert file.read(4) == b"\x00\x00\x01\x00"  # an icon resource


def test_a_supervisors_home_is_the_queues_and_an_administrators_adds_the_gaps(client, world, make_issue):
    make_issue("registered")
    login(client, world.supervisor_a)
    page = client.get(reverse("my-work")).content.decode()
    assert 'id="queues"' in page and 'id="gaps"' not in page
    assert re.search(r'id="queue-dispatch".*?data-count="1"', page, flags=re.S)
    assert page.index('id="queues"') < page.index('id="to-sign"')  # the office's unit's own lists come after
    login(client, world.admin)
    page = client.get(reverse("my-work")).content.decode()
    assert 'id="queues"' in page and 'id="gap-teams"' in page and 'id="gap-imports"' in page
    login(client, world.official_a)
    page = client.get(reverse("my-work")).content.decode()
    assert 'id="queues"' not in page and 'id="to-sign"' in page
