"""Every CPU-kernel test runs with poisoned buffers: arrays a kernel must fill start as NaN."""
import pytest

import rnnkit.cpu._buffers as buffers


@pytest.fixture(autouse=True)
def poison(monkeypatch):
    monkeypatch.setattr(buffers, "POISON", True)


@pytest.fixture(params=["serial", "parallel"])
def threading(request, monkeypatch):
    """Run a test with the serial kernels, then with the parallel ones forced on (2 blocks)."""
    import rnnkit.cpu._blocks as blocks

    if request.param == "parallel":
        if blocks.ThreadpoolController is None:
            pytest.skip("threadpoolctl is not installed: the parallel kernels are never used")
        monkeypatch.setattr(blocks, "PARALLEL_MIN_WORK", 0)
        monkeypatch.setattr(blocks.numba, "get_num_threads", lambda: 2)
    else:
        monkeypatch.setattr(blocks, "PARALLEL_MIN_WORK", float("inf"))
    return request.param
