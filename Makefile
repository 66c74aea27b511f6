# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint messages clean bench-import bench-sweep bench-dashboard

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
	$(PY) manage.py seed_demo
	scripts/run.sh

test: $(VENV)/.dev
	scripts/test.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# Needs GNU gettext. The compiled .mo is committed, so running the app does not.
messages: $(VENV)/.runtime
	$(PY) manage.py makemessages -l zh_Hans --no-wrap --no-obsolete --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf var staticfiles

bench-import: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_import.py

bench-sweep: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_sweep.py

bench-dashboard: $(VENV)/.dev
	scripts/bench.sh benchmarks/bench_dashboard.py
