"""Linear (torch.nn.Linear) and Embedding (torch.nn.Embedding) layers."""
import numbers

import numpy as np

from rnnkit._checks import check_array, check_flag, check_shape
from rnnkit.nn.module import Module


def check_positive_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x Wᵀ + b over the last axis, as torch.nn.Linear: weight (out, in), bias (out,)."""

    def __init__(self, in_features, out_features, bias=True, *, dtype=np.float64, seed=None):
        super().__init__(dtype)
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.use_bias = check_flag("bias", bias)
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(in_features)  # PyTorch's U(-1/sqrt(in), 1/sqrt(in))
        self.params["weight"] = rng.uniform(-k, k, (out_features, in_features)).astype(self.dtype)
        if self.use_bias:
            self.params["bias"] = rng.uniform(-k, k, (out_features,)).astype(self.dtype)
        self.zero_grad()
        self._x = None

    @property
    def weight(self):
        return self.params["weight"]

    @property
    def bias(self):
        """The bias array, or None for bias=False (as in PyTorch)."""
        return self.params.get("bias")

    def forward(self, x):
        """x (..., in_features) -> (..., out_features)."""
        check_array("x", x)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"x must have shape (..., in_features) = (..., {self.in_features}), "
                             f"got {x.shape}")
        self._x = x
        y = x @ self.params["weight"].T
        return y + self.params["bias"] if self.use_bias else y

    def backward(self, d_out):
        """d_out (..., out_features) -> dx (..., in_features); fills grads."""
        if self._x is None:
            raise RuntimeError("call forward() before backward()")
        check_array("d_out", d_out)
        check_shape("d_out", d_out, self._x.shape[:-1] + (self.out_features,), "(..., out_features)")
        x2 = self._x.reshape(-1, self.in_features)
        d2 = d_out.reshape(-1, self.out_features)
        self._grads["weight"] = d2.T @ x2
        if self.use_bias:
            self._grads["bias"] = d2.sum(axis=0)
        return d_out @ self.params["weight"]

    def config(self):
        return dict(in_features=self.in_features, out_features=self.out_features, bias=self.use_bias,
                    dtype=self.dtype.name)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}" + ("" if self.use_bias else ", bias=False")


class Embedding(Module):
    """ids (any shape, integers in [0, V)) -> rows of weight (V, E), as torch.nn.Embedding.

    weight ~ N(0, 1). ``padding_idx``: that row starts at zero and gets no gradient (a padding
    token then adds nothing and never learns).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, *, dtype=np.float64,
                 seed=None):
        super().__init__(dtype)
        V = self.num_embeddings = check_positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        if padding_idx is not None:
            if (isinstance(padding_idx, (bool, np.bool_))
                    or not isinstance(padding_idx, numbers.Integral)
                    or not -V <= padding_idx < V):
                raise ValueError(f"padding_idx must be None or an integer in [-{V}, {V}), "
                                 f"got {padding_idx!r}")
            padding_idx = int(padding_idx) % V  # -1 is the last row, as in PyTorch
        self.padding_idx = padding_idx
        rng = np.random.default_rng(seed)
        weight = rng.standard_normal((V, self.embedding_dim)).astype(self.dtype)
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.params["weight"] = weight
        self.zero_grad()
        self._ids = None

    @property
    def weight(self):
        return self.params["weight"]

    def forward(self, ids):
        """ids (...) -> (..., embedding_dim)."""
        if not isinstance(ids, np.ndarray) or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"ids must be an integer numpy array, got "
                            f"{getattr(ids, 'dtype', type(ids).__name__)}")
        V = self.num_embeddings
        if ids.size and (ids.min() < 0 or ids.max() >= V):
            raise ValueError(f"ids must lie in [0, num_embeddings) = [0, {V}), "
                             f"got values in [{ids.min()}, {ids.max()}]")
        self._ids = ids
        return self.params["weight"][ids]

    def backward(self, d_out):
        """d_out (..., embedding_dim) -> None (ids have no gradient); fills grads["weight"]."""
        if self._ids is None:
            raise RuntimeError("call forward() before backward()")
        check_array("d_out", d_out)
        check_shape("d_out", d_out, self._ids.shape + (self.embedding_dim,), "(..., embedding_dim)",
                    note=" (ids' shape + (embedding_dim,))")
        d_weight = np.zeros_like(self.params["weight"])
        np.add.at(d_weight, self._ids, d_out)  # a repeated id collects every row's gradient
        if self.padding_idx is not None:
            d_weight[self.padding_idx] = 0
        self._grads["weight"] = d_weight
        return None

    def config(self):
        return dict(num_embeddings=self.num_embeddings, embedding_dim=self.embedding_dim,
                    padding_idx=self.padding_idx, dtype=self.dtype.name)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
