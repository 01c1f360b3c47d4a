# Leerwijzer: `make run` starts everything, `make test` tests everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SPACY_MODEL := models/spacy-nl/meta.json
RASA := $(PY) -m bot.rasa_cli
export TF_CPP_MIN_LOG_LEVEL ?= 2

# Rasa 3.6 supports Python 3.8-3.10; we use 3.10. Look on PATH, then in pyenv and the usual places.
PYTHON310_CANDIDATES := python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) \
	/usr/local/bin/python3.10 /usr/bin/python3.10
find_python310 = $(firstword $(foreach p,$(PYTHON310_CANDIDATES),$(shell $(p) -c \
	'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && echo $(p))))

.PHONY: help install spacy-model train run shell test lint format validate test-conversations \
	test-unit test-services-py312 clean bench-budget bench-catalog postgres-bin nlu-report node-bin web-build \
	browser-bin purge backup restore fuzz scale-bin test-scale bench-load bench-starts bench-desk bench-insights check-content screenshots task-success

help:
	@echo "make run     install, build, train when needed and start the whole stack"
	@echo "make test    install when needed and run lint, data validation, conversation tests, pytest"
	@echo "make shell   talk to the assistant in this terminal"
	@echo "make train   train the Rasa model when its inputs changed"
	@echo "make test-services-py312  the services' tests on Python 3.12 in .venv-services (make test runs them too)"
	@echo "make format  format the Python code with ruff"
	@echo "make nlu-report  5-fold cross-validation of the NLU into docs/nlu-report.md"
	@echo "make bench-catalog  import and search figures at 100k courses, SQLite and PostgreSQL"
	@echo "make test-scale  two Rasa servers behind nginx on PostgreSQL and Redis, 200 conversations, one server killed"
	@echo "make bench-load  turns/s, latency and memory at 1, 20 and 100 conversations (docs/performance.md)"
	@echo "make bench-starts  50 starts of the scaled setup from nothing, everything on (docs/performance.md)"
	@echo "make bench-desk  20 advisors and 200 waiting conversations on the desk, SQLite and PostgreSQL"
	@echo "make bench-insights  aggregate 1 million synthetic conversations, SQLite and PostgreSQL"
	@echo "make bench-budget  p50/p95 of 10,000 budget checks in-process and over HTTP"
	@echo "make purge   delete conversations and call-back requests older than RETENTION_DAYS"
	@echo "make backup  consistent copies of the SQLite stores into var/backups/ (also while running; TO=dir)"
	@echo "make restore FROM=var/backups/<time>  put a backup back (stop the stack first; no FROM: the list)"
	@echo "make check-content  facts checked more than CONTENT_MAX_AGE_DAYS (180) ago; fails on a scheme unchecked for a year"
	@echo "make fuzz    5,000 generated messages through the running stack (make test sends 1,000)"
	@echo "make screenshots  the browser tests, writing docs/screenshots/ (make test writes to var/)"
	@echo "make task-success  the persona suite, writing docs/task-success.md (make test writes to var/)"

$(STAMP): pyproject.toml constraints.txt
	@py="$(call find_python310)"; \
	if [ -z "$$py" ]; then \
		echo "Leerwijzer needs Python 3.10 (Rasa Open Source 3.6 supports Python 3.8-3.10)."; \
		echo "Install python3.10 (for example with pyenv: 'pyenv install 3.10') and run make again."; \
		exit 1; \
	fi; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet -c constraints.txt --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

$(SPACY_MODEL): $(STAMP) bot/spacy_pipeline.py
	$(PY) -m bot.spacy_pipeline --force

spacy-model: $(SPACY_MODEL)

train: $(SPACY_MODEL)
	$(PY) -m tools.training

run: $(SPACY_MODEL) web-build
	$(PY) -m tools.training
	$(PY) -m bot.launcher

shell: $(SPACY_MODEL)
	$(PY) -m tools.shell

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

validate: $(STAMP)
	$(PY) -m tools.validate

test-conversations: $(SPACY_MODEL)
	$(PY) -m tools.training
	$(RASA) test core --stories tests/conversations --model "$$($(PY) -m tools.training --print-path)" \
		--fail-on-prediction-errors --out var/test-results/core

# The catalog and store tests start their own throwaway PostgreSQL from Debian's packages.
postgres-bin:
	bash deploy/local/apt-install.sh postgresql

test-unit: $(STAMP) postgres-bin
	$(PY) -m pytest

# The services outside Rasa run on Python 3.12 as well (docs/operations.md, "Python runtime").
# tools/services_py312.py finds python3.12 (PATH, pyenv's versions/3.12*, /usr/local/bin,
# /usr/bin, or PYTHON312=...), makes .venv-services from services/requirements*.txt when they
# changed, and runs tests/services on it. Without python3.12 it fails and says how to install it.
SERVICES_PY312 := $(PY) -m tools.services_py312

test-services-py312: $(STAMP) postgres-bin
	$(SERVICES_PY312)

# The browser files of the widget and kiosk (web/vendor/, git-ignored) come from npm:
# package.json + package-lock.json at the root, so that node_modules/ is not served with web/.
# Node and npm are needed only for this build; Debian's nodejs and npm when they are missing.
NODE_MODULES := node_modules/.package-lock.json
WEB_VENDOR := web/vendor/manifest.json

node-bin:
	@command -v node >/dev/null && command -v npm >/dev/null || \
		bash deploy/local/apt-install.sh nodejs npm

$(NODE_MODULES): package.json package-lock.json | node-bin
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

$(WEB_VENDOR): $(NODE_MODULES) web/build.mjs
	node web/build.mjs

web-build: $(WEB_VENDOR)

# The browser tests (tests/browser/) drive Debian's Chromium with its chromedriver.
browser-bin:
	bash deploy/local/apt-install.sh chromium chromium-driver fonts-dejavu-core

# Training keeps only about one of the two cores busy, so the tests that need no trained model
# (all but those marked `stack`), then tests/services again on Python 3.12, run meanwhile; its
# output goes to var/training.log. Then the conversation tests, test-scale and the stack tests,
# which need the model. pytest runs last so that the run ends with its summary line. A missing
# browser fails the browser tests instead of skipping them. `make validate` is not repeated
# here: pytest runs the same check (tests/tools/test_validate.py::test_the_project_is_valid)
# and prints its problems. The conversation tests (one Rasa process) run beside test-scale,
# whose Rasa servers mostly wait for its citizens; make prints each one's output when it ends.
test: export LEERWIJZER_REQUIRE_BROWSER := 1
test: export LEERWIJZER_REQUIRE_BINARIES := 1
test: web-build browser-bin postgres-bin scale-bin $(SPACY_MODEL) lint
	@mkdir -p var; \
	$(PY) -m tools.training > var/training.log 2>&1 & training=$$!; \
	trap 'pkill -P $$training; kill $$training 2>/dev/null' INT TERM; \
	$(PY) -m pytest -m "not stack"; tests=$$?; \
	if [ $$tests -ne 0 ]; then pkill -P $$training; kill $$training 2>/dev/null; exit $$tests; fi; \
	$(SERVICES_PY312); tests=$$?; \
	if [ $$tests -ne 0 ]; then pkill -P $$training; kill $$training 2>/dev/null; exit $$tests; fi; \
	if ! wait $$training; then tail -n 60 var/training.log; exit 1; fi; \
	grep -a "^Training the Rasa model\|Your Rasa model is trained" var/training.log || true
	$(MAKE) --no-print-directory -j2 --output-sync=target test-conversations test-scale
	$(PY) -m pytest -m stack

# Cross-validation trains five models: about 20 minutes on 2 cores. Not part of `make test`.
nlu-report: $(SPACY_MODEL)
	$(PY) -m tools.nlu_report

# Scale-out (docs/operations.md): PostgreSQL, Redis and nginx from Debian's packages. The other
# tests in tests/scale (deploy files, stores on PostgreSQL) run with test-unit.
scale-bin:
	bash deploy/local/apt-install.sh postgresql redis-server nginx rabbitmq-server

test-scale: $(SPACY_MODEL) scale-bin
	$(PY) -m tools.training
	LEERWIJZER_SCALE_TEST=1 $(PY) -m pytest tests/scale/test_scale.py -s -p no:cacheprovider

bench-load: $(SPACY_MODEL) scale-bin
	$(PY) -m tools.training
	$(PY) -m tools.bench_load --write-docs

# 50 starts of the scaled setup from nothing, everything on (about 30 s each).
bench-starts: $(SPACY_MODEL) scale-bin
	$(PY) -m tools.training
	$(PY) -m tools.bench_starts --starts 50 --write-docs

# The desk under load: 20 advisors, 200 waiting conversations, SQLite and PostgreSQL
# (docs/performance.md, docs/desk.md).
bench-desk: $(STAMP) postgres-bin
	$(PY) -m tools.bench_desk --write-docs

# The insights' aggregation job over 1 million synthetic conversations, SQLite and PostgreSQL
# (docs/performance.md, docs/insights.md).
bench-insights: $(STAMP) postgres-bin
	$(PY) -m tools.bench_insights --write-docs

bench-catalog: $(STAMP) postgres-bin
	$(PY) -m tools.bench_catalog --write-docs

purge: $(STAMP)
	$(PY) -m bot.retention

# Consistent copies of the SQLite stores, also while `make run` runs: var/backups/<UTC time>/
# (TO=folder for another place). Stores on PostgreSQL: pg_dump (docs/operations.md).
backup: $(STAMP)
	$(PY) -m tools.backup backup $(if $(TO),--to "$(TO)")

# Put a backup back, with the stack stopped: make restore FROM=var/backups/<UTC time>
# (without FROM: the list of backups).
restore: $(STAMP)
	$(PY) -m tools.backup restore $(if $(FROM),"$(FROM)")

# `make test` never changes a tracked file: these two write the docs' screenshots and report
# (tests/support/artifacts.py).
screenshots: export LEERWIJZER_REQUIRE_BROWSER := 1
screenshots: web-build browser-bin postgres-bin $(SPACY_MODEL)
	$(PY) -m tools.training
	LEERWIJZER_WRITE_DOCS=1 $(PY) -m pytest tests/browser --ignore=tests/browser/test_production_nginx.py -p no:cacheprovider

task-success: postgres-bin $(SPACY_MODEL)
	$(PY) -m tools.training
	LEERWIJZER_WRITE_DOCS=1 $(PY) -m pytest tests/personas -p no:cacheprovider

# Facts a citizen reads (schemes, contacts, regions, catalog records) and when they were checked.
check-content: $(STAMP)
	$(PY) -m services.content_check

fuzz: $(SPACY_MODEL)
	$(PY) -m tools.training
	FUZZ_MESSAGES=5000 $(PY) -m pytest -s tests/security/test_fuzz.py

bench-budget: $(STAMP)
	$(PY) -m tools.bench_budget

clean:
	rm -rf var/log var/test-results .pytest_cache .ruff_cache
