"""The visit form: one transaction for the visit, its files and its issues;
a mistake keeps everything that was typed, and stores no file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from issues.models import Issue
from visits.models import Visit, VisitAttachment

from .. import samples

PNG, PDF = samples.PNG, samples.PDF


def payload(world, **overrides):
    data = {
        "enterprise": world.enterprise_a.pk,
        "date": "2026-05-29",
        "form": "onsite",
        "purposes": ["situation", "policy"],
        "summary": "企业订单饱满,用工紧张",
        "participants": [world.official_a.pk, world.official_a2.pk],
        "headcount": "320",
        "issues-TOTAL_FORMS": "2",
        "issues-INITIAL_FORMS": "0",
        "issues-MIN_NUM_FORMS": "0",
        "issues-MAX_NUM_FORMS": "20",
        "issues-0-category": "people",
        "issues-0-title": "技术工人招工难",
        "issues-0-request": "组织专场招聘",
        "issues-0-priority": "normal",
        "issues-1-category": "finance",
        "issues-1-title": "流动资金紧张",
        "issues-1-priority": "high",
    }
    data.update(overrides)
    return data


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


@pytest.fixture
def official(client, world):
    client.force_login(world.official_a)
    return client


def test_visit_with_two_issues_and_files_is_saved_together(official, world, media):
    data = payload(world, files=[SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("纪要.pdf", PDF)])
    response = official.post(reverse("visit-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Visit.objects.get()
    assert response["Location"] == reverse("visit-detail", args=[visit.pk])
    assert visit.headcount == 320 and visit.purposes == ["situation", "policy"]
    assert set(visit.participant_rows.values_list("unit__name", flat=True)) == {"甲县经信局", "甲县商务局"}
    issues = Issue.objects.filter(visit=visit).order_by("number")
    assert [(i.category, i.title, i.priority) for i in issues] == [
        ("people", "技术工人招工难", "normal"),
        ("finance", "流动资金紧张", "high"),
    ]
    assert sorted(a.kind for a in visit.attachments.all()) == ["document", "photo"]
    photo = visit.attachments.get(kind="photo")
    download = official.get(reverse("attachment", args=[photo.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert (photo.content_type, photo.size, photo.uploaded_by) == ("image/png", len(PNG), world.official_a)
    assert len(stored(media)) == 2


def test_an_untouched_extra_issue_form_is_skipped(official, world):
    data = payload(
        world,
        **{"issues-TOTAL_FORMS": "3", "issues-2-category": "", "issues-2-title": "", "issues-2-priority": "normal"},
    )
    assert official.post(reverse("visit-create"), data).status_code == 302
    assert Issue.objects.count() == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"date": "2026-06-02"}, "晚于今天"),
        ({"purposes": []}, "该字段是必填项"),
        ({"issues-1-title": ""}, "该字段是必填项"),
        ({"issues-1-category": ""}, "该字段是必填项"),
        ({"headcount": "-3"}, "0"),
        ({"files": [SimpleUploadedFile("病毒.exe", b"MZ....")]}, "只能上传照片"),
        ({"files": [SimpleUploadedFile("假照片.jpg", b"not a jpeg at all")]}, "不是真正的JPG图片"),
        ({"files": [SimpleUploadedFile("录音.webp", samples.WAV)]}, "其内容是WAV类型的文件"),
        ({"files": [SimpleUploadedFile("纪要.docx", samples.plain_zip())]}, "其内容是ZIP类型的文件"),
    ],
)
def test_a_mistake_keeps_everything_typed_and_saves_nothing(official, world, change, message, media):
    response = official.post(reverse("visit-create"), payload(world, **change))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "其余已填写的内容都已保留" in page
    for kept in ("企业订单饱满,用工紧张", "技术工人招工难", "组织专场招聘"):
        assert kept in page
    if "issues-1-title" not in change:
        assert "流动资金紧张" in page
    assert f'value="{world.official_a2.pk}"' in page  # the colleague's chip
    assert Visit.objects.count() == 0 and Issue.objects.count() == 0


def test_a_mistake_beside_a_large_valid_file_stores_no_file(official, world, media):
    """What the attacker saw: 45 MB left on disk per rejected form."""
    large = SimpleUploadedFile("现场.png", PNG.ljust(9 * 1024 * 1024, b"\x00"))
    response = official.post(
        reverse("visit-create"), payload(world, date="2030-01-01", files=[large, SimpleUploadedFile("纪要.pdf", PDF)])
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "晚于今天" in page
    not_kept = page.split('id="files-not-kept">')[1].split("</div>")[0]
    assert "这次没有保留，请重新选择" in not_kept and "现场.png、纪要.pdf" in not_kept
    assert stored(media) == [] and VisitAttachment.objects.count() == 0


def test_oversized_file_is_refused(official, world, settings, media):
    settings.ZOUFANG_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("大图.png", PNG + b"\x00" * (1024 * 1024))
    response = official.post(reverse("visit-create"), payload(world, files=[big]))
    assert response.status_code == 400 and "每个文件不能超过1MB" in response.content.decode()
    assert stored(media) == []


def test_at_most_so_many_files_per_visit(official, world, settings, media):
    settings.ZOUFANG_UPLOAD_MAX_FILES = 3
    photos = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(4)]
    response = official.post(reverse("visit-create"), payload(world, files=photos))
    assert response.status_code == 400 and "每次走访最多上传3个文件，本次提交了4个" in response.content.decode()
    assert stored(media) == []


def test_more_files_than_django_parses_is_a_bad_request(official, world, settings, media):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 4
    photos = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(5)]
    assert official.post(reverse("visit-create"), payload(world, files=photos)).status_code == 400
    assert Visit.objects.count() == 0 and stored(media) == []


def test_a_body_past_the_request_limit_is_refused_before_it_is_read(official, world, settings, media):
    settings.ZOUFANG_REQUEST_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("现场.png", PNG.ljust(1024 * 1024, b"\x00"))
    assert official.post(reverse("visit-create"), payload(world, files=[big])).status_code == 400
    assert Visit.objects.count() == 0 and stored(media) == []


def test_out_of_scope_enterprise_cannot_be_chosen(official, world):
    response = official.post(reverse("visit-create"), payload(world, enterprise=world.enterprise_b.pk))
    assert response.status_code == 400
    assert "乙企业" not in response.content.decode()
    assert Visit.objects.count() == 0


def test_participant_search_stays_in_scope(official, world):
    found = official.get(reverse("participant-search"), {"q": "干部"}).content.decode()
    assert world.official_a_colleague.name in found and world.official_a2.name in found
    assert world.official_b.name not in found


def test_form_prefills_enterprise_and_me(official, world):
    page = official.get(reverse("visit-create"), {"enterprise": world.enterprise_a.pk}).content.decode()
    assert f'<option value="{world.enterprise_a.pk}" selected>' in page
    assert f'name="participants" value="{world.official_a.pk}"' in page


def test_a_visit_without_a_summary_is_sent_back_with_everything_typed(official, world):
    response = official.post(reverse("visit-create"), payload(world, summary=" "))
    page = response.content.decode()
    assert response.status_code == 400 and not Visit.objects.exists()
    assert "这个字段是必填项" in page or "该字段是必填项" in page
    assert "技术工人招工难" in page  # the issues typed are kept


def test_a_second_visit_the_same_day_by_the_same_people_asks_first(official, world):
    assert official.post(reverse("visit-create"), payload(world)).status_code == 302
    again = official.post(reverse("visit-create"), payload(world, summary="又一次"))
    page = again.content.decode()
    assert again.status_code == 400 and Visit.objects.count() == 1
    assert 'id="same-day"' in page and "企业订单饱满" in page  # the first one, named
    assert "又一次" in page and "技术工人招工难" in page  # what was typed is kept
    # One of the same people is enough: 甲2 was at the first visit too.
    other = payload(world, summary="另一组", participants=[world.official_a2.pk])
    assert 'id="same-day"' in official.post(reverse("visit-create"), other).content.decode()
    # The same issues again are asked about too (duplicate hints): here they are new ones.
    anew = {"issues-0-again": "new", "issues-1-again": "new"}
    confirmed = official.post(
        reverse("visit-create"), payload(world, summary="又一次", same_day_confirmed="on", **anew)
    )
    assert confirmed.status_code == 302 and Visit.objects.count() == 2
    next_day = official.post(reverse("visit-create"), payload(world, date="2026-05-28", summary="前一天", **anew))
    assert next_day.status_code == 302 and Visit.objects.count() == 3


def test_the_visit_page_writes_amounts_with_thousands_separators(official, world):
    response = official.post(reverse("visit-create"), payload(world, output_value="89986", revenue="123456.5"))
    page = official.get(response["Location"]).content.decode()
    assert "产值 89,986.00 万元" in page and "营业收入 123,456.50 万元" in page and "用工人数 320" in page


def test_an_issue_block_ticked_away_is_neither_checked_nor_registered(official, world):
    # The second block is half-filled (no title) and ticked away: the visit saves with the first alone.
    data = payload(world, **{"issues-1-title": "", "issues-1-DELETE": "on"})
    response = official.post(reverse("visit-create"), data)
    assert response.status_code == 302, response.content.decode()[:1500]
    assert list(Issue.objects.values_list("title", flat=True)) == ["技术工人招工难"]
    page = official.get(reverse("visit-create")).content.decode()
    assert "issues-__prefix__-DELETE" in page  # every new block can be ticked away


# Correction and withdrawal -------------------------------------------------------------


def recorded(official, world, **overrides) -> Visit:
    official.post(reverse("visit-create"), payload(world, **overrides))
    return Visit.objects.latest("pk")


def correction(world, visit, **overrides) -> dict:
    data = {
        "version": visit.version,
        "date": "2026-05-28",
        "form": "onsite",
        "purposes": ["situation", "policy"],
        "summary": visit.summary,
        "participants": [world.official_a.pk, world.official_a2.pk],
        "headcount": "320",
        "reason": "日期记错，应为前一天",
    }
    data.update(overrides)
    return data


def test_a_correction_is_shown_in_the_visit_history_before_and_after(official, world):
    visit = recorded(official, world, **{"issues-TOTAL_FORMS": "0"})
    form = official.get(reverse("visit-correct", args=[visit.pk])).content.decode()
    assert "企业订单饱满" in form and 'name="version" value="1"' in form and world.official_a2.name in form
    response = official.post(reverse("visit-correct", args=[visit.pk]), correction(world, visit))
    assert response.status_code == 302 and response["Location"] == reverse("visit-detail", args=[visit.pk])
    page = official.get(response["Location"]).content.decode()
    assert 'id="visit-history"' in page and "日期记错，应为前一天" in page
    assert "<del>2026-05-29</del> → <ins>2026-05-28</ins>" in page


def test_a_correction_made_meanwhile_is_not_overwritten(official, world, client):
    visit = recorded(official, world, **{"issues-TOTAL_FORMS": "0"})
    first = official.post(reverse("visit-correct", args=[visit.pk]), correction(world, visit, summary="甲的更正"))
    assert first.status_code == 302
    late = official.post(
        reverse("visit-correct", args=[visit.pk]),
        correction(world, visit, summary="乙的更正", headcount="500", reason="乙的理由"),
    )
    page = late.content.decode()
    assert late.status_code == 400 and 'id="form-conflict"' in page
    # The visit as it now is, so saving again cannot undo the first correction; the reason kept.
    assert "甲的更正" in page and "乙的更正" not in page and 'value="500"' not in page
    assert 'name="version" value="2"' in page and "乙的理由" in page
    visit.refresh_from_db()
    assert visit.summary == "甲的更正" and visit.changes.count() == 1


def test_a_refused_correction_keeps_what_was_typed(official, world):
    visit = recorded(official, world, **{"issues-TOTAL_FORMS": "0"})
    response = official.post(reverse("visit-correct", args=[visit.pk]), correction(world, visit, reason=""))
    page = response.content.decode()
    assert response.status_code == 400 and 'id="form-errors"' in page and 'value="2026-05-28"' in page
    assert not visit.changes.exists()


def test_only_its_people_see_the_buttons_to_change_a_visit(official, world, client):
    from ..factories import OfficialFactory

    visit = recorded(official, world, **{"issues-TOTAL_FORMS": "0"})
    assert 'id="correct-visit"' in official.get(reverse("visit-detail", args=[visit.pk])).content.decode()
    client.force_login(OfficialFactory(username="colleague_not_there", unit=world.unit_a))
    page = client.get(reverse("visit-detail", args=[visit.pk])).content.decode()
    assert 'id="correct-visit"' not in page and 'id="withdraw-visit"' not in page
    assert client.get(reverse("visit-correct", args=[visit.pk])).status_code == 302


def test_a_visit_with_issues_is_not_withdrawn_and_says_which(official, world):
    visit = recorded(official, world)
    response = official.post(reverse("visit-withdraw", args=[visit.pk]), {"reason": "重复录入", "version": "1"})
    page = response.content.decode()
    numbers = list(visit.issues.values_list("number", flat=True))
    assert response.status_code == 400 and all(number in page for number in numbers)
    assert "重复录入" in page and "open" in page.split('id="withdraw-visit"')[1][:20]  # the form stays open
    assert Visit.objects.filter(pk=visit.pk).exists()


def test_a_withdrawn_visit_leaves_the_list_and_keeps_its_page(official, world):
    visit = recorded(official, world, **{"issues-TOTAL_FORMS": "0"})
    response = official.post(reverse("visit-withdraw", args=[visit.pk]), {"reason": "重复录入", "version": "1"})
    assert response.status_code == 302
    page = official.get(reverse("visit-detail", args=[visit.pk])).content.decode()
    assert 'id="withdrawn"' in page and "重复录入" in page and 'id="correct-visit"' not in page
    assert reverse("visit-detail", args=[visit.pk]) not in official.get(reverse("visit-list")).content.decode()
    assert official.get(reverse("visit-correct", args=[visit.pk])).status_code == 404


def test_the_visit_page_shows_when_and_where_a_photo_was_taken(official, world, media):
    photo = SimpleUploadedFile("现场.jpg", samples.photo(taken="2026:05:28 16:00:00"), "image/jpeg")
    response = official.post(reverse("visit-create"), {**payload(world), "files": [photo]})
    page = official.get(response["Location"]).content.decode()
    assert "拍摄于 2026-05-28 16:00" in page and "31.23039, 121.47369" in page
    assert "非走访当日" in page  # taken the day before the visit of 29 May


def test_a_participant_who_left_stays_on_a_corrected_visit_through_the_page(official, world):
    visit = recorded(official, world, **{"issues-TOTAL_FORMS": "0"})
    world.official_a2.is_active = False
    world.official_a2.save(update_fields=["is_active"])
    form = official.get(reverse("visit-correct", args=[visit.pk])).content.decode()
    assert f'value="{world.official_a2.pk}"' in form  # still a chip
    response = official.post(
        reverse("visit-correct", args=[visit.pk]), correction(world, visit, date="2026-05-29", summary="补充纪要")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert visit.participant_rows.count() == 2


# Duplicate hints: a block that reads like an issue the enterprise raised before asks first.

OUTAGE = {"category": "infrastructure", "title": "厂区经常停电", "description": "线路老化，今年停电七八次。"}


def outage_payload(world, **overrides):
    blocks = {
        "issues-0-category": "infrastructure",
        "issues-0-title": "厂区又停电了",
        "issues-0-description": "线路老化，上周又停电两次。",
        "issues-0-request": "请供电公司改造线路",
    }
    return payload(world, **{**blocks, **overrides})


@pytest.fixture
def earlier(world):
    from issues import services

    return services.issue_register(actor=world.official_a, enterprise=world.enterprise_a, **OUTAGE)


def test_an_issue_raised_before_is_named_under_its_block_and_nothing_is_saved(official, world, earlier):
    official.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = official.post(reverse("visit-create"), outage_payload(world))
    page = response.content.decode()
    assert response.status_code == 400 and not Visit.objects.exists() and Issue.objects.count() == 1
    hint = page.split('id="issues-0-similar"')[1].split("</fieldset>")[0]
    assert "This enterprise raised a similar issue on 2026-06-01 (" in hint and "Registered" in hint
    assert f'href="{reverse("issue-detail", args=[earlier.pk])}"' in hint and earlier.number in hint
    assert "厂区经常停电" in hint  # its title
    assert f'name="issues-0-again" value="{earlier.pk}"' in hint and 'name="issues-0-again" value="new"' in hint
    assert 'id="issues-1-similar"' not in page and 'id="duplicates"' in page
    assert "厂区又停电了" in page and "流动资金紧张" in page  # everything typed is kept


def test_linking_records_the_raise_again_and_the_visit_lists_it(official, world, earlier):
    response = official.post(reverse("visit-create"), outage_payload(world, **{"issues-0-again": str(earlier.pk)}))
    assert response.status_code == 302, response.content.decode()[:3000]
    visit = Visit.objects.get()
    assert [issue.title for issue in visit.issues.all()] == ["流动资金紧张"]  # the other block alone registered
    event = earlier.events.get(action="raised_again")
    assert event.data["visit"] == visit.pk and event.note.startswith("厂区又停电了\n线路老化，上周又停电两次。")
    earlier.refresh_from_db()
    assert earlier.status == "registered" and earlier.version == 2
    page = official.get(response["Location"]).content.decode()
    linked = page.split('class="list-group-item d-flex justify-content-between flex-wrap zf-raised-again"')[1]
    assert earlier.number in linked.split("</li>")[0]
    history = official.get(reverse("issue-detail", args=[earlier.pk])).content.decode()
    raised = history.split('data-action="raised_again"')[1].split("</li>")[0]
    assert f'href="{reverse("visit-detail", args=[visit.pk])}"' in raised and "上周又停电两次" in raised


def test_registered_as_new_all_the_same(official, world, earlier):
    response = official.post(reverse("visit-create"), outage_payload(world, **{"issues-0-again": "new"}))
    assert response.status_code == 302 and Issue.objects.count() == 3
    assert not earlier.events.filter(action="raised_again").exists()


@pytest.mark.parametrize("chosen", ["closed", "other", "garbage", "superscript"])
def test_a_link_to_an_issue_not_offered_asks_again_and_saves_nothing(official, world, earlier, chosen):
    from issues import services

    from ..conftest import drive

    target = {
        "closed": lambda: drive(earlier, world, "assign", "accept", "resolve", "follow_up", "close").pk,
        "other": lambda: (
            services.issue_register(
                actor=world.official_a, enterprise=world.enterprise_a, category="finance", title="银行抽贷"
            ).pk
        ),
        "garbage": lambda: "2026-000001",
        "superscript": lambda: "²",  # a digit to str.isdigit, not to int(): was a 500
    }[chosen]()
    response = official.post(reverse("visit-create"), outage_payload(world, **{"issues-0-again": str(target)}))
    assert response.status_code == 400 and not Visit.objects.exists()
    assert not Issue.objects.filter(title="流动资金紧张").exists()
    assert 'id="issues-0-similar"' in response.content.decode()


def test_a_link_is_kept_while_another_mistake_is_put_right(official, world, earlier):
    response = official.post(
        reverse("visit-create"), outage_payload(world, summary=" ", **{"issues-0-again": str(earlier.pk)})
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Visit.objects.exists()
    assert f'name="issues-0-again" value="{earlier.pk}" id="issues-0-again-{earlier.pk}" checked' in page


def test_a_hint_is_given_while_another_block_is_mistaken(official, world, earlier):
    """One round trip: the outage block is asked about while the other block's missing title is put right."""
    response = official.post(reverse("visit-create"), outage_payload(world, **{"issues-1-title": ""}))
    page = response.content.decode()
    assert response.status_code == 400 and not Visit.objects.exists()
    assert 'id="issues-0-similar"' in page and earlier.number in page.split('id="issues-0-similar"')[1]
