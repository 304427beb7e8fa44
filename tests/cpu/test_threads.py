"""The thread policy (rnnkit/threads.py, issue 12): Numba's threads and BLAS's never compete.

Most checks run in a fresh process with no thread variables set, as a new user's would: the bug
depended on what had been imported, and in which order, before the first kernel ran.
"""
import json
import re
import subprocess
import sys

import pytest

from rnnkit.bench import clean_env

threadpoolctl = pytest.importorskip("threadpoolctl")

#: imports the given modules first, runs one parallel-sized LSTM forward+backward on the numba
#: backend, then reports every BLAS library's threads
PROBE = r"""
import json, sys
first = [m for m in sys.argv[1].split(",") if m]
for name in first:
    __import__(name)
if "threadpoolctl" in first:  # a limiter built before SciPy's BLAS is loaded: the old bug
    from threadpoolctl import ThreadpoolController
    ThreadpoolController()
import numpy as np
import rnnkit
if sys.argv[2] != "default":
    rnnkit.set_num_threads(int(sys.argv[2]))
import rnnkit.cpu._blocks as blocks
m = rnnkit.LSTM(16, 128, backend="numba", dtype=np.float32, seed=0)
x = np.ones((32, 5, 16), np.float32)
out, h, c = m.forward(x)
m.backward(np.ones_like(out))
from threadpoolctl import threadpool_info
import numba
print(json.dumps({"blas": {i["filepath"]: i["num_threads"] for i in threadpool_info()
                           if i["user_api"] == "blas"},
                  "numba_threads": numba.get_num_threads(),
                  "parallel": blocks.threads_for(32, 128, 4) > 1}))
"""


def probe(first=(), threads="default"):
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(first), str(threads)],
                          env=clean_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "OpenBLAS Warning" not in done.stderr  # BLAS threads started inside Numba's
    return json.loads(done.stdout.strip().splitlines()[-1])


ORDERS = [(), ("threadpoolctl",), ("scipy.linalg.cython_blas",), ("numba",), ("rnnkit.cpu",)]
try:
    import torch  # noqa: F401

    ORDERS.append(("torch",))
except ImportError:
    pass


@pytest.mark.parametrize("first", ORDERS, ids=lambda f: "+".join(f) or "plain")
def test_every_blas_is_on_one_thread_after_a_parallel_kernel(first):
    """The default (every core for Numba): no BLAS library may keep threads of its own."""
    out = probe(first)
    assert any("scipy" in path for path in out["blas"]), out  # SciPy's BLAS was seen at all
    if out["numba_threads"] > 1:
        assert out["parallel"]
        assert set(out["blas"].values()) == {1}, out


def test_set_num_threads_one_runs_serial_kernels():
    out = probe(threads=1)
    assert out["numba_threads"] == 1 and not out["parallel"]
    assert set(out["blas"].values()) == {1}, out


def test_set_num_threads_in_process_governs_numba_and_numpys_blas():
    import numba

    from rnnkit import threads

    saved = threads.requested_threads()
    try:
        threads.set_num_threads(1)
        assert numba.get_num_threads() == 1 == threads.get_num_threads()
        with threads.blas_as_if_alone():  # the policy's own BLAS threads, rule 2 lifted
            assert {lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                    if lib["user_api"] == "blas"} == {1}
        threads.set_num_threads(0)
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        threads.set_num_threads(saved)


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True, None])
def test_set_num_threads_rejects_bad_values(bad):
    import rnnkit

    with pytest.raises(ValueError, match="threads must be an integer >= 0"):
        rnnkit.set_num_threads(bad)


def test_cli_threads_option_applies_before_the_command(monkeypatch, capsys):
    from rnnkit import cli, threads

    calls = []
    monkeypatch.setattr(threads, "set_num_threads", calls.append)
    # bench rejects the shape after the option took effect: nothing is timed
    assert cli.main(["--threads", "3", "bench", "--shape", "0", "2", "3", "4"]) == 2
    assert calls == [3]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--threads", "-1", "bench"])
    assert exit_info.value.code == 2
    assert "--threads must be >= 0" in capsys.readouterr().err


def test_command_threads_zero_keeps_the_global_setting(monkeypatch):
    from rnnkit import threads
    from rnnkit.commands._backend import limit_threads

    calls = []
    monkeypatch.setattr(threads, "set_num_threads", calls.append)
    limit_threads(0)
    limit_threads(2)
    assert calls == [2]
    with pytest.raises(ValueError, match="--threads must be >= 0"):
        limit_threads(-2)


#: runs a parallel kernel, then prints what OpenMP read (libgomp's omp_display_env, to stderr;
#: it shows an unset policy as PASSIVE too, but the spin count as 300000 instead of 0)
WAIT_PROBE = r"""
import ctypes, os, numpy as np, rnnkit, numba
m = rnnkit.LSTM(16, 128, backend="numba", dtype=np.float32, seed=0)
m.forward(np.ones((32, 5, 16), np.float32))
print(numba.threading_layer(), os.environ.get("OMP_WAIT_POLICY"))
ctypes.CDLL("libgomp.so.1").omp_display_env(1)
"""


@pytest.mark.parametrize("user_policy", [None, "ACTIVE"])
def test_numba_threads_wait_passively_unless_the_user_chose(user_policy):
    """Rule 4: Numba's OpenMP threads sleep at the per-step barrier instead of spinning (a
    spinning thread keeps the core from the one it waits for when another job runs); the
    variable is not left behind, and a user's own policy wins."""
    env = clean_env()
    if user_policy:
        env["OMP_WAIT_POLICY"] = user_policy
    done = subprocess.run([sys.executable, "-c", WAIT_PROBE], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    layer, left = done.stdout.split()
    if layer != "omp":
        pytest.skip(f"Numba uses its {layer} threading layer here, not OpenMP")
    assert left == (user_policy or "None")
    assert f"OMP_WAIT_POLICY = '{user_policy or 'PASSIVE'}'" in done.stderr
    spins = re.search(r"GOMP_SPINCOUNT = '(\d+)'", done.stderr).group(1)
    assert (int(spins) > 0) == (user_policy == "ACTIVE"), spins
