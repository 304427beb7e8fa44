"""A character-level language model: ids -> embedding (or one-hot) -> RNN/LSTM/GRU -> Linear.

    model = CharLM(vocab_size=100, hidden_size=128, cell="lstm", backend="numba")
    scores, state = model.forward(x_ids)            # x_ids (N, T) ints -> scores (N, T, V)
    loss, dscores = softmax_cross_entropy(scores, y_ids)
    grads = model.backward(dscores)                 # name -> gradient, like model.parameters()

``state`` is what the recurrent layer ended with ((h_n, c_n) for the LSTM, (h_n, None) else);
pass it back to the next forward to carry the hidden state across windows (truncated BPTT).
The backward then stops at the window's start: no gradient flows into the carried state.
"""
import numpy as np

from rnnkit._checks import check_choice
from rnnkit.layers import GRU, LSTM, RNN, Linear

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class CharLM:
    """Embedding (E = embedding_dim) or one-hot input (embedding_dim=None), a stacked
    recurrent layer of ``num_layers`` x ``hidden_size`` units, and a Linear layer to the
    vocabulary's scores (a softmax over them gives the next character's probabilities)."""

    def __init__(self, vocab_size, hidden_size=128, num_layers=1, cell="lstm", embedding_dim=None,
                 *, dtype=np.float32, backend="numpy", seed=0, nonlinearity="tanh",
                 reset_after=True):
        check_choice("cell", cell, tuple(CELLS))
        if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 2:
            raise ValueError(f"vocab_size must be an integer >= 2, got {vocab_size!r}")
        if embedding_dim is not None and (not isinstance(embedding_dim, (int, np.integer))
                                          or embedding_dim < 1):
            raise ValueError(f"embedding_dim must be a positive integer or None (one-hot), "
                             f"got {embedding_dim!r}")
        self.config = dict(vocab_size=int(vocab_size), hidden_size=int(hidden_size),
                           num_layers=int(num_layers), cell=cell,
                           embedding_dim=None if embedding_dim is None else int(embedding_dim),
                           dtype=np.dtype(dtype).name, nonlinearity=nonlinearity,
                           reset_after=bool(reset_after))
        self.vocab_size, self.cell, self.dtype = vocab_size, cell, np.dtype(dtype)
        self.vocab = None  # a rnnkit.data.Vocabulary, set by the trainer or a checkpoint
        rng = np.random.default_rng(seed)
        input_size = vocab_size if embedding_dim is None else embedding_dim
        self.embedding = None
        if embedding_dim is not None:
            # N(0, 1) like torch.nn.Embedding
            self.embedding = rng.standard_normal((vocab_size, embedding_dim)).astype(self.dtype)
        options = {"nonlinearity": nonlinearity} if cell == "rnn" else (
            {"reset_after": reset_after} if cell == "gru" else {})
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, dtype=dtype, backend=backend,
                               seed=int(rng.integers(2**31)), **options)
        self.fc = Linear(hidden_size, vocab_size, dtype=dtype, seed=int(rng.integers(2**31)))
        # one flat dict of the very arrays the layers use, so an optimizer updates them in place
        self.params = {f"rnn.{k}": v for k, v in self.rnn.parameters().items()}
        self.params.update({f"fc.{k}": v for k, v in self.fc.parameters().items()})
        if self.embedding is not None:
            self.params["embedding.weight"] = self.embedding
        self._ids = None

    @property
    def backend(self):
        return self.rnn.backend

    def parameters(self):
        return self.params

    def num_parameters(self):
        return int(sum(p.size for p in self.params.values()))

    def state_dict(self):
        return {name: p.copy() for name, p in self.params.items()}

    def load_state_dict(self, state):
        missing = sorted(set(self.params) - set(state))
        unexpected = sorted(set(state) - set(self.params))
        if missing or unexpected:
            raise KeyError(f"state dict does not match: missing {missing}, unexpected {unexpected}")
        for name, p in self.params.items():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(f"{name} must have shape {p.shape}, got {value.shape}")
            p[...] = value

    def initial_state(self, N):
        L, H = self.rnn.num_layers, self.rnn.hidden_size
        zeros = np.zeros((L, N, H), dtype=self.dtype)
        return (zeros, zeros.copy() if self.cell == "lstm" else None)

    def _inputs(self, ids):
        if self.embedding is None:
            return np.eye(self.vocab_size, dtype=self.dtype)[ids]  # one-hot (N, T, V)
        return self.embedding[ids]                                  # (N, T, E)

    def forward(self, ids, state=None):
        """ids (N, T) ints in [0, V) -> scores (N, T, V), state (h_n, c_n) of (L, N, H)."""
        ids = np.asarray(ids)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be a 2-d integer array (N, T), got {ids.dtype} {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"ids must lie in [0, vocab_size) = [0, {self.vocab_size})")
        h0, c0 = state if state is not None else (None, None)
        x = self._inputs(ids)
        if self.cell == "lstm":
            out, h_n, c_n = self.rnn.forward(x, h0, c0)
        else:
            out, h_n = self.rnn.forward(x, h0)
            c_n = None
        self._ids = ids
        return self.fc.forward(out), (h_n, c_n)

    def backward(self, dscores):
        """dscores (N, T, V) -> gradients (dict with the names of parameters())."""
        if self._ids is None:
            raise RuntimeError("call forward() before backward()")
        d_out = self.fc.backward(dscores)
        # truncated BPTT: the final state's gradient is zero (it only feeds the next window)
        dx = self.rnn.backward(d_out)[0]
        grads = {f"rnn.{k}": v for k, v in self.rnn.grads.items()}
        grads.update({f"fc.{k}": v for k, v in self.fc.grads.items()})
        if self.embedding is not None:
            d_embedding = np.zeros_like(self.embedding)
            np.add.at(d_embedding, self._ids, dx)  # rows of repeated ids accumulate
            grads["embedding.weight"] = d_embedding
        return grads


def softmax(scores, temperature=1.0):
    """Probabilities over the last axis of scores / temperature (stable)."""
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
