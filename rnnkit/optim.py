"""Optimizers that update a dict of parameters in place from a dict of gradients.

Each matches its torch.optim namesake (same defaults, same update order), so a step can be
checked against PyTorch.
"""
import numpy as np

from rnnkit.reference.clip import clip_grad_norm

__all__ = ["SGD", "Adam", "clip_grad_norm"]


class _Optimizer:
    def __init__(self, params, lr):
        if not isinstance(params, dict) or not params:
            raise TypeError("params must be a non-empty dict name -> array (layer.parameters())")
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        self.params, self.lr, self.t = params, lr, 0

    def _grads_for(self, grads):
        missing = sorted(set(self.params) - set(grads))
        if missing:
            raise KeyError(f"no gradient for parameters {missing}")
        return grads


class SGD(_Optimizer):
    """p <- p - lr * v, v = momentum * v + g (torch.optim.SGD, dampening 0)."""

    def __init__(self, params, lr=0.01, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = momentum
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads):
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
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads):
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
