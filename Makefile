# Everyday commands; `make help` lists them. Needs only Python 3.11+ with its venv module and make.
#
#   make demo                  demo data in SQLite + the admin at http://127.0.0.1:8000/admin/
#   make demo DEMO_ADDRESS=127.0.0.1:8080   the same on another port (or address:port)
#   make test                  the whole test suite, in parallel
#   make test PYTEST_ARGS='-k seed -x'
#   make test PYTHON=python3.12
#
# The virtualenv (.venv) is created on first use; requirements are re-installed only when
# requirements/*.txt, requirements/base.in or setup.py changed (stamp files in the virtualenv).

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=
DEMO_ADDRESS ?= 127.0.0.1:8000
# A port alone (DEMO_ADDRESS=8080) means 127.0.0.1:8080, as for runserver. SITE_URL is the address
# the demo prints and puts in e-mail links (ENTERPRISE["SITE_URL"]).
DEMO_HOSTPORT := $(if $(findstring :,$(DEMO_ADDRESS)),$(DEMO_ADDRESS),127.0.0.1:$(DEMO_ADDRESS))
SITE_URL ?= http://$(DEMO_HOSTPORT)
PIP_FLAGS ?= --disable-pip-version-check --no-input

VENV_PY := $(VENV)/bin/python
PIP := $(VENV_PY) -m pip
PACKAGE_FILES := setup.py requirements/base.in requirements/base.txt
STANDALONE_STAMP := $(VENV)/.installed-standalone
TEST_STAMP := $(VENV)/.installed-test
# The real LRS of the xAPI tests (ralph-malph) lives in its own virtualenv: its pins differ from ours.
LRS_VENV := $(VENV)/ralph
LRS_STAMP := $(LRS_VENV)/.installed-lrs

.DEFAULT_GOAL := help
.PHONY: help demo test lint clean FORCE

help:
	@echo "make demo    create .venv, migrate the SQLite demo database, load demo data, serve the admin"
	@echo "             at $(SITE_URL)/admin/ (user 'admin', password printed before the server starts);"
	@echo "             another port: make demo DEMO_ADDRESS=127.0.0.1:8080"
	@echo "make test    run the whole test suite in parallel (extra pytest arguments: PYTEST_ARGS='...')"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make clean   remove .venv, the demo database, build files and caches"
	@echo "Choose the interpreter with PYTHON=python3.12 (default: python3, 3.11 or newer)."

# $(VENV) is (re-)created when missing or made with another Python version than $(PYTHON)'s.
# Debian and Ubuntu ship the venv module in a separate package: say which when it is missing.
VENV_CFG := $(VENV)/pyvenv.cfg
WANT_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
HAVE_VERSION := $(shell $(VENV_PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifneq ($(WANT_VERSION),$(HAVE_VERSION))
$(VENV_CFG): FORCE
endif
$(VENV_CFG):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "$(PYTHON) was not found or is older than Python 3.11: choose one with PYTHON=python3.X" >&2; \
		exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "$(PYTHON) cannot create a virtualenv: its venv module is missing. Install it with:" >&2; \
		echo "    sudo apt-get install python3-venv    (for $(PYTHON): python$(WANT_VERSION)-venv)" >&2; \
		exit 1; }
	@if [ -n "$(HAVE_VERSION)" ]; then echo "$(VENV) uses Python $(HAVE_VERSION), not $(WANT_VERSION): re-creating it"; fi
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

FORCE:

$(STANDALONE_STAMP): requirements/standalone.txt $(PACKAGE_FILES) $(VENV_CFG)
	$(PIP) install $(PIP_FLAGS) -r requirements/standalone.txt -e .
	@touch $@

# requirements/test.txt includes standalone.txt, so it satisfies `make demo` too.
$(TEST_STAMP): requirements/test.txt requirements/standalone.txt $(PACKAGE_FILES) $(VENV_CFG)
	$(PIP) install $(PIP_FLAGS) -r requirements/test.txt -e .
	@touch $@ $(STANDALONE_STAMP)

$(LRS_STAMP): requirements/lrs.txt $(VENV_CFG)
	rm -rf $(LRS_VENV)
	$(PYTHON) -m venv $(LRS_VENV)
	$(LRS_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements/lrs.txt
	@touch $@

demo: $(STANDALONE_STAMP)
	$(VENV_PY) manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(VENV_PY) manage.py seed_demo
	SITE_URL=$(SITE_URL) $(VENV_PY) manage.py runserver $(DEMO_HOSTPORT)

test: $(TEST_STAMP) $(LRS_STAMP)
	$(VENV_PY) -m pytest -n auto $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .tox var
	rm -f standalone.sqlite3 standalone.sqlite3-*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
