"""visits.services.visit_record with files, alone and under issues.intake:
files are judged before anything is written and stored with the visit or
not at all, whichever step refuses."""

import datetime

import pytest

from core.errors import InvalidInput
from issues import intake
from issues.models import Issue
from visits.models import Visit, VisitAttachment

from .. import samples
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
