"""Train a character-level language model with truncated BPTT.

With no arguments: a char-LSTM (1 x 256 units, 64-d embedding) on the Python documentation that
ships with CPython, windows of 64 characters in 32 parallel streams, Adam with a cosine learning
rate, gradients clipped to norm 5, at most 10 minutes, on the numba backend. Validation loss
(nats/char) and perplexity are printed as it goes, a checkpoint is saved at every validation,
and the loss curve is saved as a PNG.

examples:
  rnnkit train                                     # the default char-LSTM
  rnnkit train --corpus book.txt --cell gru --hidden-size 128 --minutes 5
  rnnkit train --resume runs/charlm.npz              # continue exactly where it stopped
                                                     # (saved back to runs/charlm.npz)
  rnnkit train --resume runs/charlm.npz --minutes 20 # ... a run that hit its time limit
  rnnkit train --resume runs/a.npz --out runs/b.npz  # continue a copy, keep runs/a.npz
  rnnkit sample runs/charlm.npz --prefix "def " -n 300
"""
import contextlib
import dataclasses
import json
import os
import sys

from rnnkit.commands._backend import (add_backend_argument, add_threads_argument,
                                     limit_threads, resolve_backend, warn_if_busy)

# flag -> (TrainConfig field, type, help, metavar or choices)
FLAGS = {
    "--corpus": ("corpus", str, "'pydoc' (Python's documentation) or a UTF-8 text file", "TEXT"),
    "--cell": ("cell", str, "recurrent cell", ("rnn", "lstm", "gru")),
    "--hidden-size": ("hidden_size", int, "units per recurrent layer", "H"),
    "--num-layers": ("num_layers", int, "stacked recurrent layers", "L"),
    "--embedding-dim": ("embedding_dim", int, "size of the character embedding (0: one-hot)", "E"),
    "--nonlinearity": ("nonlinearity", str, "RNN only", ("tanh", "relu")),
    "--dtype": ("dtype", str, "floating-point type", ("float32", "float64")),
    "--seq-len": ("seq_len", int, "characters per window (truncation length of BPTT)", "T"),
    "--batch-size": ("batch_size", int, "parallel streams per step", "N"),
    "--optimizer": ("optimizer", str, "optimizer", ("adam", "sgd")),
    "--lr": ("lr", float, "(initial) learning rate", "LR"),
    "--momentum": ("momentum", float, "SGD momentum", "M"),
    "--clip": ("clip", float, "max global gradient norm (0: no clipping)", "NORM"),
    "--schedule": ("schedule", str, "learning-rate schedule", ("constant", "cosine", "exponential")),
    "--lr-min": ("lr_min", float, "final learning rate of the cosine schedule", "LR"),
    "--lr-decay": ("lr_decay", float, "factor per epoch of the exponential schedule", "F"),
    "--epochs": ("epochs", int, "passes over the training text", "E"),
    "--max-steps": ("max_steps", int, "stop after this many steps (0: no limit)", "S"),
    "--minutes": ("max_minutes", float, "stop after this much training time (0: no limit); "
                                        "the cosine schedule then runs over this time", "MIN"),
    "--val-fraction": ("val_fraction", float, "last part of the corpus kept for validation", "F"),
    "--eval-every": ("eval_every", int, "steps between validations", "S"),
    "--val-chars": ("val_chars", int, "validate on the first this many characters (0: all)", "C"),
    "--patience": ("patience", int, "stop after this many validations without improvement "
                                    "(0: never)", "P"),
    "--seed": ("seed", int, "seed of the initial weights", "SEED"),
}
DEFAULTS = {"max_minutes": 10.0}  # the command's defaults where they differ from TrainConfig's
DEFAULT_OUT = "runs/charlm.npz"
COMPILE_NOTICE = "compiling the numba kernels (first run only, up to ~1 min)..."
NOTICE_AFTER_S = 2.0  # loading compiled kernels from numba's disk cache takes well under this


def add_arguments(parser):
    from rnnkit.train import TrainConfig

    defaults = {**dataclasses.asdict(TrainConfig()), **DEFAULTS}
    for flag, (field, kind, text, shape) in FLAGS.items():
        extra = {"choices": shape} if isinstance(shape, tuple) else {"metavar": shape}
        parser.add_argument(flag, dest=field, type=kind, default=None, **extra,
                            help=f"{text} (default: {defaults[field]})")
    add_backend_argument(parser)
    add_threads_argument(parser)
    parser.add_argument("--out", default=None,
                        help="checkpoint path; the loss curve goes next to it as .png "
                             f"(default: the --resume checkpoint, else {DEFAULT_OUT})")
    parser.add_argument("--resume", metavar="CHECKPOINT",
                        help="continue the run saved in CHECKPOINT (flags given override its config)")
    parser.add_argument("--sample", type=int, default=300, metavar="N",
                        help="characters to sample at the end (default 300; 0: none)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    from rnnkit.train import TrainConfig, Trainer, sample

    given = {field: getattr(args, field) for field, *_ in FLAGS.values()
             if getattr(args, field) is not None}
    # a resumed run is saved back to its own checkpoint, never over another run's
    out = args.out or args.resume or DEFAULT_OUT
    try:
        backend = resolve_backend(args.backend)
        check_output_path(out)
        limit_threads(args.threads)
        if args.resume:
            trainer = Trainer.resume(args.resume, backend=backend, checkpoint=out, **given)
        else:
            config = TrainConfig(**{**DEFAULTS, **given})
            trainer = Trainer.from_config(config, backend=backend, checkpoint=out)
    except (ValueError, OSError, TypeError, RuntimeError, ImportError) as error:
        # RuntimeError/ImportError: a backend that cannot run here (e.g. cuda without a GPU)
        print(f"rnnkit train: error: {error}", file=sys.stderr)
        return 2
    c, model = trainer.config, trainer.model
    warn_if_busy(args.threads)
    print(f"{c.cell.upper()} {c.num_layers}x{c.hidden_size}, {model.num_parameters():,} parameters, "
          f"vocabulary {len(trainer.vocab)}, {trainer.batches.chars_per_epoch:,} training chars, "
          f"{len(trainer.val_ids):,} validation chars; backend {backend}, {c.dtype}")

    if backend == "numba":
        with compile_notice() as compiled:
            seconds = trainer.warm_up()
        if compiled:
            print(f"compiled in {seconds:.0f} s (cached on disk for the next runs)",
                  file=sys.stderr, flush=True)

    def log(r):
        print(f"step {r['step']:6d}  epoch {r['epoch']:5.2f}  train {r['train_loss']:.3f}  "
              f"val {r['val_loss']:.3f} nats/char (ppl {r['val_ppl']:.2f})  "
              f"{r['chars_per_s']:,.0f} chars/s  {r['elapsed_s']:.0f} s", flush=True)

    try:
        history = trainer.fit(progress=not args.no_progress, log=log)
    except KeyboardInterrupt:
        # keep what was learnt: `rnnkit train --resume` continues from here
        print(f"\ninterrupted at step {trainer.step}; saved {trainer.save(out)}")
        return 130
    path = trainer.save(out)
    if history:
        from rnnkit.plots import plot_loss_curves

        png = os.path.splitext(out)[0] + ".png"
        plot_loss_curves(history, png, title=f"char-{c.cell.upper()} on {c.corpus}")
        with open(os.path.splitext(out)[0] + ".json", "w") as f:
            json.dump({"config": dataclasses.asdict(c), "history": history}, f, indent=1)
        print(f"best validation loss {trainer.best_val:.4f} nats/char "
              f"(perplexity {min(1e300, 2.718281828459045 ** trainer.best_val):.2f}) "
              f"after {trainer.step} steps, {trainer.elapsed:.0f} s; saved {path} and {png}")
    if args.sample:
        if trainer.best_params is not None:
            model.load_state_dict(trainer.best_params)
        print("\nsample (temperature 0.8):\n" + sample(model, "\n", args.sample, 0.8, seed=0))
    return 0


def check_output_path(path):
    """Create the checkpoint's folder; a clear error now rather than after the training."""
    if os.path.isdir(path):
        raise ValueError(f"--out {path!r} is a directory; give a file name such as "
                         f"{os.path.join(path, 'charlm.npz')!r}")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--out {path!r}: cannot create its folder ({error.strerror or error})") \
            from None
    if not os.access(directory, os.W_OK):
        raise ValueError(f"--out {path!r}: the folder {directory!r} is not writable")


@contextlib.contextmanager
def compile_notice():
    """Around a block that may compile the Numba kernels: prints COMPILE_NOTICE if the block
    runs longer than NOTICE_AFTER_S (a cold cache). Yields a list that is non-empty then."""
    from rnnkit.train import notice_if_slow

    compiled = []

    def notice():
        compiled.append(True)
        print(COMPILE_NOTICE, file=sys.stderr, flush=True)

    with notice_if_slow(notice, NOTICE_AFTER_S):
        yield compiled


def warm_up_kernels(model, backend, batch_sizes=(1,), backward=False):
    """Run ``model`` once on a 2-character window per batch size (the batch size decides which
    Numba kernel runs: serial or parallel), so that its kernels are compiled, or loaded from the
    disk cache, now: with COMPILE_NOTICE if that is slow, and not in the middle of a timing."""
    import numpy as np

    from rnnkit.losses import softmax_cross_entropy

    if backend != "numba":
        return
    with compile_notice():
        for N in batch_sizes:
            ids = np.zeros((N, 2), dtype=np.int64)
            scores, _ = model.forward(ids)
            if backward:
                model.backward(softmax_cross_entropy(scores, ids)[1])
