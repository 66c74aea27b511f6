"""`make stack`, the production topology run natively: brought up on free
ports in a folder of its own, used through nginx as a person would (sign in
with the CSRF token, log a visit with a photo and an issue, register another
through the API), then stopped with Ctrl-C, leaving nothing running.
docker-compose.yml describes the same topology; it is parsed and held to it."""

import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.parse
import uuid
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from .processes import free_port

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "scripts" / "stack.sh"
# What make test exports for its own servers; the stack makes its own.
NOT_INHERITED = ("DJANGO_", "DATABASE_", "CELERY_", "REDIS_URL", "ZOUFANG_")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xcc\x22\x11"))
        + chunk(b"IEND", b"")
    )


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    for name, filename, content, content_type in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        parts.append(f"{head}Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Browser:
    """Just enough of a browser for the test: one client address, cookies,
    the CSRF header and a same-origin Referer on every unsafe request."""

    def __init__(self, port: int, cafile: Path, address: str = "127.0.0.1"):
        self.port, self.address = port, address
        # The stack's own self-signed certificate, and nothing else, is trusted.
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, source_address=(self.address, 0), timeout=60
        )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET":
            headers.setdefault("Referer", f"https://127.0.0.1:{self.port}/")
            headers.setdefault("X-CSRFToken", self.cookies.get("csrftoken", ""))
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(cookie)
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: list[tuple[str, str]], files=()):
        body, content_type = multipart(fields, list(files))
        return self.request("POST", path, body, {"Content-Type": content_type})

    def post_json(self, path: str, data: dict):
        return self.request("POST", path, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def sign_in(self, username: str, password: str):
        page = self.get("/accounts/login/")[1].decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        fields = [("csrfmiddlewaretoken", token), ("username", username), ("password", password)]
        return self.request(
            "POST",
            "/accounts/login/",
            "&".join(f"{k}={v}" for k, v in fields).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://127.0.0.1:{self.port}/accounts/login/",
            },
        )


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    def __init__(self):
        # Not under pytest's tmp_path: as root PostgreSQL runs as `postgres`
        # and nginx's workers as www-data, who cannot enter /tmp/pytest-of-root.
        self.dir = Path(tempfile.mkdtemp(prefix="zoufang-stack-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.ports = {name: free_port() for name in ("PORT", "WEB_PORT", "PG_PORT", "REDIS_PORT")}
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(NOT_INHERITED)}
        self.env.update({f"ZOUFANG_STACK_{name}": str(port) for name, port in self.ports.items()})
        self.env["ZOUFANG_STACK_DIR"] = str(self.dir)
        self.output = self.dir / "up.out"
        self.process = None

    @property
    def port(self) -> int:
        return self.ports["PORT"]

    def up(self, timeout: float = 150):
        out = open(self.output, "w")
        # A session of its own: the test's Ctrl-C reaches it as a terminal's would.
        self.process = subprocess.Popen(
            [str(STACK), "up"], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while "Ctrl-C stops everything" not in self.output.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make stack did not come up:\n{self.output.read_text()[-4000:]}")
            time.sleep(0.3)

    def script(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(STACK), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"stack.sh {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def pid(self, program: str) -> int:
        return int(self.script("ctl", "pid", program).strip())

    def pids(self) -> list[int]:
        supervisord = int((self.dir / "run" / "supervisord.pid").read_text())
        return [supervisord, *(int(pid) for pid in self.script("ctl", "pid", "all").split())]

    def interrupt(self, timeout: float = 90) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Say which program held the shutdown up, and what it last wrote.
            said = [f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}" for path in self.logs()]
            raise AssertionError("the stack did not stop after Ctrl-C\n" + "\n".join(said)) from None

    def logs(self) -> list[Path]:
        folder = self.dir / "log"
        return sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime)[-4:] if folder.exists() else []

    def log(self, name: str) -> str:
        return (self.dir / "log" / name).read_text(errors="replace")

    def cleanup(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if (self.dir / "run" / "supervisord.pid").exists():
            subprocess.run([str(STACK), "down"], cwd=ROOT, env=self.env, capture_output=True, timeout=150)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def stack():
    stack = Stack()
    try:
        yield stack
    finally:
        stack.cleanup()


def test_the_production_stack_serves_through_nginx_and_stops_cleanly(stack):
    started = time.monotonic()
    stack.up()
    secrets = (stack.dir / "env").read_text()
    assert re.search(r"^DJANGO_SECRET_KEY=\S{40,}$", secrets, re.M), "the secret key is generated into var/stack/env"
    assert (stack.dir / "env").stat().st_mode & 0o077 == 0, "the secrets file is readable by its owner only"
    stack.script("manage", "seed_demo", "--enterprises", "8")
    cert = stack.dir / "tls" / "cert.pem"

    # A wrong password from another client address: the app records that
    # address (nginx passes it on, core.proxy takes it), not the proxy's.
    stranger = Browser(stack.port, cert, address="127.0.0.2")
    response, _ = stranger.sign_in("nobody-here", "wrong")
    assert response.status == 200  # the form again, with its error

    official = Browser(stack.port, cert)
    response, _ = official.sign_in("official", "zoufang-demo")
    assert response.status == 302 and response.headers["Location"] == "/"
    session_cookie = next(c for c in official.set_cookies if c.startswith("sessionid="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]

    response, content = official.get("/api/v1/enterprises/?page_size=1")
    assert response.status == 200, content[:500]
    enterprise = json.loads(content)["results"][0]["id"]

    # A visit with a photo and an issue, posted through the proxy as the visit form would.
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    title = f"用电报装慢 {uuid.uuid4().hex[:6]}"
    photo = tiny_png()
    fields = [
        ("enterprise", str(enterprise)),
        ("date", today),
        ("form", "onsite"),
        ("purposes", "situation"),
        ("summary", "通过生产栈登记"),
        ("issues-TOTAL_FORMS", "1"),
        ("issues-INITIAL_FORMS", "0"),
        ("issues-MIN_NUM_FORMS", "0"),
        ("issues-MAX_NUM_FORMS", "20"),
        ("issues-0-category", "infrastructure"),
        ("issues-0-title", title),
        ("issues-0-priority", "normal"),
    ]
    response, content = official.post_form("/visits/new/", fields, [("files", "现场.png", photo, "image/png")])
    assert response.status == 302, content.decode(errors="replace")[:3000]
    visit = int(re.fullmatch(r"/visits/(\d+)/", response.headers["Location"]).group(1))

    # And one through the API, with the session and its CSRF header.
    api_title = f"融资担保难 {uuid.uuid4().hex[:6]}"
    response, content = official.post_json(
        "/api/v1/issues/", {"enterprise": enterprise, "category": "finance", "title": api_title}
    )
    assert response.status == 201, content[:1000]
    for registered in (title, api_title):
        response, content = official.get(f"/api/v1/issues/?q={registered.split()[1]}")
        assert [issue["title"] for issue in json.loads(content)["results"]] == [registered]

    # Static files come from nginx (gunicorn never hears of them), compressed
    # and, under their hashed names, cached for a year.
    page = official.get("/")[1].decode()
    css = re.search(r"/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css", page).group(0)
    response, content = official.get(css, **{"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"Bootstrap" in zlib.decompress(content, 16 + zlib.MAX_WBITS)[:200]
    assert css not in stack.log("web.log") and "/accounts/login/" in stack.log("web.log")

    # Media is never public: the photo is served only by the scoped view.
    found = json.loads(
        stack.script(
            "manage",
            "shell",
            "-c",
            "import json; from visits.models import VisitAttachment; from axes.models import AccessAttempt;"
            f"a = VisitAttachment.objects.get(visit_id={visit});"
            "print(json.dumps({'id': a.pk, 'file': a.file.name, 'failed_from':"
            " list(AccessAttempt.objects.filter(username='nobody-here').values_list('ip_address', flat=True))}))",
        ).splitlines()[-1]
    )
    assert found["failed_from"] == ["127.0.0.2"]
    assert (stack.dir / "app" / "media" / found["file"]).read_bytes() == photo
    for who in (official, Browser(stack.port, cert)):
        response, content = who.get("/media/" + urllib.parse.quote(found["file"]))
        assert response.status == 404 and photo not in content
    response, content = official.get(f"/visits/attachments/{found['id']}/")
    assert response.status == 200 and content == photo
    response, _ = Browser(stack.port, cert).get(f"/visits/attachments/{found['id']}/")
    assert response.status == 302 and response.headers["Location"].startswith("/accounts/login/")

    # Worker and beat answer `celery inspect ping` (compose's health checks).
    host = socket.gethostname()
    pong = stack.script(
        "run", ".venv/bin/celery", "-A", "config", "inspect", "ping", "-t", "10", "-d", f"worker@{host},beat@{host}"
    )
    assert f"worker@{host}: OK" in pong and f"beat@{host}: OK" in pong

    # A crashed worker comes back; the web server carries on untouched.
    web, worker = stack.pid("web"), stack.pid("worker")
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        status = stack.script("ctl", "status", "worker")
        if "RUNNING" in status and stack.pid("worker") not in (0, worker):
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    assert stack.pid("web") == web
    assert official.get("/")[0].status == 200

    # Ctrl-C stops everything it started.
    pids = stack.pids()
    assert len(pids) == 7 and all(alive(pid) for pid in pids)
    assert stack.interrupt() == 130
    assert [pid for pid in pids if alive(pid)] == []
    assert not any(port_open(port) for port in stack.ports.values())
    assert "stopped: postgres (exit status 0)" in stack.log("supervisord.log")
    print(f"stack test took {time.monotonic() - started:.0f} s")


def test_compose_runs_the_same_topology_with_health_checks_and_no_secret_defaults():
    text = (ROOT / "docker-compose.yml").read_text()
    services = yaml.safe_load(text)["services"]
    assert set(services) == {"nginx", "web", "worker", "beat", "postgres", "redis"}
    checks = {name: " ".join(service["healthcheck"]["test"]) for name, service in services.items()}
    assert "/health/" in checks["web"] and "/health/" in checks["nginx"]
    assert "inspect ping" in checks["worker"] and "-d worker@" in checks["worker"]
    assert "inspect ping" in checks["beat"] and "-d beat@" in checks["beat"]
    assert "-n worker@%h" in services["worker"]["command"] and "-n beat@%h" in services["beat"]["command"]
    assert "--enable-remote-control" in services["beat"]["command"]
    assert "pg_isready" in checks["postgres"] and "ping" in checks["redis"]
    # Only the proxy is published; the app runs the production settings and
    # gunicorn's one configuration.
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert services[name]["build"]["target"] == "app"
    assert "deploy/gunicorn.conf.py" in services["web"]["command"]
    assert services["nginx"]["build"]["target"] == "proxy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY deploy/nginx.conf.template deploy/render.sh" in dockerfile
    # A secret is required (${NAME:?…}) or reused, never defaulted (${NAME:-…}).
    for name, operator in re.findall(r"\$\{(\w+)(:?[-?+])?", text):
        if re.search(r"SECRET|PASSWORD|KEY", name):
            assert operator in ("", ":?", "?"), f"{name} has a default"
    for secret in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert "${" + secret + ":?" in text
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_the_nginx_site_is_rendered_only_with_every_value_set(tmp_path):
    values = {
        "ZOUFANG_LISTEN": "127.0.0.1:9443",
        "ZOUFANG_UPSTREAM": "127.0.0.1:9001",
        "ZOUFANG_STATIC_ROOT": "/srv/static",
        "ZOUFANG_TLS_DIR": "/srv/tls",
        "ZOUFANG_MAX_BODY": "64m",
    }
    render = [str(ROOT / "deploy" / "render.sh"), str(ROOT / "deploy" / "nginx.conf.template")]
    done = subprocess.run(render, env={"PATH": os.environ["PATH"], **values}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "listen 127.0.0.1:9443 ssl;" in done.stdout and "alias /srv/static/$zoufang_hashed;" in done.stdout
    # nginx's own variables are left for nginx.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in done.stdout
    assert "location ^~ /media/ {\n        return 404;" in done.stdout
    del values["ZOUFANG_TLS_DIR"]
    done = subprocess.run(render, env={"PATH": os.environ["PATH"], **values}, capture_output=True, text=True)
    assert done.returncode != 0 and "ZOUFANG_TLS_DIR is not set" in done.stderr
