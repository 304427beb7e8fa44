"""GPU benchmark: the cuda backend against PyTorch's cuDNN RNNs.

    make bench-gpu            (python benchmarks/bench_gpu.py --out bench-results)

For every cell, dtype and shape it times, on the GPU, forward and forward+backward of
  * rnnkit's cuda backend (rnnkit.cuda.driver, device arrays in and out: no host copies), and
  * torch.nn.RNN / LSTM / GRU on CUDA (cuDNN), TF32 switched off so float32 means float32,
with CUDA events around each call, warm-up calls first (numba compiles on first use), and the
median of the repeats. Before timing a shape it checks that both agree (forward output). It
writes bench_gpu.json (every measurement, the machine, the versions) and bench_gpu.png.

It refuses to run without a real GPU, and on the CUDA simulator: it never reports simulator
times as GPU times.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

try:  # (N, T, D, H): the CPU benchmark's grid, so that CPU and GPU figures line up ...
    from rnnkit.bench import SHAPES as BENCH_GRID
except ImportError:
    BENCH_GRID = [(1, 100, 32, 32), (32, 100, 64, 128), (64, 200, 128, 256), (16, 50, 256, 512)]
# ... plus small batches, where the per-step launch overhead dominates, with H up to 1024
SMALL_BATCH = [(N, 50, H, H) for N in (1, 4, 16) for H in (64, 256, 1024)]
QUICK_GRID = [(4, 16, 32, 64), (16, 32, 128, 256)]
CELLS = ("rnn", "lstm", "gru")
DTYPES = ("float32", "float64")


def why_not_runnable():
    """None when a real CUDA GPU is usable; else why the benchmark cannot run."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return ("NUMBA_ENABLE_CUDASIM is set: the benchmark never times the CUDA simulator; "
                "unset it and run on a machine with an NVIDIA GPU")
    from rnnkit.cuda.device import gpu_available
    if not gpu_available():
        return ("no CUDA GPU found (numba.cuda.is_available() is False): make bench-gpu needs an "
                "NVIDIA GPU with its driver, and pip install 'rnnkit[gpu]'")
    return None


def time_cuda_events(fn, warmup, repeats):
    """Median milliseconds of fn() measured with numba CUDA events (after warm-up calls)."""
    from numba import cuda
    for _ in range(warmup):
        fn()
    cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = cuda.event(), cuda.event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def time_torch_events(torch, fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def rnnkit_case(cell, dtype, N, T, D, H, rng, strategy="auto"):
    """Device arrays for one problem, and the forward / forward+backward closures."""
    import numpy as np

    from rnnkit._checks import GATES
    from rnnkit.cuda import driver, memory
    G = GATES[cell]
    k = 1 / np.sqrt(H)
    host = {
        "X": rng.standard_normal((T, N, D)), "h0": np.zeros((N, H)), "c0": np.zeros((N, H)),
        "W_ih": rng.uniform(-k, k, (G * H, D)), "W_hh": rng.uniform(-k, k, (G * H, H)),
        "b_ih": rng.uniform(-k, k, G * H), "b_hh": rng.uniform(-k, k, G * H),
        "dH": rng.standard_normal((T, N, H)),
    }
    dev = {name: memory.to_device(a.astype(dtype)) for name, a in host.items()}
    args = (cell, dev["X"], dev["h0"], dev["c0"] if cell == "lstm" else None, dev["W_ih"],
            dev["W_hh"], dev["b_ih"], dev["b_hh"])

    def forward():
        return driver.forward(*args, strategy=strategy)

    def forward_backward():
        driver.backward(driver.forward(*args, strategy=strategy), dev["dH"])

    return host, forward, forward_backward


def torch_case(torch, cell, dtype, host, device="cuda"):
    """The same problem on cuDNN, batch-first off (time-major, like rnnkit's driver)."""
    T, N, D = host["X"].shape
    H = host["W_hh"].shape[1]
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    tdtype = getattr(torch, dtype)
    net = module(D, H).to(device=device, dtype=tdtype)
    with torch.no_grad():
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            torch_name = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0",
                          "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}[name]
            getattr(net, torch_name).copy_(torch.as_tensor(host[name], dtype=tdtype))
    x = torch.as_tensor(host["X"], dtype=tdtype, device=device).requires_grad_(True)
    dH = torch.as_tensor(host["dH"], dtype=tdtype, device=device)

    def forward():
        with torch.no_grad():
            return net(x)[0]

    def forward_backward():
        net.zero_grad(set_to_none=True)
        x.grad = None
        net(x)[0].backward(dH)

    return forward, forward_backward


def run(args):
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed; install a CUDA build of torch, or pass --no-torch",
                  file=sys.stderr)
            return 2
        if not torch.cuda.is_available():
            print("this PyTorch build has no CUDA (a CPU wheel?): install a CUDA build of torch, "
                  "or pass --no-torch", file=sys.stderr)
            return 2
        torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
    from numba import cuda

    import numba_cuda
    device = cuda.get_current_device()
    grid = QUICK_GRID if args.quick else BENCH_GRID + SMALL_BATCH
    meta = {
        "gpu": device.name.decode() if isinstance(device.name, bytes) else str(device.name),
        "compute_capability": list(device.compute_capability),
        "numba_cuda": getattr(numba_cuda, "__version__", "?"),
        "torch": None if torch is None else torch.__version__,
        "cudnn": None if torch is None else torch.backends.cudnn.version(),
        "tf32": False, "warmup": args.warmup, "repeats": args.repeats,
        "python": platform.python_version(), "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "timing": "CUDA events around each call, median of repeats, after warm-up; rnnkit on "
                  "device arrays (its buffers are allocated inside each call); rnnkit's forward "
                  "strategies: stepwise (2 launches per step) and persistent (1 launch), where "
                  "the persistent kernel applies; error = max|h - h_cuDNN| / max|h_cuDNN|",
    }
    results = []
    for dtype in args.dtypes:
        for cell in args.cells:
            for N, T, D, H in grid:
                results.append(time_shape(torch, cell, dtype, N, T, D, H, args))
                print(format_row(results[-1]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "bench_gpu.json")
    with open(json_path, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    png_path = os.path.join(args.out, "bench_gpu.png")
    plot(results, meta, png_path)
    print(f"wrote {json_path} and {png_path}")
    return 0


def time_shape(torch, cell, dtype, N, T, D, H, args):
    """One row: rnnkit with each forward strategy that applies, and cuDNN, on one shape."""
    import numpy as np

    from rnnkit.cuda.persistent import plan
    from rnnkit.reference import scaled_error
    row = {"cell": cell, "dtype": dtype, "N": N, "T": T, "D": D, "H": H}
    strategies = ["stepwise"]
    if plan(cell, True, N, H, np.dtype(dtype).itemsize) is not None:
        strategies.append("persistent")
    for strategy in strategies:
        host, fwd, fwd_bwd = rnnkit_case(cell, dtype, N, T, D, H, np.random.default_rng(0),
                                         strategy)
        cache = fwd()  # compiles the kernels (first call) and gives the output to check
        if cache.strategy != strategy:  # the cooperative grid did not fit on this GPU
            continue
        row[f"rnnkit_{strategy}_forward_ms"] = time_cuda_events(fwd, args.warmup, args.repeats)
        row[f"rnnkit_{strategy}_forward_backward_ms"] = time_cuda_events(fwd_bwd, args.warmup,
                                                                         args.repeats)
        if torch is not None:
            t_fwd, t_fwd_bwd = torch_case(torch, cell, dtype, host)
            h_torch = t_fwd().double().cpu().numpy()
            h_ours = cache.H_all[1:].copy_to_host().astype(np.float64)
            row[f"rnnkit_{strategy}_error_vs_torch"] = float(scaled_error(h_ours, h_torch))
    if torch is not None:
        row["torch_forward_ms"] = time_torch_events(torch, t_fwd, args.warmup, args.repeats)
        row["torch_forward_backward_ms"] = time_torch_events(torch, t_fwd_bwd, args.warmup,
                                                             args.repeats)
    return row


def format_row(row):
    text = (f"{row['cell']:4} {row['dtype']:7} N={row['N']:<3} T={row['T']:<3} D={row['D']:<4} "
            f"H={row['H']:<4}")
    for who in ("rnnkit_stepwise", "rnnkit_persistent", "torch"):
        if f"{who}_forward_ms" in row:
            name = who.replace("torch", "cuDNN").replace("rnnkit_", "")
            text += (f" | {name} fwd {row[f'{who}_forward_ms']:.3f}"
                     f" fwd+bwd {row[f'{who}_forward_backward_ms']:.3f} ms")
        if f"{who}_error_vs_torch" in row:
            text += f" (err {row[f'{who}_error_vs_torch']:.0e})"
    return text


def plot(results, meta, path):
    """Forward+backward time against H, one panel per (cell, dtype), one line per (who, N)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = sorted({(r["cell"], r["dtype"]) for r in results})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4), squeeze=False)
    for ax, (cell, dtype) in zip(axes[0], panels):
        rows = [r for r in results if r["cell"] == cell and r["dtype"] == dtype]
        for who, key, style in (("rnnkit stepwise", "rnnkit_stepwise_forward_backward_ms", "-o"),
                                ("rnnkit persistent", "rnnkit_persistent_forward_backward_ms",
                                 ":^"),
                                ("cuDNN", "torch_forward_backward_ms", "--s")):
            for N in sorted({r["N"] for r in rows}):
                line = sorted((r["H"], r[key] / r["T"]) for r in rows if r["N"] == N and key in r)
                if line:
                    ax.plot(*zip(*line), style, label=f"{who} N={N}")
        ax.set(xscale="log", yscale="log", xlabel="H", ylabel="ms per time step (fwd+bwd)",
               title=f"{cell} {dtype}")
        ax.legend(fontsize=7)
    fig.suptitle(f"{meta['gpu']}: rnnkit cuda backend vs cuDNN (TF32 off)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time the cuda backend against cuDNN on a GPU.")
    parser.add_argument("--out", default="bench-results",
                        help="folder for bench_gpu.json and bench_gpu.png")
    parser.add_argument("--quick", action="store_true", help="two small shapes only")
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=DTYPES)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-torch", action="store_true", help="time rnnkit only")
    args = parser.parse_args(argv)
    reason = why_not_runnable()
    if reason:
        print(f"bench-gpu: {reason}", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
