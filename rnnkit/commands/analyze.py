"""Measure and look inside recurrent networks; every analysis prints a table and saves PNGs.

analyses:
  complexity   time and memory of forward / forward+backward vs T, H and N, log-log fits
               compared with the theory (time O(N·T·H·(D+H)), BPTT memory O(N·T·H)), with
               their R² (a warning when the points do not follow a power law)
  gradflow     ‖∂L/∂h_t‖ for every t: RNN vs LSTM vs GRU at several spectral radii of W_hh
  adding       train RNN, LSTM and GRU on the adding problem; MSE curves and the gradient
               flow of the trained models
  report       performance report of a trained checkpoint (time, latency, memory, perplexity)
               and a figure of its loss curves and speed
  gates        gate activations, saturation, hidden-state heatmap of a trained checkpoint,
               for every layer

examples:
  rnnkit analyze complexity --vary T,H --backend numba
  rnnkit analyze gradflow --T 100 --radii 0.5,1,1.5
  rnnkit analyze adding --T 100 --minutes 4
  rnnkit analyze report runs/charlm.npz
  rnnkit analyze gates runs/charlm.npz --text "def f(x):\\n    return x"
"""
import csv
import os
import sys

from rnnkit.commands._backend import (add_backend_argument, add_threads_argument,
                                     limit_threads, resolve_backend)

DEFAULT_SIZES = {"T": "25,50,100,200", "H": "32,64,128,256", "N": "8,16,32,64"}


def _ints(text, name):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"{name} must be comma-separated positive integers, got {text!r}")
    return values


def _floats(text, name):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated numbers, got {text!r}") from None
    if not values or min(values) <= 0:
        raise ValueError(f"{name} must be comma-separated positive numbers, got {text!r}")
    return values


def _cells(text):
    cells = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in cells if c not in ("rnn", "lstm", "gru")]
    if bad or not cells:
        raise ValueError(f"--cells must be a comma-separated subset of rnn,lstm,gru, got {text!r}")
    return cells


def add_arguments(parser):
    sub = parser.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    p = sub.add_parser("complexity", help="time and memory vs T, H, N with fitted exponents")
    p.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm")
    p.add_argument("--vary", default="T,H,N", help="which sizes to vary (default T,H,N)")
    for size, default in DEFAULT_SIZES.items():
        p.add_argument(f"--{size}", dest=f"sizes_{size}", default=default,
                       help=f"values of {size} when it varies (default {default})")
    p.add_argument("--fixed", default="N=16,T=50,H=64",
                   help="the sizes that do not vary (default N=16,T=50,H=64; D=32, or D=H when H varies)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")

    p = sub.add_parser("gradflow", help="gradient norm per time step for each cell and radius")
    p.add_argument("--cells", default="rnn,lstm,gru")
    p.add_argument("--radii", default="0.5,1,1.5", help="spectral radii of W_hh (default 0.5,1,1.5)")
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--H", type=int, default=32)
    p.add_argument("--forget-bias", type=float, default=0.0,
                   help="added to the LSTM's forget-gate bias (default 0, PyTorch's init)")

    p = sub.add_parser("adding", help="train each cell on the adding problem")
    p.add_argument("--cells", default="lstm,gru,rnn")
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--H", type=int, default=32)
    p.add_argument("--steps", type=int, default=4000, help="max steps per cell (default 4000)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--minutes", type=float, default=0,
                   help="time limit per cell (default 0: none)")

    for name, text in (("report", "performance report of a trained checkpoint"),
                       ("gates", "gate activations and saturation of a trained checkpoint")):
        p = sub.add_parser(name, help=text)
        p.add_argument("checkpoint", help="an .npz checkpoint from `rnnkit train`")
        if name == "gates":
            p.add_argument("--text", default=None,
                           help="text to read (default: 120 characters of the validation text)")
    for p in sub.choices.values():
        add_backend_argument(p)
        add_threads_argument(p)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--out", default="runs/analysis", help="output folder (default runs/analysis)")


def run(args):
    try:
        limit_threads(args.threads)
        try:
            backend = resolve_backend(args.backend)
        except (RuntimeError, ImportError) as error:  # e.g. cuda without a GPU
            raise ValueError(str(error)) from None
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise ValueError(f"--out {args.out!r} is a file, not a folder")
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as error:
            raise ValueError(f"--out {args.out!r}: cannot create the folder "
                             f"({error.strerror or error})") from None
        return globals()[f"_run_{args.analysis}"](args, backend)
    except (ValueError, FileNotFoundError) as error:
        print(f"rnnkit analyze {args.analysis}: error: {error}", file=sys.stderr)
        return 2


def _run_complexity(args, backend):
    import numpy as np

    from rnnkit.analysis.complexity import format_fits, scaling_study
    from rnnkit.plots import plot_scaling

    vary = [v.strip() for v in args.vary.split(",") if v.strip()]
    if not vary or any(v not in DEFAULT_SIZES for v in vary):
        raise ValueError(f"--vary must be a comma-separated subset of T,H,N, got {args.vary!r}")
    try:
        fixed = {k.strip(): int(v) for k, v in (item.split("=") for item in args.fixed.split(","))}
    except ValueError:
        raise ValueError(f"--fixed must look like N=16,T=50,H=64,D=32, got {args.fixed!r}") from None
    if set(fixed) - {"N", "T", "H", "D"} or min(fixed.values()) < 1:
        raise ValueError(f"--fixed takes positive N, T, H and D, got {args.fixed!r}")
    all_rows = []
    for size in vary:
        values = _ints(getattr(args, f"sizes_{size}"), f"--{size}")
        print(f"{args.cell.upper()} on backend {backend}: varying {size} over {values}", flush=True)
        rows, fits = scaling_study(size, values, args.cell, backend, fixed, args.repeats,
                                   np.dtype(args.dtype))
        all_rows += rows
        print(format_fits(fits) + "\n")
        plot_scaling(fits, os.path.join(args.out, f"complexity_{size}.png"), size=size,
                     title=f"{args.cell.upper()} ({backend}): cost vs {size}")
    path = os.path.join(args.out, "complexity.csv")
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, list(all_rows[0]))
        writer.writeheader()
        writer.writerows(all_rows)
    print(f"saved {path} and complexity_*.png in {args.out}")
    return 0


def _run_gradflow(args, backend):
    from rnnkit.analysis.gradient_flow import gradient_flow_study
    from rnnkit.plots import plot_gradient_flow

    norms = gradient_flow_study(_cells(args.cells), _floats(args.radii, "--radii"), T=args.T,
                                H=args.H, seed=args.seed, forget_bias=args.forget_bias)
    print(f"{'':<14} ‖∂L/∂h_t‖ at t = T-1, T/2, 0 (loss at the last step, untrained weights)")
    for label, v in norms.items():
        print(f"{label:<14} {v[-1]:10.3e} {v[len(v) // 2]:10.3e} {v[0]:10.3e}")
    path = os.path.join(args.out, "gradient_flow.png")
    plot_gradient_flow(norms, path, title=f"gradient flow at initialisation, T={args.T}")
    print(f"saved {path}")
    return 0


def _run_adding(args, backend):
    import numpy as np

    from rnnkit.analysis.gradient_flow import gradient_norms, layer_parameters
    from rnnkit.analysis.memory_tasks import train_adding
    from rnnkit.data import adding_problem
    from rnnkit.plots import plot_gradient_flow, plot_metric_curves

    curves, flows = {}, {}
    x, _ = adding_problem(32, args.T, seed=args.seed + 1)
    print(f"adding problem T={args.T}, H={args.H}, batch {args.batch_size}, lr {args.lr}, "
          f"backend {backend}; solved = test MSE < 0.01 (predicting the mean: ≈0.167)")
    for cell in _cells(args.cells):
        r = train_adding(cell, args.T, args.H, args.steps, args.batch_size, args.lr,
                         backend=backend, seed=args.seed, max_seconds=60 * args.minutes or None,
                         progress=True)
        print(f"{cell.upper():<5} test MSE {r['test_mse']:.4f} after {r['steps']} steps, "
              f"{r['seconds']:.0f} s: {'SOLVED' if r['solved'] else 'not solved'}", flush=True)
        curves[cell.upper()] = r["history"]
        # ∂L/∂h_T points along the output layer's weight row (the prediction is w·h_T + b)
        w = r["model"].head.params["weight"][0].astype(np.float64)
        dh_T = np.tile(w / np.linalg.norm(w), (len(x), 1))
        flows[f"{cell.upper()} (trained)"] = gradient_norms(
            cell, *layer_parameters(r["model"].rnn), x, dh_T=dh_T)
    plot_metric_curves(curves, os.path.join(args.out, "adding.png"), target=0.01,
                       title=f"adding problem, T={args.T}")
    plot_gradient_flow(flows, os.path.join(args.out, "adding_gradient_flow.png"),
                       title=f"‖∂L/∂h_t‖ of the trained models, T={args.T}")
    print(f"saved adding.png and adding_gradient_flow.png in {args.out}")
    return 0


def _checkpoint_text(args, model):
    """(config, train_ids, val_ids) of the checkpoint's corpus, read with its vocabulary."""
    from rnnkit.train import load_config, prepare_data

    config = load_config(args.checkpoint)
    _, train_ids, val_ids = prepare_data(config, model.vocab)
    return config, train_ids, val_ids


def _run_report(args, backend):
    from rnnkit.analysis.report import format_report, performance_report
    from rnnkit.commands.train import warm_up_kernels
    from rnnkit.plots import plot_report
    from rnnkit.train import load_history, load_model

    model = load_model(args.checkpoint, backend=backend)
    config, train_ids, val_ids = _checkpoint_text(args, model)
    # the kernels the report times: a training step (N = batch size) and one character (N = 1)
    warm_up_kernels(model, backend, (config.batch_size, 1), backward=True)
    report = performance_report(model, val_ids, config.batch_size, config.seq_len,
                                chars_per_epoch=len(train_ids))
    print(format_report(report))
    path = os.path.join(args.out, "report.png")
    plot_report(report, load_history(args.checkpoint), path,
                title=f"{os.path.basename(args.checkpoint)}: char-{model.cell.upper()} "
                      f"on {config.corpus}")
    print(f"saved {path}")
    return 0


def _run_gates(args, backend):
    from rnnkit.analysis.gradient_flow import model_nonlinearity, model_traces, saturation
    from rnnkit.plots import plot_gate_histograms, plot_hidden_heatmap, plot_traces
    from rnnkit.train import load_model

    model = load_model(args.checkpoint, backend=backend)
    text = args.text
    if text is None:
        text = model.vocab.decode(_checkpoint_text(args, model)[2][:120])
    layers = model_traces(model, text)  # one dict per layer: name -> (T, H)
    relu = model_nonlinearity(model) == "relu"
    print(f"{model.cell.upper()}{' (relu)' if relu else ''}, {len(layers)} layer(s), "
          f"reading {len(text)} characters")
    print(f"{'layer':<6}{'gate':<5} {'saturated low':>14} {'saturated high':>15}  "
          "(|distance to bound| < 0.05" + ("; relu h: low = inactive, h = 0)" if relu else ")"))
    for index, traces in enumerate(layers):
        stats = saturation(traces, nonlinearity=model_nonlinearity(model))
        for name, s in stats.items():
            print(f"{index:<6}{name:<5} {s['low']:>14.1%} {s['high']:>15.1%}")
    out = args.out
    plot_hidden_heatmap([t["h"] for t in layers], os.path.join(out, "hidden_heatmap.png"),
                        text=text, title="hidden state while reading the text")
    gates = [{k: v for k, v in t.items() if k not in ("h", "c")} or {"h": t["h"]}
             for t in layers]
    plot_gate_histograms(gates, os.path.join(out, "gate_histograms.png"))
    plot_traces(layers, os.path.join(out, "traces.png"))
    print(f"saved hidden_heatmap.png, gate_histograms.png and traces.png in {out} "
          f"(every layer: {', '.join(str(i) for i in range(len(layers)))})")
    return 0
