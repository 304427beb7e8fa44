# CUDA backend (issue 8): GPU benchmark and GPU tests. Both need a real NVIDIA GPU
# (pip install -e '.[gpu]'); without one they say so (bench-gpu exits non-zero, tests skip).
# The simulator tests of the same kernels are `make test-cuda` (main Makefile).
.PHONY: bench-gpu test-gpu cuda-compile-check

bench-gpu: $(STAMP)
	$(PY) benchmarks/bench_gpu.py --out bench-results

test-gpu: $(STAMP)
	$(PY) -m pytest -ra -m gpu tests/gpu

# compile every kernel for sm_90 without a GPU (needs NVVM + NVRTC from the gpu extra)
cuda-compile-check: $(STAMP)
	$(PY) -m rnnkit.cuda.compile_check
