"""Agreement of rnnkit's layers with PyTorch (float64), for reports and the demo.

PyTorch is an optional oracle: ``torch_agreement()`` returns None when it is not installed.
"""
import numpy as np

import rnnkit
from rnnkit.reference import scaled_error

CELLS = {"rnn-tanh": ("RNN", {"nonlinearity": "tanh"}), "rnn-relu": ("RNN", {"nonlinearity": "relu"}),
         "lstm": ("LSTM", {}), "gru": ("GRU", {})}


def compare_with_torch(name, N, T, D, H, L, seed=0, backend="numpy"):
    """Run rnnkit and torch on the same weights and inputs -> (forward error, backward error)."""
    import torch

    class_name, options = CELLS[name]
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    theirs = getattr(torch.nn, class_name)(D, H, num_layers=L, batch_first=True,
                                           dtype=torch.float64, **options)
    ours = getattr(rnnkit, class_name)(D, H, num_layers=L, backend=backend, **options)
    ours.load_state_dict(theirs.state_dict())
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((L, N, H)), rng.standard_normal((L, N, H))
    xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    if class_name == "LSTM":
        out_t, (hn_t, cn_t) = theirs(xt, (h0t, c0t))
        out, hn, cn = ours.forward(x, h0, c0)
        outputs = [(out, out_t), (hn, hn_t), (cn, cn_t)]
    else:
        out_t, hn_t = theirs(xt, h0t)
        out, hn = ours.forward(x, h0)
        outputs = [(out, out_t), (hn, hn_t)]
    upstream = [rng.standard_normal(o.shape) for o, _ in outputs]
    loss = sum((t * torch.tensor(u)).sum() for (_, t), u in zip(outputs, upstream))
    loss.backward()
    grads = ours.backward(*upstream)
    forward_error = max(scaled_error(o, t.detach().numpy()) for o, t in outputs)
    pairs = [(grads[0], xt.grad), (grads[1], h0t.grad)]
    if class_name == "LSTM":
        pairs.append((grads[2], c0t.grad))
    pairs += [(grads[-1][k], p.grad) for k, p in theirs.named_parameters()]
    backward_error = max(scaled_error(g, t.numpy()) for g, t in pairs)
    return forward_error, backward_error


def torch_agreement(shapes=((1, 1, 3, 4, 1), (2, 5, 4, 3, 1), (4, 20, 16, 32, 2)), backend="numpy"):
    """{cell: (max forward error, max backward error)} over ``shapes``, or None without torch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    table = {}
    for name in CELLS:
        errors = [compare_with_torch(name, *shape, seed=i, backend=backend) for i, shape in enumerate(shapes)]
        table[name] = (max(e[0] for e in errors), max(e[1] for e in errors))
    return table
