"""RNN, LSTM and GRU layers with PyTorch's parameters, and a Linear output layer.

A layer holds its parameters in PyTorch's names and layout (``weight_ih_l0`` (G*H, D),
``weight_hh_l0`` (G*H, H), ``bias_ih_l0``, ``bias_hh_l0`` (G*H,), one set per stacked layer) so
that ``state_dict()`` round-trips with ``torch.nn.LSTM(..., batch_first=True)``. Shapes are
batch-first: x (N, T, D); h0, c0, h_n, c_n (num_layers, N, H).

``backend="numpy" | "numba" | "cuda"`` picks the module that computes the sequences; it
changes speed only.
"""
import numpy as np

from rnnkit._checks import GATES, check_array, check_choice, check_finite, check_shape
from rnnkit.backends import get_backend


def _as_numpy(value):
    """Accept numpy arrays and, for convenience, torch tensors (from a torch state dict)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return value


class Module:
    """Parameters in a dict (name -> array), gradients in a dict with the same names."""

    def __init__(self, dtype):
        if np.dtype(dtype).type not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
        self.dtype = np.dtype(dtype)
        self.params = {}
        self.grads = {}

    def parameters(self):
        """name -> array; optimizers update these arrays in place."""
        return self.params

    def zero_grad(self):
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def state_dict(self):
        return {name: p.copy() for name, p in self.params.items()}

    def load_state_dict(self, state):
        missing = sorted(set(self.params) - set(state))
        unexpected = sorted(set(state) - set(self.params))
        if missing or unexpected:
            raise KeyError(f"state dict does not match: missing {missing}, unexpected {unexpected}")
        for name, p in self.params.items():
            value = np.asarray(_as_numpy(state[name]))
            check_shape(name, value, p.shape)
            check_finite(name, value)
            p[...] = value  # in place, so optimizers keep pointing at the same arrays


class _Recurrent(Module):
    cell = None  # "rnn" | "lstm" | "gru"

    def __init__(self, input_size, hidden_size, num_layers=1, *, dtype=np.float64,
                 backend="numpy", seed=None, nonlinearity="tanh", reset_after=True):
        super().__init__(dtype)
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.reset_after = nonlinearity, reset_after
        self.backend = backend
        self._backend = get_backend(backend)
        G, H = GATES[self.cell], hidden_size
        # PyTorch's initialisation: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(H)
        for layer in range(num_layers):
            D = input_size if layer == 0 else H
            for name, shape in ((f"weight_ih_l{layer}", (G * H, D)),
                                (f"weight_hh_l{layer}", (G * H, H)),
                                (f"bias_ih_l{layer}", (G * H,)),
                                (f"bias_hh_l{layer}", (G * H,))):
                self.params[name] = rng.uniform(-k, k, size=shape).astype(self.dtype)
        self.zero_grad()
        self._caches = None

    def _layer_params(self, layer):
        p = self.params
        return (p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"],
                p[f"bias_ih_l{layer}"], p[f"bias_hh_l{layer}"])

    def _initial_state(self, name, state, N):
        L, H = self.num_layers, self.hidden_size
        if state is None:
            return np.zeros((L, N, H), dtype=self.dtype)
        check_array(name, state)
        check_shape(name, state, (L, N, H), "(num_layers, N, H)", note=" (N from x)")
        if state.dtype != self.dtype:
            raise TypeError(f"{name} has dtype {state.dtype} but the layer uses {self.dtype}")
        return state

    def _forward(self, x, h0, c0):
        check_array("x", x, ndim=3)
        N, T, D = x.shape
        check_shape("x", x, (N, T, self.input_size), "(N, T, input_size)")
        if x.dtype != self.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the layer uses {self.dtype}; "
                            f"convert with x.astype(np.{self.dtype})")
        h0 = self._initial_state("h0", h0, N)
        c0 = self._initial_state("c0", c0, N) if self.cell == "lstm" else None
        layer_input, h_n, c_n, self._caches = x, [], [], []
        for layer in range(self.num_layers):
            h, h_last, c_last, cache = self._backend.sequence_forward(
                self.cell, layer_input, h0[layer], None if c0 is None else c0[layer],
                *self._layer_params(layer), nonlinearity=self.nonlinearity,
                reset_after=self.reset_after)
            self._caches.append(cache)
            h_n.append(h_last)
            c_n.append(c_last)
            layer_input = h
        self._out_shape = layer_input.shape
        c_n = np.stack(c_n) if self.cell == "lstm" else None
        return layer_input, np.stack(h_n), c_n

    def _backward(self, d_output, d_h_n, d_c_n):
        if self._caches is None:
            raise RuntimeError("call forward() before backward()")
        check_array("d_output", d_output)
        check_shape("d_output", d_output, self._out_shape, "(N, T, H)", note=" (like the output)")
        L, (N, T, H) = self.num_layers, self._out_shape
        for name, d in (("d_h_n", d_h_n), ("d_c_n", d_c_n)):
            if d is not None:
                check_array(name, d)
                check_shape(name, d, (L, N, H), "(num_layers, N, H)")
        dh0, dc0 = np.empty((L, N, H), self.dtype), np.empty((L, N, H), self.dtype)
        dh = d_output
        for layer in reversed(range(L)):
            dx, dh0[layer], dc0_layer, dW_ih, dW_hh, db_ih, db_hh = self._backend.sequence_backward(
                self.cell, dh, None if d_h_n is None else d_h_n[layer],
                None if d_c_n is None else d_c_n[layer], self._caches[layer])
            if dc0_layer is not None:
                dc0[layer] = dc0_layer
            for name, grad in (("weight_ih", dW_ih), ("weight_hh", dW_hh),
                               ("bias_ih", db_ih), ("bias_hh", db_hh)):
                self.grads[f"{name}_l{layer}"] = grad
            dh = dx  # the layer below produced this layer's input
        return dh, dh0, dc0


class RNN(_Recurrent):
    """Elman RNN with tanh or relu (``nonlinearity=``), as torch.nn.RNN(batch_first=True)."""

    cell = "rnn"

    def forward(self, x, h0=None):
        """x (N, T, D) -> output (N, T, H), h_n (num_layers, N, H)."""
        output, h_n, _ = self._forward(x, h0, None)
        return output, h_n

    def backward(self, d_output, d_h_n=None):
        """-> dx (N, T, D), dh0 (num_layers, N, H), grads (dict, also in self.grads)."""
        dx, dh0, _ = self._backward(d_output, d_h_n, None)
        return dx, dh0, self.grads


class LSTM(_Recurrent):
    """LSTM, as torch.nn.LSTM(batch_first=True); gate rows i | f | g | o."""

    cell = "lstm"

    def forward(self, x, h0=None, c0=None):
        """x (N, T, D) -> output (N, T, H), h_n, c_n (num_layers, N, H)."""
        return self._forward(x, h0, c0)

    def backward(self, d_output, d_h_n=None, d_c_n=None):
        """-> dx, dh0, dc0, grads (dict, also in self.grads)."""
        dx, dh0, dc0 = self._backward(d_output, d_h_n, d_c_n)
        return dx, dh0, dc0, self.grads


class GRU(_Recurrent):
    """GRU, as torch.nn.GRU(batch_first=True) (reset_after=True); rows r | z | n.

    ``reset_after=False`` gives the textbook variant n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
    """

    cell = "gru"

    def forward(self, x, h0=None):
        output, h_n, _ = self._forward(x, h0, None)
        return output, h_n

    def backward(self, d_output, d_h_n=None):
        dx, dh0, _ = self._backward(d_output, d_h_n, None)
        return dx, dh0, self.grads


class Linear(Module):
    """y = x Wᵀ + b over the last axis, as torch.nn.Linear: weight (out, in), bias (out,)."""

    def __init__(self, in_features, out_features, *, dtype=np.float64, seed=None):
        super().__init__(dtype)
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.params["weight"] = rng.uniform(-k, k, (out_features, in_features)).astype(self.dtype)
        self.params["bias"] = rng.uniform(-k, k, (out_features,)).astype(self.dtype)
        self.zero_grad()
        self._x = None

    def forward(self, x):
        """x (..., in_features) -> (..., out_features)."""
        check_array("x", x)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"x must have shape (..., in_features) = (..., {self.in_features}), "
                             f"got {x.shape}")
        self._x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, d_out):
        """d_out (..., out_features) -> dx (..., in_features); fills self.grads."""
        if self._x is None:
            raise RuntimeError("call forward() before backward()")
        check_array("d_out", d_out)
        check_shape("d_out", d_out, self._x.shape[:-1] + (self.out_features,), "(..., out_features)")
        x2 = self._x.reshape(-1, self.in_features)
        d2 = d_out.reshape(-1, self.out_features)
        self.grads["weight"] = d2.T @ x2
        self.grads["bias"] = d2.sum(axis=0)
        return d_out @ self.params["weight"]
