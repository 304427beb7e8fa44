"""rnnkit.model.CharLM: shapes, carried state, gradients, state dict."""
import numpy as np
import pytest

from rnnkit.losses import softmax_cross_entropy
from rnnkit.model import CharLM
from rnnkit.reference import eval_numerical_gradient, scaled_error


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("embedding_dim", [None, 3])
def test_gradients_match_finite_differences(cell, embedding_dim):
    rng = np.random.default_rng(1)
    model = CharLM(5, 4, num_layers=2, cell=cell, embedding_dim=embedding_dim,
                   dtype=np.float64, seed=3)
    x, y = rng.integers(0, 5, (2, 3)), rng.integers(0, 5, (2, 3))

    def loss(_):
        return softmax_cross_entropy(model.forward(x)[0], y)[0]

    grads = model.backward(softmax_cross_entropy(model.forward(x)[0], y)[1])
    assert set(grads) == set(model.parameters())
    for name, p in model.parameters().items():
        assert scaled_error(grads[name], eval_numerical_gradient(loss, p)) < 1e-6, name


def test_carried_state_equals_one_long_forward():
    model = CharLM(7, 6, cell="lstm", embedding_dim=4, dtype=np.float64)
    ids = np.random.default_rng(0).integers(0, 7, (3, 10))
    whole, _ = model.forward(ids)
    first, state = model.forward(ids[:, :4])
    second, _ = model.forward(ids[:, 4:], state)
    assert np.allclose(np.concatenate([first, second], axis=1), whole, rtol=0, atol=1e-14)


def test_state_dict_round_trip_and_optimizer_sees_updates():
    a = CharLM(5, 4, cell="gru", embedding_dim=2, seed=1)
    b = CharLM(5, 4, cell="gru", embedding_dim=2, seed=2)
    b.load_state_dict(a.state_dict())
    ids = np.array([[0, 1, 2]])
    assert np.array_equal(a.forward(ids)[0], b.forward(ids)[0])
    a.parameters()["rnn.weight_hh_l0"] += 1  # the flat dict holds the layers' own arrays
    assert not np.array_equal(a.forward(ids)[0], b.forward(ids)[0])
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({})


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell"):
        CharLM(5, 4, cell="transformer")
    with pytest.raises(ValueError, match="vocab_size"):
        CharLM(1, 4)
    model = CharLM(5, 4)
    with pytest.raises(ValueError, match="ids"):
        model.forward(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="ids"):
        model.forward(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="forward"):
        CharLM(5, 4).backward(np.zeros((1, 1, 5), np.float32))
