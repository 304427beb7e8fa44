"""The adding problem: can a recurrent layer remember two numbers over T steps?

Model: a recurrent layer (RNN, LSTM or GRU) reads x (N, T, 2); a Linear layer maps its last
hidden state to the prediction of y (N, 1); the loss is the mean squared error. Predicting the
mean scores MSE ≈ 0.167; "solved" means a test MSE below 0.01. Every step draws a fresh batch.

    result = train_adding("lstm", T=100, steps=3000)
    result["test_mse"], result["solved"], result["history"]
"""
import time

import numpy as np

from rnnkit.data import adding_problem
from rnnkit.layers import GRU, LSTM, RNN, Linear
from rnnkit.losses import mse_loss
from rnnkit.optim import Adam, clip_grad_norm

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class SequenceRegressor:
    """Recurrent layer + Linear on the last hidden state."""

    def __init__(self, cell, input_size, hidden_size, output_size=1, backend="numpy",
                 dtype=np.float32, seed=0, forget_bias=1.0):
        self.cell, self.dtype = cell, np.dtype(dtype)
        self.rnn = LAYERS[cell](input_size, hidden_size, dtype=dtype, backend=backend, seed=seed)
        self.head = Linear(hidden_size, output_size, dtype=dtype, seed=seed + 1)
        if cell == "lstm" and forget_bias:
            # start with the forget gate open (σ(1) ≈ 0.73), a standard trick for long memory
            H = hidden_size
            self.rnn.params["bias_ih_l0"][H:2 * H] += forget_bias
        self.params = {f"rnn.{k}": v for k, v in self.rnn.parameters().items()}
        self.params.update({f"head.{k}": v for k, v in self.head.parameters().items()})

    def forward(self, x):
        out = self.rnn.forward(x.astype(self.dtype))[0]
        self._T = out.shape[1]
        return self.head.forward(out[:, -1])

    def backward(self, dpred):
        d_last = self.head.backward(dpred)
        d_out = np.zeros((d_last.shape[0], self._T, d_last.shape[1]), dtype=self.dtype)
        d_out[:, -1] = d_last  # only the last hidden state feeds the prediction
        self.rnn.backward(d_out)
        grads = {f"rnn.{k}": v for k, v in self.rnn.grads.items()}
        grads.update({f"head.{k}": v for k, v in self.head.grads.items()})
        return grads


def train_adding(cell, T=100, hidden_size=64, steps=3000, batch_size=64, lr=2e-3, clip=1.0,
                 backend="numpy", dtype=np.float32, seed=0, eval_every=100, n_test=500,
                 target=0.01, max_seconds=None, progress=False):
    """Train on the adding problem; stops early once the test MSE is below ``target``.

    Returns dict: cell, T, history [(step, test_mse)], test_mse, solved, steps, seconds, model.
    """
    model = SequenceRegressor(cell, 2, hidden_size, backend=backend, dtype=dtype, seed=seed)
    optimizer = Adam(model.params, lr=lr)
    x_test, y_test = adding_problem(n_test, T, seed=10_000 + seed)
    rng_seeds = np.random.default_rng(seed)
    history, start = [], time.perf_counter()

    def test_mse():
        return float(np.mean((model.forward(x_test) - y_test) ** 2))

    from tqdm.auto import tqdm

    bar = tqdm(range(1, steps + 1), disable=not progress, desc=f"{cell} T={T}", unit="step")
    mse, step = test_mse(), 0
    history.append((0, mse))
    for step in bar:
        x, y = adding_problem(batch_size, T, seed=int(rng_seeds.integers(2**31)))
        pred = model.forward(x)
        _, dpred = mse_loss(pred, y.astype(model.dtype))
        grads = model.backward(dpred.astype(model.dtype))
        if clip:
            grads, _ = clip_grad_norm(grads, clip)
        optimizer.step(grads)
        if step % eval_every == 0 or step == steps:
            mse = test_mse()
            history.append((step, mse))
            bar.set_postfix(test_mse=f"{mse:.4f}")
            if mse < target or (max_seconds and time.perf_counter() - start > max_seconds):
                break
    bar.close()
    return {"cell": cell, "T": T, "history": history, "test_mse": mse, "solved": mse < target,
            "steps": step, "seconds": time.perf_counter() - start, "model": model}


def train_regressor(cell, x_train, y_train, x_val, y_val, hidden_size=32, epochs=20,
                    batch_size=32, lr=3e-3, clip=1.0, backend="numpy", dtype=np.float32, seed=0):
    """Sequence-to-one regression on fixed windows (e.g. rnnkit.data.make_windows of a series).

    x (M, T, D), y (M, K). Shuffles the training windows every epoch; returns dict: history
    [(epoch, train_mse, val_mse)], val_mse, model.
    """
    x_train, y_train = np.asarray(x_train), np.asarray(y_train)
    if x_train.ndim != 3 or y_train.ndim != 2 or len(x_train) != len(y_train):
        raise ValueError(f"x_train must be (M, T, D) and y_train (M, K) with the same M, got "
                         f"{x_train.shape} and {y_train.shape}")
    model = SequenceRegressor(cell, x_train.shape[2], hidden_size, y_train.shape[1],
                              backend=backend, dtype=dtype, seed=seed)
    optimizer = Adam(model.params, lr=lr)
    rng = np.random.default_rng(seed)

    def mse(x, y):
        return float(np.mean((model.forward(x) - y) ** 2))

    history = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            _, dpred = mse_loss(model.forward(x_train[batch]), y_train[batch].astype(model.dtype))
            grads = model.backward(dpred.astype(model.dtype))
            optimizer.step(clip_grad_norm(grads, clip)[0] if clip else grads)
        history.append((epoch, mse(x_train, y_train), mse(x_val, y_val)))
    return {"history": history, "val_mse": history[-1][2], "model": model}
