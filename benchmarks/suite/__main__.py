"""`make bench`: Zoufang beside the peer django-helpdesk, on one machine, in
one run (issue 13). scripts/bench.sh starts a throwaway PostgreSQL and Redis
and migrates; this then

1. loads the holiday calendar and runs `manage.py generate_load` (BENCH_SCALE),
2. makes the peer: its own venv (var/bench/peer/venv, benchmarks/peer/requirements.txt),
   its own database in the same cluster, and its data (BENCH_PEER_TICKETS tickets),
3. serves both under gunicorn with 2 sync workers on loopback ports
   (Zoufang with config.settings.production, DEBUG off),
4. signs in through the login forms and measures, from this process, each page
   next to its SQL floor, Zoufang and peer requests alternating round by round,
5. the issue page's throughput at concurrency 2 and 4 on both, the XLSX export
   (time and the worker's peak memory), the reminder sweep and an import,
6. writes var/bench/result-<time>.json and prints the table.

Settings (environment): BENCH_SCALE (province), BENCH_SEED (13), BENCH_RUNS (30),
BENCH_WARMUP (2), BENCH_PEER (1; 0 leaves the peer out), BENCH_PEER_TICKETS
(200000), BENCH_PEER_USERS (1000), BENCH_WORKERS (2), BENCH_THROUGHPUT_SECONDS (10),
BENCH_EXPORT_RUNS (3), BENCH_IMPORT_ROWS (50000).
"""

import sys

from .run import main

sys.exit(main())
