# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint audit messages clean stack stack-down backup restore load bench bench-import bench-sweep bench-dashboard bench-lists

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_calendar
	$(PY) manage.py seed_demo
	scripts/run.sh

test: $(VENV)/.dev
	scripts/test.sh

# The production topology natively (README, "The production stack"):
# make stack [DEMO=1] [DETACH=1]; make stack-down stops a detached one.
stack: $(VENV)/.runtime
	scripts/stack.sh up $(if $(DETACH),--detach) $(if $(DEMO),--demo)

# Five minutes of officials and supervisors at once against a stack of its own
# (README, "Load test"); LOAD_MINUTES and LOAD_USERS change the run.
load: $(VENV)/.dev
	$(PY) -m pip install -q -r requirements-load.txt
	scripts/load.sh

stack-down:
	scripts/stack.sh down

# The stack's database and media in one archive (README, "Backup and restore").
backup: $(VENV)/.runtime
	scripts/stack.sh backup

restore: $(VENV)/.runtime
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/stack/app/backups/….tar [FORCE=1]" >&2; exit 2; }
	scripts/stack.sh restore "$(FILE)" $(if $(FORCE),--force)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	scripts/bandit.sh

# bandit, and pip-audit over requirements.txt and requirements-dev.txt (needs the network).
audit: $(VENV)/.dev
	scripts/audit.sh

# Needs GNU gettext. The compiled .mo is committed, so running the app does not.
messages: $(VENV)/.runtime
	$(PY) manage.py makemessages -l zh_Hans --no-wrap --no-obsolete --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf var staticfiles

# Zoufang beside the peer django-helpdesk on generated data (README, "Benchmarks");
# BENCH_SCALE=county|city|province (province), BENCH_RUNS, BENCH_PEER_TICKETS … Not part of make test.
bench: $(VENV)/.dev
	scripts/bench.sh

bench-import: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_import.py

bench-sweep: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_sweep.py

bench-dashboard: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_dashboard.py

bench-lists: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_lists.py
