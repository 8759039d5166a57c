# The two commands of the README: `make run` and `make test`. The rest are helpers.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
export DJANGO_DEBUG ?= 1

.PHONY: run serve test test-fast lint format migrations-check reset-local-db system-deps bench bench-deadline messages worker beat

# A half-made venv (no ensurepip, interrupted pip) is removed so the next run starts clean.
$(PY):
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --upgrade pip || { rm -rf $(VENV); exit 1; }

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

system-deps:
	bash scripts/system-deps.sh

run: system-deps $(VENV)/.installed
	$(PY) manage.py migrate --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py make_test_pki
	$(PY) manage.py load_demo_city
	$(PY) manage.py make_previews
	$(PY) manage.py runserver 127.0.0.1:8000

# The production application server (README, "Production: the application server"): gunicorn
# with gunicorn.conf.py, WEB_* and the rest from the environment. With the Makefile's default
# DJANGO_DEBUG=1 it serves the local SQLite portal, static files by WhiteNoise.
serve: system-deps $(VENV)/.installed
	$(PY) manage.py migrate --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py make_previews
	STATIC_BY_WHITENOISE=$${STATIC_BY_WHITENOISE:-1} $(VENV)/bin/gunicorn -c gunicorn.conf.py

# Task workers (README "Task workers"): only with CELERY_BROKER_URL set (Redis); without it
# `make run` runs every task in process and neither is needed.
worker: $(VENV)/.installed
	$(VENV)/bin/celery -A chinhquyen worker --loglevel INFO

beat: $(VENV)/.installed
	mkdir -p var
	$(VENV)/bin/celery -A chinhquyen beat --loglevel INFO --schedule var/celerybeat-schedule

# axe-core for the accessibility browser tests (tests/settings.py serves it; production never).
# npm ci runs only when node_modules lacks it or is older than the lock file.
node_modules/axe-core/axe.min.js: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: $(VENV)/.installed node_modules/axe-core/axe.min.js
	bash scripts/system-deps.sh --test
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# mypy checks the modules listed in pyproject.toml's [tool.mypy] files.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every script in bench/ prints its figures (each builds and removes its own temporary portal).
# The deadline-day load test is apart: it needs locust and the cluster's services.
bench: $(VENV)/.installed
	@for script in bench/[!_]*.py; do \
	  case $$script in bench/deadline*) continue ;; esac; \
	  echo "== $$script"; $(PY) $$script || exit 1; done

# Deadline day under load, embedded portal and two-node cluster side by side (README).
bench-deadline: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test,bench]"
	$(PY) bench/deadline.py $(BENCH_ARGS)

# Our Vietnamese labels for third-party apps (locale/); the compiled .mo is committed.
messages:
	msgfmt --check-format -o locale/vi/LC_MESSAGES/django.mo locale/vi/LC_MESSAGES/django.po
	msgfmt --check-format -o locale/vi/LC_MESSAGES/djangojs.mo locale/vi/LC_MESSAGES/djangojs.po

migrations-check: $(VENV)/.installed
	$(PY) manage.py makemigrations --check --dry-run

reset-local-db:
	rm -f db.sqlite3
	rm -rf var/media
