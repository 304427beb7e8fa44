"""Layer objects: PyTorch's names, initialisation, stacking, dtypes, optimizers and losses."""
import numpy as np
import pytest

import rnnkit
from rnnkit import reference as ref
from tests.helpers import assert_close


@pytest.mark.parametrize("layer_class,G", [(rnnkit.RNN, 1), (rnnkit.LSTM, 4), (rnnkit.GRU, 3)])
def test_parameter_names_shapes_and_init_range(layer_class, G):
    layer = layer_class(3, 8, num_layers=2, seed=0)
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert shapes == {"weight_ih_l0": (G * 8, 3), "weight_hh_l0": (G * 8, 8), "bias_ih_l0": (G * 8,),
                      "bias_hh_l0": (G * 8,), "weight_ih_l1": (G * 8, 8), "weight_hh_l1": (G * 8, 8),
                      "bias_ih_l1": (G * 8,), "bias_hh_l1": (G * 8,)}
    bound = 1 / np.sqrt(8)  # PyTorch: U(-1/sqrt(H), 1/sqrt(H))
    for p in layer.parameters().values():
        assert np.abs(p).max() <= bound and np.abs(p).max() > bound / 2


def test_stacked_layer_equals_two_single_layers():
    rng = np.random.default_rng(0)
    two = rnnkit.GRU(3, 4, num_layers=2, seed=1)
    x = rng.standard_normal((2, 5, 3))
    out, h_n = two.forward(x)
    p = two.parameters()
    h1, _ = ref.gru_forward(x, np.zeros((2, 4)), *(p[f"{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    h2, _ = ref.gru_forward(h1, np.zeros((2, 4)), *(p[f"{n}_l1"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    assert_close(out, h2, 1e-15, "output")
    assert_close(h_n, np.stack([h1[:, -1], h2[:, -1]]), 1e-15, "h_n")


def test_float32_layer_stays_float32():
    layer = rnnkit.LSTM(3, 4, dtype=np.float32, seed=0)
    x = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    out, h_n, c_n = layer.forward(x)
    dx, dh0, dc0, grads = layer.backward(np.ones_like(out))
    assert {a.dtype for a in (out, h_n, c_n, dx, dh0, dc0, *grads.values())} == {np.dtype(np.float32)}


def test_optimizer_reduces_loss_on_a_fixed_batch():
    rng = np.random.default_rng(0)
    lstm, head = rnnkit.LSTM(2, 8, seed=0), rnnkit.Linear(8, 1, seed=0)
    x, target = rng.standard_normal((4, 6, 2)), rng.standard_normal((4, 6, 1))
    params = {**{f"lstm.{k}": v for k, v in lstm.parameters().items()},
              **{f"head.{k}": v for k, v in head.parameters().items()}}
    opt = rnnkit.optim.Adam(params, lr=0.02)
    losses = []
    for _ in range(60):
        out, _, _ = lstm.forward(x)
        loss, dpred = rnnkit.losses.mse_loss(head.forward(out), target)
        _, _, _, grads = lstm.backward(head.backward(dpred))
        grads = {**{f"lstm.{k}": v for k, v in grads.items()},
                 **{f"head.{k}": v for k, v in head.grads.items()}}
        clipped, _ = rnnkit.optim.clip_grad_norm(grads, 5.0)
        opt.step(clipped)
        losses.append(loss)
    assert losses[-1] < 0.5 * losses[0]


def test_clip_grad_norm_scales_only_when_needed():
    grads = {"a": np.array([3.0, 4.0])}
    clipped, norm = ref.clip_grad_norm(grads, 10.0)
    assert norm == 5.0 and np.array_equal(clipped["a"], grads["a"])
    clipped, norm = ref.clip_grad_norm(grads, 1.0)
    assert np.isclose(np.linalg.norm(clipped["a"]), 1.0, rtol=1e-5)
    assert clipped["a"] is not grads["a"]  # a new array: the caller's gradients are untouched
    with pytest.raises(ValueError, match="max_norm must be positive"):
        ref.clip_grad_norm(grads, 0)


def test_linear_gradients():
    rng = np.random.default_rng(0)
    lin = rnnkit.Linear(4, 3, seed=0)
    x, d = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    lin.forward(x)
    dx = lin.backward(d)
    num_dx = ref.eval_numerical_gradient(lambda _: lin.forward(x), x, d)
    assert_close(dx, num_dx, 1e-8, "dx")
    lin.forward(x)
    lin.backward(d)
    W = lin.params["weight"]
    num_dW = ref.eval_numerical_gradient(lambda _: lin.forward(x), W, d)
    assert_close(lin.grads["weight"], num_dW, 1e-8, "dW")


def test_eval_numerical_gradient_of_a_scalar_and_rel_error():
    x = np.array([1.0, 2.0, -3.0])
    grad = ref.eval_numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert_close(grad, 3 * x**2, 1e-9, "d(sum x^3)")
    assert np.array_equal(x, [1.0, 2.0, -3.0]), "x must be restored"
    assert ref.rel_error(np.array([1.0]), np.array([1.0 + 1e-9])) < 1e-9
