#!/usr/bin/env bash
# Run a benchmark script against a throwaway PostgreSQL: scripts/bench.sh benchmarks/bench_import.py [args]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
ensure_packages
start_services
export ZOUFANG_VAR_DIR="$ZF_TMP/var"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python "$@"
