"""Write the golden fixtures: PyTorch's float64 results that rnnkit.reference must reproduce.

    .venv/bin/pip install torch==2.13.0      # the CPU build
    .venv/bin/python scripts/make_golden.py   # writes tests/fixtures/golden/*.npz

Each fixture holds the inputs (x, h0, c0), the parameters in PyTorch's names, random upstream
gradients (d_output, d_h_n, d_c_n), and what torch.nn.RNN/LSTM/GRU(batch_first=True) computed:
output, h_n, c_n, and the gradients of sum(output*d_output) + sum(h_n*d_h_n) + sum(c_n*d_c_n)
with respect to x, h0, c0 and every parameter. Inputs come from numpy with fixed seeds, so the
file is reproducible. tests/test_golden.py compares the reference with them to 1e-10.
"""
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "golden"

CELLS = {
    "rnn_tanh": (torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (torch.nn.LSTM, {}),
    "gru": (torch.nn.GRU, {}),
}
# (N, T, D, H, num_layers): N=1, T=1, D != H, and a stacked case
SHAPES = [(1, 1, 3, 4, 1), (2, 5, 4, 3, 1), (3, 7, 6, 5, 1), (2, 4, 3, 5, 2)]


def make_case(name, shape, seed):
    module_class, options = CELLS[name]
    N, T, D, H, L = shape
    rng = np.random.default_rng(seed)
    module = module_class(D, H, num_layers=L, batch_first=True, dtype=torch.float64, **options)
    params = {k: rng.uniform(-0.6, 0.6, v.shape) for k, v in module.state_dict().items()}
    module.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    arrays = {"x": rng.standard_normal((N, T, D)), "h0": 0.5 * rng.standard_normal((L, N, H))}
    if name == "lstm":
        arrays["c0"] = 0.5 * rng.standard_normal((L, N, H))
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    if name == "lstm":
        output, (h_n, c_n) = module(leaves["x"], (leaves["h0"], leaves["c0"]))
    else:
        output, h_n = module(leaves["x"], leaves["h0"])
    upstream = {"d_output": rng.standard_normal(output.shape), "d_h_n": rng.standard_normal(h_n.shape)}
    loss = (output * torch.from_numpy(upstream["d_output"])).sum()
    loss = loss + (h_n * torch.from_numpy(upstream["d_h_n"])).sum()
    results = {"output": output.detach().numpy(), "h_n": h_n.detach().numpy()}
    if name == "lstm":
        upstream["d_c_n"] = rng.standard_normal(c_n.shape)
        loss = loss + (c_n * torch.from_numpy(upstream["d_c_n"])).sum()
        results["c_n"] = c_n.detach().numpy()
    loss.backward()
    grads = {f"grad_{k}": v.grad.numpy() for k, v in leaves.items()}
    grads.update({f"grad_{k}": p.grad.numpy() for k, p in module.named_parameters()})
    meta = {"cell": np.array(name), "shape": np.array(shape), "torch_version": np.array(torch.__version__)}
    return {**meta, **arrays, **{f"param_{k}": v for k, v in params.items()}, **upstream,
            **results, **grads}


def make_loss_case(seed):
    """temporal affine + masked softmax loss (summed over time, averaged over the batch)."""
    rng = np.random.default_rng(seed)
    N, T, H, V = 3, 4, 5, 7
    h = torch.tensor(rng.standard_normal((N, T, H)), requires_grad=True)
    W = torch.tensor(rng.standard_normal((V, H)), requires_grad=True)
    b = torch.tensor(rng.standard_normal(V), requires_grad=True)
    y = rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) > 0.3
    scores = torch.nn.functional.linear(h, W, b)
    per_target = torch.nn.functional.cross_entropy(scores.reshape(-1, V), torch.from_numpy(y).reshape(-1),
                                                   reduction="none").reshape(N, T)
    loss = (per_target * torch.from_numpy(mask)).sum() / N
    loss.backward()
    return {"h": h.detach().numpy(), "W": W.detach().numpy(), "b": b.detach().numpy(), "y": y,
            "mask": mask, "scores": scores.detach().numpy(), "loss": loss.detach().numpy(),
            "grad_h": h.grad.numpy(), "grad_W": W.grad.numpy(), "grad_b": b.grad.numpy()}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    seed = 0
    for name in CELLS:
        for shape in SHAPES:
            seed += 1
            case = make_case(name, shape, seed)
            path = OUT / f"{name}_{'x'.join(map(str, shape))}.npz"
            np.savez_compressed(path, **case)
            print("wrote", path.relative_to(OUT.parent.parent.parent))
    np.savez_compressed(OUT / "affine_softmax.npz", **make_loss_case(100))
    print("wrote affine_softmax.npz")


if __name__ == "__main__":
    main()
