# The two ways in: `make chat` (set up, index seeds/, chat) and `make test` (set up, run every test).
# `make test-fast` is the lane for working: no llama.cpp build, no `llm`, `chroma_server` or `slow` tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: chat test test-fast install install-dev install-test chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# llama.cpp for the test server is compiled here, for any x86-64 with AVX2 rather than for this CPU:
# its AVX-512 and AMX code paths crash on some hosts (ggml-org/llama.cpp#20824), and the next machine
# may have a CPU this one lacks. The flags are part of the stamp's name, so changing them rebuilds;
# --no-cache-dir because pip's wheel cache keys on the version alone and would return an old build.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
	-DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
	-DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF
LLAMA_STAMP := $(VENV)/.llama-$(shell printf '%s' '$(LLAMA_CMAKE_ARGS)' | cksum | cut -d' ' -f1)

$(LLAMA_STAMP): | $(BIN)/python
	rm -f $(VENV)/.llama-*
	$(BIN)/pip uninstall --quiet --yes llama-cpp-python
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(LLAMA_STAMP) | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir \
		--no-binary llama-cpp-python -e ".[dev,llm-server]"
	$(MAKE) --no-print-directory chromium
	touch $(VENV)/.installed $@

# The test tools without the llama.cpp server, whose build takes minutes: enough for `make test-fast`.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(MAKE) --no-print-directory chromium
	touch $(VENV)/.installed $@

# The web page's tests drive Debian's chromium through Playwright's `executable_path`: it is
# installed from Debian's packages (as root) when missing, and nothing downloads a browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends chromium \
			|| { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
		else echo "install Debian's chromium (apt-get install chromium) for tests/test_web_page.py" >&2; \
			exit 1; fi; }

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

install-test: $(VENV)/.installed-test

chat: install
	$(BIN)/newsbot index seeds/
	$(BIN)/newsbot chat

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

test-fast: install-test
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not llm and not chroma_server and not slow"

clean:
	rm -rf $(VENV) .newsbot .pytest_cache .mypy_cache .ruff_cache
