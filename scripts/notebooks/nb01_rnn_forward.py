"""Assignment 01: the vanilla RNN, forward pass, and the loss of a sequence model."""
import diagrams
from cells import answer, code, md, notebook, scratch, test

NAME = "01_rnn_forward"

CELLS = [
    md("intro", r"""
    # Assignment 01 — The recurrent neural network, forward

    A recurrent neural network (RNN) reads a sequence one step at a time and carries a
    **hidden state** $h_t$ from each step to the next. In this assignment you write, in plain
    numpy, everything a character-level language model needs to go *forward*:

    1. `rnn_step_forward`: one time step of a vanilla RNN;
    2. `rnn_forward`: a whole sequence, by looping over time;
    3. `temporal_affine_forward`: hidden states → vocabulary scores at every step;
    4. `temporal_softmax_loss`: the masked softmax cross-entropy of a whole batch of sequences.

    Assignment 02 derives the backward pass (backpropagation through time) of the same functions.

    **Objectives.** After this notebook you can
    - write the RNN recurrence in PyTorch's parameter layout and say the shape of every term;
    - explain why an RNN has *one* set of weights shared by every time step;
    - compute a numerically stable softmax cross-entropy and its gradient, with a mask for padding.

    **How to work.** Run the cells from top to bottom. Write your code where it says
    `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line). After each function a
    test cell calls `check(...)`: it runs your function on several random cases (batch of 1,
    one time step, input size ≠ hidden size, ...) and compares it with a trusted implementation.
    When it fails it tells you *what* differs and *where*. The grader runs more cases than you see.
    Use numpy only: importing `rnnkit.reference` or changing the checker in an answer cell is
    flagged for the instructor and earns no points.
    """),
    code("setup", r"""
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    from rnnkit.grading import check

    np.set_printoptions(precision=4, suppress=True)
    NOTEBOOK_START = time.perf_counter()
    """),
    md("notation", r"""
    ## Notation and shapes

    We follow **PyTorch's layout** (`torch.nn.RNN`), so that your code could load PyTorch weights:

    | symbol | meaning | shape |
    |---|---|---|
    | $N$ | batch size (independent sequences processed together) | |
    | $T$ | sequence length | |
    | $D$ | input size (e.g. an embedding of each character) | |
    | $H$ | hidden size | |
    | $x_t$ | inputs at step $t$ (one row per sequence) | $(N, D)$ |
    | $h_t$ | hidden state after step $t$ | $(N, H)$ |
    | $W_{ih}$ | input-to-hidden weights | $(H, D)$ |
    | $W_{hh}$ | hidden-to-hidden weights | $(H, H)$ |
    | $b_{ih}, b_{hh}$ | two biases (PyTorch keeps both; only their sum matters here) | $(H,)$ |

    Rows are examples, so a linear map is written $x\,W^\top$: in numpy `x @ W_ih.T`, which has
    shape $(N, D) \cdot (D, H) = (N, H)$. Sequences are stored **batch-first**: a batch of inputs
    `x` has shape $(N, T, D)$ and `x[:, t]` is $x_t$.
    """),
    diagrams.unrolled_rnn(),
    md("step_math", r"""
    ## 1. One step of a vanilla RNN

    $$a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh} \qquad (N, H)$$
    $$h_t = \tanh(a_t)$$

    The biases have shape $(H,)$ and are broadcast over the $N$ rows. The same function with
    `nonlinearity="relu"` uses $h_t = \max(a_t, 0)$ instead of $\tanh$ (PyTorch's
    `nn.RNN(nonlinearity="relu")`); the test cell below checks both, and so do the hidden tests.

    **Worked shapes** for $N=2, D=3, H=4$: `x` (2, 3) @ `W_ih.T` (3, 4) → (2, 4);
    `h_prev` (2, 4) @ `W_hh.T` (4, 4) → (2, 4); `b_ih`, `b_hh` (4,) broadcast → (2, 4).

    The function also returns a `cache`: whatever *your* backward pass (assignment 02) will need.
    Nobody else looks inside it. Keeping $a_t$ (or $h_t$) is useful: $\tanh'(a) = 1 - \tanh^2(a)$.
    """),
    answer("rnn_step_forward", r'''
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
        """One time step of a vanilla RNN.

        x (N, D), h_prev (N, H), W_ih (H, D), W_hh (H, H), b_ih (H,), b_hh (H,)
        nonlinearity: "tanh" or "relu".
        Returns h_next (N, H) and a cache for the backward pass.
        """
        ### BEGIN SOLUTION
        a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        if nonlinearity == "tanh":
            h_next = np.tanh(a)
        else:
            h_next = np.maximum(a, 0)
        cache = (x, h_prev, W_ih, W_hh, a, h_next, nonlinearity)
        ### END SOLUTION
        return h_next, cache
    '''),
    scratch("rnn_step_forward_try", r"""
    # Try it by hand: with zero weights the state is just tanh of the biases.
    N, D, H = 2, 3, 4
    x = np.linspace(-1, 1, N * D).reshape(N, D)
    h_prev = np.zeros((N, H))
    W_ih, W_hh = np.zeros((H, D)), np.zeros((H, H))
    b_ih, b_hh = np.full(H, 0.25), np.full(H, 0.25)
    h_next, _ = rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    print(h_next.shape, "should be", (N, H))
    print(h_next[0], "should be", np.tanh(0.5) * np.ones(H))
    """),
    test("test_rnn_step_forward", r"""
    check("rnn_step_forward", rnn_step_forward)
    check("rnn_step_forward", rnn_step_forward, nonlinearity="relu")
    ### BEGIN HIDDEN TESTS
    check("rnn_step_forward", rnn_step_forward, hidden=True)
    check("rnn_step_forward", rnn_step_forward, hidden=True, nonlinearity="relu")
    ### END HIDDEN TESTS
    """, points=2),
    md("seq_math", r"""
    ## 2. A whole sequence

    The same weights are applied at every step; only the state changes:

    $$h_t = \tanh\!\left(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\right),
    \qquad t = 1, \dots, T,$$

    starting from a given $h_0$ of shape $(N, H)$. Return all the hidden states stacked
    batch-first, `h` of shape $(N, T, H)$, where `h[:, t]` is the state right after reading
    `x[:, t]` (so $h_0$ itself is *not* part of the output, as in PyTorch).

    Use your `rnn_step_forward`: one call per step, in a Python loop over $t$. The loop over time
    cannot be vectorised — step $t$ needs the result of step $t-1$ — which is exactly why RNNs
    are slow to train on long sequences and why later assignments compile this loop with Numba.
    Keep the per-step caches (a list is fine) in the cache of the sequence.
    """),
    answer("rnn_forward", r'''
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
        """Run a vanilla RNN over a whole sequence.

        x (N, T, D), h0 (N, H), weights as in rnn_step_forward.
        Returns h (N, T, H), the hidden state after every step, and a cache.
        """
        ### BEGIN SOLUTION
        N, T, D = x.shape
        H = h0.shape[1]
        h = np.empty((N, T, H), dtype=x.dtype)
        step_caches = []
        h_prev = h0
        for t in range(T):
            h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, W_ih, W_hh, b_ih, b_hh,
                                                  nonlinearity)
            h[:, t] = h_prev
            step_caches.append(step_cache)
        cache = (step_caches, x.shape, h0)
        ### END SOLUTION
        return h, cache
    '''),
    test("test_rnn_forward", r"""
    check("rnn_forward", rnn_forward)
    check("rnn_forward", rnn_forward, nonlinearity="relu")
    ### BEGIN HIDDEN TESTS
    check("rnn_forward", rnn_forward, hidden=True)
    check("rnn_forward", rnn_forward, hidden=True, nonlinearity="relu")
    ### END HIDDEN TESTS
    """, points=2),
    md("affine_math", r"""
    ## 3. From hidden states to scores

    A language model turns every hidden state into one score per symbol of the vocabulary
    ($V$ symbols) with the same affine map at every step (`torch.nn.Linear` layout):

    $$s_t = h_t W^\top + b, \qquad W: (V, H),\; b: (V,),\; s_t: (N, V).$$

    Applied to the whole batch `h` of shape $(N, T, H)$ it gives `scores` of shape $(N, T, V)$.
    numpy's `@` treats the leading axes as a batch, so no loop is needed.
    """),
    answer("temporal_affine_forward", r'''
    def temporal_affine_forward(h, W, b):
        """h (N, T, H), W (V, H), b (V,) -> scores (N, T, V), cache."""
        ### BEGIN SOLUTION
        scores = h @ W.T + b
        cache = (h, W)
        ### END SOLUTION
        return scores, cache
    '''),
    test("test_temporal_affine_forward", r"""
    check("temporal_affine_forward", temporal_affine_forward)
    ### BEGIN HIDDEN TESTS
    check("temporal_affine_forward", temporal_affine_forward, hidden=True)
    ### END HIDDEN TESTS
    """, points=1),
    md("loss_math", r"""
    ## 4. The loss of a batch of sequences

    At every step the model predicts the next symbol $y_{n,t} \in \{0, \dots, V-1\}$.
    The softmax turns scores into probabilities and the loss is the negative log-probability of
    the target, **summed over time and averaged over the batch** (CS231n's convention):

    $$p_{n,t,v} = \frac{e^{s_{n,t,v}}}{\sum_{u} e^{s_{n,t,u}}}, \qquad
    L = -\frac{1}{N} \sum_{n=1}^{N} \sum_{t=1}^{T} m_{n,t}\, \log p_{n,t,y_{n,t}}.$$

    The **mask** $m$ (boolean, $(N, T)$) says which targets count: sequences of different lengths
    are padded to a common $T$, and padding must not contribute to the loss or its gradient.
    `mask=None` means every target counts.

    Return the gradient too — it is short and you will need it in assignment 02:

    $$\frac{\partial L}{\partial s_{n,t,v}} = \frac{m_{n,t}}{N}\left(p_{n,t,v} - [v = y_{n,t}]\right).$$

    **Numerical stability.** $e^{s}$ overflows for $s \gtrsim 710$. Subtract the row maximum
    first: $p$ does not change, since $\frac{e^{s-c}}{\sum e^{s-c}} = \frac{e^{s}}{\sum e^{s}}$.
    Compute $\log p$ as $(s - c) - \log \sum_u e^{s_u - c}$ rather than `np.log(p)`, which gives
    `-inf` when a probability underflows to 0.
    """),
    answer("temporal_softmax_loss", r'''
    def temporal_softmax_loss(scores, y, mask=None):
        """Masked softmax cross-entropy, summed over time and averaged over the batch.

        scores (N, T, V), y (N, T) integer targets in [0, V), mask (N, T) bool or None.
        Returns loss (a float) and dscores (N, T, V).
        """
        ### BEGIN SOLUTION
        N, T, V = scores.shape
        if mask is None:
            mask = np.ones((N, T), dtype=bool)
        m = mask.astype(scores.dtype)
        shifted = scores - scores.max(axis=2, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
        loss = -(m * log_probs[n_idx, t_idx, y]).sum() / N
        dscores = np.exp(log_probs)
        dscores[n_idx, t_idx, y] -= 1
        dscores *= m[:, :, None] / N
        ### END SOLUTION
        return loss, dscores
    '''),
    scratch("temporal_softmax_loss_try", r"""
    # Sanity check: with all-zero scores every class has probability 1/V, so the loss is
    # T * log(V) per sequence (here with everything unmasked).
    N, T, V = 3, 5, 10
    y = np.random.default_rng(1).integers(0, V, size=(N, T))
    loss, _ = temporal_softmax_loss(np.zeros((N, T, V)), y, np.ones((N, T), dtype=bool))
    print(f"loss = {loss:.6f}, expected T*log(V) = {T * np.log(V):.6f}")
    # Huge scores must not overflow
    loss, _ = temporal_softmax_loss(np.full((N, T, V), 1e4), y, None)
    print(f"with scores of 1e4: loss = {loss:.6f} (finite, the same)")
    """),
    test("test_temporal_softmax_loss", r"""
    check("temporal_softmax_loss", temporal_softmax_loss)
    ### BEGIN HIDDEN TESTS
    check("temporal_softmax_loss", temporal_softmax_loss, hidden=True)
    ### END HIDDEN TESTS
    """, points=3),
    md("figure_intro", r"""
    ## 5. Looking at the hidden state

    The weights decide how long the RNN remembers. Below, a single pulse enters the network at
    $t = 5$ and nothing after it. With a *small* recurrent matrix the pulse fades within a few
    steps; with a *large* one the state saturates at $\pm 1$ and keeps echoing. Assignment 02
    shows the consequence for the gradients: they vanish or explode in exactly the same way.
    The figure uses your `rnn_forward`.
    """),
    code("figure", r"""
    def pulse_response(scale, T=40, D=1, H=16, seed=0):
        rng = np.random.default_rng(seed)
        W_ih = rng.standard_normal((H, D))
        # a random orthogonal matrix times `scale`: every singular value equals `scale`
        W_hh = scale * np.linalg.qr(rng.standard_normal((H, H)))[0]
        b = np.zeros(H)
        x = np.zeros((1, T, D))
        x[0, 5] = 1.0
        h, _ = rnn_forward(x, np.zeros((1, H)), W_ih, W_hh, b, b)
        return h[0]

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
    for ax, scale in zip(axes, (0.6, 1.8)):
        ax.plot(pulse_response(scale)[:, :6])
        ax.axvline(5, color="grey", lw=0.8, ls="--")
        ax.set_title(f"recurrent weights scaled by {scale}")
        ax.set_xlabel("time step t")
    axes[0].set_ylabel("$h_t$ (6 of 16 units)")
    fig.tight_layout()
    plt.show()
    """),
    md("summary", r"""
    ## Summary

    - One RNN step is two matrix products, two biases and a nonlinearity:
      $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$.
    - The loop over time is sequential; the weights are shared by every step.
    - The loss is a masked softmax cross-entropy, summed over time and averaged over the batch;
      its gradient with respect to the scores is $(p - \text{onehot}(y))\,m/N$.

    Next: assignment 02, backpropagation through time.
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
