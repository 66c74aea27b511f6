"""The client side: a signed-in session over loopback, the forms of a page,
and one timed request. Nothing here imports Django: the client is a process
of its own, as a browser would be."""

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    attrs: dict
    fields: list = field(default_factory=list)  # (name, value) pairs as the browser would send them

    def data(self, **changes) -> dict:
        """The form as submitted, with `changes` in place of its values (a list sends a name repeatedly)."""
        data: dict = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        for name, value in changes.items():
            data[name] = value if isinstance(value, list) else [value]
        return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


class FormParser(HTMLParser):
    """Every <form> of a page with the values it would submit untouched:
    text and hidden inputs, checked boxes, the selected (or first) option,
    textareas. Enough for a sign-in form and a Django form page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form = None
        self._select = None  # [name, first value, chosen value]
        self._textarea = None  # [name, text]
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value or "") for key, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(), attrs=a)
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "file", "reset"):
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option = value
            if value is not None and self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            name, first, chosen = self._select
            value = chosen if chosen is not None else first
            if self._form is not None and value is not None:
                self._form.fields.append((name, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.fields.append(tuple(self._textarea))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, **attrs) -> Form:
    """The first form whose attributes include `attrs` (e.g. id="…"), or
    whose action ends with `action_endswith`."""
    ending = attrs.pop("action_endswith", None)
    for form in forms_of(html):
        if ending is not None and not form.action.endswith(ending):
            continue
        if all(form.attrs.get(key) == value for key, value in attrs.items()):
            return form
    raise LookupError(f"no form with {attrs or ''}{' action …' + ending if ending else ''}")


@dataclass
class Timed:
    seconds: float
    status: int
    queries: int | None
    size: int
    response: requests.Response


class Site:
    """One signed-in person on one server."""

    def __init__(self, base: str, *, query_header: str | None = None, timeout: float = 600):
        self.base = base.rstrip("/") + "/"
        self.session = requests.Session()
        self.query_header = query_header
        self.timeout = timeout

    def url(self, path: str) -> str:
        return urljoin(self.base, path.lstrip("/"))

    def sign_in(self, path: str, username: str, password: str, *, expect_away: bool = True) -> None:
        page = self.session.get(self.url(path), timeout=self.timeout)
        page.raise_for_status()
        form = next(f for f in forms_of(page.text) if "password" in dict(f.fields))
        data = form.data(username=username, password=password)
        answer = self.session.post(
            urljoin(page.url, form.action or page.url),
            data=data,
            headers={"Referer": page.url},
            timeout=self.timeout,
            allow_redirects=False,
        )
        if expect_away and answer.status_code != 302:
            raise RuntimeError(f"signing in as {username} at {path} answered {answer.status_code}")

    def csrf(self) -> str:
        return self.session.cookies.get("csrftoken", "")

    def request(self, method: str, path: str, *, expect=(200,), **kwargs) -> Timed:
        headers = kwargs.pop("headers", {})
        if method.upper() != "GET":
            headers.setdefault("X-CSRFToken", self.csrf())
            headers.setdefault("Referer", self.url(path))
        started = time.perf_counter()
        response = self.session.request(
            method, self.url(path), headers=headers, timeout=self.timeout, allow_redirects=False, **kwargs
        )
        body = response.content  # read it all: the time is until the last byte
        elapsed = time.perf_counter() - started
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {body[:300]!r}")
        queries = None
        if self.query_header and self.query_header in response.headers:
            queries = int(response.headers[self.query_header])
        return Timed(elapsed, response.status_code, queries, len(body), response)

    def get(self, path: str, **kwargs) -> Timed:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Timed:
        return self.request("POST", path, **kwargs)
