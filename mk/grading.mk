# rnnkit.grading: the notebooks' checker and trusted scoring (VerifyRecords, AuditCells).
#   make test-grading        unit tests of the checker, the bank of mistakes, records, audit
#   make test-grading-slow   + a throwaway nbgrader course autograded for real (~1 min)
.PHONY: test-grading test-grading-slow

test-grading: $(STAMP)
	$(PY) -m pytest tests/grading -q -m "not slow"

test-grading-slow: $(STAMP)
	$(PY) -m pytest tests/grading -q
