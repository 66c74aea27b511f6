"""The content security policy: every HTML answer carries it, strict for
scripts and styles, and no template holds what it would block (the browser
test, tests/browser/test_content_security_policy.py, watches the pages run)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PAGES = {
    "official": ["/", "/enterprises/", "/visits/", "/visits/new/", "/issues/", "/issues/inbox/"],
    "supervisor": ["/supervise/dashboard/", "/supervise/dispatch/", "/supervise/bulletins/"],
    "admin": ["/manage/board/", "/manage/imports/", "/manage/officials/", "/api/docs/"],
}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict(response):
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_sign_in_page_and_a_404_carry_the_policy(client):
    for path, status in (("/accounts/login/", 200), ("/no-such-page/", 404)):
        response = client.get(path)
        assert response.status_code == status and response["Content-Type"].startswith("text/html")
        assert_strict(response)


@pytest.mark.parametrize("role", PAGES)
def test_every_page_type_carries_the_strict_policy(client, world, role):
    user = {"official": world.official_a, "supervisor": world.supervisor_a, "admin": world.admin}[role]
    client.force_login(user)
    for path in PAGES[role]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html"), path
        assert_strict(response)


def test_no_template_holds_inline_script_handler_or_style():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style = re.compile(r"<style\b|\sstyle\s*=|javascript:", re.I)
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        # json_script writes <script type="application/json">, data, not code.
        for pattern in (inline_script, handler, style):
            found += [f"{path.relative_to(TEMPLATES)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert found == []
    # The check would see one.
    assert inline_script.search("<script>alert(1)</script>") and not inline_script.search('<script src="/a.js">')
    assert handler.search('<button onclick="x()">') and style.search('<div style="color: red">')
