"""Per-core efficiency, robust to a busy machine: numba's serial kernels against PyTorch, both
on one thread, timed in CPU seconds (time.process_time) rather than wall-clock seconds.

On a shared machine the wall-clock benchmark (``make bench``) measures the other users' load as
much as the code. A single thread's CPU time is barely affected by other processes (only through
shared caches), so this is the fair way to compare the two implementations' arithmetic there.

    OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/single_thread_cpu.py [--cells lstm gru rnn] [--out FILE]

The environment variables must be set before the process starts (BLAS reads them at load time).
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def cpu_time(function, repeats=3):
    function()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        function()
        times.append(time.process_time() - t0)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    for name in ("OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(name) != "1":
            print(f"error: set {name}=1 before starting (see the docstring)", file=sys.stderr)
            return 2
    import torch

    from rnnkit import bench
    from rnnkit.cpu import sequence as numba_backend

    torch.set_num_threads(1)
    rows = []
    print("| cell | dtype | (N, T, D, H) | pass | numba CPU ms | torch CPU ms | numba/torch | "
          "numba GFLOP/s |\n|---|---|---|---|---:|---:|---:|---:|")
    for cell in args.cells:
        for dtype in args.dtypes:
            for shape in bench.SHAPES:
                case = bench.make_case(cell, *shape, np.dtype(dtype))
                for pass_ in bench.PASSES:
                    numba_s = cpu_time(bench.rnnkit_runner(numba_backend, cell, case, pass_))
                    torch_s = cpu_time(bench.torch_runner(cell, case, pass_))
                    gflops = bench.flops(cell, *shape, pass_) / numba_s / 1e9
                    rows.append(dict(cell=cell, dtype=dtype, shape=shape, pass_=pass_,
                                     numba_cpu_s=numba_s, torch_cpu_s=torch_s, gflops=gflops))
                    print(f"| {cell} | {dtype} | {shape} | {pass_} | {1e3 * numba_s:.2f} | "
                          f"{1e3 * torch_s:.2f} | {numba_s / torch_s:.2f} | {gflops:.1f} |",
                          flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
