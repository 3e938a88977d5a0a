# The two commands of the README: `make demo` and `make test`. Each prepares the machine first.
SHELL := /bin/bash
PY := .venv/bin/python
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup demo test test-fast lint bench screenshots clean

setup:
	@scripts/bootstrap.sh

demo: setup
	$(PY) -m services.demo $(DEMO_ARGS)

# Two workers: most of the suite waits on real processes (brokers, Redis, services, Chromium), and every
# test starts its own on free ports. A file's tests stay together, in order, on one worker.
test: setup
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow and not e2e" $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy shared services kiosk bench tests
	.venv/bin/lint-imports

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

screenshots: setup
	$(PY) -m kiosk.screenshots docs/screenshots
	$(PY) -m services.dashboard.screenshots docs/screenshots

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
