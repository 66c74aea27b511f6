#!/usr/bin/env bash
# `make load`: LOAD_MINUTES (5) of officials logging visits and registering
# issues while supervisors open the dashboard and assign, against a `make
# stack` of its own (demo data, free loopback ports, a temporary folder).
# Prints throughput, p50/p95 and failures, then checks that the issues in the
# database are exactly the ones the API answered 201 for. Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
USERS=${LOAD_USERS:-16}
dir=$(mktemp -d /tmp/zoufang-load.XXXXXX)
chmod 755 "$dir"
export ZOUFANG_STACK_DIR=$dir/stack
export ZOUFANG_STACK_PORT=$(free_port) ZOUFANG_STACK_WEB_PORT=$(free_port)
export ZOUFANG_STACK_PG_PORT=$(free_port) ZOUFANG_STACK_REDIS_PORT=$(free_port)
# Every simulated person comes from 127.0.0.1: the per-address sign-in limit
# would otherwise refuse the 21st token of the first minute.
export ZOUFANG_API_SIGN_IN_RATE=${ZOUFANG_API_SIGN_IN_RATE:-1000/min}
trap 'scripts/stack.sh down >/dev/null || true; rm -rf "$dir"' EXIT
scripts/stack.sh up --detach --demo >"$dir/stack-up.log" 2>&1 || { cat "$dir/stack-up.log"; exit 1; }

ask() { scripts/stack.sh manage shell -c "$1" 2>/dev/null | tail -n 1; }
officials=$(ask "from enterprises.models import Official as O; print(','.join(O.objects.filter(role='official', is_active=True, unit__isnull=False).order_by('username').values_list('username', flat=True)[:$USERS]))")
supervisors=$(ask "from enterprises.models import Official as O; print(','.join(O.objects.filter(role='supervisor', is_active=True).values_list('username', flat=True)))")
before=$(ask "from issues.models import Issue; print(Issue.objects.count())")

echo "Load: $USERS people (3 officials to 1 supervisor) for ${LOAD_MINUTES:-5} min against https://127.0.0.1:$ZOUFANG_STACK_PORT/"
LOAD_OFFICIALS=$officials LOAD_SUPERVISORS=$supervisors LOAD_TALLY=$dir/tally.json \
  .venv/bin/locust -f benchmarks/load/locustfile.py --headless --only-summary \
  -u "$USERS" -r 2 -t "${LOAD_MINUTES:-5}m" --host "https://127.0.0.1:$ZOUFANG_STACK_PORT" || true

after=$(ask "from issues.models import Issue; print(Issue.objects.count())")
python3 - "$dir/tally.json" "$before" "$after" <<'PY'
import json, sys
tally = json.load(open(sys.argv[1]))
before, after = int(sys.argv[2]), int(sys.argv[3])
print(json.dumps(tally, ensure_ascii=False))
print(f"issues in the database: {before} before, {after} after: {after - before} new; "
      f"the API answered 201 for {tally['issues_created']}")
ok = tally["failures"] == 0 and after - before == tally["issues_created"]
print("OK" if ok else "NOT OK")
sys.exit(0 if ok else 1)
PY
