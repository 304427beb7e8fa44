"""Assignment 02: backpropagation through time for the vanilla RNN."""
from cells import answer, code, md, notebook, scratch, test

NAME = "02_bptt"

CELLS = [
    md("intro", r"""
    # Assignment 02 — Backpropagation through time

    In assignment 01 you ran an RNN forward. Training it needs the gradient of the loss with
    respect to every weight, and the RNN's weights are used at *every* time step. The chain rule
    applied to the unrolled network is called **backpropagation through time** (BPTT).

    You will write
    1. `eval_numerical_gradient`: a finite-difference gradient, your debugging tool;
    2. `rnn_step_backward`: the gradient through one step;
    3. `rnn_backward`: BPTT through a whole sequence;
    4. `temporal_affine_backward`: the gradient through the output layer;
    5. `clip_grad_norm`: the standard remedy for exploding gradients.

    **Objectives.** After this notebook you can
    - derive the backward pass of a layer from its forward equations, one term at a time;
    - explain why the gradient of a shared weight is a *sum* over time steps and over the batch,
      and why $\partial L/\partial h_t$ has *two* sources;
    - verify a gradient with central differences;
    - see vanishing and exploding gradients, and clip them.

    **How to work.** As in assignment 01: fill in the answer cells, run the checks. Use numpy
    only; importing `rnnkit.reference` or changing the checker in an answer cell is flagged and
    earns no points.
    """),
    code("setup", r"""
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    from rnnkit.grading import check

    np.set_printoptions(precision=4, suppress=True)
    NOTEBOOK_START = time.perf_counter()
    """),
    md("given_intro", r"""
    ## The forward functions (given)

    So that a mistake in assignment 01 cannot cost you points here, the forward pass is given.
    It is the solution of assignment 01; read it, because your backward functions receive its
    caches:

    - a step cache is the tuple `(x, h_prev, W_ih, W_hh, a, h_next, nonlinearity)`, where
      `a` is the pre-activation $a_t$;
    - a sequence cache is `(step_caches, x.shape, h0)`: the list of the $T$ step caches, the
      input shape $(N, T, D)$ and the initial state;
    - the affine cache is `(h, W)`.
    """),
    code("given_forward", r'''
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
        """One RNN step: x (N, D), h_prev (N, H) -> h_next (N, H), cache."""
        a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        h_next = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
        cache = (x, h_prev, W_ih, W_hh, a, h_next, nonlinearity)
        return h_next, cache


    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
        """x (N, T, D), h0 (N, H) -> h (N, T, H), cache."""
        N, T, D = x.shape
        h = np.empty((N, T, h0.shape[1]), dtype=x.dtype)
        step_caches = []
        h_prev = h0
        for t in range(T):
            h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, W_ih, W_hh, b_ih, b_hh,
                                                  nonlinearity)
            h[:, t] = h_prev
            step_caches.append(step_cache)
        return h, (step_caches, x.shape, h0)


    def temporal_affine_forward(h, W, b):
        """h (N, T, H), W (V, H), b (V,) -> scores (N, T, V), cache."""
        return h @ W.T + b, (h, W)
    '''),
    md("numgrad_math", r"""
    ## 1. Numerical gradients: the ground truth for debugging

    For a function $f$ of an array $x$, the **central difference**

    $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$

    has an error of order $h^2$ (the one-sided $\frac{f(x+he_i) - f(x)}{h}$ only of order $h$).
    With $h = 10^{-5}$ in float64 this is accurate to about $10^{-10}$ — good enough to tell a
    correct backward pass from a wrong one.

    Backward functions receive an **upstream gradient** `df` of the same shape as the output and
    return $\partial \big(\sum f(x) \odot df\big) / \partial x$. So does yours: when `df` is
    given, $f$ returns an array and you differentiate `np.sum(f(x) * df)`; when `df` is `None`,
    $f$ returns a scalar.

    Perturb `x` **in place**, one element at a time (`np.nditer` with `multi_index`, or a loop
    over `np.ndindex(x.shape)`), and put the old value back before moving on: `f` reads the
    array you change. Copy what `f` returns before calling it again, in case it returns a view.
    """),
    answer("eval_numerical_gradient", r'''
    def eval_numerical_gradient(f, x, df=None, h=1e-5):
        """Central-difference gradient of f at x (an array of the same shape as x).

        With df: gradient of np.sum(f(x) * df). Without: f(x) must be a scalar.
        """
        ### BEGIN SOLUTION
        grad = np.zeros_like(x)
        for ix in np.ndindex(x.shape):
            old = x[ix]
            x[ix] = old + h
            f_plus = np.copy(f(x))
            x[ix] = old - h
            f_minus = np.copy(f(x))
            x[ix] = old
            if df is None:
                grad[ix] = (f_plus - f_minus) / (2 * h)
            else:
                grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
        ### END SOLUTION
        return grad
    '''),
    scratch("numgrad_try", r"""
    # d/dx sum(x**3) = 3 x**2
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    print(eval_numerical_gradient(lambda v: np.sum(v**3), x))
    print(3 * x**2)
    """),
    test("test_eval_numerical_gradient", r"""
    check("eval_numerical_gradient", eval_numerical_gradient)
    ### BEGIN HIDDEN TESTS
    check("eval_numerical_gradient", eval_numerical_gradient, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("step_math", r"""
    ## 2. Backward through one step

    Forward: $a = x W_{ih}^\top + b_{ih} + h_{prev} W_{hh}^\top + b_{hh}$, $h_{next} = \tanh(a)$.
    Given $\delta h_{next} = \partial L / \partial h_{next}$ (shape $(N, H)$), go backwards term
    by term:

    $$\delta a = \delta h_{next} \odot \left(1 - h_{next}^2\right)
    \qquad\text{(tanh}'(a) = 1 - \tanh^2(a)\text{, taken at the new state } h_{next}\text{, not } h_{prev})$$

    For `nonlinearity="relu"`: $\delta a = \delta h_{next} \odot [a > 0]$. Both nonlinearities are graded: the test
    cells check `nonlinearity="relu"` as well.

    $$\delta x = \delta a\, W_{ih} \;(N, D) \qquad \delta h_{prev} = \delta a\, W_{hh} \;(N, H)$$
    $$\delta W_{ih} = \delta a^\top x \;(H, D) \qquad \delta W_{hh} = \delta a^\top h_{prev} \;(H, H)$$
    $$\delta b_{ih} = \delta b_{hh} = \sum_{n=1}^{N} \delta a_{n,:} \;(H,)$$

    **Check the shapes** — they are the best guide: $\delta W_{ih}$ must have the shape of
    $W_{ih}$, $(H, D)$, and the only product of $\delta a$ $(N, H)$ and $x$ $(N, D)$ with that
    shape is $\delta a^\top x$. The bias was broadcast over the batch in the forward pass, so its
    gradient sums over the batch.
    """),
    answer("rnn_step_backward", r'''
    def rnn_step_backward(dh_next, cache):
        """Backward of one RNN step.

        dh_next (N, H): upstream gradient of h_next; cache from rnn_step_forward.
        Returns dx (N, D), dh_prev (N, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,).
        """
        x, h_prev, W_ih, W_hh, a, h_next, nonlinearity = cache
        ### BEGIN SOLUTION
        if nonlinearity == "tanh":
            da = dh_next * (1 - h_next**2)
        else:
            da = dh_next * (a > 0)
        dx = da @ W_ih
        dh_prev = da @ W_hh
        dW_ih = da.T @ x
        dW_hh = da.T @ h_prev
        db_ih = da.sum(axis=0)
        db_hh = da.sum(axis=0)
        ### END SOLUTION
        return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh
    '''),
    scratch("rnn_step_backward_try", r"""
    # Compare with finite differences on a small case (relative errors should be < 1e-8).
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_ih, W_hh = rng.standard_normal((H, D)), rng.standard_normal((H, H))
    b_ih, b_hh = rng.standard_normal(H), rng.standard_normal(H)
    dh_next = rng.standard_normal((N, H))
    _, cache = rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh = rnn_step_backward(dh_next, cache)
    fwd = lambda: rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)[0]
    for name, value, analytic in [("x", x, dx), ("h_prev", h_prev, dh_prev), ("W_hh", W_hh, dW_hh),
                                  ("b_ih", b_ih, db_ih)]:
        numeric = eval_numerical_gradient(lambda _: fwd(), value, dh_next)
        error = np.max(np.abs(numeric - analytic) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic)))
        print(f"d{name}: relative error {error:.1e}")
    """),
    test("test_rnn_step_backward", r"""
    check("rnn_step_backward", rnn_step_backward, forward=rnn_step_forward)
    check("rnn_step_backward", rnn_step_backward, forward=rnn_step_forward, nonlinearity="relu")
    ### BEGIN HIDDEN TESTS
    check("rnn_step_backward", rnn_step_backward, forward=rnn_step_forward, hidden=True)
    check("rnn_step_backward", rnn_step_backward, forward=rnn_step_forward, hidden=True,
          nonlinearity="relu")
    ### END HIDDEN TESTS
    """, points=3),
    md("bptt_math", r"""
    ## 3. Backpropagation through time

    Unroll the RNN: $h_1, h_2, \dots, h_T$, each computed from the previous one with the
    *same* weights. The loss reaches $h_t$ along **two paths**: directly (the scores at step $t$;
    this is `dh[:, t]`, given) and through $h_{t+1}$, which was computed from $h_t$. So walking
    backwards from $t = T$ to $1$:

    $$\delta h_t^{\text{total}} = \underbrace{\texttt{dh[:, t]}}_{\text{loss at } t} +
    \underbrace{\delta h_{prev} \text{ returned by the step } t+1}_{\text{the future}}
    \qquad (\text{zero beyond } T)$$

    and run `rnn_step_backward(dh_total, step_caches[t])`. Because every step uses the same
    $W_{ih}, W_{hh}, b_{ih}, b_{hh}$, their gradients are the **sum** over all steps of the
    per-step gradients. $\delta x_t$ belongs to step $t$ only; $\delta h_0$ is the $\delta h_{prev}$
    left after the first step.

    Returns `dx` $(N, T, D)$, `dh0` $(N, H)$, `dW_ih`, `dW_hh`, `db_ih`, `db_hh`.
    """),
    answer("rnn_backward", r'''
    def rnn_backward(dh, cache):
        """BPTT for a vanilla RNN.

        dh (N, T, H): upstream gradient of every hidden state; cache from rnn_forward.
        Returns dx (N, T, D), dh0 (N, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,).
        """
        step_caches, (N, T, D), h0 = cache
        ### BEGIN SOLUTION
        W_ih, W_hh = step_caches[0][2], step_caches[0][3]
        H = h0.shape[1]
        dx = np.zeros((N, T, D))
        dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
        db_ih, db_hh = np.zeros(H), np.zeros(H)
        dh_prev = np.zeros((N, H))
        for t in reversed(range(T)):
            step = rnn_step_backward(dh[:, t] + dh_prev, step_caches[t])
            dx[:, t], dh_prev = step[0], step[1]
            dW_ih += step[2]
            dW_hh += step[3]
            db_ih += step[4]
            db_hh += step[5]
        dh0 = dh_prev
        ### END SOLUTION
        return dx, dh0, dW_ih, dW_hh, db_ih, db_hh
    '''),
    test("test_rnn_backward", r"""
    check("rnn_backward", rnn_backward, forward=rnn_forward)
    check("rnn_backward", rnn_backward, forward=rnn_forward, nonlinearity="relu")
    ### BEGIN HIDDEN TESTS
    check("rnn_backward", rnn_backward, forward=rnn_forward, hidden=True)
    check("rnn_backward", rnn_backward, forward=rnn_forward, hidden=True, nonlinearity="relu")
    ### END HIDDEN TESTS
    """, points=4),
    md("affine_math", r"""
    ## 4. Backward through the output layer

    Forward: $s = h W^\top + b$ with $h$ $(N, T, H)$, $W$ $(V, H)$, $b$ $(V,)$. With the upstream
    gradient $\delta s$ $(N, T, V)$:

    $$\delta h = \delta s\, W \;(N, T, H), \qquad
    \delta W = \sum_{n,t} \delta s_{n,t,:}^\top\, h_{n,t,:} \;(V, H), \qquad
    \delta b = \sum_{n,t} \delta s_{n,t,:} \;(V,).$$

    $W$ and $b$ are shared by every example *and* every time step, so both sums run over both
    axes. Tip: reshape to $(N T, \cdot)$ and use a plain matrix product, or `np.einsum`.
    """),
    answer("temporal_affine_backward", r'''
    def temporal_affine_backward(dscores, cache):
        """dscores (N, T, V), cache from temporal_affine_forward -> dh (N, T, H), dW (V, H), db (V,)."""
        h, W = cache
        ### BEGIN SOLUTION
        N, T, H = h.shape
        V = W.shape[0]
        dh = dscores @ W
        dW = dscores.reshape(N * T, V).T @ h.reshape(N * T, H)
        db = dscores.sum(axis=(0, 1))
        ### END SOLUTION
        return dh, dW, db
    '''),
    test("test_temporal_affine_backward", r"""
    check("temporal_affine_backward", temporal_affine_backward, forward=temporal_affine_forward)
    ### BEGIN HIDDEN TESTS
    check("temporal_affine_backward", temporal_affine_backward, forward=temporal_affine_forward,
          hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("vanishing_intro", r"""
    ## 5. Vanishing and exploding gradients

    Going back one step multiplies the gradient by $\operatorname{diag}(1 - h_t^2)\, W_{hh}$
    (from $\delta h_{prev} = \delta a\, W_{hh}$). After $k$ steps the gradient has been multiplied
    by $k$ such matrices, so its norm behaves roughly like $\sigma^k$ where $\sigma$ is the size
    of $W_{hh}$ (its singular values) damped by $\tanh'$. Below, the loss depends on the last
    hidden state only, and we plot $\lVert \partial L / \partial h_t \rVert$ against $t$ for
    recurrent matrices $\sigma \cdot Q$ ($Q$ orthogonal, so every singular value is $\sigma$),
    using your `rnn_step_backward`:

    - $\sigma < 1$: the gradient **vanishes** exponentially: the first steps receive no signal,
      and the network cannot learn long-range dependencies;
    - $\sigma$ large: it **explodes**, and one SGD step can throw the weights far away.
    """),
    code("figure", r"""
    def rnn_gradient_norms(scale, T=50, D=4, H=32, seed=0):
        # ||dL/dh_t|| for t = 1..T when the loss depends on h_T only
        rng = np.random.default_rng(seed)
        W_ih = 0.25 * rng.standard_normal((H, D))
        W_hh = scale * np.linalg.qr(rng.standard_normal((H, H)))[0]
        b = np.zeros(H)
        x = rng.standard_normal((1, T, D))
        _, (step_caches, _, _) = rnn_forward(x, np.zeros((1, H)), W_ih, W_hh, b, b)
        dh = rng.standard_normal((1, H))
        norms = np.empty(T)
        for t in reversed(range(T)):
            norms[t] = np.linalg.norm(dh)
            dh = rnn_step_backward(dh, step_caches[t])[1]
        return norms

    fig, ax = plt.subplots(figsize=(7, 3.8))
    for scale in (0.5, 1.0, 1.5, 3.0):
        ax.semilogy(np.arange(1, 51), rnn_gradient_norms(scale), label=f"$W_{{hh}}$ = {scale} Q")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title("Vanilla RNN: the loss at t = 50, gradients flowing back")
    ax.legend()
    fig.tight_layout()
    plt.show()
    """),
    md("clip_math", r"""
    ## 6. Gradient clipping

    Exploding gradients are tamed by **clipping the global norm** (Pascanu et al., 2013), as
    `torch.nn.utils.clip_grad_norm_` does. Treat all the gradients as one long vector:

    $$\lVert g \rVert = \sqrt{\textstyle\sum_k \sum_{\text{elements}} g_k^2}, \qquad
    \text{scale} = \min\!\left(1,\; \frac{\texttt{max\_norm}}{\lVert g \rVert + 10^{-6}}\right),
    \qquad g_k \leftarrow \text{scale} \cdot g_k.$$

    Every gradient is multiplied by the **same** scale, so the direction of the update is kept;
    only its length is capped. (Clipping each array separately, or each element, changes the
    direction.) `grads` is a dict of arrays (or a list): return a **new** container of the same
    kind with new arrays — don't modify the input — and the norm *before* clipping, as a float.
    """),
    answer("clip_grad_norm", r'''
    def clip_grad_norm(grads, max_norm):
        """Scale gradients together so that their global L2 norm is at most max_norm.

        grads: dict name -> array, or a list of arrays. Returns (clipped, total_norm).
        """
        ### BEGIN SOLUTION
        arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
        total_norm = float(np.sqrt(sum(np.sum(g**2) for g in arrays)))
        scale = min(1.0, max_norm / (total_norm + 1e-6))
        if isinstance(grads, dict):
            clipped = {name: g * scale for name, g in grads.items()}
        else:
            clipped = [g * scale for g in grads]
        ### END SOLUTION
        return clipped, total_norm
    '''),
    test("test_clip_grad_norm", r"""
    check("clip_grad_norm", clip_grad_norm)
    ### BEGIN HIDDEN TESTS
    check("clip_grad_norm", clip_grad_norm, hidden=True)
    ### END HIDDEN TESTS
    """, points=1),
    md("summary", r"""
    ## Summary

    - A backward pass follows the forward equations in reverse; the shapes tell you which
      product to take. Parameters shared across the batch or across time get **summed** gradients.
    - In BPTT, $\partial L/\partial h_t$ is the sum of the loss's gradient at $t$ and the gradient
      coming back from $t+1$.
    - Repeated multiplication by $W_{hh}$ makes gradients vanish or explode; clipping the global
      norm fixes the explosion. The vanishing is what the LSTM (assignment 03) and GRU (04) fix.
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
