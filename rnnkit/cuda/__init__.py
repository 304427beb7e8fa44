"""The CUDA backend: numba.cuda kernels for RNN, LSTM and GRU, forward and BPTT.

Modules, one concern each (read them in this order):

    device.py      is there a GPU or the simulator? (a clear error when neither)
    memory.py      device buffers (optionally poisoned with NaN, so tests catch unwritten elements)
    matmul.py      tiled shared-memory matrix product C = op(A) @ op(B), and column sums
    cells.py       the pointwise math of each cell as device functions (one (n, j) unit at a time)
    gates.py       fused gate kernels, forward and backward, one thread per (batch row, hidden unit)
    persistent.py  one launch runs all T steps of a small forward (another: its BPTT);
                   W_hh kept in shared memory
    driver.py      the sequence driver: whole forward/BPTT on device arrays, time-major
    sequence.py    the backend protocol of rnnkit/reference/sequence.py (host arrays in and out)
    compile_check.py  compiles every kernel for a GPU, on a machine without one (PTX)

Tests: tests/cuda (simulator, ``make test-cuda``), tests/gpu (real GPU, ``make test-gpu``),
tests/test_cuda_compile.py; timings: ``make bench-gpu`` (rnnkit/bench_gpu.py).

Nothing here imports numba.cuda at package import time: ``rnnkit.cuda.sequence`` checks first
that a GPU or the simulator (``NUMBA_ENABLE_CUDASIM=1``) is there.
"""
