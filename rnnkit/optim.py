"""Optimizers that update parameter arrays in place from their gradients.

Each matches its torch.optim namesake (same defaults, same update order), so a step can be
checked against PyTorch. Built from a model's parameters, an optimizer reads the model's
gradients itself, as in PyTorch:

    optimizer = rnnkit.optim.Adam(model.parameters(), lr=1e-3)
    optimizer.zero_grad()
    loss, d_out = mse_loss(model(x), target)
    model.backward(d_out)
    optimizer.step()                    # or optimizer.step(grads) with any dict name -> gradient

Built from a plain dict name -> array, ``step(grads)`` needs the gradients as a dict.
"""
import numbers

import numpy as np

from rnnkit.reference.clip import clip_grad_norm

__all__ = ["SGD", "Adam", "clip_grad_norm"]


def _check_number(name, value, low, high=np.inf, low_open=False):
    """A real number in [low, high) (or (low, high) if low_open): NaN is never in range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    below = value <= low if low_open else value < low
    if below or not value < high:
        interval = f"{'(' if low_open else '['}{low}, {high})"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


class _Optimizer:
    def __init__(self, params, lr):
        if not isinstance(params, dict) or not params:
            raise TypeError("params must be a non-empty dict name -> array (model.parameters())")
        for name, p in params.items():
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"parameter {name!r} must be a float numpy array, got "
                                f"{getattr(p, 'dtype', type(p).__name__)}")
        self.params, self.t = params, 0
        self.lr = _check_number("lr", lr, 0, low_open=True)
        self.module = getattr(params, "module", None)  # set by Module.parameters()

    def zero_grad(self):
        """Zero the model's gradients (only for an optimizer built from model.parameters())."""
        if self.module is not None:
            self.module.zero_grad()

    def _grads_for(self, grads):
        if grads is None:
            if self.module is None:
                raise TypeError("step() needs grads (a dict name -> gradient): this optimizer was "
                                "built from a plain dict, not from model.parameters()")
            grads = self.module.grads
        if not isinstance(grads, dict):
            raise TypeError(f"grads must be a dict name -> array, got {type(grads).__name__}")
        missing = sorted(set(self.params) - set(grads))
        if missing:
            raise KeyError(f"no gradient for parameters {missing}")
        for name, p in self.params.items():
            g = grads[name]
            if not isinstance(g, np.ndarray) or g.shape != p.shape:
                # a wrong shape would broadcast into the update without an error
                raise ValueError(f"grads[{name!r}] must be an array of shape {p.shape} like its "
                                 f"parameter, got {getattr(g, 'shape', type(g).__name__)}")
        return grads


class SGD(_Optimizer):
    """p <- p - lr * v, v = momentum * v + g (torch.optim.SGD, dampening 0)."""

    def __init__(self, params, lr=0.01, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = _check_number("momentum", momentum, 0, 1)
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads=None):
        grads = self._grads_for(grads)
        self.t += 1
        for name, p in self.params.items():
            g = grads[name]
            if self.momentum:
                v = self.velocity[name]
                v[...] = g if self.t == 1 else self.momentum * v + g
                g = v
            p -= self.lr * g


class Adam(_Optimizer):
    """Adam with bias correction (torch.optim.Adam defaults: betas (0.9, 0.999), eps 1e-8)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _check_number("betas[0]", betas[0], 0, 1)
        self.beta2 = _check_number("betas[1]", betas[1], 0, 1)
        self.eps = _check_number("eps", eps, 0, low_open=True)
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads=None):
        grads = self._grads_for(grads)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def state_dict(self):
        return {"t": self.t, "m": {k: a.copy() for k, a in self.m.items()},
                "v": {k: a.copy() for k, a in self.v.items()}}

    def load_state_dict(self, state):
        self.t = int(state["t"])
        for name in self.params:
            self.m[name][...] = state["m"][name]
            self.v[name][...] = state["v"][name]
