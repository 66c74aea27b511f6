"""visits.services: visit_record with files, alone and under issues.intake:
files are judged before anything is written and stored with the visit or
not at all, whichever step refuses; a correction and a withdrawal, each with
its reason kept, by whom it may be made and never over another's."""

import datetime
from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from issues import intake
from issues.choices import Status
from issues.models import Issue
from visits import selectors, services
from visits.models import Visit, VisitAttachment

from .. import samples
from ..factories import OfficialFactory
from ..samples import upload


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


def record(world, **overrides):
    fields = dict(
        actor=world.official_a,
        enterprise=world.enterprise_a,
        date=datetime.date(2026, 5, 29),
        form="onsite",
        purposes=["situation"],
        summary="了解企业用工情况",
        files=[upload("现场.png", samples.PNG), upload("纪要.docx", samples.docx())],
    )
    return intake.visit_record_with_issues(**{**fields, **overrides})


@pytest.mark.parametrize("summary", ["", "   \n "])
def test_a_visit_needs_a_summary(world, media, summary):
    with pytest.raises(InvalidInput) as refused:
        record(world, summary=summary, issues=[intake.RaisedIssue(category="finance", title="贷款难")])
    assert refused.value.code == "summary_required" and refused.value.field == "summary"
    assert not Visit.objects.exists() and not Issue.objects.exists() and stored(media) == []


def test_files_are_stored_with_the_visit(world, media):
    visit = record(world)
    attachments = {a.name: a for a in visit.attachments.all()}
    assert set(attachments) == {"现场.png", "纪要.docx"}
    assert attachments["现场.png"].kind == "photo" and attachments["纪要.docx"].kind == "document"
    assert attachments["纪要.docx"].content_type.endswith("wordprocessingml.document")
    assert sorted(path.name for path in stored(media)) == ["现场.png", "纪要.docx"]
    assert attachments["现场.png"].file.read() == samples.PNG


def test_an_issue_refused_after_the_files_were_stored_takes_them_away(world, media):
    with pytest.raises(InvalidInput) as refused:
        record(world, issues=[intake.RaisedIssue(category="weather", title="天气")])
    assert refused.value.code == "invalid_category"
    assert Visit.objects.count() == 0 and Issue.objects.count() == 0 and VisitAttachment.objects.count() == 0
    assert stored(media) == []


def test_a_bad_file_refuses_the_visit_before_anything_is_written(world, media):
    with pytest.raises(InvalidInput) as refused:
        record(world, files=[upload("现场.png", samples.PNG), upload("录音.webp", samples.WAV)])
    assert (refused.value.code, refused.value.field) == ("file_content", "files")
    assert Visit.objects.count() == 0 and stored(media) == []


def test_a_refused_visit_stores_nothing(world, media):
    with pytest.raises(InvalidInput):
        record(world, date=datetime.date(2030, 1, 1))
    assert stored(media) == []


# Correction and withdrawal -------------------------------------------------------------


def corrected(world, visit, **overrides):
    fields = dict(
        actor=world.official_a,
        visit_id=visit.pk,
        reason="日期记错了",
        expected_version=visit.version,
        date=visit.date,
        form=visit.form,
        purposes=visit.purposes,
        summary=visit.summary,
        participants=None,
    )
    return services.visit_correct(**{**fields, **overrides})


def test_a_correction_keeps_each_field_before_and_after_with_its_reason(world, media):
    w = world
    visit = record(w, files=[])
    corrected(w, visit, date=datetime.date(2026, 5, 28), form="remote", participants=[w.official_a, w.official_a2])
    visit.refresh_from_db()
    assert (visit.date, visit.form, visit.version) == (datetime.date(2026, 5, 28), "remote", 2)
    assert sorted(visit.participant_rows.values_list("official_id", flat=True)) == sorted(
        [w.official_a.pk, w.official_a2.pk]
    )
    change = visit.changes.get()
    assert (change.kind, change.actor, change.reason) == ("correct", w.official_a, "日期记错了")
    assert [item["field"] for item in change.fields] == ["date", "form", "participants"]
    assert change.fields[0] == {"field": "date", "before": "2026-05-29", "after": "2026-05-28"}
    assert change.fields[2]["after"] == [w.official_a.display_name, w.official_a2.display_name]


def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused(world, media):
    w = world
    visit = record(w, files=[])
    with pytest.raises(InvalidInput) as nothing:
        corrected(w, visit, snapshot=services.Snapshot())
    assert nothing.value.code == "nothing_changed"
    with pytest.raises(InvalidInput) as unexplained:
        corrected(w, visit, reason="  ", summary="改过的纪要")
    assert unexplained.value.field == "reason"
    visit.refresh_from_db()
    assert (visit.version, visit.summary, visit.changes.count()) == (1, "了解企业用工情况", 0)


def test_amounts_typed_again_the_same_are_not_a_change(world, media):
    w = world
    visit = record(w, files=[], snapshot=services.Snapshot(output_value=Decimal("120.5")))
    visit.refresh_from_db()
    with pytest.raises(InvalidInput) as nothing:
        corrected(w, visit, snapshot=services.Snapshot(output_value=Decimal("120.50")))
    assert nothing.value.code == "nothing_changed"


def test_a_correction_on_a_stale_version_is_refused_and_writes_nothing(world, media):
    w = world
    visit = record(w, files=[])
    corrected(w, visit, summary="第一次更正")
    with pytest.raises(Conflict) as stale:
        corrected(w, visit, summary="第二个人的更正")  # still at version 1
    assert stale.value.code == "stale_version"
    visit.refresh_from_db()
    assert (visit.summary, visit.version, visit.changes.count()) == ("第一次更正", 2, 1)


def test_only_its_people_and_admins_may_change_a_visit_within_their_scope(world, media):
    w = world
    visit = record(w, files=[])
    colleague = OfficialFactory(username="same_unit_not_there", unit=w.unit_a)
    assert services.may_change(w.official_a, visit) and services.may_change(w.admin, visit)
    assert not services.may_change(colleague, visit) and not services.may_change(w.supervisor_a, visit)
    with pytest.raises(NotPermitted):
        corrected(w, visit, actor=colleague, summary="不是我走访的")
    with pytest.raises(NotFound):  # outside the scope: as if it did not exist
        corrected(w, visit, actor=w.official_b, summary="别的县")
    corrected(w, visit, actor=w.admin, summary="管理员更正")
    assert Visit.objects.get(pk=visit.pk).summary == "管理员更正"


def test_a_person_who_left_stays_on_a_corrected_visit(world, media):
    w = world
    visit = record(w, files=[], participants=[w.official_a, w.official_a2])
    w.official_a2.is_active = False
    w.official_a2.save(update_fields=["is_active"])
    corrected(w, visit, summary="补充纪要", participants=[w.official_a, w.official_a2])
    assert visit.participant_rows.count() == 2
    stranger = OfficialFactory(username="left_long_ago", unit=w.unit_a, is_active=False)
    with pytest.raises(InvalidInput) as refused:
        corrected(w, Visit.objects.get(pk=visit.pk), participants=[w.official_a, stranger])
    assert refused.value.code == "invalid_participant"


def test_a_withdrawn_visit_counts_nowhere_and_keeps_its_page_and_reason(world, media):
    w = world
    visit = record(w, files=[])
    intake.visit_withdraw(actor=w.official_a, visit_id=visit.pk, reason="重复录入", expected_version=1)
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert not selectors.visit_list(user=w.admin).filter(pk=visit.pk).exists()
    kept = selectors.visit_list(user=w.official_a, including_withdrawn=True).get(pk=visit.pk)
    assert kept.withdrawn_at is not None and kept.changes.get().reason == "重复录入"
    # The enterprise's last visit no longer reads it.
    assert selectors.enterprise_directory(user=w.admin).get(pk=w.enterprise_a.pk).last_visit is None
    with pytest.raises(Conflict) as again:
        corrected(w, kept, summary="撤回后再改")
    assert again.value.code == "visit_withdrawn"


def test_a_visit_with_live_issues_is_not_withdrawn(world, media):
    w = world
    visit = record(w, files=[], issues=[intake.RaisedIssue(category="finance", title="贷款难")])
    with pytest.raises(Conflict) as refused:
        intake.visit_withdraw(actor=w.official_a, visit_id=visit.pk, reason="重复录入", expected_version=1)
    issue = Issue.objects.get(visit=visit)
    assert refused.value.code == "visit_has_issues" and issue.number in refused.value.message
    assert Visit.objects.filter(pk=visit.pk).exists() and not visit.changes.exists()
    Issue.objects.filter(pk=issue.pk).update(status=Status.CANCELLED)
    intake.visit_withdraw(actor=w.official_a, visit_id=visit.pk, reason="重复录入", expected_version=1)
    assert not Visit.objects.filter(pk=visit.pk).exists()


def test_a_visit_outside_the_scope_tells_nothing_of_its_issues(world, media):
    w = world
    visit = record(w, files=[], issues=[intake.RaisedIssue(category="finance", title="贷款难")])
    with pytest.raises(NotFound):
        intake.visit_withdraw(actor=w.official_b, visit_id=visit.pk, reason="x", expected_version=1)


def test_a_photo_keeps_when_and_where_it_was_taken(world, media):
    w = world
    files = [upload("现场.jpg", samples.photo(taken="2026:05:28 16:00:00")), upload("纪要.pdf", samples.PDF)]
    visit = record(w, files=files)
    photo, document = visit.attachments.get(kind="photo"), visit.attachments.get(kind="document")
    assert photo.kind == "photo" and photo.latitude == Decimal("31.230389")
    assert photo.taken_another_day  # the day before the visit of 29 May
    assert (document.taken_at, document.latitude) == (None, None)


def test_no_issue_is_registered_at_a_withdrawn_visit(world, media):
    from issues import services as issue_services

    w = world
    visit = record(w, files=[])
    intake.visit_withdraw(actor=w.official_a, visit_id=visit.pk, reason="重复录入", expected_version=1)
    with pytest.raises(Conflict) as refused:
        issue_services.issue_register(
            actor=w.official_a, enterprise=w.enterprise_a, visit=visit, category="finance", title="贷款难"
        )
    assert refused.value.code == "visit_withdrawn" and not Issue.objects.exists()
