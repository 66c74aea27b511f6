"""Every page in Chinese: each HTML page the project serves (walked from the
URL configuration, as the permission matrix walks it, with the matrix's
world) is requested in Simplified Chinese by each role it is for, and no
English text may show, neither in the text nor in what a screen reader or a
tooltip says (title, placeholder, aria-label, alt, a button's value).

What counts as English is a Latin word of two or more letters outside
`ALLOWED` (file formats and names that stay Latin in Chinese offices) and
outside data (a chunk holding digits, @, /, . or _ is a user name, an
address, a file name or a code)."""

import re

import pytest
from django.db import transaction
from django.test import Client

from enterprises.models import Official

from ..test_permission_matrix import case_for, rolled_back_world, url_templates
from .english import english, half_width


def test_english_finds_english_and_leaves_data_alone():
    page = (
        '<p>问题台账 <input placeholder="Search"> <button aria-label="Close">×</button></p>'
        "<script>var x = 'ignored';</script><td>off_a</td><td>a@b.cn</td><td>MARK-ISSUE-A</td>"
        '<td>方案（PDF或Word）</td><input type="submit" value="Save">'
    )
    assert english(page) == ["Search", "Close", "Save"]


@pytest.fixture(scope="module")
def world_matrix(django_db_setup, django_db_blocker):
    with rolled_back_world(django_db_blocker) as m:
        m.user_names = frozenset(Official.objects.values_list("username", flat=True))
        yield m


def _pages():
    """(template, case) of every page of the site that answers GET with HTML
    (the Django admin's own pages are the framework's and its packages')."""
    for template in url_templates():
        case = case_for(template)
        if case is None or "GET" not in case.methods or case.kind not in ("page", "public"):
            continue
        if template.endswith((".xlsx", "/xlsx/", "/file/")) or "/attachments/" in template or "/evidence/" in template:
            continue  # files
        if template in ("/health/", "/api/docs/", "/favicon.ico"):
            continue  # for machines, the API's own reference (in English, as its schema), an icon
        yield template, case


PAGES = sorted(_pages())


def _roles(case) -> tuple:
    if case.kind == "public":
        return ("anonymous",)
    roles = case.roles or ("official_a", "supervisor_a", "admin")
    return tuple(role for role in roles if role in ("official_a", "supervisor_a", "admin"))


def test_the_walk_covers_the_pages():
    templates = [template for template, _case in PAGES]
    for page in ("/", "/issues/{pk}/", "/visits/new/", "/supervise/dispatch/", "/manage/officials/{pk}/"):
        assert page in templates
    assert all(_roles(case) for _template, case in PAGES)  # every page is read by someone


@pytest.mark.django_db
@pytest.mark.parametrize("template", [template for template, _case in PAGES])
def test_every_page_is_chinese(world_matrix, template):
    m = world_matrix
    case = case_for(template)
    obj = m.obj(case.family, "A") if case.family else None
    url = template.format(**{**(case.args(m, obj) if case.args else {}), **case.variants[0]})
    seen = []
    for role in _roles(case):
        client = Client()
        if role != "anonymous":
            client.force_login(m.users[role])
        with transaction.atomic():
            # Followed: the set-password link sends on to its form.
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
            transaction.set_rollback(True)
        assert response.status_code == 200, f"{role} {url}: {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue
        seen.append(role)
        words = english(response.content.decode(), m.user_names)
        assert not words, f"{role} {url}: English on a Chinese page: {words}"
        half = half_width(response.content.decode())
        assert not half, f"{role} {url}: half-width punctuation beside Chinese: {half}"
    assert seen, f"{url}: no role got a page"


def _admin_pages():
    return sorted(
        template
        for template in url_templates()
        if (case := case_for(template)) is not None and case.kind == "admin" and "GET" in case.methods
    )


# Django writes a boolean's icon with the value's Python name as its alt text
# (django.contrib.admin.utils._boolean_icon), which no catalogue reaches.
_BOOLEAN_ICON = re.compile(r'<img src="[^"]*/admin/img/icon-(?:yes|no|unknown)\.svg" alt="(?:True|False|None)">')


@pytest.mark.django_db
@pytest.mark.parametrize("template", _admin_pages())
def test_every_admin_page_is_chinese(world_matrix, template):
    """The Django admin (the framework's, django-axes' and our models' pages)
    as an administrator reads it in Chinese."""
    m = world_matrix
    case = case_for(template)
    obj = m.obj(case.family, "A") if case.family else None
    url = template.format(**{**(case.args(m, obj) if case.args else {}), **case.variants[0]})
    client = Client()
    client.force_login(m.users["admin"])
    with transaction.atomic():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
        transaction.set_rollback(True)
    # 403: a page no administrator opens (adding to a read-only record); 404: the matrix's
    # made-up addresses. Their refusals are read too.
    assert response.status_code in (200, 403, 404), f"{url}: {response.status_code}"
    if not response["Content-Type"].startswith("text/html"):
        return  # a file
    words = english(_BOOLEAN_ICON.sub("", response.content.decode()), m.user_names)
    assert not words, f"{url}: English on a Chinese admin page: {words}"


# Chinese text takes full-width punctuation (，；：？！（）), except inside a
# placeholder, an address, a number (1,000; 09:00) or a ratio (20:1).
_KEPT = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdfr](?::\d)?|%[sdf]|\{[^}]*\}|https?://[^\s)）]*|\d[,:]\d")
_HALF = re.compile(r"[,;:?!()]")


def test_the_chinese_catalogue_uses_full_width_punctuation():
    from pathlib import Path

    from django.conf import settings

    catalogue = Path(settings.BASE_DIR, "locale", "zh_Hans", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    translations = re.findall(r'^msgstr(?:\[\d\])? "(.+)"$', catalogue, flags=re.MULTILINE)
    assert len(translations) > 1000
    half = [text for text in translations if re.search(r"[\u4e00-\u9fff]", text) and _HALF.search(_KEPT.sub("", text))]
    assert not half, f"half-width punctuation in Chinese: {half[:20]}"
