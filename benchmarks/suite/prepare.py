"""Making both systems ready: Zoufang's settings, ledger and static files;
the peer's venv, database and data; and the ids the pages are asked about."""

import datetime
import hashlib
import json
import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2

from .servers import ROOT, last_json, run

PASSWORD = "load-password"  # nosec B105  # the generated ledger's accounts, on loopback only
VENV = ROOT / ".venv" / "bin"
PEER_DIR = ROOT / "benchmarks" / "peer"
PEER_VENV = ROOT / "var" / "bench" / "peer" / "venv"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(name: str) -> str:
    """DATABASE_URL (scripts/services.sh) with another database's name."""
    parts = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parts._replace(path="/" + name))


def connect(url: str):
    connection = psycopg2.connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Shanghai'")  # dates as the app reads them
    connection.commit()
    return connection


def one(cursor, sql: str, params=()):
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


# Zoufang ------------------------------------------------------------------------------------


def zoufang_env(*, workers: int, work: Path) -> dict:
    """config.settings.production as `make stack` satisfies it, but on plain
    HTTP over loopback: no TLS in front, so no secure cookies and no redirect
    to HTTPS. The query-count header is on; the API's throttles are off (one
    client from one address asks hundreds of times a minute)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_STATIC_ROOT=str(ROOT / "var" / "bench" / "static"),
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DATABASE_CONN_MAX_AGE="60",
        CELERY_BROKER_URL=os.environ["REDIS_URL"],
        CELERY_RESULT_BACKEND=os.environ["REDIS_URL"],
        ZOUFANG_VAR_DIR=str(work / "zoufang-var"),
        ZOUFANG_WEB_WORKERS=str(workers),
        ZOUFANG_QUERY_COUNT_HEADER="1",
        ZOUFANG_API_BURST_RATE="",
        ZOUFANG_API_SUSTAINED_RATE="",
    )
    return env


def prepare_zoufang(*, scale: str, seed: int, env: dict, work: Path, log: Path) -> dict:
    """The holiday calendar, the generated ledger (its summary and how long it
    took) and the collected static files production settings serve."""
    manage = [VENV / "python", "manage.py"]
    run([*manage, "load_calendar"], env=env, log=log)
    summary_path = work / "summary.json"
    say(f"generating the {scale} ledger (seed {seed}) …")
    started = time.perf_counter()
    command = ["generate_load", "--scale", scale, "--seed", seed, "--password", PASSWORD, "--summary", summary_path]
    run([*manage, *command], env=env, log=log)
    seconds = time.perf_counter() - started
    summary = json.loads(summary_path.read_text())
    rows = summary.get("rows", {})
    say(
        f"ledger made in {seconds:.0f} s: {rows.get('issues_issue', 0):,} issues, "
        f"{rows.get('issues_issueevent', 0):,} events; ids {json.dumps(summary.get('ids', {}))}"
    )
    run([*manage, "collectstatic", "--noinput", "-v0"], env=env, log=log)
    return {"summary": summary, "seconds": seconds}


# The generator's names for the ids the pages need (its summary's "ids"), and the suite's.
SUMMARY_IDS = {
    "busiest_enterprise_id": ("busiest_enterprise", "busiest_enterprise_id"),
    "issue_with_events_id": ("issue_with_many_events", "issue_with_events_id"),
    "unit_id": ("unit_with_most_open_issues", "unit_id"),
    "campaign_id": ("current_campaign", "campaign_id"),
    "county_region_id": ("county_region", "county_region_id"),
}


def discover(connection, summary: dict) -> dict:
    """The ids the pages ask about: from the generator's summary, and what it
    does not say looked up here (the busiest enterprise, the issue with the
    most events …), so the suite runs on any ledger with the four accounts."""
    given = {**summary, **(summary.get("ids") or {})}
    ids = {}
    for name, aliases in SUMMARY_IDS.items():
        found = next((given[alias] for alias in aliases if given.get(alias) is not None), None)
        if found is not None:
            ids[name] = found
    with connection.cursor() as cursor:

        def scope_of(username):
            path = one(
                cursor,
                "SELECT r.path FROM enterprises_official o JOIN enterprises_helpunit u ON u.id = o.unit_id "
                "JOIN enterprises_region r ON r.id = u.region_id WHERE o.username = %s",
                [username],
            )
            return (path or "") + "%"

        def official(username):
            return one(cursor, "SELECT id FROM enterprises_official WHERE username = %s", [username])

        ids["province_scope"], ids["county_scope"] = scope_of("load-province"), scope_of("load-county")
        ids["supervisor"], ids["official"] = official("load-province"), official("load-official")
        ids["official_unit"] = one(cursor, "SELECT unit_id FROM enterprises_official WHERE username = 'load-official'")
        ids.setdefault("campaign_id", one(cursor, "SELECT id FROM enterprises_campaign WHERE is_current"))
        ids.setdefault(
            "busiest_enterprise_id",
            one(cursor, "SELECT enterprise_id FROM issues_issue GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"),
        )
        ids.setdefault(
            "issue_with_events_id",
            one(cursor, "SELECT issue_id FROM issues_issueevent GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"),
        )
        ids.setdefault("unit_id", ids["official_unit"])
        ids["issue_events"] = one(
            cursor, "SELECT count(*) FROM issues_issueevent WHERE issue_id = %s", [ids["issue_with_events_id"]]
        )
        ids["campaign_start"] = one(
            cursor, "SELECT start_date FROM enterprises_campaign WHERE id = %s", [ids["campaign_id"]]
        )
        ids["registered_issue"] = one(
            cursor, "SELECT id FROM issues_issue WHERE status = 'registered' ORDER BY id LIMIT 1"
        )
        # The export: the newest 100,000 issues by registration day (all of them in a smaller ledger).
        ids["export_from"] = one(
            cursor,
            "SELECT (registered_at AT TIME ZONE 'Asia/Shanghai')::date FROM issues_issue "
            "ORDER BY registered_at DESC OFFSET 99999 LIMIT 1",
        ) or one(cursor, "SELECT min((registered_at AT TIME ZONE 'Asia/Shanghai')::date) FROM issues_issue")
        ids["export_rows"] = one(
            cursor,
            "SELECT count(*) FROM issues_issue WHERE (registered_at AT TIME ZONE 'Asia/Shanghai')::date >= %s",
            [ids["export_from"]],
        )
        ids["counts"] = {
            table: one(cursor, f"SELECT count(*) FROM {table}")  # nosec B608  # fixed table names
            for table in (
                "issues_issue",
                "issues_issueevent",
                "enterprises_enterprise",
                "enterprises_helpunit",
                "enterprises_official",
                "visits_visit",
            )
        }
        ids["deep_page"] = max(1, min(500, -(-ids["counts"]["issues_issue"] // 25)))
        ids["postgresql"] = {
            name: one(cursor, f"SHOW {name}")  # nosec B608  # fixed setting names
            for name in ("server_version", "shared_buffers", "work_mem", "jit", "fsync", "synchronous_commit")
        }
    first_of_month = datetime.date.today().replace(day=1)
    ids["month_start"] = (first_of_month - datetime.timedelta(days=1)).replace(day=1)
    ids["month_end"] = first_of_month
    return ids


def floor_params(ids: dict) -> dict:
    """The floors' parameters (benchmarks/suite/floors.py); a case adds its own."""
    return {
        "scope": ids["province_scope"],
        "unit": ids["unit_id"],
        "campaign": ids["campaign_id"],
        "campaign_start": ids["campaign_start"],
        "issue": ids["issue_with_events_id"],
        "enterprise": ids["busiest_enterprise_id"],
        "official": ids["official"],
        "supervisor": ids["supervisor"],
        "register_enterprise": ids.get("official_enterprise"),
        "registered_issue": ids["registered_issue"],
        "export_from": ids["export_from"],
        "month_start": ids["month_start"],
        "month_end": ids["month_end"],
        "bulletin": ids.get("bulletin"),
        "step": "month",
        "like": "%",
        "offset": 0,
    }


# The peer -----------------------------------------------------------------------------------


def peer_env(work: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        PEER_SECRET_KEY=secrets.token_urlsafe(48),
        PEER_DATABASE_URL=database_url("peer"),
        PEER_STATIC_ROOT=str(work / "peer-static"),
        PEER_MEDIA_ROOT=str(work / "peer-media"),
    )
    return env


def peer_venv(log: Path) -> Path:
    """var/bench/peer/venv with benchmarks/peer/requirements.txt: made once,
    and again whenever the pins change."""
    requirements = PEER_DIR / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = PEER_VENV / ".requirements-sha256"
    if not (marker.exists() and marker.read_text() == digest):
        say("installing django-helpdesk into var/bench/peer/venv …")
        run([sys.executable, "-m", "venv", "--clear", PEER_VENV], log=log)
        run([PEER_VENV / "bin" / "python", "-m", "pip", "install", "-q", "-r", requirements], log=log)
        marker.write_text(digest)
    return PEER_VENV


def prepare_peer(*, tickets: int, queues: int, users: int, seed: int, env: dict, log: Path) -> dict:
    """Its own database in the same cluster, migrated, with its data."""
    venv = peer_venv(log)
    admin = psycopg2.connect(os.environ["DATABASE_URL"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS peer")
        cursor.execute("CREATE DATABASE peer")
    admin.close()
    python = venv / "bin" / "python"
    run([python, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=PEER_DIR, log=log)
    say(f"making the peer's {tickets:,} tickets in {queues} queues …")
    started = time.perf_counter()
    command = ["-m", "peersite.load", "--tickets", tickets, "--queues", queues, "--users", users, "--seed", seed]
    output = run([python, *command, "--password", PASSWORD], env=env, cwd=PEER_DIR, log=log)
    seconds = time.perf_counter() - started
    made = last_json(output)
    say(f"peer data made in {seconds:.0f} s: {made}")
    version = run([python, "-c", "import importlib.metadata as m; print(m.version('django-helpdesk'))"], log=log)
    return {"venv": venv, "counts": made, "seconds": seconds, "version": version.strip()}


def discover_peer(connection) -> dict:
    with connection.cursor() as cursor:
        # The ticket with the most follow-ups: the peer's busiest ticket page.
        cursor.execute("SELECT ticket_id, count(*) FROM helpdesk_followup GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")
        ticket, followups = cursor.fetchone()
        queue = one(cursor, "SELECT queue_id FROM helpdesk_ticket GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        update_ticket = one(cursor, "SELECT id FROM helpdesk_ticket WHERE status = 1 ORDER BY id LIMIT 1")
    return {"ticket": ticket, "followups": followups, "queue": queue, "update_ticket": update_ticket}
