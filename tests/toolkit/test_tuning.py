"""rnnkit.tune: every method returns the best trial; CSV and plot; process pool."""
import csv

import pytest

from rnnkit import tune
from rnnkit.train import TrainConfig


def quadratic_trial(config, backend="numpy"):
    """A cheap synthetic objective, best at hidden_size=64, lr=1e-2; longer budgets help."""
    import math

    loss = (math.log10(config.lr) + 2) ** 2 + (config.hidden_size / 64 - 1) ** 2
    return {"val_loss": loss + 1.0 / config.max_steps, "val_ppl": math.exp(loss)}


SPACE = {"hidden_size": [32, 64, 128], "lr": [1e-3, 1e-2, 1e-1]}


def test_grid_search_tries_every_point_and_returns_the_best(tmp_path):
    result = tune.grid_search(SPACE, steps=10, trial_fn=quadratic_trial)
    assert len(result.trials) == 9
    assert {(t["hidden_size"], t["lr"]) for t in result.trials} == {
        (h, lr) for h in SPACE["hidden_size"] for lr in SPACE["lr"]}
    assert (result.best["hidden_size"], result.best["lr"]) == (64, 1e-2)
    assert result.best["val_loss"] == min(t["val_loss"] for t in result.trials)
    path = result.to_csv(tmp_path / "t.csv")
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == 9 and {"hidden_size", "lr", "val_loss"} <= set(rows[0])
    result.plot(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_random_search_with_a_log_range_is_seeded():
    space = {"hidden_size": [32, 64], "lr": ("log", 1e-4, 1e-1)}
    a = tune.random_search(space, 12, steps=5, seed=3, trial_fn=quadratic_trial)
    b = tune.random_search(space, 12, steps=5, seed=3, trial_fn=quadratic_trial)
    assert [t["lr"] for t in a.trials] == [t["lr"] for t in b.trials]
    assert all(1e-4 <= t["lr"] <= 1e-1 for t in a.trials)
    assert a.best == min(a.trials, key=lambda t: t["val_loss"])


def test_successive_halving_keeps_the_best_and_grows_the_budget():
    result = tune.successive_halving(SPACE, n_trials=9, min_steps=10, eta=3, seed=0,
                                     trial_fn=quadratic_trial)
    rungs = [[t for t in result.trials if t["rung"] == r] for r in range(3)]
    assert [len(r) for r in rungs] == [9, 3, 1]
    assert [r[0]["steps"] for r in rungs] == [10, 30, 90]
    best_first = sorted(rungs[0], key=lambda t: t["val_loss"])[:3]
    assert {t["trial"] for t in rungs[1]} == {t["trial"] for t in best_first}
    assert result.best == rungs[2][0]
    assert result.best["val_loss"] - 1 / 90 == pytest.approx(min(
        t["val_loss"] - 1 / 10 for t in rungs[0]))


def test_real_trials_in_a_process_pool(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("abcabcabd " * 100, encoding="utf-8")
    base = TrainConfig(corpus=str(path), embedding_dim=4, seq_len=8, batch_size=4,
                       eval_every=5, dtype="float64")
    space = {"hidden_size": [4, 8], "lr": [1e-2]}
    serial = tune.grid_search(space, base, steps=10, workers=1)
    parallel = tune.grid_search(space, base, steps=10, workers=2)
    assert [t["val_loss"] for t in serial.trials] == [t["val_loss"] for t in parallel.trials]
    assert serial.best["val_loss"] == min(t["val_loss"] for t in serial.trials)


def test_bad_spaces_are_named():
    with pytest.raises(ValueError, match="hidden_sise"):
        tune.grid_search({"hidden_sise": [1]}, trial_fn=quadratic_trial)
    with pytest.raises(ValueError, match="non-empty"):
        tune.grid_search({"lr": []}, trial_fn=quadratic_trial)
    with pytest.raises(ValueError, match="eta"):
        tune.successive_halving(SPACE, eta=1, trial_fn=quadratic_trial)
