#!/usr/bin/env bash
# bandit, for make lint and make test (a few seconds). Settings: pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
# bandit 1.9 warns "nosec encountered (Bxxx), but no failed test" for every
# other check that runs on a line carrying a nosec; that tells nothing.
bandit() { .venv/bin/bandit "$@" 2> >(grep -v "nosec encountered" >&2); }
# The code that runs in production: every finding fixed, or explained where it
# is judged safe (# nosec Bxxx  # why).
bandit -c pyproject.toml -q -r .
# The tests, less what tests do by design: assert (B101), sign in with fixed
# passwords (B105-B107), start servers with subprocess (B404, B603) in folders
# under /tmp that PostgreSQL's user can enter (B108), open loopback URLs (B310).
bandit -q -r tests -s B101,B105,B106,B107,B108,B310,B404,B603
