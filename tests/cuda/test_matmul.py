"""The tiled matmul and column-sum kernels against numpy in float64 (simulator).

Shapes are chosen NOT to be multiples of the tile, so the bounds checks are exercised; outputs
start as NaN, so an element no thread writes fails the comparison.
"""
import numpy as np
import pytest
from numba import cuda

from rnnkit.cuda.matmul import GPU_TILE, column_sum, matmul
from tests.helpers import assert_close

pytestmark = pytest.mark.cudasim

TOL = {np.float64: 1e-12, np.float32: 1e-5}


def nan_device(shape, dtype):
    return cuda.to_device(np.full(shape, np.nan, dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("transpose_a, transpose_b", [(False, False), (False, True),
                                                      (True, False), (True, True)])
@pytest.mark.parametrize("M, K, P", [(5, 7, 3), (1, 1, 1), (1, 9, 6)])
def test_matmul_small_tile(dtype, transpose_a, transpose_b, M, K, P):
    rng = np.random.default_rng(M * 100 + K * 10 + P)
    A = rng.standard_normal((K, M) if transpose_a else (M, K)).astype(dtype)
    B = rng.standard_normal((P, K) if transpose_b else (K, P)).astype(dtype)
    C = nan_device((M, P), dtype)
    matmul(cuda.to_device(A), cuda.to_device(B), C, transpose_a, transpose_b, tile=4)
    expected = (A.T if transpose_a else A).astype(np.float64) @ (B.T if transpose_b else B)
    assert_close(C.copy_to_host(), expected, TOL[dtype], "C")


@pytest.mark.parametrize("transpose_b", [False, True])
def test_matmul_gpu_tile_16(transpose_b):
    """The 16 x 16 tile a GPU uses, on a 2 x 2 grid of partial tiles (17 x 18 output)."""
    rng = np.random.default_rng(16)
    A = rng.standard_normal((17, 5))
    B = rng.standard_normal((18, 5)) if transpose_b else rng.standard_normal((5, 18))
    C = nan_device((17, 18), np.float64)
    matmul(cuda.to_device(A), cuda.to_device(B), C, transpose_b=transpose_b, tile=GPU_TILE)
    assert_close(C.copy_to_host(), A @ (B.T if transpose_b else B), 1e-12, "C")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul_accumulates_into_strided_views(dtype):
    """C += A @ B on column slices of larger arrays (the GRU backward uses such views)."""
    rng = np.random.default_rng(3)
    A_big = rng.standard_normal((6, 9)).astype(dtype)
    B = rng.standard_normal((4, 3)).astype(dtype)
    C0 = rng.standard_normal((6, 3)).astype(dtype)
    C = cuda.to_device(C0)
    matmul(cuda.to_device(A_big)[:, 5:], cuda.to_device(B), C, accumulate=True, tile=4)
    assert_close(C.copy_to_host(), C0.astype(np.float64) + A_big[:, 5:] @ B, TOL[dtype], "C")


def test_matmul_rejects_mismatched_shapes():
    A, B, C = (cuda.to_device(np.zeros(s)) for s in ((2, 3), (4, 5), (2, 5)))
    with pytest.raises(ValueError, match="shapes do not fit"):
        matmul(A, B, C)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("M, P", [(7, 5), (1, 1), (3, 130)])
def test_column_sum(dtype, M, P):
    """P = 130 > 128 threads per block: two blocks."""
    A = np.random.default_rng(P).standard_normal((M, P)).astype(dtype)
    out = nan_device((P,), dtype)
    column_sum(cuda.to_device(A), out)
    assert_close(out.copy_to_host(), A.astype(np.float64).sum(axis=0), TOL[dtype], "sum")
