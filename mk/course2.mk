# The course's part 2 (assignments 05-08): its tests on their own.
#   make test-course2        fast checks of notebooks 05-08, the bank in process, nbgrader pipeline
#   make test-course2-fast   only the fast checks (builders, cells, audit, solutions, bank edits)
.PHONY: test-course2 test-course2-fast

test-course2: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests/course2

test-course2-fast: $(STAMP)
	$(PY) -m pytest tests/course2 -m "not slow" -q
