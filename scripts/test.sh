#!/usr/bin/env bash
# `make test`: the whole suite against a real PostgreSQL and Redis started
# here on loopback, then the smoke subset on the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
ensure_packages chromium fonts-wqy-microhei nginx gettext-base openssl
start_services
export ZOUFANG_VAR_DIR="$ZF_TMP/var"
export DJANGO_SETTINGS_MODULE=config.settings.test
start=$(date +%s)
.venv/bin/ruff check .
scripts/bandit.sh
.venv/bin/lint-imports --no-cache >/dev/null \
  || { .venv/bin/lint-imports --no-cache; echo "An import runs against the layers (pyproject.toml, tool.importlinter)." >&2; exit 1; }
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "Models and migrations disagree: run manage.py makemigrations." >&2; exit 1; }
# Two processes (pytest-xdist), each with its own database, var directory and
# Redis database (config/settings/test.py); a file's tests stay together.
# Much of the suite waits on servers, workers and browsers it started, so two
# overlap well even on two cores. TEST_WORKERS=0 runs it in one process.
workers=(-n "${TEST_WORKERS:-2}" --dist loadfile)
[ "${TEST_WORKERS:-2}" = 0 ] && workers=(-p no:xdist)
echo "== Smoke subset on SQLite (the make run default) =="
# Exit code 5 is "no smoke test among the ones asked for" (make test with a file argument).
rc=0
DATABASE_URL="sqlite:///$ZF_TMP/smoke.sqlite3" .venv/bin/pytest -q -m smoke -p no:cacheprovider "${workers[@]}" "$@" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 5 ] || exit "$rc"
echo "== Whole suite on PostgreSQL and Redis =="
.venv/bin/pytest -q -p no:cacheprovider "${workers[@]}" "$@"
echo "make test took $(( $(date +%s) - start )) s"
