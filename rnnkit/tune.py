"""Hyperparameter search: grid, random, and successive halving, with parallel trials.

    space = {"hidden_size": [64, 128], "lr": [1e-3, 3e-3, 1e-2], "clip": [1.0, 5.0]}
    result = grid_search(space, TrainConfig(max_steps=200), workers=2)
    result.best                  # the trial with the lowest validation loss
    result.to_csv("tune.csv"); result.plot("tune.png")

A trial trains a fresh model with ``max_steps`` steps (the same seed for every trial, so they
differ only in their hyperparameters) and reports its best validation loss. ``trial_fn`` can be
any picklable function config -> dict with "val_loss", which is how the tests use a cheap
synthetic objective.
"""
import csv
import dataclasses
import itertools
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

from rnnkit.train import TrainConfig, Trainer

#: what can be tuned, and the default values of each
SEARCH_SPACE = {
    "hidden_size": [64, 128, 256],
    "lr": [1e-3, 3e-3, 1e-2],
    "clip": [1.0, 5.0],
    "seq_len": [32, 64],
    "batch_size": [16, 32],
}
#: per-process threads: trials run in parallel, so each one should use a single core
_SINGLE_THREAD = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                  "MKL_NUM_THREADS": "1"}


def run_trial(config, backend="numpy"):
    """Train one configuration; returns its metrics (val_loss: the best validation loss)."""
    start = time.perf_counter()
    trainer = Trainer.from_config(config, backend=backend)
    history = trainer.fit(progress=False)
    best = min(history, key=lambda r: r["val_loss"])
    return {"val_loss": best["val_loss"], "val_ppl": best["val_ppl"],
            "train_loss": history[-1]["train_loss"], "steps": trainer.step,
            "seconds": time.perf_counter() - start}


@dataclasses.dataclass
class TuneResult:
    params: list           # names of the tuned hyperparameters
    trials: list           # one dict per trial: params, rung, steps, val_loss, ...
    method: str

    @property
    def best(self):
        """The trial with the lowest validation loss (of the last rung, for halving)."""
        last_rung = max(t["rung"] for t in self.trials)
        return min((t for t in self.trials if t["rung"] == last_rung),
                   key=lambda t: t["val_loss"])

    def to_csv(self, path):
        columns = ["trial", "rung", *self.params, "steps", "val_loss", "val_ppl", "train_loss",
                   "seconds"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.trials)
        return path

    def plot(self, path=None):
        from rnnkit.plots import plot_tuning

        return plot_tuning(self.trials, self.params, path)

    def table(self):
        """The trials as aligned text, best first."""
        columns = ["trial", "rung", *self.params, "steps", "val_loss", "seconds"]
        rows = sorted(self.trials, key=lambda t: (-t["rung"], t["val_loss"]))
        lines = ["  ".join(f"{c:>11}" for c in columns)]
        for t in rows:
            lines.append("  ".join(f"{_fmt(t.get(c)):>11}" for c in columns))
        return "\n".join(lines)


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _check_space(space):
    if not isinstance(space, dict) or not space:
        raise ValueError("space must be a non-empty dict: hyperparameter -> list of values")
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for name, values in space.items():
        if name not in fields:
            raise ValueError(f"unknown hyperparameter {name!r}; "
                             f"tunable: {', '.join(sorted(SEARCH_SPACE))} (or any TrainConfig field)")
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"space[{name!r}] must be a non-empty list of values")


def _run_all(configs, trial_fn, workers, backend, done=None):
    """trial_fn over configs, in a pool of ``workers`` processes (results in order of configs).

    ``done(i, metrics)`` is called as each trial finishes (in the order they finish).
    """
    if workers <= 1 or len(configs) <= 1:
        results = []
        for i, config in enumerate(configs):
            results.append(trial_fn(config, backend))
            if done:
                done(i, results[-1])
        return results
    saved = {k: os.environ.get(k) for k in _SINGLE_THREAD}
    os.environ.update(_SINGLE_THREAD)  # inherited by the spawned workers
    try:
        import multiprocessing

        # spawn, not fork: forking a process whose thread pools (BLAS, numba) are running is unsafe
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(trial_fn, c, backend): i for i, c in enumerate(configs)}
            results = [None] * len(configs)
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                if done:
                    done(i, results[i])
            return results
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _evaluate(points, base, steps, rung, trial_fn, workers, backend, log=None, ids=None):
    """Train every point for ``steps``; returns one record per point. ``log(line)`` hears of
    the rung's start and of every finished trial (ids: the trials' numbers, for the lines)."""
    ids = list(range(len(points))) if ids is None else ids
    configs = [dataclasses.replace(base, max_steps=steps, **p) for p in points]
    finished, start = [], time.perf_counter()

    def done(i, metrics):
        finished.append(i)
        if log:
            point = ", ".join(f"{k}={_fmt(v)}" for k, v in points[i].items())
            log(f"  rung {rung} trial {ids[i]} ({len(finished)}/{len(points)} done, "
                f"{time.perf_counter() - start:.0f} s): {point} -> val loss "
                f"{metrics['val_loss']:.4f}")

    if log:
        log(f"rung {rung}: {len(points)} configuration(s) x {steps} steps")
    metrics = _run_all(configs, trial_fn, workers, backend, done)
    return [{"trial": ids[i], "rung": rung, **p, **m, "steps": m.get("steps", steps)}
            for i, (p, m) in enumerate(zip(points, metrics))]


def grid_search(space, base=None, steps=200, workers=1, backend="numpy", trial_fn=run_trial,
                log=None):
    """Every combination of the values in ``space``. ``log(line)`` (e.g. print) is called as
    each trial finishes."""
    _check_space(space)
    base = base or TrainConfig()
    names = list(space)
    points = [dict(zip(names, values)) for values in itertools.product(*space.values())]
    return TuneResult(names, _evaluate(points, base, steps, 0, trial_fn, workers, backend,
                                       log=log), "grid")


def random_points(space, n_trials, seed=0):
    """n_trials points; each value drawn uniformly from its list, except a ("log", lo, hi) or
    ("uniform", lo, hi) tuple, which is a continuous range (log-uniform suits learning rates)."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(n_trials):
        point = {}
        for name, values in space.items():
            if isinstance(values, tuple) and len(values) == 3 and values[0] in ("log", "uniform"):
                kind, lo, hi = values
                point[name] = float(math.exp(rng.uniform(math.log(lo), math.log(hi)))
                                    if kind == "log" else rng.uniform(lo, hi))
            else:
                value = values[int(rng.integers(len(values)))]
                point[name] = value.item() if isinstance(value, np.generic) else value
        points.append(point)
    return points


def random_search(space, n_trials=10, base=None, steps=200, workers=1, backend="numpy",
                  seed=0, trial_fn=run_trial, log=None):
    """``n_trials`` random points of ``space`` (see random_points); ``log`` as in grid_search."""
    _check_space({k: list(v) if isinstance(v, tuple) else v for k, v in space.items()})
    if n_trials < 1:
        raise ValueError(f"n_trials must be positive, got {n_trials}")
    base = base or TrainConfig()
    points = random_points(space, n_trials, seed)
    return TuneResult(list(space), _evaluate(points, base, steps, 0, trial_fn, workers, backend,
                                             log=log), "random")


def successive_halving(space, n_trials=9, base=None, min_steps=50, eta=3, workers=1,
                       backend="numpy", seed=0, trial_fn=run_trial, log=None):
    """Successive halving (Jamieson & Talwalkar): train n_trials random points for min_steps,
    keep the best 1/eta, train those eta times longer, ... until one is left.

    Each rung trains from scratch with the longer budget, so a trial's result never depends on
    the order in which trials ran. ``log(line)`` (e.g. print) hears of each rung's start and
    each finished trial: a search can run for many minutes.
    """
    _check_space({k: list(v) if isinstance(v, tuple) else v for k, v in space.items()})
    if eta < 2 or n_trials < 1 or min_steps < 1:
        raise ValueError("successive halving needs eta >= 2, n_trials >= 1 and min_steps >= 1")
    base = base or TrainConfig()
    points, steps, rung, trials = random_points(space, n_trials, seed), min_steps, 0, []
    ids = list(range(len(points)))
    while True:
        results = _evaluate(points, base, steps, rung, trial_fn, workers, backend, log=log,
                            ids=ids)
        trials += results
        if len(points) == 1:
            break
        keep = max(1, len(points) // eta)
        order = sorted(range(len(results)), key=lambda i: results[i]["val_loss"])[:keep]
        points, ids = [points[i] for i in order], [ids[i] for i in order]
        steps, rung = steps * eta, rung + 1
    return TuneResult(list(space), trials, "halving")
