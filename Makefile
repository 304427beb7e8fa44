# rnnkit: two commands do all the set-up on a fresh machine.
#   make demo   the main job (see README)
#   make test   every test
# The first use creates .venv and installs rnnkit with its dev extras; later uses reuse it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` from PATH: the venv's bin must come first
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONHASHSEED := 0
JOBS   ?= 2

.PHONY: help venv test test-lib test-cuda demo demo-reference clean

help:
	@echo "make demo   build the course release, autograde the example submissions, print the scores"
	@echo "make test   run every test (library, kernels, CUDA simulator, course pipeline)"
	@echo "make bench  CPU benchmark (table + plot);  make bench-gpu  GPU benchmark (needs a GPU)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@# rfc3987-syntax (optional in jsonschema) adds ~2 s to every nbgrader command
	-$(PY) -m pip uninstall --quiet --yes rfc3987-syntax
	@touch $(STAMP)

venv: $(STAMP)

# Library and kernel tests run in one process; the CUDA simulator needs its own process because
# NUMBA_ENABLE_CUDASIM must be set before numba is imported.
test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests --ignore=tests/cuda
	$(MAKE) --no-print-directory test-cuda

test-lib: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests --ignore=tests/cuda -m "not slow"

test-cuda: $(STAMP)
	@if [ -d tests/cuda ]; then NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest -n $(JOBS) --dist loadfile tests/cuda; fi

demo-reference: $(STAMP)
	$(PY) -m rnnkit.demo

# The main job: release the course, autograde the example submissions into course/gradebook.db,
# write feedback and course/grades.csv, print the score table; then the reference's own checks.
demo: $(STAMP)
	$(MAKE) --no-print-directory course-demo
	$(MAKE) --no-print-directory demo-reference

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info

# Targets owned by each part of the kit (benchmarks, course pipeline, ...)
-include mk/*.mk
