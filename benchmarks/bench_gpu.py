"""GPU benchmark: rnnkit's cuda backend against PyTorch cuDNN. See rnnkit/bench_gpu.py.

    python benchmarks/bench_gpu.py [--quick] [--out benchmarks/results]
"""
import sys

from rnnkit.bench_gpu import main

if __name__ == "__main__":
    sys.exit(main())
