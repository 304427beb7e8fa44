"""Live comparison with torch.nn.RNN/LSTM/GRU in float64 on random shapes and stacked layers.

Skipped with a visible reason when torch is not installed (`pip install torch==2.13.0`); the
committed golden fixtures (tests/test_golden.py) check the same things without torch.
"""
import numpy as np
import pytest

import rnnkit
from tests.helpers import assert_close

torch = pytest.importorskip("torch", reason="torch not installed: live PyTorch oracle skipped")

TOL = 1e-10
CASES = [(rnnkit.RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
         (rnnkit.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
         (rnnkit.LSTM, torch.nn.LSTM, {}), (rnnkit.GRU, torch.nn.GRU, {})]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]


def run_both(ours_class, torch_class, options, N, T, D, H, L, seed):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    theirs = torch_class(D, H, num_layers=L, batch_first=True, dtype=torch.float64, **options)
    ours = ours_class(D, H, num_layers=L, **options)
    ours.load_state_dict(theirs.state_dict())  # torch tensors in, numpy arrays kept
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((L, N, H))
    c0 = rng.standard_normal((L, N, H))
    xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    is_lstm = ours_class is rnnkit.LSTM
    if is_lstm:
        out_t, (hn_t, cn_t) = theirs(xt, (h0t, c0t))
        out, hn, cn = ours.forward(x, h0, c0)
    else:
        out_t, hn_t = theirs(xt, h0t)
        out, hn = ours.forward(x, h0)
    d_out, d_hn, d_cn = rng.standard_normal(out.shape), rng.standard_normal(hn.shape), rng.standard_normal(hn.shape)
    loss = (out_t * torch.tensor(d_out)).sum() + (hn_t * torch.tensor(d_hn)).sum()
    if is_lstm:
        loss = loss + (cn_t * torch.tensor(d_cn)).sum()
        dx, dh0, dc0, grads = ours.backward(d_out, d_hn, d_cn)
    else:
        dx, dh0, grads = ours.backward(d_out, d_hn)
    loss.backward()
    errors = {"output": assert_close(out, out_t.detach().numpy(), TOL, "output"),
              "h_n": assert_close(hn, hn_t.detach().numpy(), TOL, "h_n"),
              "dx": assert_close(dx, xt.grad.numpy(), TOL, "dx"),
              "dh0": assert_close(dh0, h0t.grad.numpy(), TOL, "dh0")}
    if is_lstm:
        errors["c_n"] = assert_close(cn, cn_t.detach().numpy(), TOL, "c_n")
        errors["dc0"] = assert_close(dc0, c0t.grad.numpy(), TOL, "dc0")
    for name, p in theirs.named_parameters():
        errors[name] = assert_close(grads[name], p.grad.numpy(), TOL, name)
    return errors


@pytest.mark.torch
@pytest.mark.parametrize("ours,theirs,options", CASES, ids=IDS)
@pytest.mark.parametrize("seed", range(4))
def test_random_shapes_and_stacks(ours, theirs, options, seed):
    rng = np.random.default_rng(100 + seed)
    N, T, D, H = (int(v) for v in rng.integers(1, 7, size=4))
    L = int(rng.integers(1, 4))
    run_both(ours, theirs, options, N, T, D, H, L, seed)


@pytest.mark.torch
@pytest.mark.parametrize("ours,theirs,options", CASES, ids=IDS)
def test_state_dict_round_trip(ours, theirs, options):
    module = theirs(3, 4, num_layers=2, batch_first=True, dtype=torch.float64, **options)
    layer = ours(3, 4, num_layers=2, **options)
    assert sorted(layer.state_dict()) == sorted(module.state_dict())
    layer.load_state_dict({k: v.numpy() for k, v in module.state_dict().items()})
    back = theirs(3, 4, num_layers=2, batch_first=True, dtype=torch.float64, **options)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    for key, value in module.state_dict().items():
        assert torch.equal(value, back.state_dict()[key])


@pytest.mark.torch
def test_optimizers_match_torch():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 4))
    grads_seq = [rng.standard_normal((3, 4)) for _ in range(5)]
    for ours_factory, torch_factory in (
        (lambda p: rnnkit.optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (lambda p: rnnkit.optim.SGD(p, lr=0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ):
        params = {"w": p0.copy()}
        ours = ours_factory(params)
        w = torch.tensor(p0.copy(), requires_grad=True)
        theirs = torch_factory([w])
        for g in grads_seq:
            ours.step({"w": g})
            w.grad = torch.tensor(g)
            theirs.step()
        assert_close(params["w"], w.detach().numpy(), 1e-12, "parameters after 5 steps")


@pytest.mark.torch
def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(1)
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    tensors = [torch.tensor(g.copy(), requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g.copy())
    total_t = torch.nn.utils.clip_grad_norm_(tensors, max_norm=1.0)
    clipped, total = rnnkit.optim.clip_grad_norm(grads, 1.0)
    assert abs(total - total_t.item()) < 1e-12
    for t, g in zip(tensors, clipped.values()):
        assert_close(g, t.grad.numpy(), 1e-12, "clipped gradient")


@pytest.mark.torch
def test_mean_cross_entropy_matches_torch():
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((2, 3, 5))
    y = rng.integers(0, 5, (2, 3))
    s = torch.tensor(scores, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(s.reshape(-1, 5), torch.tensor(y).reshape(-1))
    loss_t.backward()
    loss, dscores = rnnkit.losses.softmax_cross_entropy(scores, y)
    assert abs(loss - loss_t.item()) < 1e-12
    assert_close(dscores, s.grad.numpy(), 1e-12, "dscores")
