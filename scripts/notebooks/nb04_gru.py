"""Assignment 04: the GRU, forward and backward, in PyTorch's and the textbook's variants."""
import diagrams
from cells import answer, code, md, notebook, scratch, test

NAME = "04_gru"

CELLS = [
    md("intro", r"""
    # Assignment 04 — Gated recurrent unit (GRU)

    The GRU (Cho et al., 2014) keeps the LSTM's key idea — an *additive*, gated update of the
    state — with two gates instead of three and no separate cell state. It is often as good as an
    LSTM with 3/4 of its parameters.

    You will write `gru_step_forward`, `gru_step_backward`, `gru_forward` and `gru_backward`,
    for PyTorch's convention (the default) **and** for the textbook's "reset before" variant.

    **Objectives.** After this notebook you can
    - write the GRU in PyTorch's layout (gate order **r | z | n**) and say precisely how
      PyTorch's equations differ from the textbook's;
    - derive the backward pass of a cell in which a gate multiplies a matrix product;
    - compare gradient flow through RNN, LSTM and GRU.

    Use numpy only; importing `rnnkit.reference` or changing the checker in an answer cell is
    flagged and earns no points. Your cache layout is up to you.
    """),
    code("setup", r"""
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    from rnnkit.grading import check

    np.set_printoptions(precision=4, suppress=True)
    NOTEBOOK_START = time.perf_counter()


    def sigmoid(a):
        # σ(a) = 1 / (1 + exp(-a)), computed without overflow for large |a|
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1 / (1 + e), e / (1 + e))
    """),
    md("step_math", r"""
    ## 1. One GRU step

    $W_{ih}$ is $(3H, D)$, $W_{hh}$ is $(3H, H)$, $b_{ih}, b_{hh}$ are $(3H,)$; rows in the order
    reset gate $r$, update gate $z$, candidate $n$. Write $W_{ir}$ for rows $0{:}H$ of $W_{ih}$,
    $W_{hn}$ for rows $2H{:}3H$ of $W_{hh}$, and so on. **PyTorch** (`torch.nn.GRU`, cuDNN):

    $$r = \sigma(x W_{ir}^\top + b_{ir} + h W_{hr}^\top + b_{hr}) \qquad
      z = \sigma(x W_{iz}^\top + b_{iz} + h W_{hz}^\top + b_{hz})$$
    $$n = \tanh\!\big(x W_{in}^\top + b_{in} + r \odot (h W_{hn}^\top + b_{hn})\big)$$
    $$h' = (1 - z) \odot n + z \odot h$$

    **How this differs from the textbook.**
    - *Where the reset gate acts.* Cho et al. (2014) reset the state **before** the matrix
      product: $n = \tanh\big(x W_{in}^\top + b_{in} + (r \odot h) W_{hn}^\top + b_{hn}\big)$
      ("reset before", Keras' `reset_after=False`). PyTorch and cuDNN apply $r$ **after** it,
      to $h W_{hn}^\top + b_{hn}$ — bias included — which lets all three hidden-side products
      be computed as one matrix product $h W_{hh}^\top$ before $r$ is known. The two are
      different functions: weights trained with one are wrong for the other. Your functions take
      `reset_after=True` (PyTorch) or `False` (textbook); every test cell below checks both
      (and so do the hidden tests).
    - *Which side $z$ weights.* Some texts (e.g. Olah's blog) write $h' = (1-z)\odot h + z \odot n$:
      the same model with $z$ replaced by $1 - z$. We follow PyTorch and Cho et al.:
      **$z$ multiplies the old state**.
    - *Two biases.* The textbook has one bias per gate; PyTorch keeps $b_{ih}$ and $b_{hh}$. For
      $r$ and $z$ only their sum matters, but $b_{hn}$ sits inside $r \odot (\cdot)$ while $b_{in}$
      does not, so for $n$ they are not interchangeable.

    **Worked shapes** ($N=2, D=3, H=4$): `x @ W_ih.T + b_ih` is (2, 12), split into three (2, 4)
    blocks; `h @ W_hh.T + b_hh` likewise; `r`, `z`, `n`, `h'` are (2, 4).
    """),
    diagrams.gru_cell(),
    answer("gru_step_forward", r'''
    def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
        """One GRU step.

        x (N, D), h_prev (N, H), W_ih (3H, D), W_hh (3H, H), b_ih, b_hh (3H,).
        reset_after: True for PyTorch's convention, False for the textbook's "reset before".
        Returns h_next (N, H) and a cache.
        """
        ### BEGIN SOLUTION
        H = h_prev.shape[1]
        gi = x @ W_ih.T + b_ih
        gh_rz = h_prev @ W_hh[:2 * H].T + b_hh[:2 * H]
        r = sigmoid(gi[:, :H] + gh_rz[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh_rz[:, H:])
        if reset_after:
            gh_n = h_prev @ W_hh[2 * H:].T + b_hh[2 * H:]
            n = np.tanh(gi[:, 2 * H:] + r * gh_n)
        else:
            gh_n = (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:]
            n = np.tanh(gi[:, 2 * H:] + gh_n)
        h_next = (1 - z) * n + z * h_prev
        cache = (x, h_prev, W_ih, W_hh, r, z, n, gh_n, reset_after)
        ### END SOLUTION
        return h_next, cache
    '''),
    scratch("gru_step_forward_try", r"""
    # Sanity check: with zero weights and biases r = z = σ(0) = 0.5 and n = tanh(0) = 0, in
    # both variants, so h_next = (1 - z) n + z h_prev = 0.5 h_prev
    N, D, H = 1, 3, 4
    zeros = (np.zeros((3 * H, D)), np.zeros((3 * H, H)), np.zeros(3 * H), np.zeros(3 * H))
    h_prev = np.array([[0.8, -0.4, 0.0, 1.0]])
    for reset_after in (True, False):
        h_next, _ = gru_step_forward(np.ones((N, D)), h_prev, *zeros, reset_after=reset_after)
        print(f"reset_after={reset_after}:", h_next, "should be", 0.5 * h_prev)
    """),
    test("test_gru_step_forward", r"""
    check("gru_step_forward", gru_step_forward)
    check("gru_step_forward", gru_step_forward, reset_after=False)
    ### BEGIN HIDDEN TESTS
    check("gru_step_forward", gru_step_forward, hidden=True)
    check("gru_step_forward", gru_step_forward, hidden=True, reset_after=False)
    ### END HIDDEN TESTS
    """, points=3),
    md("step_back_math", r"""
    ## 2. Backward through one step

    From $h' = (1-z) \odot n + z \odot h$, with upstream $\delta h'$:

    $$\delta n = \delta h' \odot (1 - z), \qquad \delta z = \delta h' \odot (h - n), \qquad
      \delta h \mathrel{+}= \delta h' \odot z \;\text{(the direct path)}$$
    $$\delta a_n = \delta n \odot (1 - n^2), \quad \delta a_z = \delta z \odot z(1-z), \quad
      \delta a_r = \delta r \odot r(1-r)$$

    **PyTorch ("reset after").** Let $u = h W_{hn}^\top + b_{hn}$ (keep it from the forward
    pass). Since $a_n = x W_{in}^\top + b_{in} + r \odot u$:

    $$\delta r = \delta a_n \odot u, \qquad \delta u = \delta a_n \odot r.$$

    The input side of all three gates has gradient $\delta g_i = [\delta a_r \,|\, \delta a_z \,|\,
    \delta a_n]$, the hidden side $\delta g_h = [\delta a_r \,|\, \delta a_z \,|\, \delta u]$ (both
    $(N, 3H)$), and then, as for every affine map,

    $$\delta x = \delta g_i W_{ih}, \quad \delta W_{ih} = \delta g_i^\top x, \quad
      \delta b_{ih} = \textstyle\sum_n \delta g_i, \qquad
      \delta h \mathrel{+}= \delta g_h W_{hh}, \quad \delta W_{hh} = \delta g_h^\top h, \quad
      \delta b_{hh} = \textstyle\sum_n \delta g_h.$$

    **Textbook ("reset before").** Now $a_n = x W_{in}^\top + b_{in} + (r \odot h) W_{hn}^\top + b_{hn}$,
    so with $\delta(r\odot h) = \delta a_n W_{hn}$:

    $$\delta r = \delta(r \odot h) \odot h, \qquad \delta h \mathrel{+}= \delta(r \odot h) \odot r,
      \qquad \delta W_{hn} = \delta a_n^\top (r \odot h), \qquad \delta b_{hn} = \textstyle\sum_n \delta a_n,$$

    while the $r$ and $z$ rows of $W_{hh}$ act on $h$ as before. Note that $h$ now reaches the
    output along **four** paths (direct, through $r$, $z$ and $n$): add them all.
    """),
    answer("gru_step_backward", r'''
    def gru_step_backward(dh_next, cache):
        """Backward of one GRU step (either variant: the cache knows which).

        Returns dx (N, D), dh_prev (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih, db_hh (3H,).
        """
        ### BEGIN SOLUTION
        x, h_prev, W_ih, W_hh, r, z, n, gh_n, reset_after = cache
        H = h_prev.shape[1]
        dn = dh_next * (1 - z)
        dz = dh_next * (h_prev - n)
        dh_prev = dh_next * z
        da_n = dn * (1 - n**2)
        if reset_after:
            dgh_n = da_n * r
            dr = da_n * gh_n
        else:
            dgh_n = da_n
            d_rh = da_n @ W_hh[2 * H:]
            dr = d_rh * h_prev
            dh_prev = dh_prev + d_rh * r
        da_r = dr * r * (1 - r)
        da_z = dz * z * (1 - z)
        dgi = np.concatenate([da_r, da_z, da_n], axis=1)
        dgh = np.concatenate([da_r, da_z, dgh_n], axis=1)
        dx = dgi @ W_ih
        dW_ih = dgi.T @ x
        db_ih = dgi.sum(axis=0)
        db_hh = dgh.sum(axis=0)
        if reset_after:
            dh_prev = dh_prev + dgh @ W_hh
            dW_hh = dgh.T @ h_prev
        else:
            dh_prev = dh_prev + dgh[:, :2 * H] @ W_hh[:2 * H]
            dW_hh = np.concatenate([dgh[:, :2 * H].T @ h_prev, dgh_n.T @ (r * h_prev)], axis=0)
        ### END SOLUTION
        return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh
    '''),
    test("test_gru_step_backward", r"""
    check("gru_step_backward", gru_step_backward, forward=gru_step_forward)
    check("gru_step_backward", gru_step_backward, forward=gru_step_forward, reset_after=False)
    ### BEGIN HIDDEN TESTS
    check("gru_step_backward", gru_step_backward, forward=gru_step_forward, hidden=True)
    check("gru_step_backward", gru_step_backward, forward=gru_step_forward, hidden=True,
          reset_after=False)
    ### END HIDDEN TESTS
    """, points=6),
    md("seq_math", r"""
    ## 3. Forward and backward through a sequence

    The same loops as for the vanilla RNN (assignment 02): carry $h$ forward; going back, the
    gradient of $h_t$ is `dh[:, t]` plus what step $t+1$ returned, and the parameter gradients
    are summed over the steps. Pass `reset_after` on to every step.
    """),
    answer("gru_forward", r'''
    def gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh, reset_after=True):
        """x (N, T, D), h0 (N, H) -> h (N, T, H), cache."""
        ### BEGIN SOLUTION
        N, T, D = x.shape
        H = h0.shape[1]
        h = np.empty((N, T, H))
        step_caches = []
        h_prev = h0
        for t in range(T):
            h_prev, step_cache = gru_step_forward(x[:, t], h_prev, W_ih, W_hh, b_ih, b_hh,
                                                  reset_after)
            h[:, t] = h_prev
            step_caches.append(step_cache)
        cache = (step_caches, x.shape, H)
        ### END SOLUTION
        return h, cache
    '''),
    test("test_gru_forward", r"""
    check("gru_forward", gru_forward)
    check("gru_forward", gru_forward, reset_after=False)
    ### BEGIN HIDDEN TESTS
    check("gru_forward", gru_forward, hidden=True)
    check("gru_forward", gru_forward, hidden=True, reset_after=False)
    ### END HIDDEN TESTS
    """, points=2),
    answer("gru_backward", r'''
    def gru_backward(dh, cache):
        """BPTT. dh (N, T, H) -> dx (N, T, D), dh0 (N, H), dW_ih, dW_hh, db_ih, db_hh."""
        ### BEGIN SOLUTION
        step_caches, (N, T, D), H = cache
        dx = np.empty((N, T, D))
        dW_ih, dW_hh = np.zeros((3 * H, D)), np.zeros((3 * H, H))
        db_ih, db_hh = np.zeros(3 * H), np.zeros(3 * H)
        dh_prev = np.zeros((N, H))
        for t in reversed(range(T)):
            step = gru_step_backward(dh[:, t] + dh_prev, step_caches[t])
            dx[:, t], dh_prev = step[0], step[1]
            dW_ih += step[2]
            dW_hh += step[3]
            db_ih += step[4]
            db_hh += step[5]
        dh0 = dh_prev
        ### END SOLUTION
        return dx, dh0, dW_ih, dW_hh, db_ih, db_hh
    '''),
    test("test_gru_backward", r"""
    check("gru_backward", gru_backward, forward=gru_forward)
    check("gru_backward", gru_backward, forward=gru_forward, reset_after=False)
    ### BEGIN HIDDEN TESTS
    check("gru_backward", gru_backward, forward=gru_forward, hidden=True)
    check("gru_backward", gru_backward, forward=gru_forward, hidden=True, reset_after=False)
    ### END HIDDEN TESTS
    """, points=3),
    md("figure_intro", r"""
    ## 4. RNN, LSTM and GRU side by side

    The loss depends on the last hidden state; we follow $\lVert \partial L / \partial h_t \rVert$
    back in time. The RNN and the LSTM come from `rnnkit.reference` (the solutions of assignments
    02 and 03); the GRU is *yours*, with three values of the update gate's bias $b_z$. When $z$ is
    close to 1 the GRU copies its state forward, $h' \approx h$, and the gradient copies back.
    """),
    code("figure", r"""
    from rnnkit.reference import lstm_step_backward as reference_lstm_step_backward
    from rnnkit.reference import lstm_step_forward as reference_lstm_step_forward
    from rnnkit.reference import rnn_step_backward as reference_rnn_step_backward
    from rnnkit.reference import rnn_step_forward as reference_rnn_step_forward

    T, D, H = 50, 4, 32


    def gradient_norms(cell, gate_bias=0.0, seed=0):
        # ||dL/dh_t|| for t = 1..T when the loss depends on h_T only
        rng = np.random.default_rng(seed)
        G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
        W_ih = rng.standard_normal((G * H, D)) / np.sqrt(D)
        if cell == "rnn":
            W_hh = np.linalg.qr(rng.standard_normal((H, H)))[0]
        else:
            W_hh = rng.standard_normal((G * H, H)) / np.sqrt(H)
        b_ih, b_hh = np.zeros(G * H), np.zeros(G * H)
        b_ih[H:2 * H] = gate_bias  # the LSTM's forget gate f, the GRU's update gate z
        x = rng.standard_normal((1, T, D))
        h, c, caches = np.zeros((1, H)), np.zeros((1, H)), []
        for t in range(T):
            if cell == "rnn":
                h, step_cache = reference_rnn_step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
            elif cell == "lstm":
                h, c, step_cache = reference_lstm_step_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
            else:
                h, step_cache = gru_step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
            caches.append(step_cache)
        dh, dc, norms = rng.standard_normal((1, H)), np.zeros((1, H)), np.empty(T)
        for t in reversed(range(T)):
            norms[t] = np.linalg.norm(dh)
            if cell == "rnn":
                dh = reference_rnn_step_backward(dh, caches[t])[1]
            elif cell == "lstm":
                _, dh, dc, *_ = reference_lstm_step_backward(dh, dc, caches[t])
            else:
                dh = gru_step_backward(dh, caches[t])[1]
        return norms


    fig, ax = plt.subplots(figsize=(7, 3.8))
    steps = np.arange(1, T + 1)
    ax.semilogy(steps, gradient_norms("rnn"), "k--", label="vanilla RNN")
    ax.semilogy(steps, gradient_norms("lstm", 1.0), "k:", label="LSTM, $b_f$ = 1")
    for gate_bias in (0.0, 1.0, 3.0):
        ax.semilogy(steps, gradient_norms("gru", gate_bias), label=f"your GRU, $b_z$ = {gate_bias}")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title("Gradient reaching step t from a loss at t = 50")
    ax.legend()
    fig.tight_layout()
    plt.show()
    """),
    md("summary", r"""
    ## Summary

    - PyTorch's GRU: gates in the order **r | z | n**, reset applied *after* the hidden-side
      product (bias $b_{hn}$ included), $h' = (1-z) \odot n + z \odot h$.
    - The textbook's "reset before" variant is a different function; both backward passes follow
      from the same rules: one term at a time, sum the gradients of a value used twice.
    - Gated cells (LSTM, GRU) keep gradients alive over many steps when their gates let the state
      through; a vanilla RNN cannot.
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
