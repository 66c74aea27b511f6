# Sourced by scripts/test.sh: start a throwaway PostgreSQL and Redis on
# loopback, export DATABASE_URL and REDIS_URL, and stop both on exit.
# PostgreSQL refuses to run as root, so as root the cluster runs as `postgres`.
# ZF_PG_OPTIONS adds server settings (scripts/bench.sh: -c shared_buffers=1GB …).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

is_root() { [ "$(id -u)" = 0 ]; }

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_packages() {
  # Installs what is missing when it can (root on Debian); otherwise names it.
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  for extra in "$@"; do
    case "$extra" in
      chromium) command -v chromium >/dev/null || missing+=(chromium) ;;
      *) dpkg -s "$extra" >/dev/null 2>&1 || missing+=("$extra") ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if is_root && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} with apt-get…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
}

ZF_TMP=""
ZF_PG_DATA=""
ZF_REDIS_PID=""

stop_services() {
  if [ -n "$ZF_PG_DATA" ] && [ -f "$ZF_PG_DATA/postmaster.pid" ]; then
    if is_root; then
      runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$ZF_PG_DATA" -m immediate stop >/dev/null 2>&1 || true
    else
      "$(pg_bin)/pg_ctl" -D "$ZF_PG_DATA" -m immediate stop >/dev/null 2>&1 || true
    fi
  fi
  if [ -n "$ZF_REDIS_PID" ]; then kill "$ZF_REDIS_PID" 2>/dev/null || true; fi
  if [ -n "$ZF_TMP" ]; then rm -rf "$ZF_TMP"; fi
}

start_services() {
  ZF_TMP=$(mktemp -d /tmp/zoufang-test.XXXXXX)
  chmod 755 "$ZF_TMP"
  trap stop_services EXIT
  local bin pg_port redis_port as_pg=()
  bin=$(pg_bin)
  pg_port=$(free_port)
  mkdir -p "$ZF_TMP/pg"
  if is_root; then
    chown postgres "$ZF_TMP/pg"
    as_pg=(runuser -u postgres --)
  fi
  ZF_PG_DATA="$ZF_TMP/pg/data"
  "${as_pg[@]}" "$bin/initdb" -D "$ZF_PG_DATA" -U zoufang --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$ZF_TMP/initdb.log" 2>&1 \
    || { cat "$ZF_TMP/initdb.log"; exit 1; }
  "${as_pg[@]}" "$bin/pg_ctl" -D "$ZF_PG_DATA" -l "$ZF_TMP/pg/server.log" -w \
    -o "-k $ZF_TMP/pg -h 127.0.0.1 -p $pg_port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${ZF_PG_OPTIONS:-}" \
    start >/dev/null || { cat "$ZF_TMP/pg/server.log"; exit 1; }
  "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U zoufang zoufang
  export DATABASE_URL="postgres://zoufang@127.0.0.1:$pg_port/zoufang"

  redis_port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save '' --appendonly no \
    --dir "$ZF_TMP" --pidfile "$ZF_TMP/redis.pid" --logfile "$ZF_TMP/redis.log"
  for _ in $(seq 100); do
    [ -s "$ZF_TMP/redis.pid" ] && redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  ZF_REDIS_PID=$(cat "$ZF_TMP/redis.pid")
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export ZOUFANG_REDIS_SERVER_PORT="$redis_port"
  echo "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port (in $ZF_TMP)"
}
