"""Hyperparameter search for the char-level language model.

Each hyperparameter takes a comma-separated list of values; for --method random a range can be
given as log:LO:HI (log-uniform) or uniform:LO:HI. Every trial trains a fresh model for --steps
steps (halving: --steps for the first rung, eta times more for each next one) and reports its
best validation loss. Trials run in parallel in --workers processes. Writes OUT/tune.csv and
OUT/tune.png (validation loss against each hyperparameter).

examples:
  rnnkit tune --method grid --hidden-size 64,128 --lr 1e-3,3e-3,1e-2 --steps 200
  rnnkit tune --method random --trials 12 --lr log:3e-4:3e-2 --hidden-size 64,128,256
  rnnkit tune --method halving --trials 9 --steps 50 --eta 3 --workers 2
"""
import os
import sys

from rnnkit.commands._backend import add_backend_argument, resolve_backend

# flag -> (TrainConfig field, type of one value, default values)
SPACE_FLAGS = {
    "--hidden-size": ("hidden_size", int, "64,128"),
    "--lr": ("lr", float, "1e-3,3e-3,1e-2"),
    "--clip": ("clip", float, "5"),
    "--seq-len": ("seq_len", int, "64"),
    "--batch-size": ("batch_size", int, "32"),
}


def parse_values(flag, text, kind):
    """'64,128' -> [64, 128]; 'log:1e-4:1e-2' -> ('log', 1e-4, 1e-2)."""
    try:
        if text.startswith(("log:", "uniform:")):
            name, lo, hi = text.split(":")
            lo, hi = float(lo), float(hi)
            if not 0 < lo < hi:
                raise ValueError
            return (name, lo, hi)
        values = [kind(v) for v in text.split(",") if v.strip()]
        if not values:
            raise ValueError
        return values
    except ValueError:
        raise ValueError(f"{flag} must be a comma-separated list of {kind.__name__} values "
                         f"or log:LO:HI / uniform:LO:HI with 0 < LO < HI, got {text!r}") from None


def add_arguments(parser):
    parser.add_argument("--method", choices=("grid", "random", "halving"), default="grid",
                        help="search method (default: grid)")
    for flag, (_, kind, default) in SPACE_FLAGS.items():
        parser.add_argument(flag, default=default, metavar="VALUES",
                            help=f"values to try (default: {default})")
    parser.add_argument("--trials", type=int, default=8,
                        help="random/halving: number of configurations (default 8)")
    parser.add_argument("--steps", type=int, default=200,
                        help="training steps per trial (halving: of the first rung) (default 200)")
    parser.add_argument("--eta", type=int, default=3, help="halving: keep 1/eta per rung (default 3)")
    parser.add_argument("--workers", type=int, default=1,
                        help="parallel trial processes (default 1; each uses one thread)")
    parser.add_argument("--corpus", default="pydoc", help="'pydoc' (default) or a UTF-8 text file")
    parser.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm")
    parser.add_argument("--val-chars", type=int, default=20000,
                        help="validation characters per evaluation (default 20000; 0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random points")
    add_backend_argument(parser)
    parser.add_argument("--out", default="runs/tune", help="output folder (default runs/tune)")


def run(args):
    from rnnkit import tune
    from rnnkit.train import TrainConfig

    try:
        space = {}
        for flag, (field, kind, _) in SPACE_FLAGS.items():
            values = parse_values(flag, getattr(args, field), kind)
            if isinstance(values, tuple) and (args.method == "grid" or kind is int):
                raise ValueError(f"{flag}: ranges are only for float values with --method random "
                                 "or halving")
            space[field] = values
        # only what varies is a hyperparameter; single values go into the base config
        fixed = {k: v[0] for k, v in space.items() if isinstance(v, list) and len(v) == 1}
        space = {k: v for k, v in space.items() if k not in fixed} or {"lr": [fixed.pop("lr")]}
        for name in ("trials", "steps", "workers"):
            if getattr(args, name) < 1:
                raise ValueError(f"--{name} must be a positive integer, got {getattr(args, name)}")
        base = TrainConfig(corpus=args.corpus, cell=args.cell, val_chars=args.val_chars,
                           eval_every=max(1, args.steps // 2), epochs=1000, **fixed).validate()
        # every trial may take minutes: find a bad --out now, not after the last one
        csv_path, png_path = check_outputs(args.out, ("tune.csv", "tune.png"))
        backend = resolve_backend(args.backend)
        common = dict(base=base, workers=args.workers, backend=backend,
                      log=lambda line: print(line, flush=True))
        print(f"{args.method} search over {', '.join(space)} with {args.workers} worker(s), "
              f"backend {backend}", flush=True)
        if args.method == "grid":
            result = tune.grid_search(space, steps=args.steps, **common)
        elif args.method == "random":
            result = tune.random_search(space, args.trials, steps=args.steps, seed=args.seed,
                                        **common)
        else:
            result = tune.successive_halving(space, args.trials, min_steps=args.steps,
                                             eta=args.eta, seed=args.seed, **common)
    except (ValueError, FileNotFoundError, RuntimeError, ImportError) as error:
        # RuntimeError/ImportError: a backend that cannot run here (e.g. cuda without a GPU)
        print(f"rnnkit tune: error: {error}", file=sys.stderr)
        return 2
    print(result.table())
    result.to_csv(csv_path)
    result.plot(png_path)
    best = result.best
    print(f"best: {', '.join(f'{k}={best[k]:g}' for k in result.params)} -> "
          f"val loss {best['val_loss']:.4f}; saved {csv_path} and {png_path}")
    return 0


def check_outputs(folder, names):
    """Create ``folder`` and check that ``names`` can be written in it; returns their paths."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"--out {folder!r} is a file, not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--out {folder!r}: cannot create the folder "
                         f"({error.strerror or error})") from None
    if not os.access(folder, os.W_OK):
        raise ValueError(f"--out {folder!r} is not writable")
    paths = [os.path.join(folder, name) for name in names]
    for path in paths:
        if os.path.isdir(path):
            raise ValueError(f"--out {folder!r}: {path!r} is a folder, so it cannot be written")
    return paths
