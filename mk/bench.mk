# CPU benchmark (rnnkit/bench.py): numpy reference vs Numba kernels vs PyTorch CPU.
#   make bench         the full grid, compile times and scaling (a few minutes on 2 cores)
#   make bench-quick   two small shapes, float32 (under a minute)
# Results: bench-results/bench.json, bench.png, scaling.png
.PHONY: bench bench-quick

bench: $(STAMP)
	$(PY) -m rnnkit.cli bench --out bench-results

bench-quick: $(STAMP)
	$(PY) -m rnnkit.cli bench --quick --out bench-results
