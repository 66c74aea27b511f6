#!/usr/bin/env bash
# `make run`: the app on http://127.0.0.1:8000 with a real Celery worker and
# beat. Embedded defaults (SQLite file, filesystem broker under var/);
# DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
mkdir -p var/broker/queue var/broker/processed var/log
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO >var/log/beat.log 2>&1 &
pids+=($!)
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload &
pids+=($!)
echo "Celery worker and beat started (logs in var/log/). Serving http://127.0.0.1:${PORT:-8000}/ — Ctrl-C stops all three."
# Whichever stops first (or a signal) stops the other two.
wait -n
