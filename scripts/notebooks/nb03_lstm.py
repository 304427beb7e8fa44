"""Assignment 03: the LSTM, forward and backward."""
import diagrams
from cells import answer, code, md, notebook, scratch, test

NAME = "03_lstm"

CELLS = [
    md("intro", r"""
    # Assignment 03 — Long short-term memory (LSTM)

    Assignment 02 ended with gradients that vanish exponentially as they flow back through a
    vanilla RNN. The LSTM (Hochreiter & Schmidhuber, 1997; the forget gate is from Gers et al.,
    2000) adds a **cell state** $c_t$ that is updated *additively*, under the control of gates,
    so that gradients can travel many steps with little decay.

    You will write `lstm_step_forward`, `lstm_step_backward`, `lstm_forward` and `lstm_backward`.

    **Objectives.** After this notebook you can
    - write the LSTM equations in PyTorch's layout (gate order **i | f | g | o**);
    - derive the backward pass of a gated cell, including the two paths into $c_{t-1}$ and $h_{t-1}$;
    - explain, with a figure, why the forget gate keeps gradients alive.

    Use numpy only; importing `rnnkit.reference` or changing the checker in an answer cell is
    flagged and earns no points. Your cache layout is up to you: the checker only passes the
    cache from *your* forward to *your* backward.
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
    ## 1. One LSTM step

    All four gates come from **one** affine map, exactly as in `torch.nn.LSTM`: $W_{ih}$ is
    $(4H, D)$, $W_{hh}$ is $(4H, H)$, $b_{ih}, b_{hh}$ are $(4H,)$, and their rows are stacked in the
    order input gate $i$, forget gate $f$, cell candidate $g$, output gate $o$:

    $$a = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh} \qquad (N, 4H)$$
    $$i = \sigma(a_{[:, 0:H]}) \quad f = \sigma(a_{[:, H:2H]}) \quad
      g = \tanh(a_{[:, 2H:3H]}) \quad o = \sigma(a_{[:, 3H:4H]})$$
    $$c_t = f \odot c_{t-1} + i \odot g \qquad h_t = o \odot \tanh(c_t)$$

    - $f$ decides how much of the old memory to keep, $i$ how much of the candidate $g$ to write,
      $o$ how much of the memory to show as the hidden state.
    - $g$ uses $\tanh$ (values in $(-1, 1)$), the gates use $\sigma$ (values in $(0, 1)$).
    - **Worked shapes** for $N=2, D=3, H=4$: `a` is (2, 16); each gate (2, 4); `c_t`, `h_t` (2, 4).

    A `sigmoid` that does not overflow is defined in the set-up cell above; use it.
    """),
    diagrams.lstm_cell(),
    answer("lstm_step_forward", r'''
    def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
        """One LSTM step.

        x (N, D), h_prev (N, H), c_prev (N, H), W_ih (4H, D), W_hh (4H, H), b_ih, b_hh (4H,).
        Returns h_next (N, H), c_next (N, H) and a cache for the backward pass.
        """
        ### BEGIN SOLUTION
        H = h_prev.shape[1]
        a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        i = sigmoid(a[:, 0:H])
        f = sigmoid(a[:, H:2 * H])
        g = np.tanh(a[:, 2 * H:3 * H])
        o = sigmoid(a[:, 3 * H:4 * H])
        c_next = f * c_prev + i * g
        tanh_c = np.tanh(c_next)
        h_next = o * tanh_c
        cache = (x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c)
        ### END SOLUTION
        return h_next, c_next, cache
    '''),
    scratch("lstm_step_forward_try", r"""
    # Sanity check: with zero weights and biases every gate is σ(0) = 0.5 and g = tanh(0) = 0,
    # so the cell state is halved (c_next = 0.5 c_prev) and h_next = 0.5 tanh(c_next)
    N, D, H = 1, 3, 4
    zeros = (np.zeros((4 * H, D)), np.zeros((4 * H, H)), np.zeros(4 * H), np.zeros(4 * H))
    c_prev = np.array([[2.0, -2.0, 0.0, 1.0]])
    h_next, c_next, _ = lstm_step_forward(np.ones((N, D)), np.ones((N, H)), c_prev, *zeros)
    print(c_next, "should be", 0.5 * c_prev)
    print(h_next, "should be", 0.5 * np.tanh(0.5 * c_prev))
    """),
    test("test_lstm_step_forward", r"""
    check("lstm_step_forward", lstm_step_forward)
    ### BEGIN HIDDEN TESTS
    check("lstm_step_forward", lstm_step_forward, hidden=True)
    ### END HIDDEN TESTS
    """, points=3),
    md("step_back_math", r"""
    ## 2. Backward through one step

    The step has two outputs, so it receives two upstream gradients: $\delta h_{next}$ and
    $\delta c_{next}$ (the gradient reaching $c_t$ from the *next* step). Work backwards:

    $$\delta c = \delta c_{next} + \delta h_{next} \odot o \odot (1 - \tanh^2 c_t)
    \qquad \text{(}c_t\text{ reaches the loss directly and through } h_t\text{)}$$
    $$\delta o = \delta h_{next} \odot \tanh c_t \qquad
      \delta i = \delta c \odot g \qquad \delta g = \delta c \odot i \qquad
      \delta f = \delta c \odot c_{t-1}$$
    $$\delta c_{prev} = \delta c \odot f$$

    Through the nonlinearities ($\sigma' = \sigma(1-\sigma)$, $\tanh' = 1 - \tanh^2$), stacked
    back in the order **i | f | g | o**:

    $$\delta a = \big[\;\delta i \odot i(1-i) \;\big|\; \delta f \odot f(1-f) \;\big|\;
      \delta g \odot (1 - g^2) \;\big|\; \delta o \odot o(1-o)\;\big] \qquad (N, 4H)$$

    and the rest is the same affine backward as the RNN:

    $$\delta x = \delta a\, W_{ih}, \quad \delta h_{prev} = \delta a\, W_{hh}, \quad
      \delta W_{ih} = \delta a^\top x, \quad \delta W_{hh} = \delta a^\top h_{prev}, \quad
      \delta b_{ih} = \delta b_{hh} = \textstyle\sum_n \delta a_{n,:}$$

    Note $\delta c_{prev} = \delta c \odot f$: an *elementwise* product, no matrix, no $\tanh'$.
    When $f \approx 1$ the gradient passes back almost unchanged — that is the whole trick.
    """),
    answer("lstm_step_backward", r'''
    def lstm_step_backward(dh_next, dc_next, cache):
        """Backward of one LSTM step.

        dh_next, dc_next (N, H); cache from lstm_step_forward.
        Returns dx (N, D), dh_prev (N, H), dc_prev (N, H), dW_ih (4H, D), dW_hh (4H, H),
        db_ih (4H,), db_hh (4H,).
        """
        ### BEGIN SOLUTION
        x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c = cache
        dc = dc_next + dh_next * o * (1 - tanh_c**2)
        do = dh_next * tanh_c
        di = dc * g
        dg = dc * i
        df = dc * c_prev
        dc_prev = dc * f
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2),
                             do * o * (1 - o)], axis=1)
        dx = da @ W_ih
        dh_prev = da @ W_hh
        dW_ih = da.T @ x
        dW_hh = da.T @ h_prev
        db_ih = da.sum(axis=0)
        db_hh = da.sum(axis=0)
        ### END SOLUTION
        return dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh
    '''),
    test("test_lstm_step_backward", r"""
    check("lstm_step_backward", lstm_step_backward, forward=lstm_step_forward)
    ### BEGIN HIDDEN TESTS
    check("lstm_step_backward", lstm_step_backward, forward=lstm_step_forward, hidden=True)
    ### END HIDDEN TESTS
    """, points=5),
    md("seq_math", r"""
    ## 3. A whole sequence

    Loop over time, carrying **both** $h$ and $c$, starting from $h_0$ and $c_0$ (each $(N, H)$).
    Return the hidden states `h` $(N, T, H)$; the cell states stay inside the cache.
    """),
    answer("lstm_forward", r'''
    def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        """x (N, T, D), h0 and c0 (N, H) -> h (N, T, H), cache."""
        ### BEGIN SOLUTION
        N, T, D = x.shape
        H = h0.shape[1]
        h = np.empty((N, T, H))
        step_caches = []
        h_prev, c_prev = h0, c0
        for t in range(T):
            h_prev, c_prev, step_cache = lstm_step_forward(x[:, t], h_prev, c_prev,
                                                           W_ih, W_hh, b_ih, b_hh)
            h[:, t] = h_prev
            step_caches.append(step_cache)
        cache = (step_caches, x.shape, H)
        ### END SOLUTION
        return h, cache
    '''),
    test("test_lstm_forward", r"""
    check("lstm_forward", lstm_forward)
    ### BEGIN HIDDEN TESTS
    check("lstm_forward", lstm_forward, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("bptt_math", r"""
    ## 4. BPTT for the LSTM

    As for the RNN, walk from $t = T$ down to $1$. The hidden state gets the loss's gradient at
    $t$ *plus* the gradient from step $t+1$; the cell state gets only the gradient from step
    $t+1$ (the loss does not read $c_t$ directly), starting from zero at $t = T$:

    $$\delta h_t^{\text{total}} = \texttt{dh[:, t]} + \delta h_{prev}^{(t+1)}, \qquad
      \delta c_t^{\text{total}} = \delta c_{prev}^{(t+1)}.$$

    Sum the weight and bias gradients over the steps. Return `dx`, `dh0`, `dc0`, `dW_ih`,
    `dW_hh`, `db_ih`, `db_hh`.
    """),
    answer("lstm_backward", r'''
    def lstm_backward(dh, cache):
        """BPTT. dh (N, T, H) -> dx (N, T, D), dh0, dc0 (N, H), dW_ih, dW_hh, db_ih, db_hh."""
        ### BEGIN SOLUTION
        step_caches, (N, T, D), H = cache
        dx = np.empty((N, T, D))
        dW_ih, dW_hh = np.zeros((4 * H, D)), np.zeros((4 * H, H))
        db_ih, db_hh = np.zeros(4 * H), np.zeros(4 * H)
        dh_prev = np.zeros((N, H))
        dc_prev = np.zeros((N, H))
        for t in reversed(range(T)):
            step = lstm_step_backward(dh[:, t] + dh_prev, dc_prev, step_caches[t])
            dx[:, t], dh_prev, dc_prev = step[0], step[1], step[2]
            dW_ih += step[3]
            dW_hh += step[4]
            db_ih += step[5]
            db_hh += step[6]
        dh0, dc0 = dh_prev, dc_prev
        ### END SOLUTION
        return dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh
    '''),
    test("test_lstm_backward", r"""
    check("lstm_backward", lstm_backward, forward=lstm_forward)
    ### BEGIN HIDDEN TESTS
    check("lstm_backward", lstm_backward, forward=lstm_forward, hidden=True)
    ### END HIDDEN TESTS
    """, points=4),
    md("figure_intro", r"""
    ## 5. Why the LSTM remembers

    The same experiment as in assignment 02: the loss depends on the last hidden state only, and
    we follow $\lVert \partial L / \partial h_t \rVert$ back in time. The vanilla RNN (its
    functions come from `rnnkit.reference`, the solution of assignment 02) is compared with
    *your* LSTM for three values of the forget gate's bias $b_f$. A positive $b_f$ starts the
    forget gate near 1 (a common initialisation, Jozefowicz et al., 2015): the cell state then
    carries the gradient back with little decay.
    """),
    code("figure", r"""
    from rnnkit.reference import rnn_forward as reference_rnn_forward
    from rnnkit.reference import rnn_step_backward as reference_rnn_step_backward

    T, D, H = 50, 4, 32


    def rnn_gradient_norms(seed=0):
        rng = np.random.default_rng(seed)
        W_ih = rng.standard_normal((H, D)) / np.sqrt(D)
        W_hh = np.linalg.qr(rng.standard_normal((H, H)))[0]
        b = np.zeros(H)
        x = rng.standard_normal((1, T, D))
        _, (step_caches, _, _) = reference_rnn_forward(x, np.zeros((1, H)), W_ih, W_hh, b, b)
        dh, norms = rng.standard_normal((1, H)), np.empty(T)
        for t in reversed(range(T)):
            norms[t] = np.linalg.norm(dh)
            dh = reference_rnn_step_backward(dh, step_caches[t])[1]
        return norms


    def lstm_gradient_norms(forget_bias, seed=0):
        rng = np.random.default_rng(seed)
        W_ih = rng.standard_normal((4 * H, D)) / np.sqrt(D)
        W_hh = rng.standard_normal((4 * H, H)) / np.sqrt(H)
        b_ih, b_hh = np.zeros(4 * H), np.zeros(4 * H)
        b_ih[H:2 * H] = forget_bias  # rows H:2H are the forget gate
        x = rng.standard_normal((1, T, D))
        h, c, step_caches = np.zeros((1, H)), np.zeros((1, H)), []
        for t in range(T):
            h, c, step_cache = lstm_step_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
            step_caches.append(step_cache)
        dh, dc, norms = rng.standard_normal((1, H)), np.zeros((1, H)), np.empty(T)
        for t in reversed(range(T)):
            norms[t] = np.linalg.norm(dh)
            _, dh, dc, *_ = lstm_step_backward(dh, dc, step_caches[t])
        return norms


    fig, ax = plt.subplots(figsize=(7, 3.8))
    steps = np.arange(1, T + 1)
    ax.semilogy(steps, rnn_gradient_norms(), "k--", label="vanilla RNN ($W_{hh}$ orthogonal)")
    for forget_bias in (0.0, 1.0, 3.0):
        ax.semilogy(steps, lstm_gradient_norms(forget_bias), label=f"LSTM, $b_f$ = {forget_bias}")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title("Gradient reaching step t from a loss at t = 50")
    ax.legend()
    fig.tight_layout()
    plt.show()
    """),
    md("summary", r"""
    ## Summary

    - The LSTM computes four gates from one affine map (rows **i | f | g | o** in PyTorch) and
      updates the memory additively: $c_t = f \odot c_{t-1} + i \odot g$.
    - In the backward pass $c_t$ receives gradient from $h_t$ *and* from $c_{t+1}$;
      $\delta c_{t-1} = \delta c_t \odot f$ is the path that keeps long-range gradients alive.
    - Next: the GRU (assignment 04), which gets a similar effect with two gates and no cell state.
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
