# Two commands do all set-up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: serve test quick lint docs matrix bench clean

# The demo at http://localhost:6542/; `make serve PORT=6600` for another port.
serve: $(VENV)/.installed
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

# Reinstall whenever the package's metadata changes.
$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .nox docs/_build
