"""RNN, LSTM and GRU layers with PyTorch's parameters, options and calling convention.

A layer holds its parameters in PyTorch's names and layout (``weight_ih_l0`` (G*H, D),
``weight_hh_l0`` (G*H, H), ``bias_ih_l0``, ``bias_hh_l0`` (G*H,); ``..._l0_reverse`` for the
backward direction of a bidirectional layer), so that ``state_dict()`` round-trips with
``torch.nn.LSTM(..., batch_first=True)``. Shapes are batch-first: x (N, T, D); h0, c0, h_n,
c_n (num_layers * num_directions, N, H); output (N, T, num_directions * H).

Two ways to run a layer, the same numbers:

    output, h_n = rnn(x, h0)                   # __call__: PyTorch's convention
    output, (h_n, c_n) = lstm(x, (h0, c0))     #   (the LSTM's state is a pair)
    output, h_n, c_n = lstm.forward(x, h0, c0) # forward: one flat tuple, like backward's

and one backward, which needs the forward just before it:

    dx, dh0, grads = rnn.backward(d_output, d_h_n)            # RNN, GRU
    dx, dh0, dc0, grads = lstm.backward(d_output, d_h_n, d_c_n)

``backend="numpy" | "numba" | "cuda"`` picks the module that computes each direction of each
layer; it changes speed only. Dropout (``dropout=p``, training mode only) and the reversed
direction are done here, around the backend, so every backend gets them.
"""
import numpy as np

from rnnkit._checks import GATES, check_array, check_choice, check_flag, check_shape
from rnnkit.backends import get_backend
from rnnkit.nn.dropout import check_probability, dropout_mask
from rnnkit.nn.linear import check_positive_int
from rnnkit.nn.module import Module

#: options that belong to one cell only: passing them to another is an error, not a no-op
_CELL_OPTIONS = {"nonlinearity": "RNN", "reset_after": "GRU"}


class _Recurrent(Module):
    cell = None  # "rnn" | "lstm" | "gru"
    # what the LSTM computes, for code that reads these on any layer (RNN and GRU set their own)
    nonlinearity = "tanh"
    reset_after = True

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, dropout=0.0,
                 bidirectional=False, batch_first=True, dtype=np.float64, backend="numpy",
                 seed=None, **unknown):
        super().__init__(dtype)
        self._reject_unknown(unknown)
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bias = check_flag("bias", bias)
        self.bidirectional = check_flag("bidirectional", bidirectional)
        if not check_flag("batch_first", batch_first):
            raise ValueError("batch_first=False is not supported: rnnkit layers are batch-first, "
                             "x (N, T, D); transpose a time-major x with x.transpose(1, 0, 2)")
        self.dropout = check_probability("dropout", dropout)
        if self.dropout > 0 and self.num_layers == 1:
            # PyTorch only warns; here an option that does nothing is an error
            raise ValueError(f"dropout={dropout} does nothing with num_layers=1: dropout acts "
                             "between stacked layers (use num_layers >= 2 or dropout=0)")
        self.backend = backend
        self._backend = get_backend(backend)
        # PyTorch's initialisation: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), drawn in the
        # order of the names below
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(self.hidden_size)
        for name, shape in self._parameter_shapes():
            self.params[name] = rng.uniform(-k, k, size=shape).astype(self.dtype)
        self.rng = rng  # draws the dropout masks; reseed it to repeat a mask
        self.dropout_masks = []  # masks of the last forward, one per gap between layers
        self.zero_grad()
        self._caches = None

    def __call__(self, x, hx=None):
        """PyTorch's convention: ``output, h_n = rnn(x, h0)`` (the LSTM overrides it)."""
        return self.forward(x, hx)

    def _reject_unknown(self, unknown):
        if not unknown:
            return
        name, value = sorted(unknown.items())[0]
        cls = type(self).__name__
        owner = _CELL_OPTIONS.get(name)
        hint = (f": only {owner} has it" if owner else
                "; options: bias, dropout, bidirectional, batch_first, dtype, backend, seed")
        raise TypeError(f"{cls} got an unexpected option {name}={value!r}{hint}")

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def _state_symbols(self):
        return "(num_layers * 2, N, H)" if self.bidirectional else "(num_layers, N, H)"

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def _parameter_shapes(self):
        G, H = GATES[self.cell], self.hidden_size
        for layer in range(self.num_layers):
            D = self.input_size if layer == 0 else H * self.num_directions
            for suffix in self._suffixes():
                yield f"weight_ih_l{layer}{suffix}", (G * H, D)
                yield f"weight_hh_l{layer}{suffix}", (G * H, H)
                if self.bias:
                    yield f"bias_ih_l{layer}{suffix}", (G * H,)
                    yield f"bias_hh_l{layer}{suffix}", (G * H,)

    def _options(self):
        """Cell options passed to the backend (RNN and GRU override)."""
        return {}

    def _direction_params(self, layer, suffix):
        """(W_ih, W_hh, b_ih, b_hh) of one direction of one layer; zero biases for bias=False."""
        p, tag = self.params, f"l{layer}{suffix}"
        if self.bias:
            b_ih, b_hh = p[f"bias_ih_{tag}"], p[f"bias_hh_{tag}"]
        else:
            b_ih = b_hh = np.zeros(GATES[self.cell] * self.hidden_size, self.dtype)
        return p[f"weight_ih_{tag}"], p[f"weight_hh_{tag}"], b_ih, b_hh

    def _initial_state(self, name, state, N):
        shape = (self.num_layers * self.num_directions, N, self.hidden_size)
        if state is None:
            return np.zeros(shape, dtype=self.dtype)
        check_array(name, state)
        check_shape(name, state, shape, self._state_symbols(), note=" (N from x)")
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
        lstm = self.cell == "lstm"
        h0 = self._initial_state("h0", h0, N)
        c0 = self._initial_state("c0", c0, N) if lstm else None
        layer_input, h_n, c_n = x, [], []
        self._caches, self.dropout_masks = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                mask = dropout_mask(self.rng, layer_input.shape, self.dropout, self.dtype)
                self.dropout_masks.append(mask)
                layer_input = layer_input * mask
            outputs, caches = [], []
            for direction, suffix in enumerate(self._suffixes()):
                index = layer * self.num_directions + direction
                # the reverse direction reads the sequence backwards: run it on x[:, ::-1]
                seq = layer_input if direction == 0 else np.ascontiguousarray(layer_input[:, ::-1])
                h, h_last, c_last, cache = self._backend.sequence_forward(
                    self.cell, seq, h0[index], c0[index] if lstm else None,
                    *self._direction_params(layer, suffix), **self._options())
                outputs.append(h if direction == 0 else h[:, ::-1])
                caches.append(cache)
                h_n.append(h_last)
                c_n.append(c_last)
            self._caches.append(caches)
            layer_input = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=2)
        self._out_shape = layer_input.shape
        return layer_input, np.stack(h_n), np.stack(c_n) if lstm else None

    def _backward(self, d_output, d_h_n, d_c_n):
        if self._caches is None:
            raise RuntimeError("call forward() before backward()")
        N, T, _ = self._out_shape
        H, S = self.hidden_size, self.num_layers * self.num_directions
        check_array("d_output", d_output)
        check_shape("d_output", d_output, self._out_shape,
                    "(N, T, 2 * H)" if self.bidirectional else "(N, T, H)",
                    note=" (like the output)")
        for name, d in (("d_h_n", d_h_n), ("d_c_n", d_c_n)):
            if d is not None:
                check_array(name, d)
                check_shape(name, d, (S, N, H), self._state_symbols())
        lstm = self.cell == "lstm"
        dh0 = np.empty((S, N, H), self.dtype)
        dc0 = np.empty((S, N, H), self.dtype) if lstm else None
        d_layer_output = d_output
        for layer in reversed(range(self.num_layers)):
            dx = 0
            for direction, suffix in enumerate(self._suffixes()):
                index = layer * self.num_directions + direction
                dh = d_layer_output[:, :, direction * H:(direction + 1) * H]
                if direction == 1:
                    dh = dh[:, ::-1]  # the reverse direction's time runs backwards
                dx_dir, dh0[index], dc0_dir, *d_params = self._backend.sequence_backward(
                    self.cell, np.ascontiguousarray(dh),
                    None if d_h_n is None else d_h_n[index],
                    None if d_c_n is None else d_c_n[index], self._caches[layer][direction])
                dx = dx + (dx_dir if direction == 0 else dx_dir[:, ::-1])
                if lstm:
                    dc0[index] = dc0_dir
                self._store_grads(layer, suffix, d_params)
            if layer > 0 and self.dropout_masks:
                dx = dx * self.dropout_masks[layer - 1]  # the mask multiplied this input
            d_layer_output = dx  # the layer below produced this layer's input
        return d_layer_output, dh0, dc0

    def _store_grads(self, layer, suffix, d_params):
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        for name, grad in zip(names, d_params):
            self._grads[f"{name}_l{layer}{suffix}"] = grad

    def config(self):
        return dict(input_size=self.input_size, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, bias=self.bias, dropout=self.dropout,
                    bidirectional=self.bidirectional, dtype=self.dtype.name,
                    backend=self.backend, **self._options())

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        defaults = dict(num_layers=1, bias=True, dropout=0.0, bidirectional=False,
                        dtype="float64", backend="numpy", nonlinearity="tanh", reset_after=True)
        for name, value in self.config().items():
            if name in defaults and value != defaults[name]:
                text += f", {name}={value!r}"
        return text


class RNN(_Recurrent):
    """Elman RNN with tanh or relu (``nonlinearity=``), as torch.nn.RNN(batch_first=True)."""

    cell = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, *, nonlinearity="tanh", **options):
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, num_layers, **options)
        self.nonlinearity = nonlinearity

    def _options(self):
        return {"nonlinearity": self.nonlinearity}

    def forward(self, x, h0=None):
        """x (N, T, D) -> output (N, T, num_directions * H), h_n (layers * directions, N, H)."""
        output, h_n, _ = self._forward(x, h0, None)
        return output, h_n

    def backward(self, d_output, d_h_n=None):
        """-> dx (N, T, D), dh0 (layers * directions, N, H), grads (dict, also self.grads)."""
        dx, dh0, _ = self._backward(d_output, d_h_n, None)
        return dx, dh0, self.grads


class LSTM(_Recurrent):
    """LSTM, as torch.nn.LSTM(batch_first=True); gate rows i | f | g | o."""

    cell = "lstm"

    def __call__(self, x, hx=None):
        """PyTorch's convention: ``output, (h_n, c_n) = lstm(x, (h0, c0))``; hx may be None."""
        if hx is None:
            h0 = c0 = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            h0, c0 = hx
        else:
            raise TypeError(f"hx must be a pair (h0, c0) or None, got {type(hx).__name__}"
                            + ("" if not isinstance(hx, (tuple, list)) else f" of {len(hx)}"))
        output, h_n, c_n = self._forward(x, h0, c0)
        return output, (h_n, c_n)

    def forward(self, x, h0=None, c0=None):
        """x (N, T, D) -> output (N, T, num_directions * H), h_n, c_n (layers * directions, N, H).

        One flat tuple (``lstm(x, (h0, c0))`` nests the state as PyTorch does).
        """
        return self._forward(x, h0, c0)

    def backward(self, d_output, d_h_n=None, d_c_n=None):
        """-> dx, dh0, dc0, grads (dict, also in self.grads)."""
        dx, dh0, dc0 = self._backward(d_output, d_h_n, d_c_n)
        return dx, dh0, dc0, self.grads


class GRU(_Recurrent):
    """GRU, as torch.nn.GRU(batch_first=True) (reset_after=True); rows r | z | n.

    ``reset_after=False`` gives the textbook variant n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
    (as Keras offers; PyTorch has no such option).
    """

    cell = "gru"

    def __init__(self, input_size, hidden_size, num_layers=1, *, reset_after=True, **options):
        reset_after = check_flag("reset_after", reset_after)
        super().__init__(input_size, hidden_size, num_layers, **options)
        self.reset_after = reset_after

    def _options(self):
        return {"reset_after": self.reset_after}

    def forward(self, x, h0=None):
        """x (N, T, D) -> output (N, T, num_directions * H), h_n (layers * directions, N, H)."""
        output, h_n, _ = self._forward(x, h0, None)
        return output, h_n

    def backward(self, d_output, d_h_n=None):
        """-> dx (N, T, D), dh0 (layers * directions, N, H), grads (dict, also self.grads)."""
        dx, dh0, _ = self._backward(d_output, d_h_n, None)
        return dx, dh0, self.grads

