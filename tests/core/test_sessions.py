"""Sessions end after the idle time and after the longest time, whatever
happens; the API's schema and docs are for signed-in users only."""

import time

from django.test import Client
from django.urls import reverse


def test_a_session_ends_when_idle_and_after_its_longest_time(world, settings):
    client = Client()
    client.force_login(world.official_a)
    assert client.get(reverse("my-work")).status_code == 200
    session = client.session
    assert session["zf_started"] <= time.time()
    # Idle past the limit: signed out, sent to sign in.
    session["zf_seen"] = time.time() - settings.ZOUFANG_SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("my-work"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    # Busy all along, but past the longest time: signed out too.
    client.force_login(world.official_a)
    client.get(reverse("my-work"))
    session = client.session
    session["zf_started"] = time.time() - settings.ZOUFANG_SESSION_MAX_HOURS * 3600 - 5
    session["zf_seen"] = time.time()
    session.save()
    assert client.get(reverse("my-work")).status_code == 302
    assert settings.SESSION_COOKIE_AGE == settings.ZOUFANG_SESSION_MAX_HOURS * 3600


def test_api_schema_and_docs_need_sign_in(client, world):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))
    client.force_login(world.official_a)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_a_set_password_link_is_absolute_and_refused_for_a_deactivated_account(client, world, settings):
    settings.ZOUFANG_SITE_URL = "https://zoufang.example.gov.cn"
    client.force_login(world.admin)
    response = client.post(reverse("official-edit", args=[world.official_a.pk]), {"reset": "1"})
    assert response.status_code == 200
    assert response.context["reset_link"].startswith("https://zoufang.example.gov.cn/accounts/reset/")
    world.official_a.is_active = False
    world.official_a.save()
    refused = client.post(reverse("official-edit", args=[world.official_a.pk]), {"reset": "1"}, follow=True)
    assert refused.status_code == 200 and refused.context["reset_link"] is None
    assert "请先启用该账号。" in [str(m) for m in refused.context["messages"]]
