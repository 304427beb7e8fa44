"""A performance report for a trained char-level language model.

    report = performance_report(model, val_ids)      # model from rnnkit.train.load_model
    print(format_report(report))

Times are best-of-``repeats`` wall-clock seconds on this machine; the training step includes
the forward, backward, clipping and Adam update on one (N, T) window.
"""
import math
import time

import numpy as np

from rnnkit.analysis.complexity import _array_bytes
from rnnkit.data.text import CharBatches
from rnnkit.losses import softmax_cross_entropy
from rnnkit.model import CharLM
from rnnkit.optim import Adam, clip_grad_norm


def _best_time(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _copy(model):
    c = model.config
    twin = CharLM(c["vocab_size"], c["hidden_size"], c["num_layers"], c["cell"],
                  c["embedding_dim"], dtype=np.dtype(c["dtype"]), backend=model.backend,
                  nonlinearity=c["nonlinearity"], reset_after=c["reset_after"])
    twin.load_state_dict(model.state_dict())
    return twin


def _quality(model, ids, batch_size, seq_len):
    """Loss (nats/char), perplexity and next-character accuracy, read like rnnkit.train.evaluate."""
    batches = CharBatches(ids, min(batch_size, max(1, (len(ids) - 1) // 2)), seq_len)
    state, total, correct, count = None, 0.0, 0, 0
    for x, y in batches:
        scores, state = model.forward(x, state)
        total += softmax_cross_entropy(scores, y)[0] * y.size
        correct += int(np.sum(scores.argmax(axis=2) == y))
        count += y.size
    return total / count, math.exp(min(total / count, 700)), correct / count


def performance_report(model, val_ids, batch_size=32, seq_len=64, repeats=3,
                       latency_steps=50, chars_per_epoch=None, max_val_chars=None):
    """Dict of measurements; ``chars_per_epoch`` (the training text) gives the epoch time."""
    val_ids = np.asarray(val_ids)[:max_val_chars]
    rng = np.random.default_rng(0)
    V = model.vocab_size
    x = rng.integers(0, V, (batch_size, seq_len))
    y = rng.integers(0, V, (batch_size, seq_len))
    twin = _copy(model)  # train on a copy: the report must not change the model
    optimizer = Adam(twin.parameters(), lr=1e-4)

    def train_step():
        scores, _ = twin.forward(x)
        grads = twin.backward(softmax_cross_entropy(scores, y)[1])
        optimizer.step(clip_grad_norm(grads, 5.0)[0])

    train_step()  # warm-up (compiles kernels)
    step_s = _best_time(train_step, repeats)
    forward_s = _best_time(lambda: model.forward(x), repeats)
    cache_bytes = _array_bytes(model.rnn._caches, seen={id(p) for p in model.params.values()})

    one = np.zeros((1, 1), dtype=np.int64)
    state = model.forward(one)[1]

    def steps():
        s = state
        for _ in range(latency_steps):
            s = model.forward(one, s)[1]

    step_latency = _best_time(steps, repeats) / latency_steps
    sequence_latency = _best_time(lambda: model.forward(x[:1]), repeats)

    val_loss, val_ppl, accuracy = _quality(model, val_ids, batch_size, seq_len)
    train_chars_per_s = x.size / step_s
    return {
        "cell": model.cell, "backend": model.backend, "dtype": model.dtype.name,
        "parameters": model.num_parameters(),
        "parameter_bytes": int(sum(p.nbytes for p in model.params.values())),
        "batch_size": batch_size, "seq_len": seq_len,
        "train_step_s": step_s, "train_chars_per_s": train_chars_per_s,
        "epoch_s": None if chars_per_epoch is None else chars_per_epoch / train_chars_per_s,
        "inference_chars_per_s": x.size / forward_s,
        "latency_per_step_s": step_latency,
        "latency_per_sequence_s": sequence_latency,
        "bptt_cache_bytes": cache_bytes,
        "val_chars": len(val_ids), "val_loss": val_loss, "val_ppl": val_ppl,
        "val_accuracy": accuracy,
    }


def format_report(r):
    epoch = "n/a" if r["epoch_s"] is None else f"{r['epoch_s']:.1f} s"
    return "\n".join([
        f"model            {r['cell'].upper()}, {r['parameters']:,} parameters "
        f"({r['parameter_bytes'] / 1e6:.2f} MB), backend {r['backend']}, {r['dtype']}",
        f"training         {r['train_step_s'] * 1e3:.1f} ms per (N={r['batch_size']}, "
        f"T={r['seq_len']}) step = {r['train_chars_per_s']:,.0f} chars/s; epoch {epoch}",
        f"inference        {r['inference_chars_per_s']:,.0f} chars/s batched; latency "
        f"{r['latency_per_step_s'] * 1e6:.0f} µs per character, "
        f"{r['latency_per_sequence_s'] * 1e3:.2f} ms per sequence of {r['seq_len']}",
        f"memory           BPTT activations {r['bptt_cache_bytes'] / 1e6:.2f} MB per step "
        f"(grows with N·T·H)",
        f"quality          validation loss {r['val_loss']:.4f} nats/char, perplexity "
        f"{r['val_ppl']:.2f}, next-character accuracy {r['val_accuracy']:.1%} "
        f"({r['val_chars']:,} chars)",
    ])
