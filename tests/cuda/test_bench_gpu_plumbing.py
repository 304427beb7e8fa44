"""bench_gpu's plumbing on the simulator: it refuses to time it, and its parts work.

No time measured here is reported anywhere: the benchmark itself exits with status 2 on the
simulator. These tests only run its pieces on a tiny problem, so that a typo does not wait for
the next GPU machine to be found.
"""
import json

import numpy as np
import pytest

from rnnkit import bench_gpu

pytestmark = pytest.mark.cudasim


def test_refuses_to_time_the_simulator(capsys, tmp_path):
    assert bench_gpu.main(["--quick", "--out", str(tmp_path)]) == 2
    assert "never times the CUDA simulator" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("cell, strategy", [("lstm", "stepwise"), ("gru", "persistent")])
def test_rnnkit_case_and_event_timer_run(cell, strategy):
    host, forward, forward_backward = bench_gpu.rnnkit_case(cell, "float64", 1, 2, 3, 3,
                                                            np.random.default_rng(0), strategy)
    assert host["X"].shape == (2, 1, 3)
    cache = forward()
    assert cache.H_all.shape == (3, 1, 3) and cache.strategy == strategy
    # the simulator's events return a dummy elapsed time (-1): only the call path is checked
    assert isinstance(bench_gpu.time_cuda_events(forward_backward, warmup=0, repeats=1), float)


def test_plot_and_table_from_rows(tmp_path):
    rows = [{"cell": "lstm", "dtype": "float32", "N": N, "T": 10, "D": H, "H": H,
             "rnnkit_stepwise_forward_ms": 1.0, "rnnkit_stepwise_forward_backward_ms": 2.0 * H,
             "rnnkit_stepwise_error_vs_torch": 1e-7, "torch_forward_ms": 0.5,
             "torch_forward_backward_ms": 1.0 * H}
            for N in (1, 4) for H in (64, 256)]
    path = tmp_path / "plot.png"
    bench_gpu.plot(rows, {"gpu": "test"}, str(path))
    assert path.stat().st_size > 1000
    assert "cuDNN fwd" in bench_gpu.format_row(rows[0])
    json.dumps(rows)


@pytest.mark.torch
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_torch_case_computes_the_same_problem(cell):
    """The benchmark's torch model (run on the CPU here) gets rnnkit's weights, gate order kept."""
    torch = pytest.importorskip("torch")
    host, forward, _ = bench_gpu.rnnkit_case(cell, "float64", 2, 3, 5, 4, np.random.default_rng(1))
    torch_forward, torch_forward_backward = bench_gpu.torch_case(torch, cell, "float64", host,
                                                                 device="cpu")
    ours = forward().H_all[1:].copy_to_host()
    np.testing.assert_allclose(torch_forward().numpy(), ours, rtol=0, atol=1e-12)
    torch_forward_backward()


def test_time_shape_without_torch_times_both_strategies():
    from types import SimpleNamespace
    args = SimpleNamespace(warmup=0, repeats=1)
    row = bench_gpu.time_shape(None, "rnn", "float64", 1, 2, 3, 2, args)
    assert {"rnnkit_stepwise_forward_ms", "rnnkit_persistent_forward_backward_ms"} <= row.keys()
    assert "torch_forward_ms" not in row
    assert "stepwise fwd" in bench_gpu.format_row(row)
