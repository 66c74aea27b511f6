#!/usr/bin/env bash
# `make stack`: the production topology on this machine, without Docker.
# PostgreSQL, Redis, gunicorn, a Celery worker and beat, and nginx in front
# (TLS on a loopback port, static files, no public media), all under
# supervisord with config.settings.production.
#
#   scripts/stack.sh up [--detach] [--demo]   migrate, collect static, start; in the
#                                             foreground Ctrl-C stops everything
#   scripts/stack.sh down                     stop a detached stack
#   scripts/stack.sh status                   supervisorctl status
#   scripts/stack.sh ctl ARGS…                supervisorctl ARGS… (restart worker, tail -f web, pid beat…)
#   scripts/stack.sh manage ARGS…             manage.py with the stack's settings
#   scripts/stack.sh run COMMAND…             any command with them (.venv/bin/celery -A config inspect ping)
#   scripts/stack.sh backup [ARGS…]           manage.py backup (database and media)
#   scripts/stack.sh restore FILE [--force]   manage.py restore, the app stopped meanwhile
#
# Everything lives in $ZOUFANG_STACK_DIR (var/stack): env (secrets, generated
# once), pg/ redis/ app/ (media, beat's schedule, backups) static/ tls/ log/ run/.
# Ports: ZOUFANG_STACK_PORT (nginx, 8443), ZOUFANG_STACK_WEB_PORT (gunicorn,
# 8001), ZOUFANG_STACK_PG_PORT (5433), ZOUFANG_STACK_REDIS_PORT (6380), all on 127.0.0.1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/services.sh

die() { echo "stack: $*" >&2; exit 1; }

STACK_DIR=${ZOUFANG_STACK_DIR:-$ROOT/var/stack}
mkdir -p "$STACK_DIR"
STACK_DIR=$(cd "$STACK_DIR" && pwd)
ENV_FILE=$STACK_DIR/env
PY=$ROOT/.venv/bin/python

export ZOUFANG_ROOT=$ROOT ZOUFANG_STACK_DIR=$STACK_DIR ZOUFANG_VENV=$ROOT/.venv
export ZOUFANG_STACK_RUN=$STACK_DIR/run ZOUFANG_STACK_LOG=$STACK_DIR/log
export ZOUFANG_STACK_PORT=${ZOUFANG_STACK_PORT:-8443}
export ZOUFANG_STACK_WEB_PORT=${ZOUFANG_STACK_WEB_PORT:-8001}
export ZOUFANG_STACK_PG_PORT=${ZOUFANG_STACK_PG_PORT:-5433}
export ZOUFANG_STACK_REDIS_PORT=${ZOUFANG_STACK_REDIS_PORT:-6380}

supervisorctl() { "$ROOT/.venv/bin/supervisorctl" -c "$ROOT/deploy/stack/supervisord.conf" "$@"; }
supervisord_pid() {
  local pid
  pid=$(cat "$ZOUFANG_STACK_RUN/supervisord.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

generate_env() {
  [ -f "$ENV_FILE" ] && return 0
  local secret='import secrets; print(secrets.token_urlsafe(48))'
  (
    umask 077
    cat >"$ENV_FILE" <<EOF
# make stack's secrets and site settings, generated $(date -Iseconds).
# Never commit or share this file; delete it only with the data beside it.
DJANGO_SECRET_KEY=$(python3 -c "$secret")
POSTGRES_PASSWORD=$(python3 -c "$secret")
REDIS_PASSWORD=$(python3 -c "$secret")
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
# Reminder e-mails go to log/worker.log; name an SMTP server here for real use
# (DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend, DJANGO_EMAIL_HOST=…).
DJANGO_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
EOF
  )
  echo "Generated $ENV_FILE (secrets for this stack)."
}

load_env() {
  generate_env
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
  export DJANGO_SETTINGS_MODULE=config.settings.production
  export DATABASE_URL="postgres://zoufang:$POSTGRES_PASSWORD@127.0.0.1:$ZOUFANG_STACK_PG_PORT/zoufang"
  export DATABASE_CONN_MAX_AGE=${DATABASE_CONN_MAX_AGE:-60}
  export CELERY_BROKER_URL="redis://:$REDIS_PASSWORD@127.0.0.1:$ZOUFANG_STACK_REDIS_PORT/0"
  export CELERY_RESULT_BACKEND="redis://:$REDIS_PASSWORD@127.0.0.1:$ZOUFANG_STACK_REDIS_PORT/1"
  export ZOUFANG_VAR_DIR=$STACK_DIR/app
  export DJANGO_STATIC_ROOT=$STACK_DIR/static
  export ZOUFANG_SITE_URL=${ZOUFANG_SITE_URL:-https://127.0.0.1:$ZOUFANG_STACK_PORT}
  export ZOUFANG_PG_BIN
  ZOUFANG_PG_BIN=$(pg_bin)
  export ZOUFANG_PG_USER ZOUFANG_PG_ADMIN
  if is_root; then ZOUFANG_PG_USER=postgres; else ZOUFANG_PG_USER=$(id -un); fi
  ZOUFANG_PG_ADMIN=$ZOUFANG_PG_USER
  export ZOUFANG_NGINX_BIN
  ZOUFANG_NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
}

prepare() {
  ensure_packages nginx gettext-base openssl
  [ -x "$ROOT/.venv/bin/supervisord" ] || die "run 'make .venv/.runtime' first (supervisor and gunicorn come from requirements.txt)"
  load_env
  mkdir -p "$ZOUFANG_STACK_RUN/nginx" "$ZOUFANG_STACK_LOG" "$STACK_DIR/redis" "$ZOUFANG_VAR_DIR" "$STACK_DIR/tls"

  if [ ! -f "$STACK_DIR/tls/cert.pem" ]; then
    # A self-signed certificate for the loopback address; put the site's own
    # certificate and key here for anything else.
    openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 825 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$STACK_DIR/tls/key.pem" -out "$STACK_DIR/tls/cert.pem" 2>/dev/null
    chmod 600 "$STACK_DIR/tls/key.pem"
  fi

  if [ ! -f "$STACK_DIR/pg/data/PG_VERSION" ]; then
    mkdir -p "$STACK_DIR/pg"
    chmod 700 "$STACK_DIR/pg"
    if is_root; then
      chown postgres "$STACK_DIR/pg"
      runuser -u postgres -- test -w "$STACK_DIR/pg" \
        || die "PostgreSQL runs as 'postgres', which cannot reach $STACK_DIR; set ZOUFANG_STACK_DIR to a folder it can (e.g. /srv/zoufang)"
    fi
    as_pg "$ZOUFANG_PG_BIN/initdb" -D "$STACK_DIR/pg/data" -U "$ZOUFANG_PG_ADMIN" -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$ZOUFANG_STACK_LOG/initdb.log" 2>&1 \
      || { cat "$ZOUFANG_STACK_LOG/initdb.log" >&2; die "initdb failed"; }
  fi

  (
    umask 077
    cat >"$ZOUFANG_STACK_RUN/redis.conf" <<EOF
bind 127.0.0.1
port $ZOUFANG_STACK_REDIS_PORT
requirepass $REDIS_PASSWORD
dir $STACK_DIR/redis
appendonly yes
appendfsync everysec
daemonize no
logfile ""
EOF
  )
  # Started as root, nginx's workers drop to www-data (they only read static files).
  local user_line="# workers run as $(id -un)"
  if is_root; then user_line="user www-data;"; fi
  ZOUFANG_NGINX_USER_LINE="$user_line" deploy/render.sh deploy/stack/nginx.conf.template >"$ZOUFANG_STACK_RUN/nginx.conf"
  # nginx takes the bodies the app takes: the app's limit is the one rule.
  local max_body
  max_body=$("$PY" -c 'import django; django.setup(); from django.conf import settings; print(settings.ZOUFANG_REQUEST_MAX_BYTES)') \
    || die "the production settings do not load (see above)"
  ZOUFANG_LISTEN="127.0.0.1:$ZOUFANG_STACK_PORT" ZOUFANG_UPSTREAM="127.0.0.1:$ZOUFANG_STACK_WEB_PORT" \
    ZOUFANG_STATIC_ROOT="$DJANGO_STATIC_ROOT" ZOUFANG_TLS_DIR="$STACK_DIR/tls" ZOUFANG_MAX_BODY="$max_body" \
    deploy/render.sh deploy/nginx.conf.template >"$ZOUFANG_STACK_RUN/site.conf"
  "$ZOUFANG_NGINX_BIN" -t -q -p "$ZOUFANG_STACK_RUN" -c "$ZOUFANG_STACK_RUN/nginx.conf" -e "$ZOUFANG_STACK_LOG/nginx-error.log" \
    || die "nginx refuses its configuration ($ZOUFANG_STACK_RUN/nginx.conf)"
}

wait_for() {
  # wait_for SECONDS WHAT COMMAND…: until COMMAND succeeds.
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$what did not come up within $seconds s (logs in $ZOUFANG_STACK_LOG)"
}

port_open() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" "$1"; }

start_supervisord() {
  if supervisord_pid >/dev/null; then return 0; fi
  rm -f "$ZOUFANG_STACK_RUN/supervisor.sock"
  "$ROOT/.venv/bin/supervisord" -c "$ROOT/deploy/stack/supervisord.conf"
  wait_for 20 supervisord supervisorctl pid
}

start_data_stores() {
  start_supervisord
  supervisorctl start postgres redis >/dev/null
  wait_for 60 PostgreSQL "$ZOUFANG_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$ZOUFANG_STACK_PG_PORT"
  wait_for 30 Redis env REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$ZOUFANG_STACK_REDIS_PORT" ping
  # The app's role and database; the password follows the env file.
  as_pg "$ZOUFANG_PG_BIN/psql" -h "$STACK_DIR/pg" -p "$ZOUFANG_STACK_PG_PORT" -U "$ZOUFANG_PG_ADMIN" -d postgres \
    -v ON_ERROR_STOP=1 -qAt >/dev/null <<SQL
SELECT 'CREATE ROLE zoufang LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zoufang') \gexec
ALTER ROLE zoufang PASSWORD '$POSTGRES_PASSWORD';
SELECT 'CREATE DATABASE zoufang OWNER zoufang' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'zoufang') \gexec
SQL
}

shutdown_supervisord() {
  local pid
  pid=$(supervisord_pid) || return 0
  supervisorctl shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  for _ in $(seq 1200); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "stack: supervisord ($pid) still running after 120 s" >&2
}

database_is_empty() {
  [ "$(as_pg "$ZOUFANG_PG_BIN/psql" -h "$STACK_DIR/pg" -p "$ZOUFANG_STACK_PG_PORT" -U "$ZOUFANG_PG_ADMIN" -d zoufang -qAt \
    -c "SELECT count(*) FROM enterprises_official")" = 0 ]
}

cmd_up() {
  local detach=0 demo=0
  for arg in "$@"; do
    case "$arg" in
      --detach) detach=1 ;;
      --demo) demo=1 ;;
      *) die "unknown option $arg" ;;
    esac
  done
  prepare
  supervisord_pid >/dev/null && die "the stack in $STACK_DIR is already running (scripts/stack.sh down stops it)"
  trap 'shutdown_supervisord' EXIT
  trap 'exit 130' INT TERM
  start_data_stores
  "$PY" manage.py migrate --noinput
  "$PY" manage.py load_calendar
  "$PY" manage.py collectstatic --noinput -v0
  if [ "$demo" = 1 ]; then
    if database_is_empty; then "$PY" manage.py seed_demo; else echo "The database has officials already: no demo data loaded."; fi
  fi
  supervisorctl start web worker beat >/dev/null
  wait_for 60 gunicorn port_open "$ZOUFANG_STACK_WEB_PORT"
  supervisorctl start nginx >/dev/null
  wait_for 30 nginx port_open "$ZOUFANG_STACK_PORT"
  supervisorctl status
  echo "Zoufang is served at https://127.0.0.1:$ZOUFANG_STACK_PORT/ (production settings; the self-signed"
  echo "certificate is $STACK_DIR/tls/cert.pem). Logs: $ZOUFANG_STACK_LOG/."
  if [ "$detach" = 1 ]; then
    trap - EXIT INT TERM
    echo "Running in the background: 'make stack-down' (scripts/stack.sh down) stops it."
    return 0
  fi
  echo "Ctrl-C stops everything."
  local pid
  pid=$(supervisord_pid)
  # Show restarts and exits as they happen; the programs' own logs stay in log/.
  tail -n 0 -F "$ZOUFANG_STACK_LOG/supervisord.log" --pid="$pid" 2>/dev/null &
  while kill -0 "$pid" 2>/dev/null; do sleep 1; done
  die "supervisord stopped on its own (see $ZOUFANG_STACK_LOG/supervisord.log)"
}

cmd_down() {
  load_env
  supervisord_pid >/dev/null || { echo "The stack in $STACK_DIR is not running."; return 0; }
  shutdown_supervisord
  echo "Stopped."
}

# Runs manage.py with the stack's settings; PostgreSQL and Redis are started
# for the command (and stopped after it) when the stack is not running.
with_data_stores() {
  load_env
  if ! supervisord_pid >/dev/null; then
    prepare
    trap 'shutdown_supervisord' EXIT
    start_data_stores
  fi
  "$@"
}

cmd_restore() {
  [ $# -ge 1 ] || die "usage: scripts/stack.sh restore FILE [--force]"
  local app_was_running=0
  load_env
  if supervisord_pid >/dev/null && supervisorctl status web 2>/dev/null | grep -q RUNNING; then
    app_was_running=1
    echo "Stopping nginx, web, worker and beat while the backup is restored…"
    supervisorctl stop nginx web worker beat >/dev/null
  fi
  local rc=0
  with_data_stores "$PY" manage.py restore "$@" || rc=$?
  if [ "$app_was_running" = 1 ]; then supervisorctl start web worker beat nginx >/dev/null; fi
  return "$rc"
}

command=${1:-up}
shift || true
case "$command" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) load_env && supervisorctl status ;;
  ctl) load_env && supervisorctl "$@" ;;
  manage) with_data_stores "$PY" manage.py "$@" ;;
  run) with_data_stores "$@" ;;
  backup) with_data_stores "$PY" manage.py backup "$@" ;;
  restore) cmd_restore "$@" ;;
  *) die "unknown command $command (up, down, status, ctl, manage, run, backup, restore)" ;;
esac
