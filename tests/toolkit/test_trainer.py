"""rnnkit.train: truncated BPTT training, exact resume, early stopping, sampling, optimizers."""
import dataclasses

import numpy as np
import pytest

from rnnkit.model import CharLM
from rnnkit.optim import SGD, Adam, clip_grad_norm
from rnnkit.train import TrainConfig, Trainer, learning_rate, load_model, sample

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def small_config(corpus, **changes):
    base = dict(corpus=corpus, hidden_size=16, embedding_dim=8, seq_len=8, batch_size=4,
                epochs=2, eval_every=5, lr=1e-2, dtype="float64", val_fraction=0.1)
    return TrainConfig(**{**base, **changes})


def test_training_lowers_the_loss(corpus):
    trainer = Trainer.from_config(small_config(corpus, epochs=3))
    history = trainer.fit(progress=False)
    assert history[-1]["val_loss"] < history[0]["val_loss"] - 0.5
    assert history[-1]["step"] == trainer.total_steps == 3 * len(trainer.batches)
    assert set(history[0]) >= {"step", "train_loss", "val_loss", "val_ppl", "lr", "chars_per_s"}
    assert np.isclose(history[-1]["val_ppl"], np.exp(history[-1]["val_loss"]))


@pytest.mark.parametrize("optimizer,schedule", [("adam", "cosine"), ("sgd", "exponential")])
def test_resumed_training_equals_uninterrupted(corpus, tmp_path, optimizer, schedule):
    config = small_config(corpus, optimizer=optimizer, schedule=schedule, momentum=0.9, clip=0.5)
    full = Trainer.from_config(config)
    full.fit(progress=False)

    first = Trainer.from_config(config)
    stop = len(first.batches) + 3  # mid-epoch, with a carried state, after a validation
    first.fit(progress=False, stop_after=stop)
    path = first.save(tmp_path / "ck.npz")
    second = Trainer.resume(path)
    assert second.step == stop and second.state[0].shape == (1, 4, 16)
    second.fit(progress=False)

    for name, p in full.model.parameters().items():
        assert np.array_equal(second.model.parameters()[name], p), name
    strip = [{k: v for k, v in r.items() if k not in ("elapsed_s", "chars_per_s")}
             for r in full.history]
    assert [{k: v for k, v in r.items() if k not in ("elapsed_s", "chars_per_s")}
            for r in second.history] == strip


def test_early_stopping(corpus):
    # lr so large the validation loss cannot keep improving: stops after `patience` bad evals
    trainer = Trainer.from_config(small_config(corpus, lr=5.0, clip=0, patience=2, epochs=20,
                                               eval_every=2, schedule="constant"))
    trainer.fit(progress=False)
    assert trainer.stopped and trainer.step < trainer.total_steps
    assert trainer.bad_evals == 2


def test_bad_config_is_named(corpus):
    for change, word in [({"cell": "tcn"}, "cell"), ({"lr": -1.0}, "lr"),
                         ({"seq_len": 0}, "seq_len"), ({"schedule": "warm"}, "schedule"),
                         ({"val_fraction": 1.0}, "val_fraction")]:
        with pytest.raises(ValueError, match=word):
            Trainer.from_config(small_config(corpus, **change))


def test_learning_rate_schedules():
    config = TrainConfig(lr=1.0, lr_min=0.0, schedule="cosine")
    assert learning_rate(config, 0.0, 0) == 1.0
    assert np.isclose(learning_rate(config, 0.5, 3), 0.5)
    assert np.isclose(learning_rate(config, 1.0, 9), 0.0)
    config = dataclasses.replace(config, schedule="exponential", lr_decay=0.5)
    assert learning_rate(config, 0.3, 2) == 0.25


def test_sample_is_reproducible_and_greedy_at_zero_temperature(corpus, tmp_path):
    trainer = Trainer.from_config(small_config(corpus, epochs=1), checkpoint=tmp_path / "m.npz")
    trainer.fit(progress=False)
    model = trainer.model
    a = sample(model, "the ", 40, temperature=1.0, seed=7)
    assert len(a) == 40 and a == sample(model, "the ", 40, temperature=1.0, seed=7)
    greedy = sample(model, "the ", 40, temperature=0)
    assert greedy == sample(model, "the ", 40, temperature=1e-4, seed=3)
    assert greedy == sample(model, "the ", 40, temperature=0, seed=99)
    text, probs = sample(model, "the ", 10, 0.5, seed=1, return_probs=True)
    assert probs.shape == (10,) and np.all((probs > 0) & (probs <= 1))
    loaded = load_model(tmp_path / "m.npz")
    assert sample(loaded, "the ", 20, 0) == sample(
        _with(model, trainer.best_params), "the ", 20, 0)
    with pytest.raises(ValueError, match="temperature"):
        sample(model, "the ", 5, temperature=-1)
    with pytest.raises(ValueError, match="vocab"):
        sample(CharLM(5, 4), "a", 5)


def _with(model, params):
    model.load_state_dict(params)
    return model


def test_nan_loss_is_reported(corpus):
    trainer = Trainer.from_config(small_config(corpus))
    trainer.model.parameters()["fc.bias"][0] = np.inf
    with pytest.raises((FloatingPointError, ValueError), match="inf|nan|NaN"):
        trainer.fit(progress=False)


@pytest.mark.torch
def test_optimizers_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for make_ours, make_torch in [
        (lambda p: Adam(p, lr=0.01), lambda t: torch.optim.Adam(t, lr=0.01)),
        (lambda p: SGD(p, lr=0.1, momentum=0.9), lambda t: torch.optim.SGD(t, lr=0.1, momentum=0.9)),
    ]:
        params = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
        tparams = [torch.tensor(params[k].copy(), requires_grad=True) for k in ("w", "b")]
        ours, theirs = make_ours(params), make_torch(tparams)
        for _ in range(5):
            grads = {"w": rng.standard_normal((3, 4)) * 10, "b": rng.standard_normal(4) * 10}
            clipped, _ = clip_grad_norm(grads, 1.0)
            for t, k in zip(tparams, ("w", "b")):
                t.grad = torch.tensor(grads[k].copy())
            torch.nn.utils.clip_grad_norm_(tparams, 1.0)
            ours.step(clipped)
            theirs.step()
        for t, k in zip(tparams, ("w", "b")):
            assert np.allclose(params[k], t.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_time_limit_stops_training_and_drives_the_schedule(corpus):
    trainer = Trainer.from_config(small_config(corpus, max_minutes=0.002, epochs=1000,
                                               eval_every=10_000))
    history = trainer.fit(progress=False)
    assert 0 < trainer.step < trainer.total_steps
    assert history[-1]["step"] == trainer.step  # the final state is validated
    assert trainer.elapsed >= 0.12 and trainer.progress() >= 1.0
    assert trainer.optimizer.lr < 0.5 * trainer.config.lr  # the cosine ran (nearly) to its end
