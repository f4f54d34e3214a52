# SatuPintu — the commands a developer and CI use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export SATUPINTU_VAR_DIR ?= $(CURDIR)/var

.PHONY: install run test test-fast lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The embedded default: SQLite and a local keyring under ./var/, created on first run; apps on
# this machine (loopback) receive back-channel logout.
run: install
	mkdir -p $(SATUPINTU_VAR_DIR)
	$(BIN)/satupintu migrate
	SATUPINTU_OUTBOUND_ALLOW_NETWORKS=127.0.0.0/8,::1/128 $(BIN)/satupintu serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser tests drive Debian's chromium and Apache with mod_auth_openidc (a relying party),
# installed when missing.
test: install lint
	./scripts/system-packages.sh chromium=chromium /usr/sbin/apache2=apache2 \
		/usr/lib/apache2/modules/mod_auth_openidc.so=libapache2-mod-auth-openidc
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: install
	$(BIN)/pytest -q -m "not slow" -p no:cacheprovider

# wrk and taskset come from Debian's packages, installed when missing.
bench: install
	./scripts/system-packages.sh wrk=wrk taskset=util-linux
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
