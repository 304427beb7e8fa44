"""``Module``: the parameter container every layer and every model is built on.

A module holds its own parameters in ``self.params`` (name -> array) and the gradients its last
``backward`` computed in ``self._grads`` (same names). Modules assigned as attributes
(``self.lstm = LSTM(...)``) become children, as in PyTorch, so a whole model is seen through
one object:

    model.parameters()        # {"lstm.weight_ih_l0": array, ..., "head.bias": array}
    model.grads               # the same names -> the gradients of the last backward
    model.state_dict()        # copies, for saving; model.load_state_dict(state) copies back
    model.train(), model.eval()   # dropout on / off, in every child

There is no autograd: each module's ``backward`` takes the gradient of its output and returns
the gradient of its input, filling ``grads`` on the way. A backward *overwrites* the gradients
of the previous one (a module keeps one forward's cache), so call forward then backward once
per step.
"""
import numpy as np

from rnnkit._checks import check_finite, check_shape


def check_dtype(dtype):
    """float32 or float64, as a numpy dtype."""
    if np.dtype(dtype).type not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    return np.dtype(dtype)


def as_numpy(value):
    """Accept numpy arrays and, for convenience, torch tensors (from a torch state dict)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class ParameterDict(dict):
    """name -> parameter array, remembering the module it came from.

    An optimizer built from ``model.parameters()`` uses ``module`` to find ``model.grads``, so
    ``optimizer.step()`` needs no argument.
    """

    def __init__(self, items, module):
        super().__init__(items)
        self.module = module


class Module:
    """Base class of layers and models; see the module docstring."""

    def __init__(self, dtype=None):
        object.__setattr__(self, "_modules", {})
        self.dtype = None if dtype is None else check_dtype(dtype)
        self.params = {}   # this module's own parameters, not its children's
        self._grads = {}
        self.training = True

    def __setattr__(self, name, value):
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError(f"call super().__init__() before assigning the submodule "
                                     f"{name!r}")
            modules[name] = value
        elif modules is not None and name in modules:
            del modules[name]  # a child replaced by something that is not a module
        object.__setattr__(self, name, value)

    # -- the computation -------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define backward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- the tree of modules ---------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ("") and every descendant, each once."""
        seen = set()

        def walk(module, name):
            if id(module) in seen:
                return
            seen.add(id(module))
            yield name, module
            for child_name, child in module._modules.items():
                yield from walk(child, f"{name}.{child_name}" if name else child_name)

        yield from walk(self, prefix)

    def children(self):
        return iter(self._modules.values())

    def named_parameters(self):
        """(dotted name, array) for every parameter of the tree, e.g. ("lstm.weight_ih_l0", W)."""
        for module_name, module in self.named_modules():
            for name, p in module.params.items():
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self):
        """A dict dotted name -> array (the arrays themselves: optimizers update them in place)."""
        return ParameterDict(self.named_parameters(), self)

    def num_parameters(self):
        return int(sum(p.size for _, p in self.named_parameters()))

    @property
    def grads(self):
        """dotted name -> gradient from the last backward (zeros after zero_grad())."""
        out = {}
        for module_name, module in self.named_modules():
            for name, g in module._grads.items():
                out[f"{module_name}.{name}" if module_name else name] = g
        return out

    def zero_grad(self):
        for _, module in self.named_modules():
            module._grads = {name: np.zeros_like(p) for name, p in module.params.items()}

    def train(self, mode=True):
        """Training mode (dropout active) for this module and its children; returns self."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"mode must be True or False, got {mode!r}")
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode (no dropout); returns self."""
        return self.train(False)

    # -- saving and loading ----------------------------------------------------------------
    def state_dict(self):
        """dotted name -> copy of each parameter (PyTorch's names for the built-in layers)."""
        return {name: p.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state):
        """Copy ``state`` (numpy arrays or torch tensors) into the parameters, in place."""
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if missing or unexpected:
            raise KeyError(f"state dict does not match: missing {missing}, unexpected {unexpected}")
        values = {}
        for name, p in params.items():  # check everything before changing anything
            value = as_numpy(state[name])
            check_shape(name, value, p.shape)
            if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype,
                                                                             np.integer)):
                raise TypeError(f"{name} must hold numbers, got dtype {value.dtype}")
            check_finite(name, value)
            values[name] = value
        for name, p in params.items():
            p[...] = values[name]  # in place, so optimizers keep pointing at the same arrays

    def save(self, path):
        """Write every parameter to ``path`` (.npz); see rnnkit.nn.io."""
        from rnnkit.nn.io import save
        return save(self, path)

    def load(self, path):
        """Read parameters saved by ``save`` into this module, in place; returns self."""
        from rnnkit.nn.io import load_into
        return load_into(self, path)

    def config(self):
        """Constructor arguments that rebuild this module (built-in layers); None otherwise."""
        return None

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ")" if not lines else head + "\n" + "\n".join(lines) + "\n)"
