# Two commands do all set-up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: help serve test quick lint docs matrix bench clean

help:  ## this list
	@echo "make serve   the demo at http://localhost:6542/ (make serve PORT=6600 for another port)"
	@echo "make test    lint, the docs and the whole suite (needs no MongoDB)"
	@echo "make quick   the suite without the tests marked slow (about half a minute)"
	@echo "make lint    ruff and mypy"
	@echo "make docs    the reference documentation, warnings as errors"
	@echo "make matrix  the suite on the oldest and newest supported Python and PyMongo"
	@echo "make bench   the benchmarks, each against a hand-written baseline"
	@echo "make clean   remove .venv and what the tools made"

# The demo at http://localhost:6542/; `make serve PORT=6600` for another port.
# It needs only the demo's packages, not the developer tools.
serve: $(VENV)/.demo-installed
	$(if $(PORT),PORT=$(PORT) )$(BIN)/pserve development.ini

test: lint docs
	$(BIN)/pytest $(PYTEST_ARGS)

# The quick loop: every test but those marked slow (servers stopped or
# hung, processes of their own, generated projects), in well under a minute.
quick: $(VENV)/.installed
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check pyramid_mongo tests bench docs noxfile.py
	$(BIN)/ruff format --check pyramid_mongo tests bench docs noxfile.py
	$(BIN)/mypy pyramid_mongo

# The reference documentation; a warning is an error.
docs: $(VENV)/.installed
	$(BIN)/sphinx-build -q -W -b html docs docs/_build/html

# The oldest Python with the oldest PyMongo, and the newest with the newest.
matrix: $(VENV)/.installed
	$(BIN)/nox

bench: $(VENV)/.installed
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/home_page.py
	$(BIN)/python bench/dev_server.py
	$(BIN)/python bench/hostile_input.py
	$(BIN)/python bench/log_handler.py
	$(BIN)/python -m pip install --quiet log4mongo  # the peer it is measured against
	$(BIN)/python bench/log_handler_peers.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/start_up.py
	$(BIN)/python bench/model_check.py
	$(BIN)/python bench/edge.py
	$(BIN)/python bench/html_list.py

# Reinstall whenever the package's metadata changes.
$(VENV)/.demo-installed: setup.cfg pyproject.toml
	@echo "installing pyramid_mongo and the demo's packages into $(VENV) (about a minute the first time)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,demo]'
	touch $@

$(VENV)/.installed: setup.cfg pyproject.toml
	@echo "installing pyramid_mongo and the developer tools into $(VENV) (a few minutes the first time)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.demo-installed

clean:
	rm -rf $(VENV) var .pytest_cache .nox docs/_build
