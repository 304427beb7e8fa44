"""The default user path, timed as a new user meets it (issue 12): numba backend vs numpy.

Every run is a fresh process without thread variables (OMP_*, OPENBLAS_*, NUMBA_NUM_THREADS, ...):

1. the layer API: issue 12's snippet, LSTM(64 -> 128) float32 forward+backward on x (32, 64, 64),
   both backends taking turns in one process (``rnnkit.bench.default_path``);
2. ``rnnkit train`` with its default settings (char-LSTM 1x256, 64-d embedding, N=32, T=64,
   float32, Adam, clipping), only shortened: ``--max-steps``, a validation every
   ``--eval-every`` steps on 2,000 characters. Throughput is the trainer's own chars/s between
   validations, skipping the first stretch (it includes Numba's compile or cache load); the two
   backends' processes alternate, ``--repeats`` times.

    python benchmarks/default_path.py                    # both parts (about two minutes)
    python benchmarks/default_path.py --json bench-results/default_path.json
    make bench-default

The load average is printed: on a shared machine other jobs slow parallel kernels most (each
time step waits for the slower thread), and ``--threads 1`` can then be faster.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from rnnkit import bench


def train_run(backend, steps, eval_every, out_dir):
    """One ``rnnkit train`` process at the defaults: chars/s per stretch and wall time."""
    command = [sys.executable, "-m", "rnnkit.cli", "train", "--backend", backend,
               "--max-steps", str(steps), "--eval-every", str(eval_every), "--val-chars", "2000",
               "--sample", "0", "--no-progress", "--out", os.path.join(out_dir, f"{backend}.npz")]
    start = time.perf_counter()
    done = subprocess.run(command, env=bench.clean_env(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    rates = [float(r.replace(",", "")) for r in re.findall(r"([\d,]+) chars/s", done.stdout)]
    if len(rates) < 2:
        raise RuntimeError(f"expected chars/s lines in the output of {' '.join(command)}:\n"
                           f"{done.stdout[-2000:]}")
    return dict(chars_per_s=rates[1:], first_stretch_chars_per_s=rates[0], wall_s=wall,
                openblas_warnings=done.stderr.count("OpenBLAS Warning"))


def train_default(steps=40, eval_every=10, repeats=2):
    out = {"numba": [], "numpy": []}
    with tempfile.TemporaryDirectory(prefix="rnnkit-default-path-") as out_dir:
        for _ in range(repeats):
            for backend in out:
                out[backend].append(train_run(backend, steps, eval_every, out_dir))
    summary = {}
    for backend, runs in out.items():
        rates = [r for run in runs for r in run["chars_per_s"]]
        summary[backend] = dict(best_chars_per_s=max(rates), median_chars_per_s=statistics.median(rates),
                                wall_s=[run["wall_s"] for run in runs], runs=runs)
    summary["numba_over_numpy_throughput"] = (summary["numba"]["best_chars_per_s"]
                                              / summary["numpy"]["best_chars_per_s"])
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="layer API: rounds per backend")
    parser.add_argument("--steps", type=int, default=40, help="rnnkit train: --max-steps")
    parser.add_argument("--eval-every", type=int, default=10, help="rnnkit train: --eval-every")
    parser.add_argument("--repeats", type=int, default=2, help="rnnkit train: processes per backend")
    parser.add_argument("--no-train", dest="train", action="store_false")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.steps < 2 * args.eval_every or args.repeats < 1:
        parser.error("need --rounds >= 1, --repeats >= 1 and --steps >= 2 * --eval-every")

    report = dict(machine=bench.machine(), load_average_start=os.getloadavg())
    report["layer"] = bench.default_path(rounds=args.rounds)
    print(bench.format_default_path(report["layer"]), flush=True)
    if args.train:
        report["train"] = t = train_default(args.steps, args.eval_every, args.repeats)
        print("rnnkit train (defaults: LSTM 1x256, N=32, T=64, float32), chars/s best | median: "
              f"numba {t['numba']['best_chars_per_s']:,.0f} | {t['numba']['median_chars_per_s']:,.0f}, "
              f"numpy {t['numpy']['best_chars_per_s']:,.0f} | {t['numpy']['median_chars_per_s']:,.0f}; "
              f"numba/numpy throughput {t['numba_over_numpy_throughput']:.2f}")
    report["load_average_end"] = os.getloadavg()
    print("load average at start {:.1f}, at end {:.1f} on {} CPUs".format(
        report["load_average_start"][0], report["load_average_end"][0], os.cpu_count()))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
