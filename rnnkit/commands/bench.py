"""Time the numpy reference, the Numba kernels and (if installed) PyTorch on the CPU.

Forward and forward+backward of RNN, LSTM and GRU on the shape grid (N, T, D, H) =
(1,100,32,32), (32,100,64,128), (64,200,128,256), (16,50,256,512), float32 and float64: medians,
the ratio to PyTorch measured in the same run, GFLOP/s and the fraction of the machine's matmul
ceiling, the cold compile and warm cache-load times, and the scaling of BPTT with T and H.
Writes bench.json and bench.png (and scaling.png) into --out. See rnnkit/bench.py.

examples:
  rnnkit bench --quick                      # two small shapes, float32 (under a minute)
  rnnkit bench                              # everything (a few minutes on 2 cores)
  rnnkit bench --cells lstm --dtypes float32 --no-scaling --no-compile
  rnnkit bench --scaling-only               # time and memory against T and H
"""
import sys


def add_arguments(parser):
    from rnnkit.bench import BACKENDS, CELLS, DTYPES

    parser.add_argument("--quick", action="store_true",
                        help="two small shapes, float32, no compile or scaling runs")
    parser.add_argument("--out", default="bench-results", help="output folder (default bench-results)")
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=None)
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS),
                        help="torch is skipped with a note when it is not installed")
    parser.add_argument("--shape", nargs=4, type=int, action="append", metavar=("N", "T", "D", "H"),
                        help="time this shape instead of the grid (repeatable)")
    parser.add_argument("--no-compile", dest="compile", action="store_false", default=None,
                        help="skip the cold-compile / warm-cache subprocesses")
    parser.add_argument("--no-scaling", dest="scaling", action="store_false", default=None,
                        help="skip the scaling runs")
    parser.add_argument("--no-default-path", dest="default", action="store_false",
                        help="skip the default-path run (issue 12's snippet in a fresh process)")
    parser.add_argument("--scaling-only", action="store_true",
                        help="only the scaling runs (time and memory against T and H)")


def run(args):
    from rnnkit import bench

    if args.shape and any(v < 1 for shape in args.shape for v in shape):
        print("rnnkit bench: error: every --shape value must be a positive integer", file=sys.stderr)
        return 2
    if "torch" in args.backends and bench._torch() is None:
        print("note: torch is not installed: no PyTorch column (pip install torch to compare)")
    if args.scaling_only:
        import json
        import os

        os.makedirs(args.out, exist_ok=True)
        scaling = bench.run_scaling()
        bench.plot_scaling(scaling, os.path.join(args.out, "scaling.png"))
        with open(os.path.join(args.out, "scaling.json"), "w") as f:
            json.dump(scaling, f, indent=1)
        for axis in ("T", "H"):
            print(f"time ∝ {axis}^{scaling[axis]['time_exponent']:.2f}, "
                  f"memory ∝ {axis}^{scaling[axis]['memory_exponent']:.2f}")
        return 0
    report = bench.run(out_dir=args.out, quick=args.quick, scaling=args.scaling,
                       compile=args.compile, cells=args.cells, dtypes=args.dtypes,
                       backends=args.backends, default=args.default,
                       shapes=[tuple(s) for s in args.shape] if args.shape else None)
    m = report["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cpus']} CPUs, numba {m['numba']} with {m['numba_threads']} "
          f"threads, torch {m['torch']} (same threads); load average at start {m['load_average']}")
    print(f"matmul ceiling: " + ", ".join(f"{d} {g:.0f} GFLOP/s"
                                         for d, g in report["ceiling_gflops"].items()))
    if "default_path" in report:
        print("\n" + bench.format_default_path(report["default_path"]))
    print("\nforward+backward, median:\n" + report["table"])
    print(f"\nwrote {args.out}/bench.json and {args.out}/bench.png in {report['seconds']:.0f} s")
    return 0
