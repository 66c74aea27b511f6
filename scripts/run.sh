#!/usr/bin/env bash
# `make run`: the app on http://127.0.0.1:8000 with a real Celery worker and
# beat. Embedded defaults (SQLite file, filesystem broker under var/);
# DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
mkdir -p var/broker/queue var/broker/processed var/log
pids=()
cleanup() {
  # Each keeper first (so it starts nothing new), then what it was running.
  local pid kids
  for pid in "${pids[@]}"; do
    kids=$(pgrep -P "$pid" || true)
    kill "$pid" 2>/dev/null || true
    [ -z "$kids" ] || kill $kids 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
# The worker and beat are restarted if they stop (a broker outage, a crash):
# the web server keeps serving meanwhile, and what it saved waits in the outbox.
keep() {
  local name=$1; shift
  while true; do
    "$@" >>"var/log/$name.log" 2>&1 || true
    echo "$(date '+%F %T') $name stopped; starting it again in 2 s" >>"var/log/$name.log"
    sleep 2
  done
}
keep worker .venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 &
pids+=($!)
keep beat .venv/bin/celery -A config beat --loglevel=INFO &
pids+=($!)
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload &
web=$!
pids+=($web)
echo "Celery worker and beat started (logs in var/log/). Serving http://127.0.0.1:${PORT:-8000}/ — Ctrl-C stops all three."
# The web server stopping (or a signal) stops the rest.
wait "$web"
