"""Uploads on an S3-compatible store (ZOUFANG_S3_BUCKET): a real S3 server on
loopback (moto's server mode), the storage built by the settings from the
same variables production reads. A visit photo, an issue's evidence and a
help plan go up through their pages into the bucket, none into MEDIA_ROOT,
and come back through the app's permission-checked downloads, which read
the bucket: change the object there and the download changes with it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.settings.base import media_storage
from enterprises.models import HelpPlan
from issues.models import IssueAttachment
from visits.models import VisitAttachment

from .. import samples
from ..processes import S3Server
from ..web.test_visit_form import payload

BUCKET = "zoufang-media"


@pytest.fixture
def bucket(settings, tmp_path):
    server = S3Server().start()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(server.bucket(BUCKET))}
    try:
        yield server
    finally:
        server.stop()


def read(server, name: str) -> bytes:
    return server.objects(BUCKET)[f"media/{name}"]


def downloaded(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def test_uploads_go_to_the_bucket_and_come_back_through_the_checked_downloads(
    bucket, client, world, make_issue, settings, django_capture_on_commit_callbacks
):
    s3 = bucket
    client.force_login(world.official_a)

    # A visit with a photo, through the visit form.
    data = payload(world, files=[SimpleUploadedFile("现场.png", samples.PNG)])
    assert client.post(reverse("visit-create"), data).status_code == 302
    photo = VisitAttachment.objects.get()
    assert read(s3, photo.file.name) == samples.PNG
    assert downloaded(client.get(reverse("attachment", args=[photo.pk]))) == samples.PNG

    # Evidence given at 办结, through the issue page's form.
    issue = make_issue("in_progress")
    fields = {"resolve-outcome": "solved", "resolve-note": "已办结", "resolve-version": issue.version}
    fields["resolve-files"] = [SimpleUploadedFile("证明.pdf", samples.PDF)]
    assert client.post(reverse("issue-action", args=[issue.pk, "resolve"]), fields).status_code == 302
    evidence = IssueAttachment.objects.get()
    assert read(s3, evidence.file.name) == samples.PDF
    assert downloaded(client.get(reverse("issue-evidence", args=[evidence.pk]))) == samples.PDF

    # A help plan, through its page; filed again, the first file leaves the bucket once committed.
    def file_plan(name, content):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("help-plan"), {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 302
        return HelpPlan.objects.get()

    first = file_plan("方案.pdf", b"%PDF-1.4 the first plan").file.name
    plan = file_plan("方案.pdf", samples.PDF)
    assert plan.file.name != first and read(s3, plan.file.name) == samples.PDF

    stored = (photo.file.name, evidence.file.name, plan.file.name)
    assert sorted(s3.objects(BUCKET)) == sorted(f"media/{name}" for name in stored)
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*")), "nothing on this host's disk"

    # The downloads read the bucket: what is there now is what they send.
    s3.client.put_object(Bucket=BUCKET, Key=f"media/{evidence.file.name}", Body=b"%PDF-1.4 as the bucket holds it")
    again = downloaded(client.get(reverse("issue-evidence", args=[evidence.pk])))
    assert again == b"%PDF-1.4 as the bucket holds it"
    assert downloaded(client.get(reverse("plan-file", args=[plan.pk]))) == samples.PDF

    # Still behind the scope check: another county's official gets a 404.
    client.force_login(world.official_b)
    assert client.get(reverse("issue-evidence", args=[evidence.pk])).status_code == 404
    assert client.get(reverse("attachment", args=[photo.pk])).status_code == 404
