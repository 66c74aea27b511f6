"""The load generator: a province's worth of data for the benchmarks, on PostgreSQL.

`generate(scale=…, seed=…, today=…)` writes, into an empty migrated
database, a region tree (province → cities → counties → towns), help units,
officials, enterprises, a campaign a year with its time-limit scheme and
三帮一 teams, help plans, visits with their participants, and issues over
the three years before `today`, each with its events, return calls,
extension requests and 督办 notices as the lifecycle's services and the
ladder would have written them (desk.load.lifecycle). The same seed and the
same day give the same rows.

It writes with COPY (desk.load.bulk), sets every sequence past the ids it
gave, brings the register and notice counters up to date, makes the
indexes and constraints it set aside again (the schema ends as the
migrations left it, which it checks), analyses and vacuums the tables, and
rebuilds the dashboard's summary when there is one (issues.summary).
"""

import datetime
import importlib
import importlib.util
import random
import string
import time
from collections import Counter, defaultdict

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from core import holidays
from enterprises.models import (
    Assignment,
    AssignmentUnit,
    Campaign,
    Enterprise,
    HelpPlan,
    HelpUnit,
    Official,
    Region,
)
from issues.models import (
    ExtensionRequest,
    FollowUp,
    Issue,
    IssueEvent,
    NoticeCounter,
    RegisterCounter,
    SchemeLimit,
    SuperviseNotice,
    TimeLimitScheme,
)
from visits.models import Visit, VisitParticipant

from . import bulk
from .days import Days
from .ledger import Ledger
from .world import ADMIN_ID, Scale, WorldBuilder

SCALES = {
    "province": Scale(12, 100, 17, 3000, 50_000, 100_000, 30_000, 2_000_000, 1_000_000),
    "city": Scale(1, 10, 17, 300, 5_000, 10_000, 3_000, 200_000, 100_000),
    "county": Scale(1, 1, 17, 30, 500, 1_000, 300, 20_000, 10_000),
    # For the tests: two counties, so there is a busiest one, in a second or two.
    "tiny": Scale(1, 2, 6, 22, 150, 200, 60, 3_000, 2_000),
}
YEARS = 3
DEFAULT_PASSWORD = "load-password"  # nosec B105  # the published password of generated benchmark data
USERNAMES = {"admin": "load-admin", "province": "load-province", "county": "load-county", "official": "load-official"}

MODELS = (
    Region,
    HelpUnit,
    Official,
    Enterprise,
    Campaign,
    TimeLimitScheme,
    SchemeLimit,
    Assignment,
    AssignmentUnit,
    HelpPlan,
    Visit,
    VisitParticipant,
    Issue,
    IssueEvent,
    FollowUp,
    ExtensionRequest,
    SuperviseNotice,
    NoticeCounter,
    RegisterCounter,
)
# The 三帮一 trigger looks a team's units up by assignment: that table keeps its indexes.
KEEP_INDEXES = {AssignmentUnit._meta.db_table}
# What must be empty before a load (the tables it writes, less what migrations fill).
MUST_BE_EMPTY = (Region, HelpUnit, Official, Enterprise, Campaign, Visit, Issue)


class Refused(Exception):
    """The database is not one the generator writes into; the message says why."""


def models() -> list:
    """What the generator writes: MODELS and the issues' co-handling units."""
    return [*MODELS, Issue.co_units.through]


def tables() -> list[str]:
    return [model._meta.db_table for model in models()]


def check_database() -> None:
    """Refuse anything but an empty, migrated PostgreSQL database."""
    if connection.vendor != "postgresql":
        raise Refused(
            f"The load generator runs on PostgreSQL only (COPY, and the constraints and triggers the "
            f"benchmarks need); this database is {connection.vendor}. Set DATABASE_URL=postgres://…"
        )
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise Refused("The database is not migrated: run manage.py migrate first.")
    held = {model._meta.verbose_name_plural: model.objects.count() for model in MUST_BE_EMPTY}
    held = {name: count for name, count in held.items() if count}
    if held:
        listed = ", ".join(f"{count} {name}" for name, count in held.items())
        raise Refused(
            f"The database already holds data ({listed}). The load generator writes only into an empty, "
            "migrated database: make a new one (createdb, then manage.py migrate)."
        )


def _start(today: datetime.date) -> datetime.date:
    """The first day of the ledger: three years before today."""
    try:
        return today.replace(year=today.year - YEARS) + datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - YEARS, day=28) + datetime.timedelta(days=1)


def generate(*, scale: str, seed: int, today: datetime.date, password: str = DEFAULT_PASSWORD, log=None) -> dict:
    """Write a `scale` load into the empty database; the summary: the rows
    written per table, the seconds each took, and the ids and user names a
    benchmark needs."""
    log = log or (lambda message: None)
    check_database()
    started = time.perf_counter()
    seconds: dict[str, float] = defaultdict(float)
    phases: dict[str, float] = {}

    def phase(name, since):
        phases[name] = round(time.perf_counter() - since, 2)
        log(f"{name}: {phases[name]:.1f} s")
        return time.perf_counter()

    holidays.calendar_load()  # the official schedule, as `make run` loads it (nothing when it is there)
    size = SCALES[scale]
    rng = random.Random(seed)  # nosec B311  # repeatable benchmark data, not a secret
    start = _start(today)
    days = Days(datetime.date(start.year - 1, 1, 1), today + datetime.timedelta(days=4 * 366))
    first_day, today_day = days.index(start), days.index(today)
    # One hash for every account, with a salt from the seed: the same seed, the same rows.
    salt = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))
    password_hash = make_password(password, salt)
    names = tables()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SHOW maintenance_work_mem")
            if _megabytes(cursor.fetchone()[0]) < 256:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            before = bulk.schema_of(cursor, names)
            aside = bulk.strip(cursor, names, KEEP_INDEXES)
        mark = phase("indexes and constraints set aside", started)
        connection.ensure_connection()
        copier = bulk.Copier(connection.connection)
        try:
            world = WorldBuilder(
                scale=size, rng=rng, days=days, copier=copier, first_day=first_day, today_day=today_day
            ).build(password_hash)
            copier.wait()
            with connection.cursor() as cursor:
                # The 三帮一 rule (a deferred constraint trigger) checks every team now, not at commit.
                team_check = time.perf_counter()
                cursor.execute("SET CONSTRAINTS assignmentunit_rules IMMEDIATE")
                cursor.execute("SET CONSTRAINTS assignmentunit_rules DEFERRED")
                seconds[AssignmentUnit._meta.db_table] += time.perf_counter() - team_check
            mark = phase("regions, units, officials, enterprises, campaigns, teams, plans", mark)
            ledger = Ledger(
                world=world, days=days, copier=copier, rng=rng, first_day=first_day, today_day=today_day, scale=size
            )
            ledger.run(progress=lambda day: log(f"  … {day:%Y-%m}") if day.month % 6 == 0 else None)
            counters = copier.table(RegisterCounter._meta.db_table, ("year", "last_number"))
            for year, number in sorted(ledger.register_counters.items()):
                counters.add(year, number)
            notice_counters = copier.table(
                NoticeCounter._meta.db_table, ("id", "region_id", "year", "kind", "last_number")
            )
            for pk, ((region, year, kind), number) in enumerate(sorted(ledger.notice_counters.items()), start=1):
                notice_counters.add(pk, region, year, kind, number)
            if ledger.events_of_saga < 20:
                raise RuntimeError(f"the issue written for the 20-event page has {ledger.events_of_saga} events")
            mark = phase("visits, issues, events (made in Python while COPY writes)", mark)
            copier.wait()
        finally:
            copier.close()
        mark = phase("last rows written", mark)
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'ANALYZE "{name}"')
            mark = phase("analyse", mark)
            bulk.restore(cursor, aside, seconds, bulk.declared_indexes(connection, models()))
            mark = phase("indexes and constraints made again", mark)
            after = bulk.schema_of(cursor, names)
            if after != before:
                raise RuntimeError("The schema did not come back as it was: " + _difference(before, after))
            # Django's statements leave out many-to-many tables unless named: models() names them.
            for statement in connection.ops.sequence_reset_sql(no_style(), models()):
                cursor.execute(statement)
            ids = _known_accounts(cursor, world, ledger)
        mark = phase("sequences, counters, accounts", mark)
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'VACUUM (ANALYZE) "{name}"')
        mark = phase("vacuum", mark)
    if importlib.util.find_spec("issues.summary") is not None:
        importlib.import_module("issues.summary").rebuild()
        mark = phase("dashboard summary rebuilt", mark)
    total = round(time.perf_counter() - started, 1)
    rows = Counter(copier.rows)
    return {
        "scale": scale,
        "seed": seed,
        "today": today.isoformat(),
        "rows": dict(sorted(rows.items())),
        "statuses": dict(sorted(ledger.status_count.items())),
        "seconds": {
            "total": total,
            "phases": phases,
            "copy": {name: round(value, 2) for name, value in sorted(copier.seconds.items())},
            "indexes_and_constraints": {name: round(value, 2) for name, value in sorted(seconds.items())},
        },
        **ids,
    }


def _megabytes(setting: str) -> float:
    units = {"kB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1024 * 1024}
    for unit, factor in units.items():
        if setting.endswith(unit):
            return float(setting[: -len(unit)]) * factor
    return float(setting) * 8 / 1024  # blocks of 8 kB


def _difference(before: dict, after: dict) -> str:
    lines = []
    for part in before:
        for key in sorted(set(before[part]) | set(after[part])):
            if before[part].get(key) != after[part].get(key):
                lines.append(f"{part} {key}: {before[part].get(key)} → {after[part].get(key)}")
    return "; ".join(lines)


def _known_accounts(cursor, world, ledger) -> dict:
    """The accounts a benchmark signs in with (one of each kind, in the
    busiest places), and the ids it needs."""
    county, _n = ledger.issues_of_county.most_common(1)[0]
    busiest_units = ledger.open_of_unit.most_common(1) or [(world.county_departments[county][0], 0)]
    unit, _n = busiest_units[0]
    accounts = {
        "province": world.province_head,
        "county": world.county_supervisors[county][0],
        "official": world.unit_actors[unit][0],
    }
    for kind, pk in accounts.items():
        cursor.execute("UPDATE enterprises_official SET username = %s WHERE id = %s", [USERNAMES[kind], pk])
    enterprise, _n = ledger.issues_of_enterprise.most_common(1)[0]
    campaign = next(c.id for c in world.campaigns if c.is_current)
    return {
        "ids": {
            "busiest_enterprise": enterprise,
            "issue_with_many_events": ledger.saga_issue,
            "events_of_that_issue": ledger.events_of_saga,
            "county_region": county,
            "unit_with_most_open_issues": unit,
            "current_campaign": campaign,
            "root_region": world.root,
            "admin": ADMIN_ID,
        },
        "usernames": dict(USERNAMES),
    }
