"""Assignment 06: the LSTM with Numba on the CPU."""
from cells import answer, code, md, notebook, scratch, test

NAME = "06_numba_cpu"

CELLS = [
    md("intro", r"""
    # Assignment 06 — The LSTM with Numba on the CPU

    numpy runs one small operation at a time and allocates a new array for each: on the small
    per-step shapes of an RNN the time goes into overhead, not arithmetic. **Numba** compiles a
    Python function to machine code (`@njit`): loops become as fast as C, and the whole
    forward pass can be one fused loop with no temporary arrays.

    You will port the LSTM of assignment 03 to `@njit`: the forward pass, the full BPTT, and a
    forward that runs the batch in parallel with `prange`. Then you measure what Numba buys.

    **Objectives.** After this notebook you can write nopython-mode Numba code that works in
    float64 **and** float32, recognise object mode and why it is slow, parallelise a loop
    without a race, and measure compile time, caching, `fastmath` and speed-ups honestly.

    **What is graded.** Correctness against the float64 reference (float32 within a scaled error
    of 1e-4), that your functions are compiled Numba dispatchers in nopython mode, and that the
    parallel version gives the same result on 1 thread and on all threads. **Speed is reported
    to you, never graded.** Inside `@njit` use loops and numpy; no Python objects (lists of
    arrays, dicts) inside the compiled functions.
    """),
    code("setup", r"""
    import time

    import matplotlib.pyplot as plt
    import numba
    import numpy as np
    from numba import njit, prange

    import rnnkit.reference as solved  # the numpy LSTM of assignment 03, for comparisons
    from rnnkit.grading import check

    NOTEBOOK_START = time.perf_counter()
    print(f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads available")


    def lstm_inputs(N, T, D, H, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        arrays = (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
                  rng.standard_normal((N, H)), rng.standard_normal((4 * H, D)) / np.sqrt(D),
                  rng.standard_normal((4 * H, H)) / np.sqrt(H), rng.standard_normal(4 * H) * 0.1,
                  rng.standard_normal(4 * H) * 0.1)
        return tuple(a.astype(dtype) for a in arrays)


    def scaled_error(a, b):
        return float(np.max(np.abs(np.asarray(a, np.float64) - b)) / np.max(np.abs(b)))


    def best_time(f, args, repeat=3):
        # the best of a few runs: the least disturbed by other processes
        best = np.inf
        for _ in range(repeat):
            start = time.perf_counter()
            f(*args)
            best = min(best, time.perf_counter() - start)
        return best
    """),
    md("forward_math", r"""
    ## 1. The forward pass as one compiled loop

    The equations are those of assignment 03 (PyTorch layout, gate rows **i | f | g | o**):
    $a = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$, $i, f, o = \sigma(\cdot)$,
    $g = \tanh(\cdot)$, $c_t = f \odot c_{t-1} + i \odot g$, $h_t = o \odot \tanh(c_t)$.

    Write `lstm_forward_njit` with explicit loops over n, t and the gate rows. Rules of thumb:

    - **Allocate once, outside the loops** (`np.empty((N, T, H), dtype=x.dtype)`), never inside
      the time loop.
    - **Keep the dtype**: allocate with `x.dtype`, so the same function compiles for float32
      and float64 (Numba compiles one specialisation per signature).
    - The cache is yours: a **tuple of arrays** (Numba can return tuples, not dicts of arrays).
      Keep the gates and cell states: the backward pass needs them.
    """),
    answer("lstm_forward_njit", r'''
    @njit
    def lstm_forward_njit(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        """x (N, T, D), h0 and c0 (N, H) -> h (N, T, H) and a cache (a tuple of arrays)."""
        ### BEGIN SOLUTION
        N, T, D = x.shape
        H = h0.shape[1]
        h = np.empty((N, T, H), dtype=x.dtype)
        c = np.empty((N, T, H), dtype=x.dtype)
        gates = np.empty((N, T, 4 * H), dtype=x.dtype)
        for n in range(N):
            for t in range(T):
                for r in range(4 * H):
                    acc = b_ih[r] + b_hh[r]
                    for d in range(D):
                        acc += x[n, t, d] * W_ih[r, d]
                    for k in range(H):
                        h_prev = h0[n, k] if t == 0 else h[n, t - 1, k]
                        acc += h_prev * W_hh[r, k]
                    if 2 * H <= r < 3 * H:
                        gates[n, t, r] = np.tanh(acc)
                    else:
                        gates[n, t, r] = 1 / (1 + np.exp(-acc))
                for j in range(H):
                    c_prev = c0[n, j] if t == 0 else c[n, t - 1, j]
                    c_next = gates[n, t, H + j] * c_prev + gates[n, t, j] * gates[n, t, 2 * H + j]
                    c[n, t, j] = c_next
                    h[n, t, j] = gates[n, t, 3 * H + j] * np.tanh(c_next)
        return h, (x, h0, c0, W_ih, W_hh, h, c, gates)
        ### END SOLUTION
    '''),
    scratch("forward_sanity", r"""
    # Your sanity check (ungraded). The first call compiles: watch the time.
    args = lstm_inputs(2, 3, 4, 5)
    start = time.perf_counter()
    h, cache = lstm_forward_njit(*args)
    print(f"first call (compiles float64): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    lstm_forward_njit(*args)
    print(f"second call: {1e6 * (time.perf_counter() - start):.0f} µs")
    print("scaled error float64:", scaled_error(h, solved.lstm_forward(*args)[0]))
    h32, _ = lstm_forward_njit(*lstm_inputs(2, 3, 4, 5, np.float32))
    print("float32 result dtype:", h32.dtype, " scaled error:",
          scaled_error(h32, solved.lstm_forward(*lstm_inputs(2, 3, 4, 5, np.float32))[0]))
    """),
    test("test_lstm_forward_njit", r"""
    check("lstm_forward_njit", lstm_forward_njit)
    ### BEGIN HIDDEN TESTS
    check("lstm_forward_njit", lstm_forward_njit, hidden=True)
    ### END HIDDEN TESTS
    """, points=4),
    md("backward_math", r"""
    ## 2. BPTT as one compiled loop

    The backward pass of assignment 03, walked from $t = T-1$ down to 0 for each sequence, with
    $\delta h_t^{total} = \texttt{dh}[n, t] + \delta h^{(t+1)}$ and $\delta c$ carried back
    through $\delta c_{t-1} = \delta c_t \odot f$:

    $$\delta c = \delta c_{next} + \delta h \odot o \odot (1 - \tanh^2 c_t), \quad
      \delta a = [\delta c\, g\, i(1-i) \mid \delta c\, c_{t-1} f(1-f) \mid \delta c\, i (1-g^2)
      \mid \delta h \tanh(c_t)\, o(1-o)]$$

    then accumulate $\delta x = \delta a W_{ih}$, $\delta h_{prev} = \delta a W_{hh}$,
    $\delta W_{ih} \mathrel{+}= \delta a^\top x_t$,
    $\delta W_{hh} \mathrel{+}= \delta a^\top h_{t-1}$,
    $\delta b \mathrel{+}= \delta a$ with loops. Return `dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh`
    ($\delta b_{ih} = \delta b_{hh}$), all in the inputs' dtype.
    """),
    answer("lstm_backward_njit", r'''
    @njit
    def lstm_backward_njit(dh, cache):
        """dh (N, T, H), cache of lstm_forward_njit -> dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
        ### BEGIN SOLUTION
        x, h0, c0, W_ih, W_hh, h, c, gates = cache
        N, T, D = x.shape
        H = h0.shape[1]
        dx = np.zeros_like(x)
        dh0 = np.zeros_like(h0)
        dc0 = np.zeros_like(c0)
        dW_ih = np.zeros_like(W_ih)
        dW_hh = np.zeros_like(W_hh)
        db = np.zeros(4 * H, dtype=x.dtype)
        da = np.empty(4 * H, dtype=x.dtype)
        dh_next = np.empty(H, dtype=x.dtype)
        dc_next = np.empty(H, dtype=x.dtype)
        for n in range(N):
            dh_next[:] = 0
            dc_next[:] = 0
            for t in range(T - 1, -1, -1):
                for j in range(H):
                    i = gates[n, t, j]
                    f = gates[n, t, H + j]
                    g = gates[n, t, 2 * H + j]
                    o = gates[n, t, 3 * H + j]
                    tanh_c = np.tanh(c[n, t, j])
                    c_prev = c0[n, j] if t == 0 else c[n, t - 1, j]
                    dh_t = dh[n, t, j] + dh_next[j]
                    dc = dc_next[j] + dh_t * o * (1 - tanh_c * tanh_c)
                    da[j] = dc * g * i * (1 - i)
                    da[H + j] = dc * c_prev * f * (1 - f)
                    da[2 * H + j] = dc * i * (1 - g * g)
                    da[3 * H + j] = dh_t * tanh_c * o * (1 - o)
                    dc_next[j] = dc * f
                dh_next[:] = 0
                for r in range(4 * H):
                    db[r] += da[r]
                    for d in range(D):
                        dx[n, t, d] += da[r] * W_ih[r, d]
                        dW_ih[r, d] += da[r] * x[n, t, d]
                    for k in range(H):
                        h_prev = h0[n, k] if t == 0 else h[n, t - 1, k]
                        dh_next[k] += da[r] * W_hh[r, k]
                        dW_hh[r, k] += da[r] * h_prev
            dh0[n] = dh_next
            dc0[n] = dc_next
        return dx, dh0, dc0, dW_ih, dW_hh, db, db.copy()
        ### END SOLUTION
    '''),
    scratch("backward_sanity", r"""
    # Ungraded: compiles the backward for float64 and float32 and compares with the reference.
    for dtype in (np.float64, np.float32):
        args = lstm_inputs(2, 3, 4, 5, dtype)
        dh = np.random.default_rng(1).standard_normal((2, 3, 5)).astype(dtype)
        start = time.perf_counter()
        grads = lstm_backward_njit(dh, lstm_forward_njit(*args)[1])
        expected = solved.lstm_backward(dh.astype(np.float64), solved.lstm_forward(
            *[a.astype(np.float64) for a in args])[1])
        errors = [scaled_error(g, e) for g, e in zip(grads, expected)]
        print(f"{np.dtype(dtype).name}: {time.perf_counter() - start:.1f} s (with compilation), "
              f"largest scaled error {max(errors):.1e}")
    """),
    test("test_lstm_backward_njit", r"""
    check("lstm_backward_njit", lstm_backward_njit, forward=lstm_forward_njit)
    ### BEGIN HIDDEN TESTS
    check("lstm_backward_njit", lstm_backward_njit, forward=lstm_forward_njit, hidden=True)
    ### END HIDDEN TESTS
    """, points=6),
    md("parallel_math", r"""
    ## 3. In parallel over the batch: `prange`

    The sequences of a batch are independent, so the loop over n can run on several threads:
    `@njit(parallel=True)` and `for n in prange(N)`. The danger is a **race**: two threads
    writing the same memory. Every array that one iteration writes as scratch (the gate
    pre-activations, the running h and c) must be allocated **inside** the prange loop, one per
    iteration; outputs must be written at indices that belong to that iteration only (`h[n]`).
    The checker runs your function on 1 thread and on all threads, several times, and requires
    the same result.

    Return only `h` (N, T, H).
    """),
    answer("lstm_forward_parallel", r'''
    @njit(parallel=True)
    def lstm_forward_parallel(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        """Like lstm_forward_njit without the cache, parallel over the batch with prange."""
        ### BEGIN SOLUTION
        N, T, D = x.shape
        H = h0.shape[1]
        h = np.empty((N, T, H), dtype=x.dtype)
        for n in prange(N):
            a = np.empty(4 * H, dtype=x.dtype)
            h_prev = h0[n].copy()
            c_prev = c0[n].copy()
            for t in range(T):
                for r in range(4 * H):
                    acc = b_ih[r] + b_hh[r]
                    for d in range(D):
                        acc += x[n, t, d] * W_ih[r, d]
                    for k in range(H):
                        acc += h_prev[k] * W_hh[r, k]
                    a[r] = acc
                for j in range(H):
                    i = 1 / (1 + np.exp(-a[j]))
                    f = 1 / (1 + np.exp(-a[H + j]))
                    g = np.tanh(a[2 * H + j])
                    o = 1 / (1 + np.exp(-a[3 * H + j]))
                    c_prev[j] = f * c_prev[j] + i * g
                    h_prev[j] = o * np.tanh(c_prev[j])
                    h[n, t, j] = h_prev[j]
        return h
        ### END SOLUTION
    '''),
    test("test_lstm_forward_parallel", r"""
    check("lstm_forward_parallel", lstm_forward_parallel)
    ### BEGIN HIDDEN TESTS
    check("lstm_forward_parallel", lstm_forward_parallel, hidden=True)
    ### END HIDDEN TESTS
    """, points=4),
    md("measure_intro", r"""
    ## 4. What makes Numba fast: measure it

    **Compile time and caching.** The first call of a new signature compiles (seconds); later
    calls run the machine code. `@njit(cache=True)` writes the compiled code to `__pycache__`
    so the next Python process loads it in milliseconds instead of compiling.

    **Object mode.** A function Numba cannot type runs as Python (`forceobj=True`, or Python
    objects inside): it is a dispatcher but `f.nopython_signatures` stays empty, and it is no
    faster than plain Python. The checker rejects it.

    **fastmath.** `@njit(fastmath=True)` lets LLVM reorder floating-point operations and assume
    no NaN/inf: often faster reductions, slightly different results. Below: the same forward
    with and without it (the cell recompiles your function's Python source with the option).
    """),
    code("fastmath", r"""
    fast_forward = njit(fastmath=True)(lstm_forward_njit.py_func)
    args = lstm_inputs(8, 20, 32, 64)
    reference_h = solved.lstm_forward(*args)[0]
    for label, f in (("@njit", lstm_forward_njit), ("@njit(fastmath=True)", fast_forward)):
        f(*args)  # compile outside the timing
        print(f"{label:22s} {1e3 * best_time(f, args, repeat=5):7.2f} ms   scaled error "
              f"{scaled_error(f(*args)[0], reference_h):.1e}")
    print("object mode check of your forward: nopython signatures =",
          len(lstm_forward_njit.nopython_signatures), "of", len(lstm_forward_njit.signatures))
    """),
    md("speedup_intro", r"""
    **Speed-up over numpy, against H and N.** The reference (`rnnkit.reference.lstm_forward`,
    one numpy matmul per step) against your compiled forward, serial and parallel, float64.
    Expect the biggest gain at small sizes, where numpy's per-call overhead dominates; as H
    grows, numpy's BLAS matmul catches up with simple loops. The parallel version pays for
    starting and synchronising threads: it only wins when each thread gets enough work (large
    N), and not at all on a busy machine. (Timings are noisy: each point is the best of 3.)
    """),
    code("figure", r"""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, (label, sizes) in zip(axes, (("H", [8, 16, 32, 64, 128]), ("N", [1, 4, 16, 64]))):
        speedups = {"njit": [], "njit parallel": []}
        for s in sizes:
            N, H = (4, s) if label == "H" else (s, 32)
            args = lstm_inputs(N, 16, 16, H)
            t_numpy = best_time(solved.lstm_forward, args)
            speedups["njit"].append(t_numpy / best_time(lstm_forward_njit, args))
            speedups["njit parallel"].append(t_numpy / best_time(lstm_forward_parallel, args))
        for name, values in speedups.items():
            ax.loglog(sizes, values, "o-", label=name)
        ax.axhline(1, color="gray", lw=0.8)
        ax.set_xlabel(label + (" (N = 4)" if label == "H" else " (H = 32)"))
    axes[0].set_ylabel("speed-up over numpy (×)")
    axes[0].legend()
    fig.suptitle("LSTM forward, T = 16, D = 16, float64 (not graded)")
    fig.tight_layout()
    plt.show()
    """),
    md("summary", r"""
    ## Summary

    - `@njit` compiles nopython code: loops are fast, allocation belongs outside the loops, the
      dtype follows the inputs. Object mode (`forceobj`, Python objects) gives no speed-up.
    - `prange` parallelises independent iterations; per-iteration scratch must live inside the
      loop, and nothing may be accumulated into shared elements.
    - Compilation costs seconds once; `cache=True` stores it on disk. `fastmath` trades a little
      accuracy for speed. Next: the same ideas on a GPU with `numba.cuda` (07).
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
