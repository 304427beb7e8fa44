"""The benchmark library and the ``rnnkit bench`` command, on tiny shapes (seconds, not minutes)."""
import json

import numpy as np
import pytest

from rnnkit import bench


def test_fit_exponent_recovers_a_power_law():
    xs = np.array([25, 50, 100, 200])
    assert bench.fit_exponent(xs, 3e-4 * xs**2.0) == pytest.approx(2.0)
    assert bench.fit_exponent(xs, 7.0 * xs) == pytest.approx(1.0)


def test_flops_count_the_matrix_products():
    # LSTM forward: 2 · N · T · 4H · (D + H); forward+backward is three times that
    assert bench.flops("lstm", 2, 3, 4, 5, "forward") == 2 * 2 * 3 * 20 * 9
    assert bench.flops("gru", 2, 3, 4, 5, "forward+backward") == 3 * 2 * 2 * 3 * 15 * 9


def test_time_interleaved_takes_turns_and_respects_minimums():
    calls = []
    medians, times = bench.time_interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, seconds=0.0,
        min_repeats={"a": 1})
    assert len(times["a"]) >= 1 and len(times["b"]) >= 3
    assert calls[:2] == ["a", "b"]  # in turns, not one backend after the other
    assert set(medians) == {"a", "b"}


def test_grid_row_has_ratios_and_gflops():
    rows = bench.run_grid(shapes=[(2, 3, 4, 5)], cells=("lstm",), dtypes=("float64",),
                          backends=("numpy", "numba"), seconds=0.01, progress=lambda *_: None)
    assert [r["pass_"] for r in rows] == ["forward", "forward+backward"]
    for row in rows:
        assert row["numba"]["median_s"] > 0 and row["numpy"]["repeats"] >= 1
        assert row["numpy_over_numba"] == pytest.approx(
            row["numpy"]["median_s"] / row["numba"]["median_s"])
    table = bench.markdown_table(rows, {"float64": 50.0})
    assert table.count("\n") == 2 and "| lstm | float64 | (2, 3, 4, 5) |" in table


def test_scaling_fits_both_axes():
    out = bench.run_scaling(N=2, D=3, T_fixed=4, H_fixed=5, Ts=(4, 8), Hs=(5, 10),
                            progress=lambda *_: None)
    for axis in ("T", "H"):
        assert len(out[axis]["points"]) == 2
        assert out[axis]["memory_exponent"] > 0  # longer sequences keep more activations


def test_command_writes_json_and_plot(tmp_path):
    from rnnkit.cli import main

    status = main(["bench", "--out", str(tmp_path), "--cells", "rnn", "--dtypes", "float32",
                   "--backends", "numpy", "numba", "--shape", "1", "2", "3", "4",
                   "--no-compile", "--no-scaling"])
    assert status == 0
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["results"][0]["shape"] == [1, 2, 3, 4]
    assert report["ceiling_gflops"]["float32"] > 0
    assert (tmp_path / "bench.png").stat().st_size > 1000


def test_command_rejects_bad_shape(capsys):
    from rnnkit.cli import main

    assert main(["bench", "--shape", "0", "2", "3", "4"]) == 2
    assert "--shape" in capsys.readouterr().err
