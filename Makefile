# Every target bootstraps its own virtualenv from this repo's files (pyproject.toml),
# so a fresh clone needs only python3 (>= 3.10) and access to PyPI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# A second environment with the CPU build of torch and a real embedding model, for the
# backend-embeddings test (kept apart so the main one stays small).
EMBED_VENV ?= .venv-embed
EMBED_STAMP := $(EMBED_VENV)/.installed-stamp
TORCH ?= torch==2.13.0
# A third with the real Python clients (AWS CLI v1, anthropic, langchain-aws, litellm) for
# tests/test_clients_python.py, kept apart so their pins do not fight moto's.
CLIENTS_VENV ?= .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed-stamp

.PHONY: serve test lint format bench embed-venv clients-venv browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(EMBED_STAMP): tests/embedding_server/requirements.txt
	$(PYTHON) -m venv $(EMBED_VENV)
	$(EMBED_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(EMBED_VENV)/bin/python -m pip install --quiet $(TORCH)
	$(EMBED_VENV)/bin/python -m pip install --quiet -r tests/embedding_server/requirements.txt
	touch $(EMBED_STAMP)

embed-venv: $(EMBED_STAMP)

$(CLIENTS_STAMP): tests/clients/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CLIENTS_VENV)/bin/python -m pip install --quiet -r tests/clients/requirements.txt
	touch $(CLIENTS_STAMP)

clients-venv: $(CLIENTS_STAMP)

## Debian's chromium for the live page's browser test (nothing to do once installed).
browser:
	bash tests/browser/install-chromium.sh

## Start the emulator (canned engine) on 127.0.0.1:5000; pass options with ARGS="--port 5001".
serve: $(STAMP)
	$(BIN)/moto-bedrock $(ARGS)

## Lint, then run the whole test suite (with the embedding model, the Python clients,
## Chromium and LocalStack's own virtualenv, each set up once).
test: $(STAMP) $(EMBED_STAMP) $(CLIENTS_STAMP) browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)
