"""Repeated failed sign-ins lock the user name out from that address, on the
sign-in page and the token endpoint alike; the right password is then refused
too, until the cool-off ends."""

from django.test import Client
from django.urls import reverse

from ..conftest import api_client

PASSWORD = "pw-for-tests"


def test_the_sign_in_page_locks_out_after_five_failures(world, settings):
    client = Client()
    login = reverse("login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(login, {"username": "off_a", "password": "wrong"}).status_code == 200
    # Under the limit the right password still works (and clears the count).
    assert client.post(login, {"username": "off_a", "password": PASSWORD}).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "off_a", "password": "wrong"})
    locked = client.post(login, {"username": "off_a", "password": PASSWORD})
    assert locked.status_code == 429
    assert 'id="login-locked"' in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user name from the same address is not locked.
    assert client.post(login, {"username": "off_b", "password": PASSWORD}).status_code == 302


def test_the_token_endpoint_locks_out_too(world, settings):
    api = api_client()
    statuses = [
        api.post("/api/v1/auth/token/", {"username": "sup_a", "password": "wrong"}, format="json").status_code
        for _attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    # Wrong, wrong, …, and the failure that reaches the limit locks the name out.
    assert statuses == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = api.post("/api/v1/auth/token/", {"username": "sup_a", "password": PASSWORD}, format="json")
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert "token" not in locked.json()
    fine = api.post("/api/v1/auth/token/", {"username": "off_a", "password": PASSWORD}, format="json")
    assert fine.status_code == 200 and fine.json()["token"]


def test_tokens_expire_and_die_with_a_password_change(world, settings):
    import datetime

    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from enterprises import services

    api = api_client()
    key = api.post("/api/v1/auth/token/", {"username": "off_a", "password": PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/issues/").status_code == 200
    # Older than its lifetime: refused, and the endpoint hands out a fresh one.
    Token.objects.filter(key=key).update(
        created=timezone.now() - datetime.timedelta(hours=settings.ZOUFANG_TOKEN_HOURS + 1)
    )
    assert api.get("/api/v1/issues/").status_code == 401
    fresh = api_client().post("/api/v1/auth/token/", {"username": "off_a", "password": PASSWORD}, format="json")
    assert fresh.json()["token"] != key
    api.credentials(HTTP_AUTHORIZATION=f"Token {fresh.json()['token']}")
    assert api.get("/api/v1/issues/").status_code == 200
    # The password changes (here by an admin through the service): the token dies at once.
    official = world.official_a
    services.official_save(actor=world.admin, official=official, password="A-new-passw0rd-2026")
    assert api.get("/api/v1/issues/").status_code == 401
    # Deactivated: refused too.
    renewed = api_client().post(
        "/api/v1/auth/token/", {"username": "off_a", "password": "A-new-passw0rd-2026"}, format="json"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {renewed.json()['token']}")
    assert api.get("/api/v1/issues/").status_code == 200
    services.official_save(actor=world.admin, official=official, is_active=False)
    assert api.get("/api/v1/issues/").status_code == 401


def test_the_password_rules_answer_in_chinese(client, world):
    """Setting a password too short, too common and all digits: every rule
    the page states and every refusal it gives is Chinese."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    official = world.official_a
    uid, token = urlsafe_base64_encode(force_bytes(official.pk)), default_token_generator.make_token(official)
    link = f"/accounts/reset/{uid}/{token}/"
    form = client.get(link, follow=True)
    page = client.post(form.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"}).content.decode()
    assert page.count("invalid-feedback") == 3  # too short, too common, all digits
    from ..web.test_chinese_pages import english

    assert not english(page, frozenset({official.username})), english(page)
