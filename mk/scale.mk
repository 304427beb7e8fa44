# Grading at class scale, safely (docs/grading-at-scale.md).
#   make grade-safe                 sandboxed autograde of course/submitted (JOBS at once)
#   make grade-safe SCHEDULER=tcp://host:8786   the same on a Dask cluster
#   make grade-safe FORCE=1         regrade what an earlier run finished
#   make bench-grading              throughput: JOBS=1, JOBS=2, 2 Dask workers, vs unsandboxed
#   make test-scale                 the tests of this part only
COURSE_DIR ?= course
SCHEDULER  ?=
FORCE      ?=
BENCH_COUNT ?= 100

.PHONY: grade-safe bench-grading test-scale

grade-safe: $(STAMP)
	$(PY) -m rnnkit.scale $(COURSE_DIR) --jobs $(JOBS) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(FORCE),--force)

bench-grading: $(STAMP)
	$(PY) benchmarks/bench_grading.py --count $(BENCH_COUNT)

test-scale: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests/scale
