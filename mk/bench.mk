# CPU benchmark (rnnkit/bench.py): numpy reference vs Numba kernels vs PyTorch CPU.
#   make bench         the full grid, compile times and scaling (a few minutes on 2 cores)
#   make bench-quick   two small shapes, float32 (under a minute)
#   make bench-default the default user path: layer API and `rnnkit train`, fresh processes
# Results: bench-results/bench.json, bench.png, scaling.png (default_path.json)
.PHONY: bench bench-quick

bench: $(STAMP)
	$(PY) -m rnnkit.cli bench --out bench-results

bench-quick: $(STAMP)
	$(PY) -m rnnkit.cli bench --quick --out bench-results

# The default user path (issue 12): issue 12's layer snippet and `rnnkit train` at its defaults,
# numba vs numpy, each in a fresh process without thread variables (about two minutes).
.PHONY: bench-default
bench-default: $(STAMP)
	$(PY) benchmarks/default_path.py --json bench-results/default_path.json
