# GAZE: `make run` serves on http://127.0.0.1:5782, `make test` runs the whole test suite.
# Both create .venv when it is missing and install what they need into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_PIN := torch==2.13.0
OPEN_CLIP_PIN := open_clip_torch==3.3.0
PIP_TOOLS_PIN := pip-tools==7.6.2
# The hashed locks written by `make lock`: run.txt (extras local, scale), test.txt (+ dev) and
# no-deps.txt (open_clip alone). torch is left out of them: it is installed by TORCH_PIN from this
# machine's CPU wheel, whose hash is not PyPI's, with its own requirements (the CUDA build that
# PyPI serves elsewhere needs its nvidia-* libraries); the locks then pin the shared ones.
LOCKS := requirements
LOCK_FLAGS ?=
PIP_COMPILE := --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	--unsafe-package torch
CHROMIUM := /usr/bin/chromium
GAZE_HOST ?= 127.0.0.1
GAZE_PORT ?= 5782
GAZE_DATA_DIR ?= ./data
export GAZE_HOST GAZE_PORT GAZE_DATA_DIR

.PHONY: run test lint format bench browser clean-venv lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip check, except that open_clip lacks its own requirements: the CLIP tokenizer vocabulary is
# read from open_clip's bundled file and open_clip itself is never imported (it needs torchvision,
# which does not import beside this torch), hence it is installed --no-deps.
define PIP_CHECK
$(BIN)/pip check > $(VENV)/pip-check.txt || true
! grep -Ev '^(open-clip-torch [^ ]+ requires (ftfy|timm|torchvision), which is not installed\.|No broken requirements found\.)$$' $(VENV)/pip-check.txt
endef

$(VENV)/.run-deps: $(LOCKS)/run.txt $(LOCKS)/no-deps.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_PIN)"
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCKS)/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCKS)/no-deps.txt
	$(PIP_CHECK)
	touch $@

$(VENV)/.test-deps: $(LOCKS)/test.txt pyproject.toml $(VENV)/.run-deps
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCKS)/test.txt
	$(PIP_CHECK)
	touch $@

# Re-resolve the locks from pyproject.toml with pip-tools in a scratch venv, keeping the pins that
# still fit; `make lock LOCK_FLAGS=--upgrade` moves every pin to its newest release.
lock:
	set -e; mkdir -p $(LOCKS); tools=$$(mktemp -d); trap 'rm -rf "$$tools"' EXIT; \
	$(PYTHON) -m venv "$$tools/venv"; \
	"$$tools/venv/bin/pip" install --quiet --upgrade pip "$(PIP_TOOLS_PIN)"; \
	export CUSTOM_COMPILE_COMMAND="make lock"; \
	"$$tools/venv/bin/pip-compile" $(PIP_COMPILE) $(LOCK_FLAGS) --extra local --extra scale \
		--output-file $(LOCKS)/run.txt pyproject.toml; \
	"$$tools/venv/bin/pip-compile" $(PIP_COMPILE) $(LOCK_FLAGS) --extra local --extra scale \
		--extra dev --output-file $(LOCKS)/test.txt pyproject.toml; \
	"$$tools/venv/bin/pip" download --quiet --no-deps --dest "$$tools/wheel" "$(OPEN_CLIP_PIN)"; \
	{ echo "# open_clip alone, installed --no-deps (see the Makefile). Written by: make lock"; \
	  echo "$(OPEN_CLIP_PIN) \\"; \
	  sha256sum "$$tools"/wheel/* | awk '{print "    --hash=sha256:" $$1}'; } > $(LOCKS)/no-deps.txt

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
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

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
