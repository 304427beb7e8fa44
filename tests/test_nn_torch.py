"""The layer API's options against PyTorch in float64: bidirectional, bias=False, dropout,
Embedding, Linear(bias=False), and a whole model trained by an optimizer built from
model.parameters(). Tolerance 1e-10 relative (DESIGN.md)."""
import numpy as np
import pytest

import rnnkit
from rnnkit.losses import mse_loss
from rnnkit.nn import GRU, LSTM, RNN, Embedding, Linear, Module
from rnnkit.reference import eval_numerical_gradient
from tests.helpers import assert_close

torch = pytest.importorskip("torch", reason="torch not installed: live PyTorch oracle skipped")
pytestmark = pytest.mark.torch

TOL = 1e-10
CELLS = {"rnn-tanh": (RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
         "rnn-relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
         "lstm": (LSTM, torch.nn.LSTM, {}), "gru": (GRU, torch.nn.GRU, {})}


def pair(cell, D, H, L, **options):
    """(ours, theirs) with the same parameters, in float64."""
    ours_class, torch_class, cell_options = CELLS[cell]
    torch.manual_seed(0)
    theirs = torch_class(D, H, num_layers=L, batch_first=True, dtype=torch.float64,
                         **cell_options, **options)
    ours = ours_class(D, H, num_layers=L, **cell_options, **options)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def compare_with_torch(ours, theirs, N=3, T=4, seed=0):
    """Forward and backward with random initial states and upstream gradients."""
    rng = np.random.default_rng(seed)
    lstm = isinstance(ours, LSTM)
    S, H = ours.num_layers * ours.num_directions, ours.hidden_size
    x = rng.standard_normal((N, T, ours.input_size))
    h0, c0 = rng.standard_normal((S, N, H)), rng.standard_normal((S, N, H))
    xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    if lstm:
        out_t, (hn_t, cn_t) = theirs(xt, (h0t, c0t))
        out, (hn, cn) = ours(x, (h0, c0))
    else:
        out_t, hn_t = theirs(xt, h0t)
        out, hn = ours(x, h0)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, hn, hn))
    loss = (out_t * torch.tensor(d_out)).sum() + (hn_t * torch.tensor(d_hn)).sum()
    if lstm:
        loss = loss + (cn_t * torch.tensor(d_cn)).sum()
        dx, dh0, dc0, grads = ours.backward(d_out, d_hn, d_cn)
    else:
        dx, dh0, grads = ours.backward(d_out, d_hn)
    loss.backward()
    assert_close(out, out_t.detach().numpy(), TOL, "output")
    assert_close(hn, hn_t.detach().numpy(), TOL, "h_n")
    assert_close(dx, xt.grad.numpy(), TOL, "dx")
    assert_close(dh0, h0t.grad.numpy(), TOL, "dh0")
    if lstm:
        assert_close(cn, cn_t.detach().numpy(), TOL, "c_n")
        assert_close(dc0, c0t.grad.numpy(), TOL, "dc0")
    assert sorted(grads) == sorted(name for name, _ in theirs.named_parameters())
    for name, p in theirs.named_parameters():
        assert_close(grads[name], p.grad.numpy(), TOL, name)
    return out


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("L", [1, 2])
def test_bidirectional(cell, L):
    ours, theirs = pair(cell, 3, 4, L, bidirectional=True)
    out = compare_with_torch(ours, theirs)
    assert out.shape == (3, 4, 8)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_bias_false(cell, bidirectional):
    ours, theirs = pair(cell, 3, 4, 2, bias=False, bidirectional=bidirectional)
    assert not any("bias" in name for name in ours.parameters())
    compare_with_torch(ours, theirs, seed=1)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_dropout_zero_in_training_equals_torch(cell):
    ours, theirs = pair(cell, 3, 4, 3, dropout=0.0)
    compare_with_torch(ours.train(), theirs.train(), seed=2)


@pytest.mark.parametrize("cell", CELLS)
def test_dropout_in_eval_mode_equals_torch(cell):
    ours, theirs = pair(cell, 3, 4, 2, dropout=0.5, bidirectional=True)
    compare_with_torch(ours.eval(), theirs.eval(), seed=3)
    assert ours.dropout_masks == []


def single_layer_torch_modules(ours, torch_class, cell_options):
    """One torch module per layer of ``ours``, holding that layer's parameters."""
    modules = []
    for layer in range(ours.num_layers):
        D = ours.input_size if layer == 0 else ours.hidden_size * ours.num_directions
        m = torch_class(D, ours.hidden_size, batch_first=True, dtype=torch.float64,
                        bidirectional=ours.bidirectional, **cell_options)
        m.load_state_dict({name: torch.from_numpy(ours.params[name.replace("_l0", f"_l{layer}")])
                           for name in m.state_dict()})
        modules.append(m)
    return modules


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_dropout_in_training_with_its_mask_equals_torch(cell, bidirectional):
    """PyTorch's stacked layer with dropout, rebuilt from single layers and our masks."""
    ours_class, torch_class, cell_options = CELLS[cell]
    p, L, N, T, H = 0.4, 3, 3, 5, 4
    ours = ours_class(2, H, num_layers=L, dropout=p, bidirectional=bidirectional, seed=4,
                      **cell_options)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, T, 2))
    out = ours(x)[0]
    masks = ours.dropout_masks
    assert len(masks) == L - 1
    for mask in masks:  # each element is dropped (0) or scaled by 1/(1-p)
        assert set(np.unique(mask)) <= {0.0, 1 / (1 - p)} and (mask == 0).any()
    d_out = rng.standard_normal(out.shape)
    dx = ours.backward(d_out)[0]

    xt = torch.tensor(x, requires_grad=True)
    layer_input = xt
    modules = single_layer_torch_modules(ours, torch_class, cell_options)
    for layer, module in enumerate(modules):
        if layer > 0:
            layer_input = layer_input * torch.from_numpy(masks[layer - 1])
        layer_input = module(layer_input)[0]
    (layer_input * torch.tensor(d_out)).sum().backward()
    assert_close(out, layer_input.detach().numpy(), TOL, "output")
    assert_close(dx, xt.grad.numpy(), TOL, "dx")
    for layer, module in enumerate(modules):
        for name, param in module.named_parameters():
            ours_name = name.replace("_l0", f"_l{layer}")
            assert_close(ours.grads[ours_name], param.grad.numpy(), TOL, ours_name)


def test_dropout_gradient_check_with_a_fixed_mask():
    """Central differences in float64 with the same mask every forward (the rng reseeded)."""
    lstm = LSTM(2, 3, num_layers=2, dropout=0.5, bidirectional=True, seed=6)
    rng = np.random.default_rng(7)
    x, d_out = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 6))

    def forward(_):
        lstm.rng = np.random.default_rng(123)  # the same mask for every evaluation
        return lstm.forward(x)[0]

    forward(None)
    assert (lstm.dropout_masks[0] == 0).any(), "the mask must drop something to be checked"
    dx = lstm.backward(d_out)[0]
    analytic = dict(lstm.grads)
    assert_close(dx, eval_numerical_gradient(forward, x, d_out), 1e-6, "dx")
    for name in ("weight_ih_l0", "weight_hh_l0_reverse", "bias_ih_l1"):
        numerical = eval_numerical_gradient(forward, lstm.params[name], d_out)
        assert_close(analytic[name], numerical, 1e-6, name)


def test_dropout_drops_a_fraction_p_and_keeps_the_mean():
    gru = GRU(4, 50, num_layers=2, dropout=0.3, seed=8)
    gru(np.zeros((40, 50, 4)))
    mask = gru.dropout_masks[0]
    assert abs(np.mean(mask == 0) - 0.3) < 0.01  # 100 000 draws: the std is 0.0015
    assert abs(mask.mean() - 1.0) < 0.02         # inverted dropout keeps the expectation


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx):
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(7, 3, padding_idx=padding_idx, dtype=torch.float64)
    ours = Embedding(7, 3, padding_idx=padding_idx, seed=0)
    if padding_idx is not None:  # both start with the padding row at zero
        assert not ours.params["weight"][padding_idx].any()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(9)
    ids = np.array([[0, 2, 2, 6], [6, 1, 2, 0]])  # repeated ids accumulate gradient
    d_out = rng.standard_normal((2, 4, 3))
    out_t = theirs(torch.from_numpy(ids))
    (out_t * torch.tensor(d_out)).sum().backward()
    out = ours(ids)
    assert ours.backward(d_out) is None
    assert_close(out, out_t.detach().numpy(), TOL, "output")
    assert_close(ours.grads["weight"], theirs.weight.grad.numpy(), TOL, "d weight")


def test_linear_without_bias_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Linear(4, 3, bias=False, dtype=torch.float64)
    ours = Linear(4, 3, bias=False)
    assert list(ours.state_dict()) == ["weight"] and ours.bias is None
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(10).standard_normal((2, 5, 4))
    xt = torch.tensor(x, requires_grad=True)
    theirs(xt).sum().backward()
    assert_close(ours(x), theirs(xt).detach().numpy(), TOL, "output")
    dx = ours.backward(np.ones((2, 5, 3)))
    assert_close(dx, xt.grad.numpy(), TOL, "dx")
    assert_close(ours.grads["weight"], theirs.weight.grad.numpy(), TOL, "d weight")


class Tagger(Module):
    """Embedding -> 2-layer bidirectional LSTM (dropout) -> Linear, written as a user would."""

    def __init__(self, V=9, E=3, H=4, C=2):
        super().__init__()
        self.embed = Embedding(V, E, seed=0)
        self.lstm = LSTM(E, H, num_layers=2, bidirectional=True, dropout=0.25, seed=1)
        self.head = Linear(2 * H, C, seed=2)

    def forward(self, ids):
        output, _ = self.lstm(self.embed(ids))
        return self.head(output)

    def backward(self, d_scores):
        d_output = self.head.backward(d_scores)
        self.embed.backward(self.lstm.backward(d_output)[0])


class TorchTagger(torch.nn.Module):
    def __init__(self, V=9, E=3, H=4, C=2):
        super().__init__()
        self.embed = torch.nn.Embedding(V, E, dtype=torch.float64)
        self.lstm = torch.nn.LSTM(E, H, num_layers=2, bidirectional=True, dropout=0.25,
                                  batch_first=True, dtype=torch.float64)
        self.head = torch.nn.Linear(2 * H, C, dtype=torch.float64)

    def forward(self, ids):
        return self.head(self.lstm(self.embed(ids))[0])


@pytest.mark.parametrize("optimizer", ["Adam", "SGD"])
def test_whole_model_trained_by_an_optimizer_of_model_parameters(optimizer):
    """Same model, same names, same steps: parameters agree with PyTorch after 4 steps (eval
    mode, so that dropout draws no masks)."""
    rng = np.random.default_rng(11)
    ids, target = rng.integers(0, 9, (3, 5)), rng.standard_normal((3, 5, 2))
    ours, theirs = Tagger().eval(), TorchTagger().eval()
    assert sorted(ours.parameters()) == sorted(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    kwargs = {"lr": 0.05} if optimizer == "Adam" else {"lr": 0.1, "momentum": 0.9}
    opt = getattr(rnnkit.optim, optimizer)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, optimizer)(theirs.parameters(), **kwargs)
    for _ in range(4):
        opt.zero_grad()
        loss, d_scores = mse_loss(ours(ids), target)
        ours.backward(d_scores)
        opt.step()  # reads ours.grads
        opt_t.zero_grad()
        loss_t = torch.nn.functional.mse_loss(theirs(torch.from_numpy(ids)), torch.tensor(target))
        loss_t.backward()
        opt_t.step()
        assert abs(loss - loss_t.item()) <= TOL * abs(loss)
    for name, p in theirs.state_dict().items():
        assert_close(ours.parameters()[name], p.numpy(), TOL, name)
