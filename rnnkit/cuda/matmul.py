"""Tiled shared-memory matrix product, and column sums.

    C = op(A) @ op(B)        (or C += op(A) @ op(B) with accumulate=True)
    op(A) = A or Aᵀ, op(B) = B or Bᵀ

The sequence driver uses it for every product of the RNNs:
    input projection of all steps   Gx = X @ W_ihᵀ        (T·N, D) x (D, G·H)
    recurrent product of one step   Gh = h_prev @ W_hhᵀ   (N, H) x (H, G·H)
    backward                        dh_prev += dG @ W_hh,  dX = dG @ W_ih,
                                    dW_ih = dGᵀ @ X,       dW_hh = dGᵀ @ H_prev
Column sums give the bias gradients: db = Σ_rows dG.
"""
import functools

from numba import cuda

from rnnkit.cuda.device import simulator_enabled
from rnnkit.cuda.memory import blocks_for, threads_for

#: tile edge on a GPU: 16 x 16 = 256 threads per block
GPU_TILE = 16
#: the simulator starts one Python thread per CUDA thread, so the driver uses 4 x 4 tiles there;
#: the kernel's code is the same for every tile (the tests run the 16 x 16 one too)
SIMULATOR_TILE = 4


def default_tile():
    return SIMULATOR_TILE if simulator_enabled() else GPU_TILE


@functools.lru_cache(maxsize=None)
def matmul_kernel(tile):
    """Compile the tiled product for one tile edge (a compile-time constant of the kernel)."""

    @cuda.jit
    def matmul(A, B, C, transpose_a, transpose_b, accumulate, zero):
        """C[i, j] (+)= Σ_k op(A)[i, k] · op(B)[k, j]   C: (M, P), op(A): (M, K), op(B): (K, P).

        Threads: a block of tile x tile threads computes one tile x tile tile of C; thread
        (ty, tx) owns C[i, j] with i = blockIdx.y·tile + ty (row), j = blockIdx.x·tile + tx (col).
        The K dimension is walked one tile at a time: the block copies a tile of op(A) and one of
        op(B) into shared memory (each thread copies one element of each), waits for the whole
        block (syncthreads), then every thread reads tile values from the fast shared memory
        instead of global memory. Elements outside the matrices are loaded as 0 and never
        stored, so any M, K, P works (they need not be multiples of the tile).
        ``zero`` is 0 in C's dtype: a literal 0.0 would make float32 sums run in float64.
        """
        A_tile = cuda.shared.array((tile, tile), dtype=C.dtype)
        B_tile = cuda.shared.array((tile, tile), dtype=C.dtype)
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        i = cuda.blockIdx.y * tile + ty
        j = cuda.blockIdx.x * tile + tx
        M, P = C.shape
        K = A.shape[0] if transpose_a else A.shape[1]
        acc = zero
        for k0 in range(0, K, tile):
            # this thread's element of the A tile: op(A)[i, k0 + tx]
            k = k0 + tx
            if i < M and k < K:
                A_tile[ty, tx] = A[k, i] if transpose_a else A[i, k]
            else:
                A_tile[ty, tx] = zero
            # and of the B tile: op(B)[k0 + ty, j]
            k = k0 + ty
            if k < K and j < P:
                B_tile[ty, tx] = B[j, k] if transpose_b else B[k, j]
            else:
                B_tile[ty, tx] = zero
            cuda.syncthreads()  # the tiles are complete
            for kk in range(tile):
                acc += A_tile[ty, kk] * B_tile[kk, tx]
            cuda.syncthreads()  # everyone is done reading before the next tiles overwrite them
        if i < M and j < P:
            if accumulate:
                C[i, j] += acc
            else:
                C[i, j] = acc

    return matmul


def matmul(A, B, C, transpose_a=False, transpose_b=False, accumulate=False, tile=None):
    """Launch the tiled product on device arrays: C (+)= op(A) @ op(B). Returns C."""
    tile = tile or default_tile()
    M, P = C.shape
    K = A.shape[0] if transpose_a else A.shape[1]
    op_a = (A.shape[1], A.shape[0]) if transpose_a else A.shape
    op_b = (B.shape[1], B.shape[0]) if transpose_b else B.shape
    if op_a != (M, K) or op_b != (K, P):
        raise ValueError(f"matmul shapes do not fit: op(A) {op_a} @ op(B) {op_b} -> C {C.shape}")
    grid = (blocks_for(P, tile), blocks_for(M, tile))  # x walks the columns, y the rows
    matmul_kernel(tile)[grid, (tile, tile)](A, B, C, transpose_a, transpose_b, accumulate,
                                            C.dtype.type(0))
    return C


@cuda.jit
def column_sum_kernel(A, out, accumulate, zero):
    """out[j] (+)= Σ_i A[i, j]   A: (M, P), out: (P,).

    Threads: one thread per column j (grid-stride), walking down the rows. Bias gradients are
    short (G·H columns), so this simple loop is enough.
    """
    M, P = A.shape
    for j in range(cuda.grid(1), P, cuda.gridsize(1)):
        total = zero
        for i in range(M):
            total += A[i, j]
        if accumulate:
            out[j] += total
        else:
            out[j] = total


def column_sum(A, out, accumulate=False):
    """Launch: out (+)= A.sum(axis=0) on device arrays. Returns out."""
    if out.shape != (A.shape[1],):
        raise ValueError(f"column_sum: out must have shape ({A.shape[1]},), got {out.shape}")
    threads = threads_for(A.shape[1])
    column_sum_kernel[blocks_for(A.shape[1], threads), threads](A, out, accumulate,
                                                               out.dtype.type(0))
    return out
