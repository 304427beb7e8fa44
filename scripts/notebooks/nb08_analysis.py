"""Assignment 08: performance and gradient analysis."""
from cells import answer, code, md, notebook, test
from part2_cells import written

NAME = "08_analysis"

CELLS = [
    md("intro", r"""
    # Assignment 08 — Measuring and explaining recurrent networks

    The last assignment is an experimental one: you measure how the cost of an RNN grows, where
    the memory of BPTT goes, and why gradients vanish or explode — and you explain what you see.

    **Objectives.** After this notebook you can fit a power law to timings and read its exponent
    as a complexity, tell latency from throughput, compute the memory of BPTT and of truncated
    BPTT, relate exploding and vanishing gradients to the spectral radius of $W_{hh}$, and read a
    trained network's hidden states.

    **Graded automatically:** `fit_exponent`, your timing function (its fitted exponent against T
    must lie within 1 ± 0.5), `spectral_radius`, `rnn_gradient_norms`. **Graded by hand:** the
    two interpretation cells. Timings are noisy on a shared machine: every measurement takes the
    best of several repeats.
    """),
    code("setup", r"""
    import gc
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    import rnnkit.reference as solved  # the numpy cells of assignments 01-04
    from rnnkit.grading import check

    NOTEBOOK_START = time.perf_counter()
    rnn_forward, rnn_backward = solved.rnn_forward, solved.rnn_backward
    rnn_step_backward = solved.rnn_step_backward


    def rnn_inputs(N, T, D, H, seed=0, gain=1.0):
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((N, T, D)), np.zeros((N, H)),
                rng.standard_normal((H, D)) / np.sqrt(D),
                gain * rng.standard_normal((H, H)) / np.sqrt(H), np.zeros(H), np.zeros(H))


    def best_seconds(f, *args, repeat=5):
        # the best of `repeat` runs, with the garbage collector paused as timeit does: a full
        # collection of the notebook's many objects would land in the longest runs only
        best = np.inf
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for _ in range(repeat):
                start = time.perf_counter()
                f(*args)
                best = min(best, time.perf_counter() - start)
        finally:
            if gc_was_enabled:
                gc.enable()
        return best
    """),
    md("fit_math", r"""
    ## 1. Complexity, measured

    One RNN step costs about $2NH(D + H)$ multiply-adds, so a forward pass costs
    $O(N\,T\,H(D+H))$: linear in $T$, quadratic in $H$ once $H \gg D$. If a time follows
    $t = c\,n^p$, then $\log t = p \log n + \log c$: a straight line on log-log axes whose slope
    is the exponent $p$. Write `fit_exponent(sizes, times)` returning `(p, c)` by least squares
    on the logarithms (`np.polyfit` of degree 1 will do).
    """),
    answer("fit_exponent", r'''
    def fit_exponent(sizes, times):
        """Fit times = c * sizes**p on log-log axes. Returns (p, c) as floats."""
        ### BEGIN SOLUTION
        p, log_c = np.polyfit(np.log(sizes), np.log(times), 1)
        ### END SOLUTION
        return float(p), float(np.exp(log_c))
    '''),
    test("test_fit_exponent", r"""
    check("fit_exponent", fit_exponent)
    ### BEGIN HIDDEN TESTS
    check("fit_exponent", fit_exponent, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("measure_math", r"""
    Now measure. Write `measure_forward_seconds(T)`: the time in seconds of **one**
    `rnn_forward` on `rnn_inputs(8, T, 16, 64)` (built *before* the timing starts), the best of
    several repeats (`best_seconds` above does it). The checker calls it for T = 10 … 80 and
    fits your times: the exponent must be within 1 ± 0.5.
    """),
    answer("measure_forward_seconds", r'''
    def measure_forward_seconds(T):
        """Seconds of one rnn_forward with N=8, D=16, H=64 and length T (best of repeats)."""
        ### BEGIN SOLUTION
        args = rnn_inputs(8, T, 16, 64)
        seconds = best_seconds(rnn_forward, *args, repeat=5)
        ### END SOLUTION
        return seconds
    '''),
    test("test_measure_forward_seconds", r"""
    check("forward_time_exponent", measure_forward_seconds)
    ### BEGIN HIDDEN TESTS
    check("forward_time_exponent", measure_forward_seconds, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    code("figure", r"""
    T_values = np.array([16, 32, 64, 128])
    H_values = np.array([32, 64, 128, 256])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for label, f in (("forward", "forward"), ("forward + BPTT", "both")):
        def run(args, f=f):
            h, cache = rnn_forward(*args)
            if f == "both":
                rnn_backward(np.ones_like(h), cache)
        times_T = [best_seconds(run, rnn_inputs(8, T, 16, 64), repeat=3) for T in T_values]
        times_H = [best_seconds(run, rnn_inputs(8, 32, 16, H), repeat=3) for H in H_values]
        for ax, sizes, times in ((axes[0], T_values, times_T), (axes[1], H_values, times_H)):
            p, c = fit_exponent(sizes, times)
            ax.loglog(sizes, times, "o", label=f"{label}: p = {p:.2f}")
            ax.loglog(sizes, c * sizes**p, "k:", lw=0.8)
    axes[0].set_xlabel("T (N=8, D=16, H=64)")
    axes[1].set_xlabel("H (N=8, T=32, D=16)")
    axes[0].set_ylabel("seconds (best of 3)")
    for ax, sizes in ((axes[0], T_values), (axes[1], H_values)):
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.legend()
    fig.suptitle("Time of the numpy RNN against T and H, with fitted exponents")
    fig.tight_layout()
    plt.show()
    """),
    md("latency_intro", r"""
    ## 2. Latency against throughput

    **Latency** is the time to answer one request (one sequence); **throughput** the number of
    characters processed per second. Batching N sequences together costs more time per call but
    much less per sequence, until the machine is saturated: the time per step of a small matrix
    product is dominated by fixed overhead, not arithmetic.
    """),
    code("latency", r"""
    print(f"{'N':>4} {'latency per call (ms)':>22} {'throughput (chars/s)':>22}")
    for N in (1, 4, 16, 64):
        seconds = best_seconds(rnn_forward, *rnn_inputs(N, 32, 16, 64), repeat=3)
        print(f"{N:>4} {1e3 * seconds:>22.2f} {N * 32 / seconds:>22,.0f}")
    """),
    md("memory_intro", r"""
    ## 3. Memory of BPTT and of truncated BPTT

    BPTT must keep every step's activations until the backward pass: the cache grows as
    $O(N\,T\,H)$. Truncated BPTT with chunks of $k$ steps keeps only one chunk: $O(N\,k\,H)$,
    whatever the length of the text — at the price of no gradient across chunk boundaries.
    Below, the bytes actually held by `rnn_forward`'s cache (its arrays), against T.
    """),
    code("memory", r"""
    def cache_bytes(obj):
        # the bytes of every numpy array reachable through tuples and lists
        if isinstance(obj, np.ndarray):
            return obj.nbytes
        if isinstance(obj, (tuple, list)):
            return sum(cache_bytes(o) for o in obj)
        return 0


    N, D, H, k = 16, 16, 128, 32
    print(f"{'T':>6} {'full BPTT cache (MB)':>21} {'truncated, k=32 (MB)':>21}")
    for T in (32, 128, 512):
        _, cache = rnn_forward(*rnn_inputs(N, T, D, H))
        _, chunk_cache = rnn_forward(*rnn_inputs(N, min(T, k), D, H))
        print(f"{T:>6} {cache_bytes(cache) / 1e6:>21.2f} {cache_bytes(chunk_cache) / 1e6:>21.2f}")
    """),
    md("grad_math", r"""
    ## 4. Vanishing and exploding gradients

    Backpropagating through one step multiplies the gradient by
    $W_{hh}^\top \operatorname{diag}(1 - h_t^2)$. Over many steps the norm behaves roughly like
    $\rho(W_{hh})^{T-t}$ damped by the $\tanh'$ factors, where $\rho$, the **spectral radius**, is
    the largest absolute value of the eigenvalues: below 1 the gradient vanishes geometrically;
    above 1 it can explode (until $\tanh$ saturates).

    Write `spectral_radius(W)` (use `np.linalg.eigvals`; eigenvalues may be complex), and
    `rnn_gradient_norms(x, h0, W_ih, W_hh, b_ih, b_hh)`: run `rnn_forward`, take the loss
    $L = \sum h_{T-1}$ (so $\partial L/\partial h_{T-1}$ is all ones, shape (N, H)) and walk back
    with `rnn_step_backward`, returning `norms` of shape (T,) with
    `norms[t]` $= \lVert \partial L / \partial h_t \rVert$ (the Frobenius norm over the batch).
    The cache of `rnn_forward` is `(step_caches, x_shape, H)`, one step cache per t.
    """),
    answer("spectral_radius", r'''
    def spectral_radius(W):
        """Largest |eigenvalue| of the square matrix W (a float)."""
        ### BEGIN SOLUTION
        rho = float(np.max(np.abs(np.linalg.eigvals(W))))
        ### END SOLUTION
        return rho
    '''),
    test("test_spectral_radius", r"""
    check("spectral_radius", spectral_radius)
    ### BEGIN HIDDEN TESTS
    check("spectral_radius", spectral_radius, hidden=True)
    ### END HIDDEN TESTS
    """, points=1),
    answer("rnn_gradient_norms", r'''
    def rnn_gradient_norms(x, h0, W_ih, W_hh, b_ih, b_hh):
        """||dL/dh_t|| for t = 0..T-1, L = sum(h_(T-1)). Returns an array (T,)."""
        ### BEGIN SOLUTION
        _, (step_caches, _, _) = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
        T = x.shape[1]
        dh = np.ones_like(h0)
        norms = np.empty(T)
        for t in reversed(range(T)):
            norms[t] = np.linalg.norm(dh)
            dh = rnn_step_backward(dh, step_caches[t])[1]
        ### END SOLUTION
        return norms
    '''),
    test("test_rnn_gradient_norms", r"""
    check("rnn_gradient_norms", rnn_gradient_norms)
    ### BEGIN HIDDEN TESTS
    check("rnn_gradient_norms", rnn_gradient_norms, hidden=True)
    ### END HIDDEN TESTS
    """, points=3),
    code("gradient_figure", r"""
    T, N, D, H = 60, 1, 4, 32
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for gain in (0.5, 1.0, 1.5, 3.0):
        args = rnn_inputs(N, T, D, H, seed=1, gain=gain)
        rho = spectral_radius(args[3])
        axes[0].semilogy(range(T), rnn_gradient_norms(*args), label=f"RNN, ρ(W_hh) = {rho:.2f}")
    # the same loss through an LSTM and a GRU (the reference cells of assignments 03-04):
    # one backward pass gives dL/dx_t for every t, which decays like dL/dh_t
    rng = np.random.default_rng(1)
    x, h0 = rng.standard_normal((N, T, D)), np.zeros((N, H))
    dh = np.zeros((N, T, H))
    dh[:, -1] = 1.0  # L = sum(h_(T-1))
    for cell, G in (("lstm", 4), ("gru", 3)):
        W_ih = rng.standard_normal((G * H, D)) / np.sqrt(D)
        W_hh = rng.standard_normal((G * H, H)) / np.sqrt(H)
        b = np.zeros(G * H)
        b[H:2 * H] = 3.0  # rows H:2H are the LSTM's forget gate and the GRU's update gate z
        if cell == "lstm":
            dx = solved.lstm_backward(dh, solved.lstm_forward(x, h0, h0, W_ih, W_hh, b, b)[1])[0]
        else:
            dx = solved.gru_backward(dh, solved.gru_forward(x, h0, W_ih, W_hh, b, b)[1])[0]
        label = "LSTM, forget bias 3" if cell == "lstm" else "GRU, update-gate bias 3"
        axes[1].semilogy(range(T), np.linalg.norm(dx[0], axis=1), label=label)
    args = rnn_inputs(N, T, D, H, seed=1, gain=1.0)
    h, cache = rnn_forward(*args)
    axes[1].semilogy(range(T), np.linalg.norm(rnn_backward(dh, cache)[0][0], axis=1),
                     label="RNN (ρ ≈ 1)")
    axes[0].set_title(r"RNN: $\|\partial L/\partial h_t\|$")
    axes[1].set_title(r"$\|\partial L/\partial x_t\|$: gates that keep the state")
    for ax in axes:
        ax.set_xlabel("time step t (loss at t = T-1)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    """),
    md("clip_intro", r"""
    **Clipping.** With ρ = 3 the gradient grows by orders of magnitude going back in time;
    clipping by the global norm (assignment 05) caps the *update*, not the growth: it keeps a
    single exploding step from destroying the weights, and does nothing for vanishing gradients.
    """),
    code("clipping", r"""
    args = rnn_inputs(4, 40, 4, 32, seed=2, gain=3.0)
    h, cache = rnn_forward(*args)
    grads = dict(zip(("W_ih", "W_hh", "b_ih", "b_hh"), rnn_backward(np.ones_like(h), cache)[2:]))
    clipped, total = solved.clip_grad_norm(grads, max_norm=5.0)
    norm_after = np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
    print(f"global gradient norm before clipping {total:.1f}, after {norm_after:.2f}")
    """),
    md("hidden_intro", r"""
    ## 5. Inside a trained network

    A small RNN (H = 24) trained for a few seconds on the course's text corpus with the pieces
    of assignment 05. The heat map shows each hidden unit (rows) along a piece of text
    (columns): some units switch with spaces or line breaks, many saturate at ±1 (where
    $\tanh' \approx 0$, the gradient through them vanishes).
    """),
    code("hidden_states", r"""
    from rnnkit.data.text import load_corpus

    text = load_corpus()[:6000]
    chars = sorted(set(text))
    V, H = len(chars), 24
    ids = np.array([chars.index(ch) for ch in text])
    rng = np.random.default_rng(0)
    params = {"W_ih": rng.standard_normal((H, V)) * 0.1,
              "W_hh": rng.standard_normal((H, H)) / np.sqrt(H) * 0.5,
              "b_ih": np.zeros(H), "b_hh": np.zeros(H),
              "W": rng.standard_normal((V, H)) * 0.1, "b": np.zeros(V)}
    N, L = 8, (len(ids) - 1) // 8
    xs, ys = ids[: N * L].reshape(N, L), ids[1 : N * L + 1].reshape(N, L)
    eye = np.eye(V)
    for epoch in range(2):
        h_prev = np.zeros((N, H))
        for s in range(0, L - 25, 25):
            x, y = eye[xs[:, s:s + 25]], ys[:, s:s + 25]
            hs, c1 = rnn_forward(x, h_prev, params["W_ih"], params["W_hh"], params["b_ih"],
                                 params["b_hh"])
            scores, c2 = solved.temporal_affine_forward(hs, params["W"], params["b"])
            loss, dscores = solved.temporal_softmax_loss(scores, y)
            dhs, dW, db = solved.temporal_affine_backward(dscores, c2)
            grads = dict(zip(("W_ih", "W_hh", "b_ih", "b_hh"), rnn_backward(dhs, c1)[2:]))
            grads.update(W=dW, b=db)
            grads, _ = solved.clip_grad_norm(grads, 5.0)
            for name in params:
                params[name] -= 0.5 * grads[name]
            h_prev = hs[:, -1]
    print(f"last training loss per character: {loss / 25:.2f} (uniform: {np.log(V):.2f})")
    snippet = text[:60]
    hs, _ = rnn_forward(eye[[chars.index(ch) for ch in snippet]][None], np.zeros((1, H)),
                        params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.imshow(hs[0].T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(snippet)))
    ax.set_xticklabels([repr(ch)[1:-1] for ch in snippet], fontsize=7)
    ax.set_ylabel("hidden unit")
    ax.set_title(f"hidden states along the text; saturated (|h| > 0.95): "
                 f"{np.mean(np.abs(hs) > 0.95):.0%}")
    fig.tight_layout()
    plt.show()
    """),
    md("interpret_prompt_1", r"""
    ## 6. Interpretation (manually graded)

    **(a) 3 points.** From section 1: what exponents did you measure for T and for H, forward
    and forward + BPTT? Do they match $O(T)$ and $O(H^2)$? If the H exponent is below 2, explain
    why (what dominates at small H?). Would you expect the same exponents from the Numba kernel
    of assignment 06?
    """),
    written("interpret_complexity", r"""
    *Model answer.* The T exponent is close to 1 for both (each step costs the same; BPTT does
    about twice the work of the forward, which changes c, not p). The H exponent is below 2 at
    these sizes: at small H the cost per step is dominated by fixed per-call overhead (numpy
    dispatch, allocations), which does not grow with H; only for large H does the $H^2$ matrix
    product dominate and the slope approach 2. A fused Numba loop has little overhead, so its
    H exponent approaches 2 sooner; its T exponent is also 1.
    """, points=3),
    md("interpret_prompt_2", r"""
    **(b) 3 points.** From section 4: how does the gradient norm depend on the spectral radius
    of $W_{hh}$, and why? Why do the LSTM and the GRU behave differently from the RNN? Does
    clipping help with vanishing gradients?
    """),
    written("interpret_gradients", r"""
    *Model answer.* Each step back multiplies the gradient by $W_{hh}^\top
    \operatorname{diag}(1-h^2)$: with ρ < 1 the norm decays geometrically (straight line on the
    log plot), with ρ > 1 it grows until tanh saturation damps it. The LSTM's cell state is
    updated additively, so its gradient is multiplied by the forget gate elementwise (no matrix,
    no tanh'), and the GRU interpolates with z: both keep gradients alive over longer spans.
    Clipping only rescales large gradients: it prevents explosions from wrecking an update and
    does nothing for vanishing gradients.
    """, points=3),
    md("summary", r"""
    ## Summary

    - Fitted exponents turn timings into complexities; small sizes are overhead-dominated.
    - Batching trades latency for throughput; truncated BPTT bounds memory by the chunk length.
    - The spectral radius of $W_{hh}$ predicts vanishing/exploding gradients in a vanilla RNN;
      gates (LSTM, GRU) and clipping address different halves of the problem.
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
