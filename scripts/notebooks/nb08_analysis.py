"""Assignment 08: performance and gradient analysis."""
from cells import answer, code, md, notebook, scratch, test
from written_cells import written

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

    **Graded automatically:** `fit_exponent`, `forward_cost` (a cost model: FLOPs and parameters
    of an RNN, LSTM or GRU), `spectral_radius`, `rnn_gradient_norms`. **Graded by hand:** the
    two interpretation cells. Timings are noisy on a shared machine, so **no timing is graded**:
    they are figures to read and explain, each the best of several repeats.
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
    GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # gate blocks G: W_ih is (G*H, D)


    def cell_inputs(cell, N, T, D, H, seed=0):
        # x, h0 (and c0 for the LSTM) and the weights of `cell` in PyTorch's layout
        rng = np.random.default_rng(seed)
        G = GATES[cell]
        weights = (rng.standard_normal((G * H, D)) / np.sqrt(D),
                   rng.standard_normal((G * H, H)) / np.sqrt(H), np.zeros(G * H), np.zeros(G * H))
        x, h0 = rng.standard_normal((N, T, D)), np.zeros((N, H))
        return (x, h0, h0) + weights if cell == "lstm" else (x, h0) + weights


    def cell_forward(cell, *args):
        return getattr(solved, f"{cell}_forward")(*args)


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
    scratch("fit_exponent_try", r"""
    # Sanity check: times that grow exactly like 3 n^2
    n = np.array([1.0, 2.0, 4.0, 8.0])
    p, c = fit_exponent(n, 3 * n**2)
    print(f"p = {p:.3f} (should be 2.000), c = {c:.3f} (should be 3.000)")
    """),
    test("test_fit_exponent", r"""
    check("fit_exponent", fit_exponent)
    ### BEGIN HIDDEN TESTS
    check("fit_exponent", fit_exponent, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("cost_math", r"""
    **What the exponent should be: a cost model.** Count the work instead of timing it. One RNN
    step multiplies $x_t$ $(N, D)$ by $W_{ih}^\top$ $(D, H)$: $N D H$ multiply-adds, and
    $h_{t-1}$ $(N, H)$ by $W_{hh}^\top$ $(H, H)$: $N H H$ more. A multiply-add is 2
    floating-point operations (FLOPs). An LSTM and a GRU do the same products for $G$ gate
    blocks at once ($W_{ih}$ is $(G H, D)$; $G$ = 1 for the RNN, 4 for the LSTM, 3 for the GRU:
    `GATES` in the set-up cell). The biases, the gates' nonlinearities and the elementwise
    products cost $O(N H)$ per step: leave them out, they are small next to the products when
    $D + H$ is large.

    Write `forward_cost(cell, N, T, D, H)` returning `(flops, params)`: the FLOPs of the matrix
    products of one forward pass over $T$ steps, and the number of parameters of the cell
    ($W_{ih}$, $W_{hh}$, $b_{ih}$, $b_{hh}$). This is graded exactly.
    """),
    answer("forward_cost", r'''
    def forward_cost(cell, N, T, D, H):
        """(FLOPs of the matrix products of one forward pass, number of parameters)."""
        ### BEGIN SOLUTION
        G = GATES[cell]
        flops = 2 * N * T * G * H * (D + H)
        params = G * H * (D + H) + 2 * G * H
        ### END SOLUTION
        return flops, params
    '''),
    scratch("forward_cost_try", r"""
    # Sanity check with tiny sizes: two products of one multiply-add each, per gate block
    print(forward_cost("rnn", 1, 1, 1, 1), "should be (4, 4)")
    print(forward_cost("lstm", 1, 1, 1, 1), "should be (16, 16)")
    print(forward_cost("gru", 2, 3, 1, 1), "should be (72, 12)")
    """),
    test("test_forward_cost", r"""
    check("forward_cost", forward_cost)
    ### BEGIN HIDDEN TESTS
    check("forward_cost", forward_cost, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("measure_math", r"""
    Now measure (not graded: a timing depends on the machine and on what else runs on it).
    `measure_forward_seconds(T)` below times **one** `rnn_forward` on `rnn_inputs(8, T, 16, 64)`,
    built *before* the timing starts, the best of several repeats. Change it if you like; the
    figure after it does the same for every cell, against T and against H, next to the
    exponents of your cost model.
    """),
    scratch("measure_forward_seconds", r"""
    def measure_forward_seconds(T):
        # seconds of one rnn_forward with N=8, D=16, H=64 and length T (best of repeats)
        args = rnn_inputs(8, T, 16, 64)
        return best_seconds(rnn_forward, *args, repeat=5)


    T_try = np.array([10, 20, 40, 80])
    p, _ = fit_exponent(T_try, [measure_forward_seconds(T) for T in T_try])
    p_model, _ = fit_exponent(T_try, [forward_cost("rnn", 8, T, 16, 64)[0] for T in T_try])
    print(f"measured exponent against T: {p:.2f}; the cost model's: {p_model:.2f}")
    """),
    code("figure", r"""
    T_values = np.array([16, 32, 64, 128])
    H_values = np.array([32, 64, 128, 256])
    N, D = 8, 16
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    rows = []
    for cell, colour in (("rnn", "C0"), ("lstm", "C1"), ("gru", "C2")):
        times_T = [best_seconds(cell_forward, cell, *cell_inputs(cell, N, T, D, 64), repeat=3)
                   for T in T_values]
        times_H = [best_seconds(cell_forward, cell, *cell_inputs(cell, N, 32, D, H), repeat=3)
                   for H in H_values]
        model_T = fit_exponent(T_values, [forward_cost(cell, N, T, D, 64)[0] for T in T_values])[0]
        model_H = fit_exponent(H_values, [forward_cost(cell, N, 32, D, H)[0] for H in H_values])[0]
        fits = []
        for ax, sizes, times in ((axes[0], T_values, times_T), (axes[1], H_values, times_H)):
            p, c = fit_exponent(sizes, times)
            fits.append(p)
            ax.loglog(sizes, times, "o", color=colour, label=f"{cell}: measured p = {p:.2f}")
            ax.loglog(sizes, c * sizes**p, ":", color=colour, lw=0.8)
        flops_H, _ = forward_cost(cell, N, 32, D, H_values[-1])
        rows.append((cell, forward_cost(cell, N, 32, D, 64)[1], fits[0], model_T, fits[1],
                     model_H, flops_H / times_H[-1] / 1e9))
    axes[0].set_xlabel(f"T (N={N}, D={D}, H=64)")
    axes[1].set_xlabel(f"H (N={N}, T=32, D={D})")
    for ax, sizes in ((axes[0], T_values), (axes[1], H_values)):
        ax.set_ylabel("seconds per forward pass (best of 3)")
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.legend(fontsize=8)
    fig.suptitle("Forward pass of the numpy cells against T and H, with fitted exponents")
    fig.tight_layout()
    plt.show()
    print(f"{'cell':>5} {'params (D=16, H=64)':>20} {'p_T measured':>13} {'cost model':>11} "
          f"{'p_H measured':>13} {'cost model':>11} {'GFLOP/s at H=256':>17}")
    for cell, params, p_T, m_T, p_H, m_H, gflops in rows:
        print(f"{cell:>5} {params:>20,} {p_T:>13.2f} {m_T:>11.2f} {p_H:>13.2f} {m_H:>11.2f} "
              f"{gflops:>17.2f}")
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

    Below, the bytes actually held by `rnn_forward`'s cache against T. Count with care: every
    step cache refers to **the same** $W_{ih}$ and $W_{hh}$ (a reference, not a copy), and
    `x[:, t]` is a view into `x`, so each buffer is counted once. Per step the cache adds its
    own pre-activation $a_t$ and state $h_t$ ($2NH$ numbers); the rest is held once: $x$
    ($NTD$), $h_0$ ($NH$) and the weights ($H(D+H)$), 8 bytes each in float64.
    """),
    code("memory", r"""
    def buffer_bytes(obj, seen=None):
        # the bytes of the distinct numpy buffers reachable through tuples and lists: a view
        # (x[:, t]) or a second reference (W_hh in every step cache) adds nothing
        seen = set() if seen is None else seen
        if isinstance(obj, np.ndarray):
            while isinstance(obj.base, np.ndarray):
                obj = obj.base
            if id(obj) in seen:
                return 0
            seen.add(id(obj))
            return obj.nbytes
        if isinstance(obj, (tuple, list)):
            return sum(buffer_bytes(o, seen) for o in obj)
        return 0


    def predicted_cache_bytes(N, T, D, H):
        return 8 * (2 * N * T * H + N * T * D + N * H + H * (D + H))


    N, D, H, k = 16, 16, 128, 32
    print(f"{'T':>6} {'full BPTT cache (MB)':>21} {'predicted (MB)':>15} {'weights (MB)':>13} "
          f"{'truncated, k=32 (MB)':>21}")
    for T in (32, 128, 512):
        _, cache = rnn_forward(*rnn_inputs(N, T, D, H))
        _, chunk_cache = rnn_forward(*rnn_inputs(N, min(T, k), D, H))
        print(f"{T:>6} {buffer_bytes(cache) / 1e6:>21.2f} "
              f"{predicted_cache_bytes(N, T, D, H) / 1e6:>15.2f} {8 * H * (D + H) / 1e6:>13.2f} "
              f"{buffer_bytes(chunk_cache) / 1e6:>21.2f}")
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
    The cache of `rnn_forward` is `(step_caches, x_shape, h0)`, one step cache per t.
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
    for cell in ("lstm", "gru"):
        G = GATES[cell]
        W_ih = rng.standard_normal((G * H, D)) / np.sqrt(D)
        W_hh = rng.standard_normal((G * H, H)) / np.sqrt(H)
        # rows H:2H are the LSTM's forget gate f and the GRU's update gate z; the gate sees
        # b_ih + b_hh, so the bias goes into one of the two vectors only
        b_ih, b_hh = np.zeros(G * H), np.zeros(G * H)
        b_ih[H:2 * H] = 3.0
        gate_bias = b_ih[H] + b_hh[H]
        if cell == "lstm":
            dx = solved.lstm_backward(dh, solved.lstm_forward(x, h0, h0, W_ih, W_hh, b_ih,
                                                              b_hh)[1])[0]
            label = f"LSTM, forget-gate bias {gate_bias:g}"
        else:
            dx = solved.gru_backward(dh, solved.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)[1])[0]
            label = f"GRU, update-gate bias {gate_bias:g}"
        axes[1].semilogy(range(T), np.linalg.norm(dx[0], axis=1), label=label)
    args = rnn_inputs(N, T, D, H, seed=1, gain=1.0)
    h, cache = rnn_forward(*args)
    axes[1].semilogy(range(T), np.linalg.norm(rnn_backward(dh, cache)[0][0], axis=1),
                     label=f"RNN, ρ(W_hh) = {spectral_radius(args[3]):.2f}")
    axes[0].set_title(r"RNN: $\|\partial L/\partial h_t\|$")
    axes[0].set_ylabel("gradient norm (log scale)")
    axes[1].set_title(r"$\|\partial L/\partial x_t\|$: gates that keep the state")
    for ax in axes:
        ax.set_xlabel("time step t (loss at t = T-1)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    """),
    md("clip_intro", r"""
    **Clipping.** With the largest spectral radius of the figure the gradient grows by orders
    of magnitude going back in time; clipping by the global norm (assignment 05) caps the
    *update*, not the growth: it keeps a single exploding step from destroying the weights, and
    does nothing for vanishing gradients.
    """),
    code("clipping", r"""
    args = rnn_inputs(4, 40, 4, 32, seed=2, gain=3.0)
    h, cache = rnn_forward(*args)
    grads = dict(zip(("W_ih", "W_hh", "b_ih", "b_hh"), rnn_backward(np.ones_like(h), cache)[2:]))
    clipped, total = solved.clip_grad_norm(grads, max_norm=5.0)
    norm_after = np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
    print(f"ρ(W_hh) = {spectral_radius(args[3]):.2f}: global gradient norm before clipping "
          f"{total:.1f}, after {norm_after:.2f}")
    """),
    md("hidden_intro", r"""
    ## 5. Inside trained networks: cost, accuracy, states and gates

    An RNN, an LSTM and a GRU of the same width ($H = 48$) learn the course's text corpus with
    the pieces of assignment 05 (truncated BPTT on random chunks, global-norm clipping, Adam).
    Each gets the same number of updates: the first figure puts their validation loss against
    the seconds of training it took, the **accuracy-against-cost** trade-off that decides which
    cell to use.
    """),
    code("train_setup", r"""
    from rnnkit.data.text import load_corpus

    text = load_corpus()[:120_000]
    chars = sorted(set(text))
    V, H, N, L = len(chars), 48, 16, 25
    ids = np.array([chars.index(ch) for ch in text])
    split = int(0.9 * len(ids))
    eye = np.eye(V)


    def init_params(cell, seed=0):
        rng = np.random.default_rng(seed)
        G = GATES[cell]
        params = {"W_ih": rng.standard_normal((G * H, V)) * 0.1,
                  "W_hh": rng.standard_normal((G * H, H)) / np.sqrt(H),
                  "b_ih": np.zeros(G * H), "b_hh": np.zeros(G * H),
                  "W": rng.standard_normal((V, H)) * 0.1, "b": np.zeros(V)}
        if cell == "lstm":
            params["b_ih"][H:2 * H] = 1.0  # forget gate open at the start
        return params


    def run_cell(cell, params, x):
        # hidden states (N, T, H) and the cache of the reference cell
        h0 = np.zeros((x.shape[0], H))
        W = (params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
        return cell_forward(cell, x, h0, h0, *W) if cell == "lstm" else cell_forward(cell, x, h0, *W)


    def loss_and_grads(cell, params, x_ids, y_ids, backward=True):
        hs, cache = run_cell(cell, params, eye[x_ids])
        scores, affine_cache = solved.temporal_affine_forward(hs, params["W"], params["b"])
        loss, dscores = solved.temporal_softmax_loss(scores, y_ids)
        if not backward:
            return loss / y_ids.shape[1], None
        dhs, dW, db = solved.temporal_affine_backward(dscores, affine_cache)
        cell_grads = getattr(solved, f"{cell}_backward")(dhs, cache)[-4:]
        grads = dict(zip(("W_ih", "W_hh", "b_ih", "b_hh"), cell_grads), W=dW, b=db)
        return loss / y_ids.shape[1], grads  # loss per character (nats)


    def adam_update(params, grads, state, t, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
        # assignment 05's adam_step, for every parameter
        for name, g in grads.items():
            m, v = state.get(name, (0.0, 0.0))
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2
            state[name] = (m, v)
            params[name] -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)


    rng = np.random.default_rng(0)
    val_starts = rng.integers(split, len(ids) - L - 1, size=64)
    val_x = np.stack([ids[s:s + L] for s in val_starts])
    val_y = np.stack([ids[s + 1:s + L + 1] for s in val_starts])
    steps, every = 300, 30


    def train(cell):
        # `steps` Adam updates on random chunks -> (params, [(training seconds, val loss)])
        params, state, seconds = init_params(cell), {}, 0.0
        curve = [(0.0, loss_and_grads(cell, params, val_x, val_y, backward=False)[0])]
        batch_rng = np.random.default_rng(1)
        for t in range(1, steps + 1):
            starts = batch_rng.integers(0, split - L - 1, size=N)
            x_ids = np.stack([ids[s:s + L] for s in starts])
            y_ids = np.stack([ids[s + 1:s + L + 1] for s in starts])
            start = time.perf_counter()
            _, grads = loss_and_grads(cell, params, x_ids, y_ids)
            grads, _ = solved.clip_grad_norm(grads, 5.0)
            adam_update(params, grads, state, t)
            seconds += time.perf_counter() - start
            if t % every == 0:
                curve.append((seconds, loss_and_grads(cell, params, val_x, val_y, False)[0]))
        return params, np.array(curve)


    trained, curves = {}, {}
    """),
    code("train_rnn", r"""
    trained["rnn"], curves["rnn"] = train("rnn")  # one cell per model: each takes seconds
    """),
    code("train_lstm", r"""
    trained["lstm"], curves["lstm"] = train("lstm")
    """),
    code("train_gru", r"""
    trained["gru"], curves["gru"] = train("gru")
    """),
    code("accuracy_cost", r"""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for cell, curve in curves.items():
        ax.plot(curve[:, 0], curve[:, 1], "o-", ms=3, label=f"{cell} ({GATES[cell]} gate blocks)")
    ax.axhline(np.log(V), color="gray", ls=":", label=f"uniform guess, log V = {np.log(V):.2f}")
    ax.set_xlabel("training time (s, numpy reference, one process)")
    ax.set_ylabel("validation loss (nats per character)")
    ax.set_title(f"Accuracy against cost: {steps} Adam updates each, H = {H}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    print(f"{'cell':>5} {'params':>8} {'train s':>8} {'val loss':>9} {'perplexity':>11}")
    for cell, curve in curves.items():
        n_params = forward_cost(cell, 1, 1, V, H)[1] + V * (H + 1)  # cell + output layer
        print(f"{cell:>5} {n_params:>8,} {curve[-1, 0]:>8.1f} {curve[-1, 1]:>9.3f} "
              f"{np.exp(curve[-1, 1]):>11.2f}")
    """),
    md("states_intro", r"""
    **Hidden states.** The heat map shows each hidden unit of the trained RNN (rows) along a
    piece of validation text (columns). Some units switch at spaces or line breaks, some follow
    words; many sit near ±1, where $\tanh' \approx 0$ and the gradient through them vanishes.
    """),
    code("hidden_states", r"""
    # sort the units by how strongly they respond to a space, over a longer piece of text
    probe = ids[split:split + 3000][None]
    h_probe, _ = run_cell("rnn", trained["rnn"], eye[probe])
    is_space = (probe[0] == chars.index(" ")).astype(float)
    with np.errstate(invalid="ignore"):  # a unit stuck at ±1 has no correlation (nan)
        response = np.nan_to_num([np.corrcoef(h_probe[0, :, j], is_space)[0, 1]
                                  for j in range(H)])
    order = np.argsort(response)[::-1]

    snippet = text[split:split + 70]
    snippet_ids = np.array([chars.index(ch) for ch in snippet])[None]
    hs, _ = run_cell("rnn", trained["rnn"], eye[snippet_ids])
    fig, ax = plt.subplots(figsize=(11, 4), layout="constrained")
    image = ax.imshow(hs[0][:, order].T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label="hidden state h (tanh)", pad=0.01)
    for t, ch in enumerate(snippet):
        if ch == " ":
            ax.axvline(t, color="k", lw=0.4, alpha=0.4)
    ax.set_xticks(range(len(snippet)), [repr(ch)[1:-1] for ch in snippet], fontsize=7)
    ax.set_xlabel("input character (thin lines: spaces)")
    ax.set_ylabel("hidden unit (sorted by\ncorrelation with a space)")
    ax.set_title(f"trained RNN, hidden states along the text; top unit's correlation with a "
                 f"space {response[order[0]]:.2f}; saturated (|h| > 0.95): "
                 f"{np.mean(np.abs(hs) > 0.95):.0%}")
    plt.show()
    """),
    md("gates_intro", r"""
    **Gates.** The LSTM's reference cache keeps every step's gates, so reading them costs
    nothing: below, the input gate $i$, the forget gate $f$ and the output gate $o$ of the
    first 16 units of the trained LSTM, and the GRU's update gate $z$, along the same text.
    A forget gate near 1 keeps the cell state (a long memory); near 0 it wipes it. Units whose
    gates are always near 0 or 1 are saturated: their gradient $\sigma' = \sigma(1-\sigma)$
    is close to 0.
    """),
    code("gates", r"""
    _, (lstm_steps, _, _) = run_cell("lstm", trained["lstm"], eye[snippet_ids])
    _, (gru_steps, _, _) = run_cell("gru", trained["gru"], eye[snippet_ids])
    # the reference step caches: LSTM (x, h, c, W_ih, W_hh, i, f, g, o, ...), GRU (..., r, z, n, ...)
    gates = {"LSTM input gate i": np.array([s[5][0] for s in lstm_steps]),
             "LSTM forget gate f": np.array([s[6][0] for s in lstm_steps]),
             "LSTM output gate o": np.array([s[8][0] for s in lstm_steps]),
             "GRU update gate z": np.array([s[5][0] for s in gru_steps])}
    fig, axes = plt.subplots(len(gates), 1, figsize=(11, 7.5), sharex=True, layout="constrained")
    for ax, (name, values) in zip(axes, gates.items()):
        image = ax.imshow(values[:, :16].T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                          interpolation="nearest")
        saturated = np.mean((values < 0.05) | (values > 0.95))
        ax.set_ylabel("unit", fontsize=8)
        ax.set_title(f"{name} (mean {values.mean():.2f}, saturated {saturated:.0%})", fontsize=9)
    fig.colorbar(image, ax=axes, label="gate value (σ)", pad=0.01)
    axes[-1].set_xticks(range(len(snippet)), [repr(ch)[1:-1] for ch in snippet], fontsize=6)
    axes[-1].set_xlabel("input character")
    plt.show()
    """),
    md("interpret_prompt_1", r"""
    ## 6. Interpretation (manually graded)

    **(a) 3 points.** From sections 1 and 5: what exponents did you measure for T and for H,
    for each cell, and how do they compare with your cost model's? If the H exponent is below
    the model's, explain why (what dominates at small H?). Would you expect the same exponents
    from the Numba kernel of assignment 06? Which cell would you train on this corpus, given
    the accuracy-against-cost figure?
    """),
    written("interpret_complexity", r"""
    *Model answer.* The T exponent is close to 1 for every cell, as the cost model says (each
    step costs the same). The H exponent is below the model's (close to 2 when $H \gg D$) at
    these sizes: at small H the cost per step is dominated by fixed per-call overhead (numpy
    dispatch, allocations, the Python loop over t), which does not grow with H; only for large
    H do the matrix products dominate and the slope approach the model's. The LSTM and GRU do
    4 and 3 times the RNN's products, so their time is a few times the RNN's at the same H. A
    fused Numba loop has little overhead, so its H exponent approaches the model's sooner; its
    T exponent is also 1. For the choice: the gated cells reach a lower validation loss for
    the same number of updates, at a few times the cost per update; compare them at equal
    training time, not equal steps.
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
