"""The parameter container (rnnkit.nn.Module), the calling convention, options that must be
rejected, whole-model save/load (.npz) with its bad files, and ``python -m rnnkit``."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnkit
from rnnkit.nn import GRU, LSTM, RNN, Dropout, Embedding, Linear, Module, load

REPO = Path(__file__).resolve().parents[1]


class TwoHeads(Module):
    def __init__(self):
        super().__init__()
        self.rnn = GRU(3, 4, seed=0)
        self.inner = Module()
        self.inner.head = Linear(4, 2, seed=1)
        self.not_a_module = np.zeros(3)  # attributes that are not modules are not children

    def forward(self, x):
        return self.inner.head(self.rnn(x)[0])

    def backward(self, d_out):
        return self.rnn.backward(self.inner.head.backward(d_out))[0]


def test_nested_modules_expose_every_parameter_with_dotted_names():
    model = TwoHeads()
    names = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
             "inner.head.weight", "inner.head.bias"]
    assert list(model.parameters()) == names
    assert [n for n, _ in model.named_parameters()] == names
    # the very arrays of the layers (an optimizer updates them in place)
    assert model.parameters()["inner.head.weight"] is model.inner.head.params["weight"]
    assert model.num_parameters() == 3 * 4 * 3 + 3 * 4 * 4 + 2 * 12 + 4 * 2 + 2
    assert sorted(model.grads) == sorted(names)
    x = np.random.default_rng(0).standard_normal((2, 3, 3))
    model.backward(np.ones_like(model(x)))
    assert model.grads["inner.head.bias"].tolist() == [6.0, 6.0]  # N*T ones
    model.zero_grad()
    assert all(not g.any() for g in model.grads.values())


def test_submodule_before_super_init_is_an_error():
    class Broken(Module):
        def __init__(self):
            self.lstm = LSTM(2, 3)

    with pytest.raises(AttributeError, match=re.escape("call super().__init__() before assigning the submodule 'lstm'")):
        Broken()


def test_train_and_eval_reach_every_child():
    model = TwoHeads()
    assert model.eval() is model
    assert [m.training for _, m in model.named_modules()] == [False] * 4
    model.train()
    assert all(m.training for _, m in model.named_modules())


def test_state_dict_round_trip_and_all_or_nothing_loading():
    a, b = TwoHeads(), TwoHeads()
    b.rnn.params["weight_ih_l0"] += 1
    b.load_state_dict(a.state_dict())
    for name, p in a.parameters().items():
        assert np.array_equal(p, b.parameters()[name])
    state = a.state_dict()
    state["rnn.weight_ih_l0"] = state["rnn.weight_ih_l0"] + 5
    state["inner.head.bias"] = np.zeros(3)  # wrong shape: nothing may be changed
    with pytest.raises(ValueError, match=re.escape("inner.head.bias must have shape (2,), got (3,)")):
        b.load_state_dict(state)
    assert np.array_equal(b.parameters()["rnn.weight_ih_l0"], a.parameters()["rnn.weight_ih_l0"])


@pytest.mark.parametrize("cls", [RNN, GRU])
def test_call_equals_forward_for_rnn_and_gru(cls):
    layer = cls(3, 4, num_layers=2, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    h0 = np.random.default_rng(2).standard_normal((2, 2, 4))
    output, h_n = layer(x, h0)
    output2, h_n2 = layer.forward(x, h0)
    assert np.array_equal(output, output2) and np.array_equal(h_n, h_n2)


def test_lstm_call_nests_the_state_and_forward_stays_flat():
    lstm = LSTM(3, 4, seed=0)
    rng = np.random.default_rng(1)
    x, h0, c0 = rng.standard_normal((2, 5, 3)), rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4))
    output, (h_n, c_n) = lstm(x, (h0, c0))
    flat = lstm.forward(x, h0, c0)
    assert len(flat) == 3
    for a, b in zip((output, h_n, c_n), flat):
        assert np.array_equal(a, b)
    with pytest.raises(TypeError, match=r"hx must be a pair \(h0, c0\) or None, got ndarray"):
        lstm(x, h0)


@pytest.mark.parametrize("call,error,message", [
    (lambda: LSTM(3, 4, nonlinearity="relu"), TypeError,
     "LSTM got an unexpected option nonlinearity='relu': only RNN has it"),
    (lambda: GRU(3, 4, nonlinearity="tanh"), TypeError, "GRU got an unexpected option nonlinearity"),
    (lambda: RNN(3, 4, reset_after=False), TypeError,
     "RNN got an unexpected option reset_after=False: only GRU has it"),
    (lambda: LSTM(3, 4, reset_after=True), TypeError, "only GRU has it"),
    (lambda: LSTM(3, 4, proj_size=2), TypeError, "LSTM got an unexpected option proj_size=2"),
    (lambda: GRU(3, 4, reset_after="no"), TypeError, "reset_after must be True or False, got 'no'"),
    (lambda: LSTM(3, 4, bias="no"), TypeError, "bias must be True or False, got 'no'"),
    (lambda: LSTM(3, 4, bidirectional=1), TypeError, "bidirectional must be True or False"),
    (lambda: LSTM(3, 4, dropout=0.5), ValueError, "dropout=0.5 does nothing with num_layers=1"),
    (lambda: LSTM(3, 4, 2, dropout=1.0), ValueError, r"dropout must be in \[0, 1\), got 1.0"),
    (lambda: LSTM(3, 4, 2, dropout=float("nan")), ValueError, r"dropout must be in \[0, 1\), got nan"),
    (lambda: LSTM(3, 4, 2, dropout="0.1"), TypeError, "dropout must be a number"),
    (lambda: LSTM(3, 4, batch_first=False), ValueError, "batch_first=False is not supported"),
    (lambda: RNN(3, 4, nonlinearity="sigmoid"), ValueError, "nonlinearity must be one of"),
    (lambda: Linear(3, 0), ValueError, "out_features must be a positive integer, got 0"),
    (lambda: Embedding(5, 2, padding_idx=5), ValueError, r"padding_idx must be None or an integer in \[-5, 5\)"),
    (lambda: Dropout(p=-0.1), ValueError, r"p must be in \[0, 1\)"),
], ids=["lstm-nonlinearity", "gru-nonlinearity", "rnn-reset_after", "lstm-reset_after",
        "unknown", "reset_after-no", "bias-no", "bidirectional-1", "dropout-one-layer",
        "dropout-1", "dropout-nan", "dropout-str", "batch_first", "nonlinearity-bad",
        "linear-0", "padding_idx", "dropout-module"])
def test_options_that_would_do_nothing_or_something_else_are_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bidirectional_shapes_and_messages():
    gru = GRU(3, 4, num_layers=2, bidirectional=True, seed=0)
    x = np.zeros((2, 5, 3))
    output, h_n = gru(x)
    assert output.shape == (2, 5, 8) and h_n.shape == (4, 2, 4)
    assert gru.params["weight_ih_l1_reverse"].shape == (12, 8)
    with pytest.raises(ValueError, match=re.escape("h0 must have shape (num_layers * 2, N, H) = (4, 2, 4)")):
        gru(x, np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=re.escape("d_output must have shape (N, T, 2 * H) = (2, 5, 8)")):
        gru.backward(np.zeros((2, 5, 4)))


def test_dropout_is_off_in_eval_mode_and_on_in_training():
    lstm = LSTM(3, 4, num_layers=2, dropout=0.5, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    train_out = lstm(x)[0]
    eval_out = lstm.eval()(x)[0]
    assert not np.allclose(train_out, eval_out)
    assert np.array_equal(eval_out, lstm(x)[0])  # deterministic in eval mode
    no_dropout = LSTM(3, 4, num_layers=2, seed=0)
    assert np.array_equal(eval_out, no_dropout(x)[0])


def test_dropout_module_masks_forward_and_backward():
    drop = Dropout(0.5, seed=0)
    x = np.ones((100, 10))
    y = drop(x)
    assert set(np.unique(y)) == {0.0, 2.0}
    assert np.array_equal(drop.backward(np.ones_like(x)), y)
    drop.eval()
    assert drop(x) is x


def test_embedding_bad_ids():
    emb = Embedding(5, 2)
    with pytest.raises(ValueError, match=re.escape("ids must lie in [0, num_embeddings) = [0, 5), got values in [0, 5]")):
        emb(np.array([0, 5]))
    with pytest.raises(TypeError, match="ids must be an integer numpy array, got float64"):
        emb(np.array([0.0, 1.0]))


def test_optimizer_from_model_parameters_steps_without_arguments():
    model = TwoHeads()
    opt = rnnkit.optim.SGD(model.parameters(), lr=0.5)
    before = model.state_dict()
    x = np.random.default_rng(0).standard_normal((2, 3, 3))
    model.backward(np.ones_like(model(x)))
    grads = model.grads
    opt.step()
    for name, p in model.parameters().items():
        np.testing.assert_allclose(p, before[name] - 0.5 * grads[name], rtol=0, atol=1e-15)
    opt.zero_grad()
    assert all(not g.any() for g in model.grads.values())


def test_optimizer_bad_input():
    params = {"w": np.zeros((2, 3))}
    with pytest.raises(TypeError, match="step\\(\\) needs grads"):
        rnnkit.optim.Adam(params).step()
    with pytest.raises(ValueError, match=re.escape("grads['w'] must be an array of shape (2, 3) like its parameter, got (3,)")):
        rnnkit.optim.SGD(params).step({"w": np.ones(3)})  # would broadcast silently
    with pytest.raises(ValueError, match="lr must be in"):
        rnnkit.optim.Adam(params, lr=float("nan"))
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\)"):
        rnnkit.optim.Adam(params, betas=(0.9, 1.5))
    with pytest.raises(TypeError, match="parameter 'w' must be a float numpy array, got int64"):
        rnnkit.optim.SGD({"w": np.zeros(3, dtype=np.int64)})


# -- save and load ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: LSTM(3, 4, num_layers=2, bidirectional=True, dropout=0.3, bias=False, seed=0),
    lambda: GRU(3, 4, reset_after=False, dtype=np.float32, seed=0),
    lambda: RNN(3, 4, nonlinearity="relu", seed=0),
    lambda: Embedding(6, 2, padding_idx=1, seed=0),
    lambda: Linear(3, 2, bias=False, seed=0),
], ids=["lstm", "gru", "rnn", "embedding", "linear"])
def test_builtin_layers_are_rebuilt_from_the_file_alone(tmp_path, make):
    layer = make()
    for p in layer.parameters().values():
        p += 0.25  # not what a fresh layer with the same seed holds
    path = layer.save(tmp_path / "layer.npz")
    again = load(path)
    assert type(again) is type(layer) and again.config() == layer.config()
    for name, p in layer.parameters().items():
        assert np.array_equal(again.parameters()[name], p) and again.parameters()[name].dtype == p.dtype


def test_load_can_switch_backend(tmp_path):
    path = GRU(3, 4, seed=0).save(tmp_path / "gru.npz")
    assert load(path, backend="numba").backend == "numba"
    with pytest.raises(ValueError, match="backend= applies to recurrent layers"):
        load(Linear(2, 2).save(tmp_path / "lin.npz"), backend="numba")


def test_a_whole_model_saves_and_loads_in_place(tmp_path):
    model, other = TwoHeads(), TwoHeads()
    model.rnn.params["weight_hh_l0"] += 1
    path = tmp_path / "model.weights"  # any name: written exactly there, no ".npz" appended
    model.save(path)
    assert os.listdir(tmp_path) == ["model.weights"]
    assert other.load(path) is other
    x = np.random.default_rng(0).standard_normal((2, 3, 3))
    assert np.array_equal(model(x), other(x))
    with pytest.raises(ValueError, match="holds a TwoHeads, which rnnkit cannot build by itself"):
        load(path)


def test_loading_into_a_different_model_names_the_file_and_the_mismatch(tmp_path):
    path = LSTM(3, 4, seed=0).save(tmp_path / "lstm.npz")
    with pytest.raises(ValueError, match=r"lstm.npz holds a LSTM that does not fit this GRU: "
                                         r"weight_ih_l0 must have shape \(12, 3\), got \(16, 3\)"):
        GRU(3, 4).load(path)
    with pytest.raises(KeyError, match="missing"):
        LSTM(3, 4, num_layers=2).load(path)


def test_bad_model_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        load(tmp_path / "nothing.npz")
    noise = tmp_path / "noise.npz"
    noise.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match="noise.npz is not an rnnkit model file"):
        load(noise)
    good = LSTM(3, 4).save(tmp_path / "good.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(Path(good).read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated.npz is damaged or truncated"):
        load(truncated)
    plain = tmp_path / "plain.npz"
    np.savez(plain, **LSTM(3, 4).state_dict())
    with pytest.raises(ValueError, match="plain.npz is a .npz archive but not an rnnkit model file"):
        LSTM(3, 4).load(plain)
    nan_file = tmp_path / "nan.npz"
    layer = LSTM(3, 4)
    layer.params["bias_hh_l0"][0] = np.nan
    layer.save(nan_file)
    with pytest.raises(ValueError, match=re.escape("bias_hh_l0 contains NaN or inf (first at index (0,))")):
        load(nan_file)


def test_layers_are_still_importable_from_the_old_places():
    from rnnkit import layers

    assert rnnkit.LSTM is layers.LSTM is rnnkit.nn.LSTM
    assert rnnkit.Embedding is Embedding and rnnkit.Module is Module


def test_python_dash_m_rnnkit_runs_the_cli():
    run = subprocess.run([sys.executable, "-m", "rnnkit", "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: rnnkit") and "train" in run.stdout
    bare = subprocess.run([sys.executable, "-m", "rnnkit"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert bare.returncode == 2 and "usage: rnnkit" in bare.stdout


def test_the_readme_layers_example_runs(tmp_path, monkeypatch):
    """The README's "Layers" example, run as written (it saves tagger.npz in the cwd)."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Layers\n"):readme.index("## Backends\n")]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md (Layers)", "exec"), namespace)
    model = namespace["Tagger"]().load("tagger.npz")
    for name, p in namespace["model"].parameters().items():
        assert np.array_equal(model.parameters()[name], p)


def test_initial_state_by_pytorchs_keyword_hx():
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.standard_normal((2, 3, 3)), rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4))
    gru, lstm = GRU(3, 4, seed=0), LSTM(3, 4, seed=0)
    assert np.array_equal(gru(x, hx=h0)[0], gru.forward(x, h0)[0])
    assert not np.array_equal(gru(x, hx=h0)[0], gru(x)[0])
    assert np.array_equal(lstm(x, hx=(h0, c0))[0], lstm.forward(x, h0, c0)[0])
