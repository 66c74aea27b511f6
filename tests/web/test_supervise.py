"""The supervisors' desks: dispatch, verification, extensions, escalations."""

import html
import re

import pytest
from django.urls import reverse

from enterprises.models import HelpUnit
from issues import services, similar
from issues.models import Issue


@pytest.mark.parametrize("name", ["dispatch", "verification", "extensions", "escalations"])
def test_desks_are_for_supervisors_and_admins(client, world, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(world.official_a)
    assert client.get(reverse(name)).status_code == 403
    for who in (world.supervisor_a, world.admin):
        client.force_login(who)
        assert client.get(reverse(name)).status_code == 200


def test_dispatch_suggests_the_team_and_assigns(client, world, make_issue):
    mine = make_issue("registered")
    theirs = services.issue_register(actor=world.official_b, enterprise=world.enterprise_b, category="land", title="乙")
    client.force_login(world.supervisor_a)
    page = client.get(reverse("dispatch")).content.decode()
    assert mine.number in page and theirs.number not in page
    row = page.split(f'id="dispatch-{mine.pk}"')[1]
    suggestions = row.split("</optgroup>")[0]
    assert suggestions.index("甲县经信局") < suggestions.index("甲县商务局")  # the lead first
    # finance, the default scheme (Shandong): 15 working days from Monday 1 June, or 30 for a complex item;
    # the date field is left blank for the scheme's limit
    assert "2026-06-22" in row and "2026-07-13" in row
    assert 'name="assign-due_date" class="form-control form-control-sm" aria-describedby' in row
    data = {
        "next": reverse("dispatch"),
        "assign-unit": world.unit_a.pk,
        "assign-due_date": "2026-06-30",
        "assign-note": "",
        "assign-version": mine.version,
    }
    refused = client.post(reverse("issue-action", args=[mine.pk, "assign"]), data, follow=True)
    assert "请说明理由" in refused.content.decode()
    data["assign-note"] = "企业要求6月底前"
    response = client.post(reverse("issue-action", args=[mine.pk, "assign"]), data)
    assert response["Location"] == reverse("dispatch")
    mine.refresh_from_db()
    assert (mine.status, str(mine.due_date)) == ("assigned", "2026-06-30")


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_refused_row_answers_in_place_with_what_was_typed(client, world, make_issue):
    """A changed deadline with no reason: the row comes back by itself, the
    issue named, the date, unit, co-unit and complex tick as typed."""
    issue = make_issue("registered")
    client.force_login(world.supervisor_a)
    data = {
        "assign-unit": world.unit_a2.pk,
        "assign-co_units": [world.unit_a.pk],
        "assign-due_date": "2026-06-30",
        "assign-is_complex": "on",
        "assign-version": issue.version,
    }
    response = client.post(reverse("dispatch-row", args=[issue.pk]), data, **HTMX)
    row = response.content.decode()
    assert response.status_code == 200 and row.lstrip().startswith("<div") and "<html" not in row
    errors = row.split(f'id="dispatch-{issue.pk}-errors"')[1].split("</div>")[0]
    assert issue.number in errors and "请说明理由" in errors
    assert 'value="2026-06-30"' in row and f'id="complex-{issue.pk}" checked' in row
    assert re.search(rf'<option value="{world.unit_a2.pk}" selected>', row)
    assert re.search(rf'value="{world.unit_a.pk}" id="co-{issue.pk}-{world.unit_a.pk}" checked', row)
    issue.refresh_from_db()
    assert issue.status == "registered"
    data["assign-note"] = "企业要求6月底前"
    done = client.post(reverse("dispatch-row", args=[issue.pk]), data, **HTMX).content.decode()
    assert "甲县商务局" in done and "2026-06-30" in done and "甲县经信局" in done  # the co-unit too
    issue.refresh_from_db()
    assert (issue.status, issue.responsible_unit, list(issue.co_units.all())) == (
        "assigned",
        world.unit_a2,
        [world.unit_a],
    )
    again = client.post(reverse("dispatch-row", args=[issue.pk]), data, **HTMX).content.decode()
    assert "不再等待交办" in again or "no longer waiting" in again


def test_the_desk_lists_every_unit_once_whatever_its_rows(client, world, make_issue):
    """25 rows at a province's 2,880 units were 72,000 options: each row now
    holds its team, and the bulk drop-down every unit, once (zoufang.js
    copies them into a row's drop-down when it is opened)."""
    for _ in range(4):
        make_issue("registered")
    client.force_login(world.supervisor_a)
    page = client.get(reverse("dispatch")).content.decode()
    units = HelpUnit.objects.restrict(world.supervisor_a).filter(is_active=True).count()
    assert units >= 5 and page.count("<option") <= 1 + units + 4 * (3 + 1)  # the bulk's, then a team and "—" a row
    assert page.count(f'<option value="{world.unit_a4.pk}">') == 1  # in no team: listed once
    assert page.count('data-more-units="#bulk-unit"') == 4 and 'id="bulk-unit"' in page


def test_a_refused_row_keeps_a_unit_from_outside_the_team(client, world, make_issue):
    issue = make_issue("registered")
    client.force_login(world.supervisor_a)
    data = {"assign-unit": world.unit_a4.pk, "assign-due_date": "2026-06-30", "assign-version": issue.version}
    row = client.post(reverse("dispatch-row", args=[issue.pk]), data, **HTMX).content.decode()
    assert f'<option value="{world.unit_a4.pk}" selected>{world.unit_a4.name}</option>' in row


def test_without_htmx_a_refused_row_names_its_issue_on_the_desk(client, world, make_issue):
    issue = make_issue("registered")
    client.force_login(world.supervisor_a)
    data = {"assign-unit": world.unit_a.pk, "assign-due_date": "2026-06-30", "assign-version": issue.version}
    response = client.post(reverse("dispatch-row", args=[issue.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('dispatch')}#dispatch-{issue.pk}"
    assert f"{issue.number}：" in response.content.decode()


def test_the_suggestion_is_the_team_unit_that_handled_the_category_most(client, world, make_issue):
    # 甲县商务局 (not the lead) has handled two land issues; 经信局, the lead, none.
    for _n in range(2):
        landed = make_issue("registered", category="land")
        services.issue_assign(actor=world.supervisor_a, issue_id=landed.pk, unit=world.unit_a2)
    issue = make_issue("registered", category="land")
    finance = make_issue("registered", category="finance")
    client.force_login(world.supervisor_a)
    page = client.get(reverse("dispatch")).content.decode()
    land = page.split(f'id="dispatch-{issue.pk}"')[1].split("</optgroup>")[0]
    assert land.index("甲县商务局") < land.index("甲县经信局") and "办过2件同类问题" in land
    money = page.split(f'id="dispatch-{finance.pk}"')[1].split("</optgroup>")[0]
    assert money.index("甲县经信局") < money.index("甲县商务局")  # no history: the lead first


def test_bulk_dispatch(client, world, make_issue):
    first, second = make_issue("registered"), make_issue("registered")
    client.force_login(world.supervisor_a)
    client.post(reverse("dispatch-bulk"), {"unit": world.unit_a2.pk, "issues": [first.pk, second.pk]})
    assert set(Issue.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "responsible_unit")) == {
        ("assigned", world.unit_a2.pk)
    }


def test_verification_closes_and_sends_back(client, world, make_issue):
    closing, reworking = make_issue("resolved"), make_issue("resolved")
    # the desk shows what the closure rests on: the unit's explanation and the enterprise's contact
    closing.enterprise.contact_name, closing.enterprise.contact_phone = "王经理", "13812345678"
    closing.enterprise.save()
    client.force_login(world.supervisor_a)
    page = client.get(reverse("verification")).content.decode()
    assert closing.number in page and reworking.number in page
    row = page.split(f'id="verify-{closing.pk}"')[1].split('class="card mb-3 verify-row"')[0]
    assert "已办结" in row and "王经理" in row and "13812345678" in row  # explanation (conftest), contact, phone
    assert "selected" not in row.split('name="follow_up-verdict"')[1].split("</select>")[0].replace(
        '<option value="" selected>', ""
    )  # no verdict is pre-set
    called = client.post(
        reverse("issue-action", args=[closing.pk, "follow_up"]),
        {
            "follow_up-channel": "phone",
            "follow_up-contact": "王经理",
            "follow_up-verdict": "basically_satisfied",
            "follow_up-note": "基本解决",
            "next": reverse("verification"),
        },
        follow=True,
    )
    assert "已完成" in called.content.decode(), called.content.decode()
    client.post(
        reverse("issue-action", args=[closing.pk, "close"]),
        {"close-note": "电话回访", "next": reverse("verification")},
    )
    client.post(reverse("issue-action", args=[reworking.pk, "reopen"]), {"reopen-reason": "企业反映未解决"})
    closing.refresh_from_db()
    reworking.refresh_from_db()
    assert (closing.status, closing.satisfaction) == ("closed", "basically_satisfied")
    assert reworking.status == "in_progress"


def test_extension_desk_shows_the_units_record_and_decides(client, world, make_issue):
    issue = make_issue("in_progress", extra=("request_extension",))
    client.force_login(world.supervisor_a)
    page = client.get(reverse("extensions")).content.decode()
    assert issue.number in page and "1" in page.split("extension-row")[1]
    client.post(reverse("issue-action", args=[issue.pk, "approve_extension"]), {"next": reverse("extensions")})
    assert issue.extensions.get().status == "approved"
    assert issue.number not in client.get(reverse("extensions")).content.decode()


def test_escalations_group_common_problems(client, world, make_issue, django_assert_max_num_queries):
    from issues import services

    from ..conftest import drive
    from .test_dashboard import listed

    # Land: one issue at each of two enterprises; finance: three at one enterprise.
    make_issue("in_progress", category="land", extra=("escalate",))
    other = services.issue_register(
        actor=world.supervisor_a, enterprise=world.enterprise_a_other, category="land", title="用地指标"
    )
    drive(other, world, "assign", "accept", "escalate")
    for _ in range(3):
        make_issue("in_progress", category="finance", extra=("escalate",))
    make_issue("closed", category="people", extra=())  # not escalated
    client.force_login(world.supervisor_a)
    page = client.get(reverse("escalations")).content.decode()
    groups = page.split('class="card mb-2 escalation-group"')[1:]
    # Two enterprises sharing a problem come before three issues of one enterprise.
    assert "用地" in groups[0] and groups[0].count("font-monospace") == 2
    assert "融资" in groups[1] and groups[1].count("font-monospace") == 3 and len(groups) == 2
    for group, count in zip(groups, (2, 3), strict=True):
        link = html.unescape(re.search(r'href="([^"]+)" data-count="(\d+)"', group).group(1))
        assert listed(client, link) == count
    # Each group shows its first 20 and links to all; the queries do not grow with the issues.
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("escalations"))
    for _ in range(19):
        make_issue("in_progress", category="finance", extra=("escalate",))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("escalations")).content.decode()
    finance = page.split('class="card mb-2 escalation-group"')[2]  # still after land's two enterprises
    assert finance.count("font-monospace") == 20 and "22" in finance


def test_dispatch_query_count_does_not_grow(client, world, make_issue, django_assert_max_num_queries):
    make_issue("registered")
    client.force_login(world.supervisor_a)
    client.get(reverse("dispatch"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("dispatch"))
    for _ in range(10):
        make_issue("registered")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dispatch"))


def test_verification_query_count_does_not_grow(client, world, make_issue, django_assert_max_num_queries):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from issues import services

    from ..samples import PDF

    def resolved_with_evidence():
        issue = make_issue("in_progress")
        files = [SimpleUploadedFile("证明.pdf", PDF, "application/pdf")]
        services.issue_resolve(actor=world.official_a, issue_id=issue.pk, outcome="solved", note="已办结", files=files)

    resolved_with_evidence()
    client.force_login(world.supervisor_a)
    client.get(reverse("verification"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("verification"))
    for _ in range(6):
        resolved_with_evidence()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("verification")).content.decode()
    assert page.count("证明.pdf") >= 7  # each row's evidence, loaded with the rest


def test_dispatch_flags_an_issue_past_the_schemes_time_to_assign(client, world, make_issue):
    import datetime

    from django.utils import timezone

    from core import clock

    # Registered Thursday 28 May: assigned within 1 working day, by Friday 29 May; today is Monday 1 June.
    with clock.frozen_at(timezone.make_aware(datetime.datetime(2026, 5, 28, 16))):
        waiting = make_issue("registered")
    fresh = make_issue("registered")
    client.force_login(world.supervisor_a)
    page = client.get(reverse("dispatch")).content.decode()
    late = page.split(f'id="dispatch-{waiting.pk}"')[1].split("dispatch-row")[0]
    on_time = page.split(f'id="dispatch-{fresh.pk}"')[1].split("dispatch-row")[0]
    assert "zf-assign-late" in late and "应于2026-05-29前交办" in late
    assert "zf-assign-late" not in on_time


def test_the_verification_desk_marks_a_late_call(client, world, make_issue):
    import datetime

    from django.utils import timezone

    from core import clock

    with clock.frozen_at(timezone.make_aware(datetime.datetime(2026, 5, 27, 10))):
        late = make_issue("resolved")  # Wednesday 27 May: call due Thursday 28 May
    fresh = make_issue("resolved")  # today: call due tomorrow
    client.force_login(world.supervisor_a)
    page = client.get(reverse("verification")).content.decode()
    assert "zf-call-late" in page.split(f'id="verify-{late.pk}"')[1].split("verify-row")[0]
    assert "zf-call-late" not in page.split(f'id="verify-{fresh.pk}"')[1].split("verify-row")[0]


def test_the_extension_desk_shows_the_wait_and_warns_of_a_date_already_past(client, world, make_issue):
    import datetime

    from django.utils import timezone

    from core import clock

    issue = make_issue("in_progress", extra=("request_extension",))  # asked on 1 June, for due date + 10 days
    asked = issue.extensions.get().new_due_date
    client.force_login(world.supervisor_a)
    page = client.get(reverse("extensions")).content.decode()
    assert "已等待0天" in page and "zf-date-passed" not in page
    later = timezone.make_aware(datetime.datetime.combine(asked + datetime.timedelta(days=3), datetime.time(10)))
    with clock.frozen_at(later):
        page = client.get(reverse("extensions")).content.decode()
    waited = (asked + datetime.timedelta(days=3) - datetime.date(2026, 6, 1)).days
    assert f"已等待{waited}天" in page
    assert "zf-date-passed" in page and f"申请的新时限{asked:%Y-%m-%d}已过" in page


# The radar's desk (common problems) -----------------------------------------------------


def _problem(world, make_issue, n=3):
    from issues import common
    from issues.models import Issue

    issues = [make_issue("registered") for _ in range(n)]
    Issue.objects.filter(pk__in=[i.pk for i in issues]).update(title="园区道路破损，货车进出难")
    return common.common_propose(actor=world.supervisor_a, title="园区道路破损", issue_ids=[i.pk for i in issues])


def test_the_desk_shows_a_problem_and_its_issues_and_acts_on_it(client, world, make_issue):
    problem = _problem(world, make_issue)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("escalations")).content.decode()
    card = page.split(f'id="problem-{problem.pk}"')[1]
    assert "园区道路破损" in card and card.count('name="issues"') == 3 and 'data-act="decide"' in card
    data = {"version": problem.version, "answer_kind": "unit", "answer": "", "responsible_unit": world.unit_a2.pk}
    refused = client.post(reverse("common-act", args=[problem.pk, "decide"]), data, follow=True)
    assert "园区道路破损：" in refused.content.decode()  # the refusal names the problem
    problem.refresh_from_db()
    assert problem.status == "confirmed"
    data["answer"] = "县交通局年内完成纬二路大修"
    done = client.post(reverse("common-act", args=[problem.pk, "decide"]), data)
    assert done["Location"].endswith(f"#problem-{problem.pk}")
    problem.refresh_from_db()
    assert (problem.status, problem.responsible_unit) == ("decided", world.unit_a2)
    client.post(reverse("common-act", args=[problem.pk, "close"]), {"version": problem.version, "handling": "assign"})
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert set(problem.issues.values_list("responsible_unit", flat=True)) == {world.unit_a2.pk}
    issue_page = client.get(reverse("issue-detail", args=[problem.issues.first().pk])).content.decode()
    assert 'id="common-problem"' in issue_page and "县交通局年内完成纬二路大修" in issue_page


def test_another_countys_supervisor_cannot_act_on_a_problem(client, world, make_issue):
    problem = _problem(world, make_issue)
    client.force_login(world.supervisor_b)
    response = client.post(reverse("common-act", args=[problem.pk, "dismiss"]), {"reason": "不是"})
    assert response.status_code == 404
    assert "园区道路破损" not in client.get(reverse("escalations")).content.decode()


def test_the_radar_button_queues_a_run_through_the_outbox(client, world):
    from core.models import OutboxMessage

    client.force_login(world.supervisor_a)
    client.post(reverse("radar-now"))
    assert OutboxMessage.objects.filter(task="issues.tasks.radar").count() == 1


def test_the_desk_lists_every_unit_once_whatever_its_problems(client, world, make_issue):
    for _ in range(3):
        _problem(world, make_issue)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("escalations")).content.decode()
    assert page.count(f'<option value="{world.unit_a2.pk}">') == 1
    assert page.count('data-more-units="#all-units"') == 3


# Duplicate hints on the dispatch desk (issues.similar), and the merge they offer.

OUTAGE = {"category": "infrastructure", "title": "厂区经常停电", "description": "线路老化，今年停电七八次。"}


def _outages(world, n=2):
    return [services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE) for _ in range(n)]


def test_dispatch_names_the_open_issue_a_row_repeats_and_merges_it_in_one_click(client, world):
    first, second = _outages(world)
    alone = services.issue_register(
        actor=world.official_a, enterprise=world.enterprise_a, category="land", title="缺地"
    )
    client.force_login(world.supervisor_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("dispatch")).content.decode()
    hint = page.split(f'id="dispatch-{second.pk}-similar"')[1].split("</ul>")[0]
    assert "This enterprise raised a similar issue on 2026-06-01 (" in hint and first.number in hint
    assert f'name="into" value="{first.pk}"' in hint and f"merge it into {first.number}" in hint
    assert f'id="dispatch-{alone.pk}-similar"' not in page
    # The earlier row names the later one but offers no merge into it: the earlier keeps the wait.
    earlier = page.split(f'id="dispatch-{first.pk}-similar"')[1].split("</ul>")[0]
    assert second.number in earlier and 'name="into"' not in earlier
    assert "hx-confirm=" in hint
    done = client.post(reverse("dispatch-merge", args=[second.pk]), {"into": first.pk, "version": 1}, **HTMX)
    assert done.status_code == 200 and "is cancelled as a duplicate of" in done.content.decode()
    second.refresh_from_db()
    assert (
        second.status == "cancelled"
        and second.events.latest("id").note == f"Duplicate of {first.number}: merged into it."
    )
    event = first.events.get(action="raised_again")
    assert event.actor == world.supervisor_a and event.data["duplicate"] == second.pk and "厂区经常停电" in event.note
    # The desk no longer shows it, nor names it beside the one it was merged into.
    page = client.get(reverse("dispatch")).content.decode()
    assert f'id="dispatch-{second.pk}"' not in page and f'id="dispatch-{first.pk}-similar"' not in page


def test_a_refused_merge_answers_in_its_row_and_changes_nothing(client, world):
    first, second = _outages(world)
    services.issue_assign(actor=world.supervisor_a, issue_id=first.pk, unit=world.unit_a)
    client.force_login(world.supervisor_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    stale = client.post(reverse("dispatch-merge", args=[second.pk]), {"into": first.pk, "version": 5}, **HTMX)
    row = stale.content.decode()
    assert stale.status_code == 200 and f'id="dispatch-{second.pk}-merge-errors"' in row and "was not merged" in row
    foreign = services.issue_register(actor=world.official_b, enterprise=world.enterprise_b, **OUTAGE)
    for into in (foreign.pk, foreign.pk + 999):  # out of scope and missing: the same answer
        answer = client.post(reverse("dispatch-merge", args=[second.pk]), {"into": into}, **HTMX).content.decode()
        assert "No such issue." in answer
    without_htmx = client.post(reverse("dispatch-merge", args=[second.pk]), {"into": foreign.pk}, follow=True)
    assert "No such issue." in without_htmx.content.decode()
    second.refresh_from_db()
    assert second.status == "registered" and second.version == 1 and not first.events.filter(action="raised_again")
    client.force_login(world.official_a)
    assert client.post(reverse("dispatch-merge", args=[second.pk]), {"into": first.pk}).status_code == 403
    client.force_login(world.supervisor_b)
    assert client.post(reverse("dispatch-merge", args=[second.pk]), {"into": first.pk}).status_code == 404


def test_dispatch_hints_do_not_grow_the_query_count(client, world, django_assert_max_num_queries):
    _outages(world)
    client.force_login(world.supervisor_a)
    client.get(reverse("dispatch"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("dispatch"))
    for _ in range(6):
        _outages(world)
    services.issue_register(actor=world.supervisor_a, enterprise=world.enterprise_a_other, **OUTAGE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("dispatch")).content.decode()
    # Each of the enterprise's 14 rows names the 3 most alike; the other enterprise's names none.
    assert page.count('class="zf-similar-hint') == 14 * similar.MOST_HINTS
