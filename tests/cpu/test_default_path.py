"""Issue 12's regression: on the default path the numba backend must not be slower than numpy.

The default path is what a new user runs: a fresh process, no thread variables, the layer API,
default threads. The bug made numba 26x slower than numpy there (BLAS threads fighting Numba's),
while the benchmark harness, which set things up differently, did not show it.

Speed is measured as a ratio in one process, never as an absolute time: both backends take turns
(best of several rounds each), so other jobs on a shared machine slow both alike. Healthy, numba
takes 0.3-0.7x numpy's time at this shape on 2 cores; with the bug, 26x.
"""
from rnnkit import bench


def test_numba_is_not_slower_than_numpy_on_the_default_path():
    result = bench.default_path(bench.DEFAULT_PATH_SHAPE, rounds=7)
    assert "OpenBLAS Warning" not in result["stderr"]
    assert result["numba_over_numpy"] <= 1.0, bench.format_default_path(result)
