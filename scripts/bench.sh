#!/usr/bin/env bash
# Benchmarks against a throwaway PostgreSQL and Redis (stopped on exit):
#   scripts/bench.sh                               `make bench`: the suite beside the peer
#                                                  (benchmarks/suite; README, "Benchmarks")
#   scripts/bench.sh benchmarks/bench_import.py …  one of the single benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
ensure_packages
if [ $# -eq 0 ]; then
  # The server issue 13 measured on: 1 GB of shared buffers, durable commits
  # (the throwaway cluster's fsync=off would flatter every write).
  export ZF_PG_OPTIONS="-c shared_buffers=1GB -c work_mem=32MB -c maintenance_work_mem=512MB \
-c effective_cache_size=4GB -c max_wal_size=8GB -c random_page_cost=1.1 \
-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
fi
start_services
export ZOUFANG_VAR_DIR="$ZF_TMP/var"
.venv/bin/python manage.py migrate --noinput -v0
if [ $# -eq 0 ]; then
  ZF_TMP="$ZF_TMP" .venv/bin/python -m benchmarks.suite
  exit
fi
.venv/bin/python "$@"
