# GAZE: `make run` serves on http://127.0.0.1:5782, `make test` runs the whole test suite.
# Both create .venv when it is missing and install what they need into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_PIN := torch==2.13.0
OPEN_CLIP_PIN := open_clip_torch==3.3.0
CHROMIUM := /usr/bin/chromium
GAZE_HOST ?= 127.0.0.1
GAZE_PORT ?= 5782
GAZE_DATA_DIR ?= ./data
export GAZE_HOST GAZE_PORT GAZE_DATA_DIR

.PHONY: run test lint format bench browser clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The CLIP tokenizer vocabulary is read from open_clip's bundled file; open_clip itself is
# never imported (it needs torchvision, which does not import beside this torch), hence --no-deps.
$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_PIN)"
	$(BIN)/pip install --quiet -e ".[local,scale]" "$(TORCH_PIN)"
	$(BIN)/pip install --quiet --no-deps "$(OPEN_CLIP_PIN)"
	touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.run-deps
	$(BIN)/pip install --quiet -e ".[local,scale,dev]" "$(TORCH_PIN)"
	touch $@

browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: $(VENV)/.run-deps
	$(BIN)/gaze serve --host "$(GAZE_HOST)" --port "$(GAZE_PORT)" --data-dir "$(GAZE_DATA_DIR)"

test: $(VENV)/.test-deps browser
	$(BIN)/ruff check src tests bench devkit
	$(BIN)/ruff format --check src tests bench devkit
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests bench devkit
	$(BIN)/ruff format --check src tests bench devkit
	$(BIN)/mypy src

format: $(VENV)/.test-deps
	$(BIN)/ruff format src tests bench devkit
	$(BIN)/ruff check --fix src tests bench devkit

bench: $(VENV)/.test-deps
	for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean-venv:
	rm -rf $(VENV)
