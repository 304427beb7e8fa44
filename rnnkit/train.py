"""Train a character-level language model with truncated BPTT, and sample from it.

    config = TrainConfig(hidden_size=128, seq_len=64, max_steps=2000)
    trainer = Trainer.from_config(config)           # loads the corpus, builds model and optimizer
    history = trainer.fit()                         # list of dicts: step, train_loss, val_loss, ...
    print(sample(trainer.model, "def ", 200, temperature=0.8, seed=0))

Truncated BPTT: the corpus is read as N parallel streams in windows of T characters
(rnnkit.data.CharBatches). The hidden state at the end of one window is the initial state of the
next, but the backward pass stops at the window's start, so a step costs O(T) however long the
text is.

A checkpoint (``.npz``) holds the model's state dict, its config, the vocabulary, the optimizer's
state, the carried hidden state and the position in the epoch, so ``Trainer.resume(path)``
continues exactly as if training had never stopped.
"""
import contextlib
import dataclasses
import json
import math
import os
import threading
import time
from dataclasses import dataclass

import numpy as np

from rnnkit.data.text import CharBatches, Vocabulary, load_corpus, split_train_val
from rnnkit.losses import softmax_cross_entropy
from rnnkit.model import CharLM, softmax
from rnnkit.optim import SGD, Adam, clip_grad_norm

SCHEDULES = ("constant", "cosine", "exponential")
OPTIMIZERS = ("adam", "sgd")


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved in every checkpoint)."""

    corpus: str = "pydoc"          # "pydoc" (Python's documentation) or a UTF-8 text file
    cell: str = "lstm"             # rnn | lstm | gru
    hidden_size: int = 256
    num_layers: int = 1
    embedding_dim: int = 64        # 0: one-hot input
    nonlinearity: str = "tanh"     # RNN only
    dtype: str = "float32"
    seq_len: int = 64              # T: characters per window (BPTT truncation length)
    batch_size: int = 32           # N: parallel streams
    optimizer: str = "adam"
    lr: float = 3e-3
    momentum: float = 0.0          # SGD only
    clip: float = 5.0              # max global gradient norm (0: no clipping)
    schedule: str = "cosine"       # constant | cosine (to lr_min) | exponential (x lr_decay/epoch)
    lr_min: float = 1e-4
    lr_decay: float = 0.9
    epochs: int = 20
    max_steps: int = 0             # 0: no limit besides epochs
    max_minutes: float = 0.0       # 0: no time limit
    val_fraction: float = 0.1
    eval_every: int = 200          # steps between validations (and at each epoch's end)
    val_chars: int = 0             # 0: the whole validation text
    patience: int = 0              # validations without improvement before stopping (0: never)
    seed: int = 0

    def validate(self):
        """Raise a ValueError naming the first bad field."""
        from rnnkit._checks import check_choice

        check_choice("cell", self.cell, ("rnn", "lstm", "gru"))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("dtype", self.dtype, ("float32", "float64"))
        check_choice("nonlinearity", self.nonlinearity, ("tanh", "relu"))
        for name in ("hidden_size", "num_layers", "seq_len", "batch_size", "epochs",
                     "eval_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("embedding_dim", "max_steps", "val_chars", "patience"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.clip < 0 or self.max_minutes < 0 or self.momentum < 0 or self.lr_min < 0:
            raise ValueError("clip, max_minutes, momentum and lr_min must be non-negative")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        return self


def prepare_data(config, vocab=None):
    """(vocab, train_ids, val_ids) for config.corpus; a given vocab (from a checkpoint) is kept."""
    text = load_corpus(config.corpus)
    vocab = vocab or Vocabulary.from_text(text)
    train_ids, val_ids = split_train_val(vocab.encode(text), config.val_fraction)
    return vocab, train_ids, val_ids


def build_model(config, vocab_size, backend="numpy"):
    return CharLM(vocab_size, config.hidden_size, config.num_layers, config.cell,
                  config.embedding_dim or None, dtype=np.dtype(config.dtype), backend=backend,
                  seed=config.seed, nonlinearity=config.nonlinearity)


def build_optimizer(config, params):
    if config.optimizer == "adam":
        return Adam(params, lr=config.lr)
    return SGD(params, lr=config.lr, momentum=config.momentum)


def learning_rate(config, progress, epoch):
    """The learning rate at ``progress`` in [0, 1] of the run, during (0-based) ``epoch``."""
    if config.schedule == "cosine":
        progress = min(max(progress, 0.0), 1.0)
        return config.lr_min + 0.5 * (config.lr - config.lr_min) * (1 + math.cos(math.pi * progress))
    if config.schedule == "exponential":
        return config.lr * config.lr_decay ** epoch
    return config.lr


def optimizer_state(optimizer):
    """Arrays and counters that an optimizer needs to continue exactly (name -> array)."""
    state = {"t": np.array(optimizer.t), "lr": np.array(optimizer.lr)}
    for slot in ("m", "v", "velocity"):
        for name, a in getattr(optimizer, slot, {}).items():
            state[f"{slot}/{name}"] = a.copy()
    return state


def load_optimizer_state(optimizer, state):
    optimizer.t, optimizer.lr = int(state["t"]), float(state["lr"])
    for key, value in state.items():
        if "/" in key:
            slot, name = key.split("/", 1)
            getattr(optimizer, slot)[name][...] = value


@contextlib.contextmanager
def notice_if_slow(notice, after_s=2.0):
    """Call ``notice()`` (once, from a timer thread) if the block runs longer than ``after_s``
    seconds: e.g. to say that Numba is compiling, which only a cold cache makes slow."""
    timer = threading.Timer(after_s, notice)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class Trainer:
    """Truncated-BPTT training of a CharLM with validation, early stopping and checkpoints."""

    def __init__(self, model, vocab, train_ids, val_ids, config, checkpoint=None):
        self.model, self.vocab, self.config = model, vocab, config.validate()
        model.vocab = vocab
        self.batches = CharBatches(train_ids, config.batch_size, config.seq_len)
        self.val_ids = val_ids if not config.val_chars else val_ids[:config.val_chars]
        self.optimizer = build_optimizer(config, model.parameters())
        self.checkpoint = checkpoint
        steps = config.epochs * len(self.batches)
        self.total_steps = min(steps, config.max_steps) if config.max_steps else steps
        # progress: everything below is saved in a checkpoint
        self.step, self.epoch, self.batch_index = 0, 0, 0
        self.state = model.initial_state(config.batch_size)
        self.loss_sum, self.loss_count = 0.0, 0
        self.best_val, self.bad_evals, self.stopped = math.inf, 0, False
        self.best_params = None
        self.history = []
        self.elapsed = 0.0

    @classmethod
    def from_config(cls, config, backend="numpy", checkpoint=None):
        vocab, train_ids, val_ids = prepare_data(config.validate())
        model = build_model(config, len(vocab), backend)
        return cls(model, vocab, train_ids, val_ids, config, checkpoint)

    # one step ------------------------------------------------------------------------------
    def train_step(self, x, y):
        """Forward, backward, clip, update on one window; carries the state. Returns the loss."""
        config = self.config
        scores, state = self.model.forward(x, self.state)
        loss, dscores = softmax_cross_entropy(scores, y)
        if not np.isfinite(loss):
            raise FloatingPointError(f"the training loss became {loss} at step {self.step}; "
                                     "try a smaller lr or a clip threshold")
        grads = self.model.backward(dscores)
        if config.clip:
            grads, _ = clip_grad_norm(grads, config.clip)
        self.optimizer.lr = learning_rate(config, self.progress(), self.epoch)
        self.optimizer.step(grads)
        self.state = state  # carried to the next window; its gradient was not propagated
        self.step += 1
        return loss

    def progress(self):
        """How far the run is, in [0, 1]: by steps, or by time when that limit comes first.

        (With a time limit the schedule depends on the machine's speed, so such a run is not
        bit-for-bit reproducible; without one it is.)
        """
        progress = self.step / max(self.total_steps, 1)
        if self.config.max_minutes:
            progress = max(progress, self.elapsed / (60 * self.config.max_minutes))
        return progress

    def expected_total_steps(self, steps_per_s):
        """The step at which this run will end: total_steps, or earlier when the time limit
        (max_minutes) comes first at ``steps_per_s``. The progress bar's total."""
        if not self.config.max_minutes or not steps_per_s > 0:
            return self.total_steps
        left_s = max(60 * self.config.max_minutes - self.elapsed, 0.0)
        return min(self.total_steps, self.step + math.ceil(left_s * steps_per_s))

    def warm_up(self):
        """One forward and backward pass on a training window, without an update, so that the
        backend's kernels are ready before the clock starts (Numba compiles them on the first
        run, ~1 min, and loads them from its disk cache in well under a second afterwards).
        Returns the seconds it took."""
        start = time.perf_counter()
        x, y = self.batches[0]
        scores, _ = self.model.forward(x, self.model.initial_state(self.config.batch_size))
        self.model.backward(softmax_cross_entropy(scores, y)[1])
        return time.perf_counter() - start

    def evaluate(self, ids=None):
        """(mean loss in nats/char, perplexity) of the model on ids (default: validation text)."""
        ids = self.val_ids if ids is None else ids
        return evaluate(self.model, ids, self.config.batch_size, self.config.seq_len)

    # the loop -------------------------------------------------------------------------------
    def fit(self, progress=True, log=None, stop_after=None):
        """Train until epochs/max_steps/max_minutes or early stopping; returns the history.

        ``log(record)`` is called after every validation (e.g. print). ``stop_after`` pauses
        at that step (the config, and so the schedule, are unchanged: save() and resume()
        then continue the same run). The best validated parameters stay in ``best_params``.
        """
        from tqdm.auto import tqdm

        config = self.config
        # with a time limit the bar's total is the step the limit will stop at, estimated from
        # the speed so far (unknown until the first step has been timed)
        bar = tqdm(total=None if config.max_minutes else self.total_steps, initial=self.step,
                   disable=not progress, unit="step", dynamic_ncols=True)
        start, chars_since, timer = time.perf_counter(), 0, time.perf_counter()
        start_elapsed, start_step = self.elapsed, self.step
        try:
            last = self.total_steps if stop_after is None else min(stop_after, self.total_steps)
            out_of_time = False
            while self.step < last and not self.stopped:
                if config.max_minutes and self.elapsed >= 60 * config.max_minutes:
                    out_of_time = True
                    break
                x, y = self.batches[self.batch_index]
                loss = self.train_step(x, y)
                self.loss_sum += loss
                self.loss_count += 1
                chars_since += x.size
                self.batch_index += 1
                end_of_epoch = self.batch_index == len(self.batches)
                if end_of_epoch:
                    # the streams start again from the beginning: so does the state
                    self.epoch, self.batch_index = self.epoch + 1, 0
                    self.state = self.model.initial_state(config.batch_size)
                self.elapsed = start_elapsed + time.perf_counter() - start
                now = time.perf_counter()
                chars_per_s = chars_since / max(now - timer, 1e-9)
                if config.max_minutes:
                    steps_per_s = (self.step - start_step) / max(self.elapsed - start_elapsed,
                                                                 1e-9)
                    bar.total = self.expected_total_steps(steps_per_s)
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", chars_s=f"{chars_per_s:,.0f}",
                                refresh=False)
                if (self.step % config.eval_every == 0 or end_of_epoch
                        or self.step == self.total_steps):
                    record = self._validate(chars_per_s)
                    bar.set_postfix(loss=f"{loss:.3f}", val=f"{record['val_loss']:.3f}",
                                    chars_s=f"{chars_per_s:,.0f}")
                    if log:
                        log(record)
                    chars_since, timer = 0, time.perf_counter()
            if out_of_time:
                bar.total = self.step  # the bar ends full where the time limit stopped the run
                bar.refresh()
            validated = self.history and self.history[-1]["step"] == self.step
            if out_of_time and self.step and not validated:
                # the time limit ended the run between validations: validate its final state
                record = self._validate(chars_since / max(time.perf_counter() - timer, 1e-9))
                if log:
                    log(record)
        finally:
            bar.close()
        return self.history

    def _validate(self, chars_per_s):
        val_loss, val_ppl = self.evaluate()
        record = {"step": self.step, "epoch": self.epoch + self.batch_index / len(self.batches),
                  "train_loss": self.loss_sum / max(self.loss_count, 1), "val_loss": val_loss,
                  "val_ppl": val_ppl, "lr": self.optimizer.lr, "elapsed_s": self.elapsed,
                  "chars_per_s": chars_per_s}
        self.history.append(record)
        self.loss_sum, self.loss_count = 0.0, 0
        if val_loss < self.best_val:
            self.best_val, self.bad_evals = val_loss, 0
            self.best_params = self.model.state_dict()
        else:
            self.bad_evals += 1
            if self.config.patience and self.bad_evals >= self.config.patience:
                self.stopped = True
        if self.checkpoint:
            self.save(self.checkpoint)
        return record

    # checkpoints ----------------------------------------------------------------------------
    def save(self, path):
        """Write an ``.npz`` checkpoint (atomically: a crash never leaves half a file)."""
        arrays = {f"model/{k}": v for k, v in self.model.state_dict().items()}
        if self.best_params is not None:
            arrays.update({f"best/{k}": v for k, v in self.best_params.items()})
        arrays.update({f"optim/{k}": v for k, v in optimizer_state(self.optimizer).items()})
        h, c = self.state
        arrays["state/h"] = h
        if c is not None:
            arrays["state/c"] = c
        progress = {"step": self.step, "epoch": self.epoch, "batch_index": self.batch_index,
                    "loss_sum": self.loss_sum, "loss_count": self.loss_count,
                    "best_val": self.best_val if math.isfinite(self.best_val) else None,
                    "bad_evals": self.bad_evals, "stopped": self.stopped,
                    "elapsed": self.elapsed, "history": self.history}
        arrays["config"] = np.array(json.dumps(dataclasses.asdict(self.config)))
        arrays["model_config"] = np.array(json.dumps(self.model.config))
        arrays["vocab"] = np.array(self.vocab.to_string())
        arrays["progress"] = np.array(json.dumps(progress))
        path = os.fspath(path)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
        return path

    @classmethod
    def resume(cls, path, backend="numpy", checkpoint=None, **overrides):
        """A Trainer that continues from ``path`` exactly where it stopped.

        ``overrides`` change config fields (e.g. epochs=30 to train longer).
        """
        data = _load_npz(path, CHECKPOINT_KEYS + ("progress", "state/h", "optim/t"))
        config = TrainConfig(**{**json.loads(str(data["config"])), **overrides})
        vocab = Vocabulary(str(data["vocab"]))
        vocab, train_ids, val_ids = prepare_data(config, vocab)
        model = build_model(config, len(vocab), backend)
        model.load_state_dict(_prefixed(data, "model/"))
        trainer = cls(model, vocab, train_ids, val_ids, config, checkpoint or os.fspath(path))
        load_optimizer_state(trainer.optimizer, _prefixed(data, "optim/"))
        best = _prefixed(data, "best/")
        trainer.best_params = best or None
        trainer.state = (data["state/h"], data["state/c"] if "state/c" in data else None)
        progress = json.loads(str(data["progress"]))
        for key in ("step", "epoch", "batch_index", "loss_sum", "loss_count", "bad_evals",
                    "stopped", "elapsed", "history"):
            setattr(trainer, key, progress[key])
        trainer.best_val = math.inf if progress["best_val"] is None else progress["best_val"]
        return trainer


#: what every checkpoint holds (resume also needs the optimizer state and the progress)
CHECKPOINT_KEYS = ("config", "model_config", "vocab", "model/fc.weight")
ZIP_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive of .npy files


def _load_npz(path, required=CHECKPOINT_KEYS):
    """Every array of the checkpoint at ``path`` (name -> array).

    A damaged file raises a ValueError that names it and says what is wrong, instead of a
    zipfile traceback or numpy's misleading "pickled data" message (np.load reads any file
    that is not a zip or .npy archive as a pickle).
    """
    import zipfile

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint {path!r} does not exist")
    with open(path, "rb") as f:
        head = f.read(len(ZIP_MAGIC))
    size = os.path.getsize(path)
    if size == 0:
        raise ValueError(f"checkpoint {path!r} is empty (0 bytes)")
    if head != ZIP_MAGIC:
        raise ValueError(f"checkpoint {path!r} is not an .npz file from `rnnkit train` (it does "
                         f"not start like a zip archive: first bytes {head!r})")
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise ValueError(f"checkpoint {path!r} ({size:,} bytes) is truncated or corrupt and "
                         f"cannot be read ({type(error).__name__}: {error}); was it cut off "
                         "while being written or copied?") from None
    for key in required:
        if key not in data:
            raise ValueError(f"{path!r} is not an rnnkit checkpoint (no {key!r})")
    for key in ("config", "model_config", "progress"):
        if key in data:
            try:
                json.loads(str(data[key]))
            except ValueError:
                raise ValueError(f"checkpoint {path!r} is corrupt: its {key!r} is not valid "
                                 "JSON") from None
    return data


def _prefixed(data, prefix):
    return {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}


def load_model(path, backend="numpy", best=True):
    """The model saved in a checkpoint (its best validated parameters if ``best``), with .vocab."""
    data = _load_npz(path)
    cfg = json.loads(str(data["model_config"]))
    model = CharLM(cfg["vocab_size"], cfg["hidden_size"], cfg["num_layers"], cfg["cell"],
                   cfg["embedding_dim"], dtype=np.dtype(cfg["dtype"]), backend=backend,
                   nonlinearity=cfg["nonlinearity"], reset_after=cfg["reset_after"])
    params = _prefixed(data, "best/") if best else {}
    model.load_state_dict(params or _prefixed(data, "model/"))
    model.vocab = Vocabulary(str(data["vocab"]))
    return model


def load_config(path):
    """The TrainConfig a checkpoint was trained with."""
    return TrainConfig(**json.loads(str(_load_npz(path)["config"])))


def load_history(path):
    """The validation records (dicts, as Trainer.fit returns) saved in a checkpoint; [] if none."""
    data = _load_npz(path)
    return json.loads(str(data["progress"]))["history"] if "progress" in data else []


def evaluate(model, ids, batch_size=32, seq_len=64):
    """Mean cross-entropy (nats per character) and perplexity of ``model`` on ``ids``.

    The text is read like training data (N streams, carried state) but without gradients.
    """
    batches = CharBatches(ids, min(batch_size, max(1, (len(ids) - 1) // 2)), seq_len)
    state, total, count = None, 0.0, 0
    for x, y in batches:
        scores, state = model.forward(x, state)
        loss, _ = softmax_cross_entropy(scores, y)
        total += loss * y.size
        count += y.size
    mean = total / count
    return mean, math.exp(min(mean, 700))


def sample(model, prefix, n, temperature=1.0, seed=None, vocab=None, return_probs=False):
    """Generate ``n`` characters after ``prefix`` (returned without the prefix).

    temperature scales the scores before the softmax: 1 samples the model's distribution,
    < 1 is more conservative, and 0 is greedy (always the most likely character).
    With return_probs, also the probability the model gave each generated character.
    """
    vocab = vocab or model.vocab
    if vocab is None:
        raise ValueError("the model has no vocabulary: pass vocab= (a rnnkit.data.Vocabulary)")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy), got {temperature}")
    if not prefix:
        prefix = "\n" if "\n" in vocab.index else vocab.chars[0]
    rng = np.random.default_rng(seed)
    # read the prefix in one forward pass, then feed one character at a time
    scores, state = model.forward(vocab.encode(prefix)[None, :])
    last = scores[0, -1].astype(np.float64)
    out, probs = [], []
    for _ in range(n):
        if temperature == 0:
            p = softmax(last)
            i = int(np.argmax(last))
        else:
            p = softmax(last, temperature)
            i = int(rng.choice(len(p), p=p))
        out.append(i)
        probs.append(float(p[i]))
        scores, state = model.forward(np.array([[i]]), state)
        last = scores[0, -1].astype(np.float64)
    text = vocab.decode(out)
    return (text, np.array(probs)) if return_probs else text
