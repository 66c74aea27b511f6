#!/usr/bin/env bash
# `make test`: the whole suite against a real PostgreSQL and Redis started
# here on loopback, then the smoke subset on the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
ensure_packages chromium fonts-wqy-microhei
start_services
export ZOUFANG_VAR_DIR="$ZF_TMP/var"
export DJANGO_SETTINGS_MODULE=config.settings.test
start=$(date +%s)
.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "Models and migrations disagree: run manage.py makemigrations." >&2; exit 1; }
echo "== Smoke subset on SQLite (the make run default) =="
DATABASE_URL="sqlite:///$ZF_TMP/smoke.sqlite3" .venv/bin/pytest -q -m smoke -p no:cacheprovider "$@"
echo "== Whole suite on PostgreSQL and Redis =="
.venv/bin/pytest -q -p no:cacheprovider "$@"
echo "make test took $(( $(date +%s) - start )) s"
