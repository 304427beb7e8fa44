"""Assignment 07: CUDA kernels with numba.cuda (on a GPU, or on the CUDA simulator)."""
import diagrams
from cells import answer, code, md, notebook, scratch, test

NAME = "07_numba_cuda"

CELLS = [
    md("intro", r"""
    # Assignment 07 — CUDA kernels for the LSTM with `numba.cuda`

    A GPU runs thousands of threads at once. With `numba.cuda` you write the code of **one
    thread** (a *kernel*, `@cuda.jit`), and launch it on a *grid* of *blocks* of threads:
    `kernel[blocks, threads_per_block](args...)`. Each thread finds its element from its
    position: `cuda.blockIdx`, `cuda.blockDim`, `cuda.threadIdx`.

    You will write three kernels:
    1. `lstm_gates_kernel` — elementwise: the LSTM's nonlinearities and state update;
    2. `matmul_tiled_kernel` — a matrix product through **shared memory**, in tiles, with
       `cuda.syncthreads()`;
    3. `lstm_step_kernel` — a fused recurrent step: pre-activations and gates in one kernel.

    **Simulator.** This notebook runs on the **CUDA simulator** (`NUMBA_ENABLE_CUDASIM=1`, set in
    the first cell *before* numba is imported), which executes each thread as a Python thread on
    the CPU: slow (about a millisecond per thread), so all shapes here are tiny, but it checks
    array bounds and runs `syncthreads` faithfully. Grading always uses the simulator. On a
    machine with an NVIDIA GPU you may set the environment variable `RNNKIT_REAL_GPU=1` before
    starting Jupyter to run the same kernels on the GPU. The first cell prints which one is in
    use. **Simulator timings say nothing about GPU speed.**

    **How the checker launches your kernels** (sizes deliberately *not* multiples of the block):
    - elementwise kernels: blocks of `(8, 2)` threads; **x ↦ hidden unit j**,
      **y ↦ batch row n**;
      grid `(ceil(H / 8), ceil(N / 2))`;
    - the matmul: blocks of `(TILE, TILE)` = `(4, 4)`; **x ↦ column** of C, **y ↦ row** of C;
      grid `(ceil(N / 4), ceil(M / 4))`.

    Every output is filled with NaN before a launch: an element your kernel never writes is
    reported. An index out of bounds is reported too.
    """),
    code("setup", r"""
    import os

    # must happen before numba is imported anywhere in this kernel
    if os.environ.get("RNNKIT_REAL_GPU") != "1":
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

    import math
    import time

    import numpy as np
    from numba import config, cuda

    import rnnkit.reference as solved  # the numpy LSTM of assignment 03, for comparisons
    from rnnkit.grading import check

    NOTEBOOK_START = time.perf_counter()
    TILE = 4  # the tile (and block) size of the matmul: the checker launches (TILE, TILE) blocks
    if config.ENABLE_CUDASIM:
        print("Using the CUDA SIMULATOR (NUMBA_ENABLE_CUDASIM=1): kernels run as Python threads "
              "on the CPU; timings are not GPU timings.")
    else:
        print("Using a real GPU:", cuda.get_current_device().name)


    def blocks_for(n_x, n_y, threads):
        # enough blocks to cover n_x by n_y elements: ceil division on each axis
        return ((n_x + threads[0] - 1) // threads[0], (n_y + threads[1] - 1) // threads[1])
    """),
    md("gates_math", r"""
    ## 1. An elementwise kernel: the LSTM's gates

    Given the pre-activations `a` (N, 4H) of one step (rows stacked **i | f | g | o**: gate k of
    unit j is `a[n, k*H + j]`) and `c_prev` (N, H), each thread computes one (n, j):

    $$i = \sigma(a_{n,j}),\ f = \sigma(a_{n,H+j}),\ g = \tanh(a_{n,2H+j}),\ o = \sigma(a_{n,3H+j}),
      \quad c = f\,c_{prev} + i\,g, \quad h = o \tanh c.$$

    - the global indices: `j = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x` and `n`
      likewise with `.y`;
    - the **bounds check**: the grid is rounded up, so some threads have no element: they must
      do nothing (`if n < N and j < H:`);
    - use `math.exp` / `math.tanh` (scalars) inside kernels.
    """),
    answer("lstm_gates_kernel", r'''
    @cuda.jit
    def lstm_gates_kernel(a, c_prev, h_next, c_next):
        """a (N, 4H) pre-activations, c_prev (N, H) -> writes h_next, c_next (N, H).

        One thread per (n, j).
        """
        ### BEGIN SOLUTION
        j = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        n = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
        N, H = c_prev.shape
        if n < N and j < H:
            i = 1.0 / (1.0 + math.exp(-a[n, j]))
            f = 1.0 / (1.0 + math.exp(-a[n, H + j]))
            g = math.tanh(a[n, 2 * H + j])
            o = 1.0 / (1.0 + math.exp(-a[n, 3 * H + j]))
            c = f * c_prev[n, j] + i * g
            c_next[n, j] = c
            h_next[n, j] = o * math.tanh(c)
        ### END SOLUTION
    '''),
    scratch("gates_sanity", r"""
    # Ungraded: launch it yourself on a shape that is not a multiple of the block.
    rng = np.random.default_rng(0)
    N, H = 3, 5
    a, c_prev = rng.standard_normal((N, 4 * H)), rng.standard_normal((N, H))
    h_next, c_next = np.full((N, H), np.nan), np.full((N, H), np.nan)
    lstm_gates_kernel[blocks_for(H, N, (8, 2)), (8, 2)](a, c_prev, h_next, c_next)
    print(h_next)
    """),
    test("test_lstm_gates_kernel", r"""
    check("lstm_gates_kernel", lstm_gates_kernel)
    ### BEGIN HIDDEN TESTS
    check("lstm_gates_kernel", lstm_gates_kernel, hidden=True)
    ### END HIDDEN TESTS
    """, points=3),
    md("matmul_math", r"""
    ## 2. A tiled matrix product in shared memory

    $C = A B$ with A (M, K), B (K, N). Each block computes a TILE × TILE tile of C; each thread
    one element `C[row, col]`, `row = blockIdx.y * TILE + threadIdx.y`,
    `col = blockIdx.x * TILE + threadIdx.x`. Reading A and B from global memory over and over is
    slow, so the block walks along K one tile at a time:

    1. every thread loads **one** element of A's tile and **one** of B's tile into the shared
       arrays `sA`, `sB` (`cuda.shared.array((TILE, TILE), np.float64)`), or 0.0 when it falls
       outside A or B;
    2. `cuda.syncthreads()` — wait until the whole tile is loaded;
    3. accumulate `sum_k sA[ty, k] * sB[k, tx]`;
    4. `cuda.syncthreads()` — wait until everyone has used the tile before the next overwrites it.

    Loop over `ceil(K / TILE)` tiles; write `C[row, col]` only inside C. Forgetting either
    `syncthreads` is a **race**: on a GPU it may even give the right answer most of the time.
    The checker uses K spanning several tiles, where the simulator's scheduling exposes it.
    """),
    diagrams.cuda_tile(),
    answer("matmul_tiled_kernel", r'''
    @cuda.jit
    def matmul_tiled_kernel(A, B, C):
        """C = A @ B with (TILE, TILE) tiles in shared memory. A (M, K), B (K, N), C (M, N)."""
        ### BEGIN SOLUTION
        sA = cuda.shared.array((TILE, TILE), np.float64)
        sB = cuda.shared.array((TILE, TILE), np.float64)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        M, K = A.shape
        N = B.shape[1]
        acc = 0.0
        for k0 in range(0, K, TILE):
            sA[ty, tx] = A[row, k0 + tx] if row < M and k0 + tx < K else 0.0
            sB[ty, tx] = B[k0 + ty, col] if k0 + ty < K and col < N else 0.0
            cuda.syncthreads()
            for k in range(TILE):
                acc += sA[ty, k] * sB[k, tx]
            cuda.syncthreads()
        if row < M and col < N:
            C[row, col] = acc
        ### END SOLUTION
    '''),
    test("test_matmul_tiled_kernel", r"""
    check("matmul_tiled_kernel", matmul_tiled_kernel)
    ### BEGIN HIDDEN TESTS
    check("matmul_tiled_kernel", matmul_tiled_kernel, hidden=True)
    ### END HIDDEN TESTS
    """, points=5),
    md("step_math", r"""
    ## 3. A fused recurrent step

    One kernel for a whole LSTM step: thread (n, j) computes the four pre-activations of unit j,
    $a_{k} = b_{ih}[kH+j] + b_{hh}[kH+j] + \sum_d x_{n,d} W_{ih}[kH+j, d] +
    \sum_m h_{prev\,n,m} W_{hh}[kH+j, m]$ for k = 0..3, then the gates and `h_next[n, j]`,
    `c_next[n, j]`. No intermediate (N, 4H) array goes through global memory: that is what
    *fusing* buys. (Each thread re-reads the rows of W it needs; a production kernel would tile
    them through shared memory as in section 2.)
    """),
    answer("lstm_step_kernel", r'''
    @cuda.jit
    def lstm_step_kernel(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, h_next, c_next):
        """One fused LSTM step: thread (n, j) computes its 4 gate pre-activations, then h, c."""
        ### BEGIN SOLUTION
        j = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        n = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
        N, H = h_prev.shape
        D = x.shape[1]
        if n < N and j < H:
            i = 0.0
            f = 0.0
            g = 0.0
            o = 0.0
            for gate in range(4):
                r = gate * H + j
                acc = b_ih[r] + b_hh[r]
                for d in range(D):
                    acc += x[n, d] * W_ih[r, d]
                for k in range(H):
                    acc += h_prev[n, k] * W_hh[r, k]
                if gate == 0:
                    i = 1.0 / (1.0 + math.exp(-acc))
                elif gate == 1:
                    f = 1.0 / (1.0 + math.exp(-acc))
                elif gate == 2:
                    g = math.tanh(acc)
                else:
                    o = 1.0 / (1.0 + math.exp(-acc))
            c = f * c_prev[n, j] + i * g
            c_next[n, j] = c
            h_next[n, j] = o * math.tanh(c)
        ### END SOLUTION
    '''),
    test("test_lstm_step_kernel", r"""
    check("lstm_step_kernel", lstm_step_kernel)
    ### BEGIN HIDDEN TESTS
    check("lstm_step_kernel", lstm_step_kernel, hidden=True)
    ### END HIDDEN TESTS
    """, points=4),
    md("sequence_intro", r"""
    ## 4. A whole sequence from your fused step

    A recurrent network launches one step kernel per time step: the step $t$ needs $h_{t-1}$, so
    the steps cannot run in parallel, only the (n, j) inside a step. Below, your kernel runs a
    short sequence and is compared with the numpy LSTM of assignment 03. On a GPU the arrays
    would stay on the device between launches (`cuda.to_device`); on the simulator numpy arrays
    are fine.
    """),
    code("sequence", r"""
    rng = np.random.default_rng(3)
    N, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((N, T, D))
    W_ih, W_hh = rng.standard_normal((4 * H, D)) / 2, rng.standard_normal((4 * H, H)) / 2
    b_ih, b_hh = rng.standard_normal(4 * H) * 0.1, rng.standard_normal(4 * H) * 0.1
    h, c = np.zeros((N, H)), np.zeros((N, H))
    hs = np.empty((N, T, H))
    start = time.perf_counter()
    for t in range(T):
        h_next, c_next = np.empty((N, H)), np.empty((N, H))
        lstm_step_kernel[blocks_for(H, N, (8, 2)), (8, 2)](np.ascontiguousarray(x[:, t]), h, c,
                                                            W_ih, W_hh, b_ih, b_hh, h_next, c_next)
        h, c = h_next, c_next
        hs[:, t] = h
    seconds = time.perf_counter() - start
    expected = solved.lstm_forward(x, np.zeros((N, H)), np.zeros((N, H)), W_ih, W_hh, b_ih,
                                   b_hh)[0]
    print(f"{T} launches in {seconds:.2f} s ({'simulator' if config.ENABLE_CUDASIM else 'GPU'}); "
          f"max |difference| from the numpy LSTM: {np.max(np.abs(hs - expected)):.1e}")
    """),
    md("summary", r"""
    ## Summary

    - A kernel is the code of one thread; its global index comes from blockIdx, blockDim and
      threadIdx, and a bounds check guards the rounded-up grid.
    - Shared memory lets a block reuse loaded tiles; `cuda.syncthreads()` before reading a tile
      and before overwriting it — without them the result depends on scheduling.
    - Fusing a step's operations into one kernel avoids round trips through global memory; the
      time steps stay sequential. Next: measure and explain all of this (08).
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
