# 协商通: the two commands are `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint check messages deploy-check

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Embedded SQLite, demo data, background jobs in-process (or a real worker when
# REDIS_URL is set), site on http://127.0.0.1:$(PORT) (`make run PORT=8080`).
# The demo's messages link to that address unless XST_SITE_URL says otherwise;
# exec makes run_local make's own child, so stopping make stops it.
PORT ?= 8000
RUN_ENV = DJANGO_DEBUG=1 XST_SITE_URL=$${XST_SITE_URL:-http://127.0.0.1:$(PORT)}
run: install
	@fc-list :lang=zh family 2>/dev/null | grep -q . || echo "提示：未找到中文字体，一事一档无法导出；请安装：apt-get install fonts-noto-cjk libharfbuzz-subset0"
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) exec $(PY) manage.py run_local 127.0.0.1:$(PORT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Refresh the English catalogue after changing Chinese strings, translate the
# new entries in locale/en/LC_MESSAGES/django.po, then run it again to compile.
messages: install
	$(PY) manage.py makemessages -l en --no-location --ignore=.venv --ignore=tests --ignore=benchmarks --no-obsolete
	$(PY) manage.py compilemessages -l en -l zh_Hans --ignore=.venv

# Django's deployment checks, warnings included, with the example production
# environment (or DEPLOY_ENV=path/to/your.env): must pass before going live.
DEPLOY_ENV ?= deploy/production.env.example
deploy-check: install
	set -a && . ./$(DEPLOY_ENV) && set +a && $(PY) manage.py check --deploy --fail-level WARNING
