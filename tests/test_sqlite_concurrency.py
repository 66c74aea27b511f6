"""Two supervisors on one issue at the same moment, on the real `make run`
stack: local settings, a fresh SQLite file, migrate, the demo seed and a
real server process. Each round one of them wins (200) and the other is told
the issue moved (409); nobody ever gets a 500 ("database is locked")."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import pytest

from .processes import free_port, stop

# It needs no test database (it starts its own SQLite server), so it runs in
# both stages of `make test`, the SQLite smoke stage included.
pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 50
PASSWORD = "zoufang-demo"


class Server:
    """An API client over real HTTP with token auth."""

    def __init__(self, base: str, log: Path):
        self.base, self.log = base, log

    def call(self, method: str, path: str, token: str | None = None, body: dict | None = None):
        request = urllib.request.Request(self.base + path, method=method, headers={"Accept": "application/json"})
        if token:
            request.add_header("Authorization", f"Token {token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")[-2000:]

    def ok(self, method: str, path: str, token: str | None = None, body: dict | None = None):
        status, payload = self.call(method, path, token, body)
        assert status in (200, 201), (method, path, status, payload)
        return payload

    def token(self, username: str) -> str:
        return self.ok("POST", "/api/v1/auth/token/", body={"username": username, "password": PASSWORD})["token"]


@pytest.fixture
def make_run_server(tmp_path):
    """What `make run` does, on an empty var dir: migrate, seed_demo, and
    `manage.py runserver --noreload` (scripts/run.sh) on a free loopback port."""
    env = {
        key: value
        for key, value in os.environ.items()
        # make test's PostgreSQL and Redis: the make run stack uses neither.
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        ZOUFANG_VAR_DIR=str(tmp_path / "var"),
        DJANGO_DEBUG="false",
        PYTHONUNBUFFERED="1",
        # Two scripted supervisors race 50 rounds in seconds, far past the
        # per-user API throttle (core.throttles), which is not what is tested here.
        ZOUFANG_API_BURST_RATE="",
        ZOUFANG_API_SUSTAINED_RATE="",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["seed_demo", "--enterprises", "20"]):
        done = subprocess.run(manage + command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-4000:])
    database = tmp_path / "var" / "zoufang.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    log_path = tmp_path / "server.log"
    for _attempt in range(3):  # another process may take the free port first
        port = free_port()
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                manage + ["runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(f"http://127.0.0.1:{port}", log_path)
        ready, deadline = False, time.monotonic() + 30
        while not ready and process.poll() is None and time.monotonic() < deadline:
            try:
                ready = server.call("GET", "/api/v1/")[0] == 401
            except OSError:
                time.sleep(0.1)
        if ready or "already in use" not in log_path.read_text():
            break
        stop(process)
    try:
        assert ready, log_path.read_text()
        yield server
    finally:
        stop(process)


def race(server: Server, path: str, moves: dict[str, tuple[str, dict]]) -> dict[str, tuple]:
    """POST each move (action → token, body) from its own thread, all
    released by one barrier; return action → (status, body), status 0 when
    the server did not answer."""
    barrier = threading.Barrier(len(moves))
    results: dict[str, tuple] = {}

    def act(name, token, body):
        barrier.wait()
        try:
            results[name] = server.call("POST", f"{path}/{name}/", token, body)
        except OSError as error:  # no answer at all: reported with the round
            results[name] = (0, repr(error))

    threads = [threading.Thread(target=act, args=(name, *move)) for name, move in moves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert len(results) == len(moves), "a request did not return within 90 s"
    return results


def test_close_and_reopen_at_once_give_one_200_and_one_409(make_run_server):
    server = make_run_server
    started = time.monotonic()
    supervisor_a = server.token("supervisor")
    supervisors = server.ok("GET", "/api/v1/officials/?role=supervisor", supervisor_a)["results"]
    supervisor_b = server.token(next(p["username"] for p in supervisors if p["username"] != "supervisor"))
    official = server.token("official")
    people = server.ok("GET", "/api/v1/officials/?q=official", supervisor_a)["results"]
    official_unit = next(p["unit"] for p in people if p["username"] == "official")
    enterprise = server.ok("GET", "/api/v1/enterprises/", official)["results"][0]["id"]

    def new_resolved_issue() -> dict:
        """registered → assigned → in progress → resolved → called back, through the API."""
        body = {"enterprise": enterprise, "category": "finance", "title": "融资需求"}
        path = f"/api/v1/issues/{server.ok('POST', '/api/v1/issues/', official, body)['id']}"
        server.ok("POST", f"{path}/assign/", supervisor_a, {"unit": official_unit})
        server.ok("POST", f"{path}/accept/", official, {})
        server.ok("POST", f"{path}/resolve/", official, {"outcome": "solved", "note": "已办结"})
        call = {"channel": "phone", "contact": "企业负责人", "verdict": "satisfied"}
        return server.ok("POST", f"{path}/follow-up/", supervisor_a, call)

    issue = new_resolved_issue()
    rounds = []  # (issue id, results, state after)
    for _ in range(ROUNDS):
        assert issue["status"] == "resolved"
        path = f"/api/v1/issues/{issue['id']}"
        version = issue["version"]
        results = race(
            server,
            path,
            {
                "close": (
                    supervisor_a,
                    {"note": "回访企业，问题已解决", "version": version},
                ),
                "reopen": (supervisor_b, {"reason": "企业反映仍未解决", "version": version}),
            },
        )
        issue = server.ok("GET", f"{path}/", supervisor_a)
        rounds.append((issue["id"], results, issue["status"]))
        # Back to resolved through the lifecycle: a closed issue is final, so
        # the next round takes a fresh one; a reopened one is resolved and called back again.
        if issue["status"] == "closed":
            issue = new_resolved_issue()
        elif issue["status"] == "in_progress":
            server.ok("POST", f"{path}/resolve/", official, {"outcome": "solved", "note": "已重新办理"})
            call = {"channel": "phone", "contact": "企业负责人", "verdict": "satisfied"}
            issue = server.ok("POST", f"{path}/follow-up/", supervisor_a, call)

    statuses = [status for _, results, _ in rounds for status, _ in results.values()]
    winners = defaultdict(list)  # issue id → the winning action of each of its rounds
    for issue_id, results, _ in rounds:
        winners[issue_id] += [name for name, (status, _) in results.items() if status == 200]
    wins = sum(winners.values(), [])
    print(
        f"\n{ROUNDS} rounds in {time.monotonic() - started:.1f} s: "
        + ", ".join(f"{statuses.count(code)}×{code}" for code in sorted(set(statuses)))
        + f"; close won {wins.count('close')}, reopen won {wins.count('reopen')}"
    )
    failed = [(n, r) for n, (_, r, _) in enumerate(rounds) if sorted(s for s, _ in r.values()) != [200, 409]]
    assert statuses.count(500) == 0 and not failed, (len(failed), failed[:3], server.log.read_text()[-3000:])
    for _, results, state in rounds:
        winner = "close" if results["close"][0] == 200 else "reopen"
        assert state == {"close": "closed", "reopen": "in_progress"}[winner]
        loser = results["reopen" if winner == "close" else "close"][1]
        assert loser["code"] in {"stale_version", "invalid_transition"}, loser
    # The winners' changes and nothing more: one event each, in order.
    for issue_id, won in winners.items():
        events = server.ok("GET", f"/api/v1/issues/{issue_id}/events/", supervisor_a)
        assert [e["action"] for e in events if e["action"] in ("close", "reopen")] == won, issue_id
