"""The layer options done around the backends (bidirectional, bias=False, dropout) give the
same numbers with backend="numba" and backend="cuda" (simulator) as with backend="numpy".

The CUDA check runs in a subprocess with NUMBA_ENABLE_CUDASIM=1, because numba reads that
variable once, when it is first imported (tiny shapes: the simulator is slow).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnkit.nn import GRU, LSTM, RNN

REPO = Path(__file__).resolve().parents[1]
CASES = {"lstm": (LSTM, {}), "gru-before": (GRU, {"reset_after": False}),
         "rnn-relu": (RNN, {"nonlinearity": "relu"})}


def run(name, backend, N=2, T=3, D=3, H=4, dtype=np.float64):
    """Every output and gradient of a 2-layer bidirectional, bias-free layer with dropout."""
    cls, options = CASES[name]
    layer = cls(D, H, num_layers=2, bidirectional=True, bias=False, dropout=0.5, dtype=dtype,
                backend=backend, seed=1, **options)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    outputs = layer.forward(x)
    d_out = rng.standard_normal(outputs[0].shape).astype(dtype)
    d_h_n = rng.standard_normal(outputs[1].shape).astype(dtype)
    backward = layer.backward(d_out, d_h_n)
    arrays = {f"forward[{i}]": a for i, a in enumerate(outputs) if a is not None}
    arrays.update({f"backward[{i}]": a for i, a in enumerate(backward[:-1])})
    arrays.update(layer.grads)
    return arrays


def max_scaled_errors(got, expected):
    assert got.keys() == expected.keys()
    return {name: float(np.max(np.abs(got[name] - expected[name])) / np.max(np.abs(expected[name])))
            for name in expected}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-4)],
                         ids=["float64", "float32"])
def test_numba_equals_numpy(name, dtype, tol):
    errors = max_scaled_errors(run(name, "numba", dtype=dtype), run(name, "numpy", dtype=dtype))
    assert max(errors.values()) <= tol, errors


SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, {repo!r})
from tests.test_nn_backends import CASES, max_scaled_errors, run
print(json.dumps({{name: max_scaled_errors(run(name, "cuda", T=2, H=3), run(name, "numpy", T=2, H=3))
                  for name in CASES}}))
"""


@pytest.mark.cudasim
def test_cuda_simulator_equals_numpy():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO))], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    errors = json.loads(done.stdout.strip().splitlines()[-1])
    assert errors.keys() == CASES.keys()
    for name, per_array in errors.items():
        assert per_array and max(per_array.values()) <= 1e-10, (name, per_array)
