"""CPU benchmark: the numpy reference, the Numba kernels and (when importable) PyTorch.

    rnnkit bench            full grid, compile times, scaling (a few minutes on 2 cores)
    rnnkit bench --quick    two small shapes, float32 (under a minute)

For every cell, dtype and shape (N, T, D, H) it times the forward pass and forward+backward of
each backend through the same interface the layers use (``sequence_forward``/``_backward``;
for PyTorch ``torch.nn.RNN/LSTM/GRU(batch_first=True)`` with the same weights, its forward with
autograd on, as a training forward). numba and PyTorch are called once first (the numba call
that compiles or loads the kernels is timed apart, as the "first call"; the numpy reference needs
no warm-up), then every backend is repeated for about a second (at least 3 calls each; the slow numpy reference, timed first and on its own, at least
one), and the median is reported. PyTorch runs with as many threads as Numba
(``torch.set_num_threads``) and the same passive OpenMP wait policy, in the same process, its
calls alternating with numba's, so their ratio is measured under the same conditions even when
the machine's load changes.

FLOP counts are those of the matrix products (2·N·T·G·H·(D+H) for a forward, three times that for
forward+backward; the elementwise gate work is not counted), divided by the median time. The
ceiling is the speed of a large float32/float64 matrix product (numpy's BLAS, same threads)
measured in the same run.

Scaling mode times LSTM forward+backward (numba, float32) against T and against H and records
the peak memory the pass allocates (tracemalloc, which sees numpy's allocations), then fits the
exponent b of time ∝ T^b, H^b by least squares on the log-log points: BPTT should cost O(T·H²)
time and O(T·H) memory.
"""
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from rnnkit._checks import GATES
from rnnkit.threads import blas_as_if_alone

SHAPES = [(1, 100, 32, 32), (32, 100, 64, 128), (64, 200, 128, 256), (16, 50, 256, 512)]
QUICK_SHAPES = [(1, 100, 32, 32), (32, 100, 64, 128)]
CELLS = ("lstm", "gru", "rnn")
DTYPES = ("float32", "float64")
BACKENDS = ("numpy", "numba", "torch")
PASSES = ("forward", "forward+backward")
SCALING_T = (25, 50, 100, 200, 400)
SCALING_H = (32, 64, 128, 256, 512)
#: how long OpenBLAS's worker threads keep spinning after a product (2^28 cycles by default)
BLAS_SPIN_S = 0.25


# ---- the machine ----------------------------------------------------------------------------

def machine():
    """What the numbers were measured on."""
    import numba

    from rnnkit.threads import get_num_threads  # starts Numba's threads as the kernels would

    info = dict(python=platform.python_version(), numpy=np.__version__, numba=numba.__version__,
                platform=platform.platform(), cpus=os.cpu_count(),
                numba_threads=get_num_threads(), numba_threading_layer=None,
                load_average=os.getloadavg() if hasattr(os, "getloadavg") else None)
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    torch = _torch()
    info["torch"] = torch.__version__ if torch else None
    return info


def _torch():
    """PyTorch, imported with the OpenMP wait policy rnnkit gives Numba's threads (passive,
    unless the user set one): the benchmark alternates the two, and a pool that spins after its
    call takes the cores from the other's next call (rnnkit/threads.py, rule 4)."""
    if "torch" in sys.modules:
        return sys.modules["torch"]
    chosen = any(k in os.environ for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME"))
    if not chosen:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # read once, when torch's OpenMP loads
    try:
        import torch
    except ImportError:
        return None
    finally:
        if not chosen:
            del os.environ["OMP_WAIT_POLICY"]
    return torch


def matmul_ceiling(dtype, n=1024, seconds=0.5):
    """GFLOP/s of a large square matrix product (numpy's BLAS): the machine's practical peak."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    a @ b
    times = []
    start = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / min(times) / 1e9


def flops(cell, N, T, D, H, pass_):
    """Multiply-adds ×2 of the matrix products; backward costs twice the forward."""
    forward = 2 * N * T * GATES[cell] * H * (D + H)
    return forward if pass_ == "forward" else 3 * forward


# ---- one case: arguments and a callable per backend and pass -------------------------------

def make_case(cell, N, T, D, H, dtype, seed=0):
    """Inputs, initial states, parameters (PyTorch's init) and the upstream gradient."""
    rng = np.random.default_rng(seed)
    G, k = GATES[cell], 1 / math.sqrt(H)
    uniform = lambda *shape: rng.uniform(-k, k, shape).astype(dtype)  # noqa: E731
    return dict(x=rng.standard_normal((N, T, D)).astype(dtype),
                h0=np.zeros((N, H), dtype), c0=np.zeros((N, H), dtype) if cell == "lstm" else None,
                W_ih=uniform(G * H, D), W_hh=uniform(G * H, H), b_ih=uniform(G * H),
                b_hh=uniform(G * H), dh=rng.standard_normal((N, T, H)).astype(dtype))


def rnnkit_runner(backend_module, cell, case, pass_):
    """A no-argument function running ``pass_`` of ``cell`` through a sequence backend."""
    args = {k: case[k] for k in ("x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh")}
    dh = case["dh"]

    def forward():
        return backend_module.sequence_forward(cell, **args)

    def forward_backward():
        cache = backend_module.sequence_forward(cell, **args)[3]
        return backend_module.sequence_backward(cell, dh, None, None, cache)

    return forward if pass_ == "forward" else forward_backward


def torch_runner(cell, case, pass_):
    """The same computation with torch.nn.{RNN, LSTM, GRU}(batch_first=True) and our weights."""
    torch = _torch()
    D, H = case["x"].shape[2], case["h0"].shape[1]
    dtype = torch.float32 if case["x"].dtype == np.float32 else torch.float64
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    layer = module(D, H, batch_first=True).to(dtype)
    with torch.no_grad():
        for name, key in (("weight_ih_l0", "W_ih"), ("weight_hh_l0", "W_hh"),
                          ("bias_ih_l0", "b_ih"), ("bias_hh_l0", "b_hh")):
            getattr(layer, name).copy_(torch.from_numpy(case[key]))
    x = torch.from_numpy(case["x"]).requires_grad_(pass_ != "forward")
    dh = torch.from_numpy(case["dh"])

    def forward():
        return layer(x)

    def forward_backward():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        out, _ = layer(x)
        out.backward(dh)

    return forward if pass_ == "forward" else forward_backward


def time_calls(function, seconds=1.0, min_repeats=3, max_repeats=30):
    """Median and all times (s) of repeated calls, after the caller's warm-up call."""
    median, times = time_interleaved({"f": function}, seconds, max_repeats, {"f": min_repeats})
    return median["f"], times["f"]


def time_interleaved(functions, seconds=1.0, max_repeats=30, min_repeats=None):
    """Round-robin timing of several functions (name -> function), after their warm-up calls.

    Calling the backends in turn, rather than one after the other, means a change in the
    machine's load (other processes on a shared machine) affects them alike, so their ratio
    stays meaningful. A function whose calls already took ``seconds`` in total (the slow numpy
    reference) drops out after its ``min_repeats`` (default 3). Returns (medians, all times).
    """
    min_repeats = min_repeats or {}
    times = {name: [] for name in functions}
    start = time.perf_counter()
    while True:
        for name, function in functions.items():
            enough = len(times[name]) >= min_repeats.get(name, 3)
            if enough and (sum(times[name]) > seconds or len(times[name]) >= max_repeats):
                continue
            t0 = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - t0)
        done = all(len(t) >= min_repeats.get(n, 3) for n, t in times.items())
        if done and (time.perf_counter() - start > seconds
                     or all(len(t) >= max_repeats for t in times.values())):
            break
    return {name: statistics.median(t) for name, t in times.items()}, times


# ---- the grid ----------------------------------------------------------------------------------

def run_grid(shapes=SHAPES, cells=CELLS, dtypes=DTYPES, backends=BACKENDS, seconds=1.0,
             progress=print):
    """Time every (cell, dtype, shape, backend, pass): a list of result dicts."""
    from rnnkit.cpu import sequence as numba_backend
    from rnnkit.reference import sequence as numpy_backend
    from rnnkit.threads import get_num_threads

    torch = _torch() if "torch" in backends else None
    if torch is not None:
        torch.set_num_threads(get_num_threads())
    modules = {"numpy": numpy_backend, "numba": numba_backend}
    results = []
    for cell in cells:
        for dtype in dtypes:
            for shape in shapes:
                case = make_case(cell, *shape, dtype=np.dtype(dtype))
                for pass_ in PASSES:
                    row = dict(cell=cell, dtype=dtype, shape=list(shape), pass_=pass_,
                               flop=flops(cell, *shape, pass_))
                    runs, first = {}, {}
                    for backend in backends:
                        if backend == "torch" and torch is None:
                            continue
                        runs[backend] = (torch_runner(cell, case, pass_) if backend == "torch"
                                         else rnnkit_runner(modules[backend], cell, case, pass_))
                        if backend == "numpy":
                            continue  # nothing to warm up, and each call is slow
                        t0 = time.perf_counter()
                        runs[backend]()  # warm-up: compiles or loads numba's kernels
                        first[backend] = time.perf_counter() - t0
                    medians, times = {}, {}
                    if "numpy" in runs:
                        # the slow numpy reference first, on its own (at least one call), with
                        # the BLAS threads it has in a process of its own (rnnkit/threads.py) ...
                        with blas_as_if_alone():
                            medians, times = time_interleaved({"numpy": runs.pop("numpy")},
                                                              seconds, min_repeats={"numpy": 1})
                        first["numpy"] = times["numpy"][0]
                        # ... then a pause: OpenBLAS's threads spin ~0.1 s after numpy's last
                        # product and would steal a core from the parallel kernels timed next
                        time.sleep(BLAS_SPIN_S)
                    # numba and PyTorch take turns, so a change of load affects both alike
                    more_medians, more_times = time_interleaved(runs, seconds)
                    medians.update(more_medians)
                    times.update(more_times)
                    for backend in times:
                        row[backend] = dict(median_s=medians[backend],
                                            repeats=len(times[backend]),
                                            first_call_s=first[backend],
                                            gflops=row["flop"] / medians[backend] / 1e9)
                    _ratios(row)
                    results.append(row)
                    progress(format_row(row))
    return results


def _ratios(row):
    if "numba" in row and "torch" in row:
        row["numba_over_torch"] = row["numba"]["median_s"] / row["torch"]["median_s"]
    if "numba" in row and "numpy" in row:
        row["numpy_over_numba"] = row["numpy"]["median_s"] / row["numba"]["median_s"]


def format_row(row):
    shape = "({})".format(",".join(map(str, row["shape"])))
    parts = [f"{row['cell']:4s} {row['dtype']} {shape:18s} {row['pass_']:16s}"]
    for backend in BACKENDS:
        if backend in row:
            parts.append(f"{backend} {1e3 * row[backend]['median_s']:9.2f} ms")
    if "numba_over_torch" in row:
        parts.append(f"numba/torch {row['numba_over_torch']:.2f}")
    return "  ".join(parts)


# ---- compile and cache-load times (fresh processes) ---------------------------------------

_COMPILE_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import rnnkit.cpu._blocks as blocks
from rnnkit.cpu import sequence
from rnnkit.bench import make_case
import_s = time.perf_counter() - t0
out = {"import_s": import_s, "calls": []}
for variant, min_work in (("serial", float("inf")), ("parallel", 0)):
    blocks.PARALLEL_MIN_WORK = min_work
    for cell, kw in (("rnn", {}), ("lstm", {}), ("gru", {"reset_after": True}),
                     ("gru", {"reset_after": False})):
        if variant == "parallel" and kw.get("reset_after") is False:
            continue  # the textbook GRU has only a serial kernel
        for dtype in sys.argv[1].split(","):
            case = make_case(cell, 2, 3, 4, 8, np.dtype(dtype))
            args = {k: case[k] for k in ("x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh")}
            t0 = time.perf_counter()
            cache = sequence.sequence_forward(cell, **args, **kw)[3]
            sequence.sequence_backward(cell, case["dh"], None, None, cache)
            name = cell + ("-before" if kw.get("reset_after") is False else "")
            out["calls"].append([name, dtype, variant, time.perf_counter() - t0])
print(json.dumps(out))
"""


def compile_times(dtypes=DTYPES):
    """Cold compile of every kernel, then a second process loading them from the disk cache.

    Both run in fresh processes sharing a new, empty NUMBA_CACHE_DIR, so "cold" really compiles.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rnnkit-numba-cache-") as cache_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        runs = {}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", _COMPILE_SCRIPT, ",".join(dtypes)],
                                  env=env, capture_output=True, text=True, check=True)
            data = json.loads(done.stdout.strip().splitlines()[-1])
            data["process_s"] = time.perf_counter() - t0
            data["kernels_s"] = sum(call[3] for call in data["calls"])
            runs[label] = data
    return runs


# ---- the default user path (issue 12): the layer API in a fresh process -----------------------

#: the shape of issue 12's snippet: LSTM(64 -> 128), x (32, 64, 64), float32
DEFAULT_PATH_SHAPE = (32, 64, 64, 128)

#: environment variables that change thread counts: a new user has none of them
THREAD_ENV = ("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "GOTO_", "MKL_", "BLIS_", "VECLIB_",
              "NUMEXPR_", "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER")

_DEFAULT_PATH_SCRIPT = r"""
import json, sys, time
import numpy as np
import rnnkit, rnnkit.threads
from rnnkit.bench import BLAS_SPIN_S
N, T, D, H, rounds = map(int, sys.argv[1:6])
x = np.random.default_rng(0).standard_normal((N, T, D)).astype(np.float32)
models = {be: rnnkit.LSTM(D, H, backend=be, dtype=np.float32, seed=0) for be in ("numpy", "numba")}
def step(m):
    out, h, c = m.forward(x)
    m.backward(np.ones_like(out))
for m in models.values():
    step(m)  # warm-up: numba compiles or loads its kernels
times = {be: [] for be in models}
for _ in range(rounds):  # in turns, so a change of the machine's load affects both alike
    # numpy with the BLAS threads it has in a process of its own (once a parallel kernel ran,
    # rnnkit keeps BLAS on one thread), then a pause while its idle BLAS threads stop spinning
    with rnnkit.threads.blas_as_if_alone():
        t0 = time.perf_counter()
        step(models["numpy"])
        times["numpy"].append(time.perf_counter() - t0)
    time.sleep(BLAS_SPIN_S)
    t0 = time.perf_counter()
    step(models["numba"])
    times["numba"].append(time.perf_counter() - t0)
print(json.dumps(times))
"""


def clean_env(env=None):
    """``env`` (default os.environ) without the variables that set thread counts."""
    env = dict(os.environ if env is None else env)
    return {k: v for k, v in env.items() if not k.startswith(THREAD_ENV)}


def default_path(shape=DEFAULT_PATH_SHAPE, rounds=7):
    """Issue 12's snippet in a fresh process with no thread variables: LSTM forward+backward
    through the layer API, numpy and numba backends at their defaults, taking turns (numpy with
    the BLAS threads it has in a process of its own).

    Returns best and median seconds per backend and numba/numpy of the bests (the least
    disturbed calls: other processes only ever add time).
    """
    done = subprocess.run([sys.executable, "-c", _DEFAULT_PATH_SCRIPT, *map(str, shape),
                           str(rounds)], env=clean_env(), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the default-path process failed:\n{done.stderr[-2000:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    out = dict(shape=list(shape), rounds=rounds, times=times,
               load_average=os.getloadavg() if hasattr(os, "getloadavg") else None)
    for backend, t in times.items():
        out[backend] = dict(best_s=min(t), median_s=statistics.median(t))
    out["numba_over_numpy"] = out["numba"]["best_s"] / out["numpy"]["best_s"]
    out["stderr"] = done.stderr[-2000:]  # e.g. "OpenBLAS Warning: Detect OpenMP Loop" lines
    return out


# ---- scaling: time and memory against T and H ---------------------------------------------

def measure_pass(run):
    """(fastest time s, peak bytes allocated during one call) of a forward+backward."""
    run()
    _, times = time_calls(run, seconds=0.5)
    best = min(times)  # the least disturbed call: other processes only ever add time
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def fit_exponent(xs, ys):
    """b in y ≈ a·x^b, least squares on log-log points."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def run_scaling(backend="numba", cell="lstm", dtype="float32", N=16, D=64, T_fixed=50,
                H_fixed=128, Ts=SCALING_T, Hs=SCALING_H, progress=print):
    from rnnkit.cpu import sequence as numba_backend
    from rnnkit.reference import sequence as numpy_backend

    module = numba_backend if backend == "numba" else numpy_backend
    out = dict(backend=backend, cell=cell, dtype=dtype, N=N, D=D)
    for axis, values in (("T", Ts), ("H", Hs)):
        points = []
        for v in values:
            T, H = (v, H_fixed) if axis == "T" else (T_fixed, v)
            case = make_case(cell, N, T, D, H, np.dtype(dtype))
            seconds, peak = measure_pass(rnnkit_runner(module, cell, case, "forward+backward"))
            points.append(dict(T=T, H=H, seconds=seconds, peak_bytes=peak))
            progress(f"scaling {cell} {dtype} {backend}: N={N} D={D} T={T} H={H}: "
                     f"{1e3 * seconds:.2f} ms, peak {peak / 2**20:.2f} MiB")
        xs = [p[axis] for p in points]
        out[axis] = dict(points=points,
                         time_exponent=fit_exponent(xs, [p["seconds"] for p in points]),
                         memory_exponent=fit_exponent(xs, [p["peak_bytes"] for p in points]))
    return out


# ---- reporting ---------------------------------------------------------------------------------

def markdown_table(results, ceilings):
    """The forward+backward rows as a Markdown table."""
    lines = ["| cell | dtype | (N, T, D, H) | numpy ms | numba ms | torch ms | numba/torch | "
             "numpy/numba | numba GFLOP/s | % of matmul ceiling |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in results:
        if row["pass_"] != "forward+backward":
            continue
        cell = lambda b: f"{1e3 * row[b]['median_s']:.2f}" if b in row else "–"  # noqa: E731
        ratio = f"{row['numba_over_torch']:.2f}" if "numba_over_torch" in row else "–"
        speedup = f"{row['numpy_over_numba']:.1f}×" if "numpy_over_numba" in row else "–"
        gflops = row["numba"]["gflops"] if "numba" in row else float("nan")
        ceiling = ceilings[row["dtype"]]
        lines.append(f"| {row['cell']} | {row['dtype']} | ({', '.join(map(str, row['shape']))}) | "
                     f"{cell('numpy')} | {cell('numba')} | {cell('torch')} | {ratio} | {speedup} | "
                     f"{gflops:.1f} | {100 * gflops / ceiling:.0f}% |")
    return "\n".join(lines)


def format_default_path(d):
    return ("default path (fresh process, layer API, LSTM (N, T, D, H) = ({}), float32, "
            "forward+backward, best of {}): numpy {:.2f} ms, numba {:.2f} ms, numba/numpy {:.2f}"
            .format(", ".join(map(str, d["shape"])), d["rounds"], 1e3 * d["numpy"]["best_s"],
                    1e3 * d["numba"]["best_s"], d["numba_over_numpy"]))


def plot(results, path):
    """Grouped bars: forward+backward time per shape and backend, one panel per cell and dtype."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results if r["pass_"] == "forward+backward"]
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    dtypes = list(dict.fromkeys(r["dtype"] for r in rows))
    fig, axes = plt.subplots(len(dtypes), len(cells), figsize=(4.5 * len(cells), 3.6 * len(dtypes)),
                             squeeze=False)
    for i, dtype in enumerate(dtypes):
        for j, cell in enumerate(cells):
            ax = axes[i][j]
            panel = [r for r in rows if r["cell"] == cell and r["dtype"] == dtype]
            backends = [b for b in BACKENDS if any(b in r for r in panel)]
            width = 0.8 / max(len(backends), 1)
            for k, backend in enumerate(backends):
                xs = [n + k * width for n, r in enumerate(panel) if backend in r]
                ys = [1e3 * r[backend]["median_s"] for r in panel if backend in r]
                ax.bar(xs, ys, width, label=backend)
            ax.set_xticks([n + width * (len(backends) - 1) / 2 for n in range(len(panel))])
            ax.set_xticklabels(["{}x{}x{}x{}".format(*r["shape"]) for r in panel], rotation=20,
                               fontsize=7)
            ax.set_yscale("log")
            ax.set_ylabel("ms (forward+backward)")
            ax.set_title(f"{cell} {dtype}")
            ax.legend(fontsize=7)
    fig.suptitle("rnnkit CPU benchmark: median time, lower is better (N x T x D x H)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scaling(scaling, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, axis in zip(axes, ("T", "H")):
        data = scaling[axis]
        xs = [p[axis] for p in data["points"]]
        ax.loglog(xs, [p["seconds"] * 1e3 for p in data["points"]], "o-",
                  label=f"time (ms), slope {data['time_exponent']:.2f}")
        ax.loglog(xs, [p["peak_bytes"] / 2**20 for p in data["points"]], "s--",
                  label=f"peak memory (MiB), slope {data['memory_exponent']:.2f}")
        ax.set_xlabel(axis)
        ax.set_title(f"{scaling['cell']} {scaling['dtype']} {scaling['backend']} "
                     f"forward+backward vs {axis}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(out_dir="bench-results", quick=False, scaling=None, compile=None, cells=CELLS,
        dtypes=None, backends=BACKENDS, shapes=None, progress=print, default=True):
    """The whole benchmark; writes bench.json, bench.png (and scaling.png) into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    dtypes = dtypes or (("float32",) if quick else DTYPES)
    shapes = shapes or (QUICK_SHAPES if quick else SHAPES)
    scaling = (not quick) if scaling is None else scaling
    compile = (not quick) if compile is None else compile
    started = time.time()
    report = dict(machine=machine(), quick=quick)
    report["ceiling_gflops"] = {d: matmul_ceiling(np.dtype(d)) for d in DTYPES}
    progress("matmul ceiling (GFLOP/s): " + ", ".join(
        f"{d} {g:.0f}" for d, g in report["ceiling_gflops"].items()))
    if default:
        report["default_path"] = default_path()
        progress(format_default_path(report["default_path"]))
    report["results"] = run_grid(shapes, cells, dtypes, backends,
                                 seconds=0.3 if quick else 1.0, progress=progress)
    try:
        import numba

        report["machine"]["numba_threading_layer"] = numba.threading_layer()
    except ValueError:  # no parallel kernel ran
        pass
    if compile:
        report["compile"] = compile_times(dtypes)
        for label, data in report["compile"].items():
            progress(f"{label} process: import {data['import_s']:.2f} s, first calls of every "
                     f"kernel {data['kernels_s']:.2f} s")
    if scaling:
        report["scaling"] = run_scaling(progress=progress)
        plot_scaling(report["scaling"], os.path.join(out_dir, "scaling.png"))
        for axis in ("T", "H"):
            s = report["scaling"][axis]
            progress(f"scaling vs {axis}: time ∝ {axis}^{s['time_exponent']:.2f}, "
                     f"memory ∝ {axis}^{s['memory_exponent']:.2f}")
    report["seconds"] = time.time() - started
    report["table"] = markdown_table(report["results"], report["ceiling_gflops"])
    with open(os.path.join(out_dir, "bench.json"), "w") as f:
        json.dump(report, f, indent=1)
    plot(report["results"], os.path.join(out_dir, "bench.png"))
    return report
