"""Assignment 05: training a character-level language model."""
from cells import answer, code, md, notebook, scratch, test
from written_cells import written

NAME = "05_training"

CELLS = [
    md("intro", r"""
    # Assignment 05 — Training a character-level language model

    Assignments 01–04 built the cells and their gradients. Now we make them *learn*: a vanilla
    RNN reads text one character at a time and predicts the next one. You will write the pieces
    every training loop needs:

    1. `adam_step` — one step of the Adam optimizer;
    2. `train_step` — forward, loss, backward, **global-norm clipping**, update, on one chunk,
       starting from a carried hidden state (truncated BPTT);
    3. `train_tbptt` — a long sequence cut into chunks, the hidden state carried from one chunk to
       the next while the gradient stops at the chunk boundary;
    4. `sample` — generate text with a temperature and a seeded random generator;
    5. `perplexity` — the standard measure of a language model;

    then run a small hyperparameter search (grid against random) and write what mattered.

    **Objectives.** After this notebook you can explain truncated BPTT (what is carried, what is
    cut), why gradients are clipped by their *global* norm, what Adam's bias correction does, how
    temperature changes samples, and how to compare search strategies fairly.

    The building blocks of assignments 01–02 (`rnn_forward`, `rnn_backward`,
    `temporal_affine_forward`, `temporal_affine_backward`, `temporal_softmax_loss`,
    `clip_grad_norm`) are provided by the set-up cell: use them. Importing `rnnkit.reference` or
    the checker yourself in an answer cell is flagged.
    """),
    code("setup", r"""
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    import rnnkit.reference as solved  # the solutions of assignments 01-02
    from rnnkit.data.text import load_corpus
    from rnnkit.grading import check

    np.set_printoptions(precision=4, suppress=True)
    NOTEBOOK_START = time.perf_counter()

    # building blocks from assignments 01-02 (PyTorch layout, batch-first)
    rnn_forward, rnn_backward = solved.rnn_forward, solved.rnn_backward
    temporal_affine_forward = solved.temporal_affine_forward
    temporal_affine_backward = solved.temporal_affine_backward
    temporal_softmax_loss = solved.temporal_softmax_loss
    clip_grad_norm = solved.clip_grad_norm
    PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W", "b")


    def one_hot(ids, V):
        # integer ids (...) -> (..., V) float64: the RNN's input x_t is the one-hot character
        return np.eye(V)[ids]


    def init_params(V, H, seed=0):
        rng = np.random.default_rng(seed)
        return {"W_ih": rng.standard_normal((H, V)) * 0.1,
                "W_hh": rng.standard_normal((H, H)) / np.sqrt(H) * 0.5,
                "b_ih": np.zeros(H), "b_hh": np.zeros(H),
                "W": rng.standard_normal((V, H)) * 0.1, "b": np.zeros(V)}
    """),
    md("data", r"""
    ## 0. The data

    The default corpus is the text of Python's own documentation topics (`pydoc`), so it is on
    every machine. Each character becomes an integer id in $[0, V)$; a training example is a
    window of the text `x` and the same window shifted by one, `y` (the next characters).
    """),
    code("load_data", r"""
    text = load_corpus()[:20000]
    chars = sorted(set(text))
    V = len(chars)
    char_to_id = {ch: i for i, ch in enumerate(chars)}
    ids = np.array([char_to_id[ch] for ch in text])
    split = int(0.9 * len(ids))
    train_ids, val_ids = ids[:split], ids[split:]
    print(f"{len(ids)} characters, vocabulary V = {V}: {''.join(chars)[:60]!r}...")


    def batch_streams(data, N):
        # cut the text into N parallel streams: row n continues where it left off, so the
        # hidden state of row n can be carried from one chunk to the next
        L = (len(data) - 1) // N
        x = data[: N * L].reshape(N, L)
        y = data[1 : N * L + 1].reshape(N, L)
        return x, y
    """),
    md("adam_math", r"""
    ## 1. Adam

    Adam (Kingma & Ba, 2015) keeps two moving averages per parameter, of the gradient $g$ and of
    its square, and divides one by the square root of the other:

    $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g^2$$
    $$\hat m_t = \frac{m_t}{1-\beta_1^t} \qquad \hat v_t = \frac{v_t}{1-\beta_2^t} \qquad
      w_t = w_{t-1} - \mathrm{lr}\,\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}$$

    $m$ and $v$ start at zero, so without the **bias correction** ($\hat m, \hat v$) the first
    steps would be far too small. $t$ counts steps from **1**. This is exactly
    `torch.optim.Adam` (note where $\varepsilon$ goes: outside the square root).
    Return new arrays `w_next, m_next, v_next` (do not modify the inputs).
    """),
    answer("adam_step", r'''
    def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        """One Adam step for one parameter array. t >= 1 is the step number.

        Returns (w_next, m_next, v_next), each of w's shape.
        """
        ### BEGIN SOLUTION
        m_next = beta1 * m + (1 - beta1) * dw
        v_next = beta2 * v + (1 - beta2) * dw * dw
        m_hat = m_next / (1 - beta1**t)
        v_hat = v_next / (1 - beta2**t)
        w_next = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        ### END SOLUTION
        return w_next, m_next, v_next
    '''),
    scratch("adam_step_try", r"""
    # Sanity check: the first step (t = 1) has m_hat = dw and v_hat = dw**2, so it moves every
    # weight by lr against the sign of its gradient, whatever the gradient's size
    w, dw = np.array([1.0, -2.0, 3.0]), np.array([0.5, -4.0, 0.0])
    w1, m1, v1 = adam_step(w, dw, np.zeros(3), np.zeros(3), t=1, lr=0.1)
    print(w1, "should be", np.array([0.9, -1.9, 3.0]))
    print(m1, "should be", 0.1 * dw, "  ", v1, "should be", 0.001 * dw**2)
    """),
    test("test_adam_step", r"""
    check("adam_step", adam_step)
    ### BEGIN HIDDEN TESTS
    check("adam_step", adam_step, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("step_math", r"""
    ## 2. One training step with truncated BPTT and clipping

    The model: $h_t = \tanh(\mathrm{onehot}(x_t) W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top +
    b_{hh})$, scores $s_t = h_t W^\top + b$, loss `temporal_softmax_loss(scores, y)` (summed over
    time, averaged over the batch). Parameters `params` = `W_ih` (H, V), `W_hh` (H, H), `b_ih`,
    `b_hh` (H,), `W` (V, H), `b` (V,).

    **Truncated BPTT.** A text is far too long to backpropagate through in one go. We cut it
    into chunks of `seq_len` characters. Each chunk's forward pass starts from the last hidden
    state of the previous chunk, `h_prev`, but the gradient is **not** propagated into it: to
    the chunk, `h_prev` is a constant (`rnn_backward` returns `dh0`; we drop it). This is
    PyTorch's `h = h.detach()`.

    **Clipping by the global norm.** After the backward pass, scale *all* gradients by the same
    factor so that their joint norm $\sqrt{\sum_k \lVert g_k \rVert^2}$ is at most `max_norm`
    (`clip_grad_norm`, from assignment 02). Clipping each tensor on its own would change the
    gradient's direction.

    Then update with plain SGD: $p \leftarrow p - \mathrm{lr}\, g_{clipped}$. Return the new
    parameters (a new dict), the loss (a float) and the last hidden state $h_T$ (N, H), which
    the next chunk will start from.
    """),
    answer("train_step", r'''
    def train_step(params, x, y, h_prev, lr, max_norm):
        """x, y (N, T) integer ids; h_prev (N, H). Returns (new_params, loss, h_last)."""
        ### BEGIN SOLUTION
        V = params["W"].shape[0]
        h, rnn_cache = rnn_forward(one_hot(x, V), h_prev, params["W_ih"], params["W_hh"],
                                   params["b_ih"], params["b_hh"])
        scores, affine_cache = temporal_affine_forward(h, params["W"], params["b"])
        loss, dscores = temporal_softmax_loss(scores, y)
        dh, dW, db = temporal_affine_backward(dscores, affine_cache)
        _, _dh0, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(dh, rnn_cache)  # dh0 dropped
        grads = {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh, "W": dW, "b": db}
        clipped, _ = clip_grad_norm(grads, max_norm)
        new_params = {name: params[name] - lr * clipped[name] for name in params}
        h_last = h[:, -1]
        ### END SOLUTION
        return new_params, loss, h_last
    '''),
    test("test_train_step", r"""
    check("train_step", train_step)
    ### BEGIN HIDDEN TESTS
    check("train_step", train_step, hidden=True)
    ### END HIDDEN TESTS
    """, points=4),
    md("tbptt_math", r"""
    ## 3. A whole sequence, chunk by chunk

    `x` and `y` are (N, L): N parallel streams of text. Walk through them in chunks
    `x[:, s:s + seq_len]` for s = 0, seq_len, 2·seq_len, … (the last chunk may be shorter),
    starting from a zero state and **carrying** `h_last` of each chunk into the next. Return the
    final parameters and the array of the chunks' losses.
    """),
    answer("train_tbptt", r'''
    def train_tbptt(params, x, y, seq_len, lr, max_norm):
        """x, y (N, L). Returns (params, losses) with losses of shape (number of chunks,)."""
        ### BEGIN SOLUTION
        N, L = x.shape
        h = np.zeros((N, params["W_hh"].shape[0]))
        losses = []
        for s in range(0, L, seq_len):
            params, loss, h = train_step(params, x[:, s:s + seq_len], y[:, s:s + seq_len], h,
                                         lr, max_norm)
            losses.append(loss)
        ### END SOLUTION
        return params, np.array(losses)
    '''),
    test("test_train_tbptt", r"""
    check("train_tbptt", train_tbptt)
    ### BEGIN HIDDEN TESTS
    check("train_tbptt", train_tbptt, hidden=True)
    ### END HIDDEN TESTS
    """, points=3),
    md("sample_math", r"""
    ## 4. Sampling with a temperature

    Start from `h0` (1, H) and the character `start`; at each of `n` steps run one RNN step on
    the one-hot of the current character, compute the scores $s = h W^\top + b$ (V,), turn
    them into probabilities $p = \mathrm{softmax}(s / \tau)$ with the temperature $\tau$, and draw
    the next character with **exactly one** call `rng.choice(V, p=p)`; feed it back in. Return
    the `n` drawn ids. A small $\tau$ sharpens the distribution (towards the argmax), a large
    one flattens it (towards uniform). With the same seeded `rng` your characters must be
    exactly the reference's.
    """),
    answer("sample", r'''
    def sample(params, h0, start, n, temperature, rng):
        """h0 (1, H); start an id; rng a numpy Generator. Returns an int array (n,)."""
        ### BEGIN SOLUTION
        V = params["W"].shape[0]
        h, idx, out = h0, start, []
        for _ in range(n):
            x = one_hot(np.array([idx]), V)
            h = np.tanh(x @ params["W_ih"].T + params["b_ih"] + h @ params["W_hh"].T
                        + params["b_hh"])
            scores = (h @ params["W"].T + params["b"])[0] / temperature
            p = np.exp(scores - scores.max())
            p /= p.sum()
            idx = int(rng.choice(V, p=p))
            out.append(idx)
        ### END SOLUTION
        return np.array(out)
    '''),
    test("test_sample", r"""
    check("sample", sample)
    ### BEGIN HIDDEN TESTS
    check("sample", sample, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("ppl_math", r"""
    ## 5. Perplexity

    Perplexity is $\exp$ of the mean negative log-likelihood **per character**, over all
    $N \cdot T$ predictions, from a zero initial state:
    $\mathrm{PPL} = \exp\big(-\frac{1}{NT}\sum_{n,t} \log p(y_{n,t})\big)$. A model that guesses
    uniformly has perplexity $V$; a perfect one has 1. Careful: `temporal_softmax_loss` sums
    over time and averages over the batch only.
    """),
    answer("perplexity", r'''
    def perplexity(params, x, y):
        """x, y (N, T) integer ids -> perplexity (a float)."""
        ### BEGIN SOLUTION
        N, T = x.shape
        V, H = params["W"].shape
        h, _ = rnn_forward(one_hot(x, V), np.zeros((N, H)), params["W_ih"], params["W_hh"],
                           params["b_ih"], params["b_hh"])
        scores, _ = temporal_affine_forward(h, params["W"], params["b"])
        loss, _ = temporal_softmax_loss(scores, y)
        ppl = float(np.exp(loss / T))  # loss is per sequence: divide by T for per character
        ### END SOLUTION
        return ppl
    '''),
    test("test_perplexity", r"""
    check("perplexity", perplexity)
    ### BEGIN HIDDEN TESTS
    check("perplexity", perplexity, hidden=True)
    ### END HIDDEN TESTS
    """, points=2),
    md("search_intro", r"""
    ## 6. Hyperparameter search: grid against random

    With the same budget of 6 short training runs, we search the learning rate `lr` and the
    clipping threshold `max_norm`: a 3 × 2 **grid**, and 6 **random** draws (lr log-uniform).
    Bergstra & Bengio (2012) argue that random search wins when only a few hyperparameters
    matter: a grid spends its budget on repeated values of the unimportant ones. Each run trains
    with *your* `train_tbptt` for one pass over the first streams and reports the validation
    perplexity with *your* `perplexity` (the figure: perplexity against the learning rate, the
    colour is the clipping threshold). The runs are tiny so the notebook stays fast; expect
    perplexities well below V but far from good text.
    """),
    code("figure", r"""
    H, N, SEQ_LEN = 32, 16, 20
    x_train, y_train = batch_streams(train_ids, N)
    x_train, y_train = x_train[:, :400], y_train[:, :400]   # 20 chunks per run
    x_val, y_val = batch_streams(val_ids, 8)


    def run(lr, max_norm, seed=0):
        params, losses = train_tbptt(init_params(V, H, seed), x_train, y_train, SEQ_LEN, lr,
                                     max_norm)
        return params, perplexity(params, x_val[:, :100], y_val[:, :100])


    grid = [(lr, mn) for lr in (0.05, 0.3, 1.5) for mn in (0.5, 5.0)]
    rng = np.random.default_rng(1)
    random_points = [(float(10 ** rng.uniform(-1.5, 0.3)), float(10 ** rng.uniform(-0.5, 0.8)))
                     for _ in range(6)]
    results = {}
    for label, points in (("grid", grid), ("random", random_points)):
        results[label] = [(lr, mn, run(lr, mn)[1]) for lr, mn in points]

    fig, ax = plt.subplots(figsize=(7, 3.8))
    for label, marker in (("grid", "s"), ("random", "o")):
        lr, max_norm, ppl = np.array(results[label]).T
        sc = ax.scatter(lr, ppl, c=np.log10(max_norm), marker=marker, s=70, cmap="viridis",
                        vmin=-0.5, vmax=0.8, label=label, edgecolors="k")
    ax.axhline(V, color="gray", ls=":", label=f"uniform guess (V = {V})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation perplexity")
    ax.set_title("6 grid and 6 random runs, same budget")
    fig.colorbar(sc, label="log10(max_norm)")
    ax.legend()
    fig.tight_layout()
    plt.show()
    for label, rows in results.items():
        best = min(rows, key=lambda r: r[2])
        print(f"best {label:6s}: lr={best[0]:.3g} max_norm={best[1]:.3g} perplexity={best[2]:.2f}")
    """),
    code("samples", r"""
    best_lr, best_norm, _ = min(results["grid"] + results["random"], key=lambda r: r[2])
    params, val_ppl = run(best_lr, best_norm)
    print(f"uniform guessing: perplexity {V}; best run: {val_ppl:.2f}")
    for temperature in (0.5, 1.0, 1.5):
        ids_out = sample(params, np.zeros((1, H)), char_to_id["T"], 60, temperature,
                         np.random.default_rng(0))
        print(f"T={temperature}: " + repr("T" + "".join(chars[i] for i in ids_out)))
    """),
    md("tuning_intro", r"""
    ## 7. Tuning beyond one comparison

    One comparison of 6 runs with one seed tells little. Three tools make a search worth its
    budget:

    - **Several seeds.** Train the winners again from other initialisations: if the spread
      over seeds is as large as the gap between them, the comparison has no winner.
    - **Your Adam against SGD, with early stopping.** The same model and data, trained epoch by
      epoch with `adam_step` (section 1) on every parameter, or with plain SGD; after each epoch
      the validation perplexity is measured and the best parameters kept, and a run stops when
      it has not improved for `patience` epochs (it would only overfit or oscillate).
    - **Successive halving** (Jamieson & Talwalkar, 2016; the core of Hyperband): start many
      configurations on a small budget, keep the better half, double their budget, repeat. Bad
      configurations are dropped after one epoch, so most of the budget goes to good ones.
    """),
    code("tuning_tools", r"""
    def loss_and_grads(params, x, y, h_prev):
        # train_step's forward and backward, without the update (for any optimizer)
        V = params["W"].shape[0]
        h, rnn_cache = rnn_forward(one_hot(x, V), h_prev, params["W_ih"], params["W_hh"],
                                   params["b_ih"], params["b_hh"])
        scores, affine_cache = temporal_affine_forward(h, params["W"], params["b"])
        loss, dscores = temporal_softmax_loss(scores, y)
        dh, dW, db = temporal_affine_backward(dscores, affine_cache)
        _, _, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(dh, rnn_cache)
        grads = {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh, "W": dW, "b": db}
        return loss, grads, h[:, -1]


    class Run:
        # one training run: parameters, optimizer state, validation perplexity per epoch
        def __init__(self, optimizer, lr, max_norm=5.0, seed=0):
            self.optimizer, self.lr, self.max_norm = optimizer, lr, max_norm
            self.params = init_params(V, H, seed)
            self.m = {k: np.zeros_like(p) for k, p in self.params.items()}
            self.v = {k: np.zeros_like(p) for k, p in self.params.items()}
            self.t, self.history, self.best_params = 0, [], None

        def epoch(self):
            h = np.zeros((x_train.shape[0], H))
            for s in range(0, x_train.shape[1], SEQ_LEN):
                _, grads, h = loss_and_grads(self.params, x_train[:, s:s + SEQ_LEN],
                                             y_train[:, s:s + SEQ_LEN], h)
                grads, _ = clip_grad_norm(grads, self.max_norm)
                self.t += 1
                for k in self.params:
                    if self.optimizer == "adam":
                        self.params[k], self.m[k], self.v[k] = adam_step(
                            self.params[k], grads[k], self.m[k], self.v[k], self.t, lr=self.lr)
                    else:
                        self.params[k] = self.params[k] - self.lr * grads[k]
            with np.errstate(all="ignore"):
                ppl = perplexity(self.params, x_val[:, :100], y_val[:, :100])
            ppl = ppl if np.isfinite(ppl) else np.inf  # a diverged run
            if ppl < min(self.history, default=np.inf):
                self.best_params = {k: p.copy() for k, p in self.params.items()}
            self.history.append(ppl)
            return ppl

        @property
        def best(self):
            return min(self.history, default=np.inf)


    def fit(run, max_epochs, patience):
        # early stopping: stop when the best epoch is `patience` epochs behind
        while len(run.history) < max_epochs:
            run.epoch()
            if len(run.history) - 1 - int(np.argmin(run.history)) >= patience:
                break
        return run
    """),
    code("seeds", r"""
    best_grid = min(results["grid"], key=lambda r: r[2])
    best_random = min(results["random"], key=lambda r: r[2])
    print(f"{'search':>7} {'lr':>7} {'max_norm':>9}   perplexity over seeds 0, 1, 2")
    for label, (lr, max_norm, _) in (("grid", best_grid), ("random", best_random)):
        ppls = np.array([run(lr, max_norm, seed)[1] for seed in (0, 1, 2)])
        print(f"{label:>7} {lr:>7.3g} {max_norm:>9.3g}   {ppls.round(2)}  "
              f"mean {ppls.mean():.2f} ± {ppls.std():.2f}")
    """),
    code("adam_vs_sgd", r"""
    max_epochs, patience = 8, 2
    fig, ax = plt.subplots(figsize=(7, 3.8))
    print(f"{'optimizer':>9} {'lr':>6} {'seed':>4} {'epochs run':>10} {'best epoch':>10} "
          f"{'best perplexity':>15}")
    for optimizer, lr, colour in (("sgd", best_grid[0], "C0"), ("adam", 0.01, "C3"),
                                  ("adam", 0.2, "C1")):  # a rate too large for Adam
        for seed in (0, 1, 2):
            r = fit(Run(optimizer, lr, seed=seed), max_epochs, patience)
            epochs = np.arange(1, len(r.history) + 1)
            ax.plot(epochs, r.history, "o-", ms=3, color=colour, alpha=0.8,
                    label=f"{optimizer}, lr = {lr:.3g}" if seed == 0 else None)
            ax.plot(1 + np.argmin(r.history), r.best, "*", ms=10, color=colour)
            print(f"{optimizer:>9} {lr:>6.3g} {seed:>4} {len(r.history):>10} "
                  f"{1 + int(np.argmin(r.history)):>10} {r.best:>15.2f}")
    ax.set_xlabel("epoch (one pass over the training streams)")
    ax.set_ylabel("validation perplexity")
    ax.set_yscale("log")
    ax.set_yticks([10, 20, 50, 100, 200], ["10", "20", "50", "100", "200"])
    ax.minorticks_off()
    ax.set_title(f"Your Adam against SGD, 3 seeds each; early stopping (patience {patience}); "
                 f"★ best epoch", fontsize=10)
    ax.legend()
    fig.tight_layout()
    plt.show()
    """),
    code("halving", r"""
    rng = np.random.default_rng(7)
    configs = [("adam", float(10 ** rng.uniform(-3, -1))) if k % 2 else
               ("sgd", float(10 ** rng.uniform(-1.5, 0.3))) for k in range(8)]
    runs = [Run(optimizer, lr, seed=k) for k, (optimizer, lr) in enumerate(configs)]
    budget, epochs_spent = 1, 0
    while True:
        for r in runs:
            while len(r.history) < budget:
                r.epoch()
                epochs_spent += 1
        runs.sort(key=lambda r: r.best)
        print(f"rung with {len(runs)} runs at {budget} epoch(s): " + ", ".join(
            f"{r.optimizer} lr={r.lr:.3g} → {r.best:.2f}" for r in runs))
        if len(runs) == 1:
            break
        runs, budget = runs[:len(runs) // 2], 2 * budget
    print(f"winner: {runs[0].optimizer}, lr = {runs[0].lr:.3g}, perplexity {runs[0].best:.2f}, "
          f"for {epochs_spent} epochs of training in all ({8 * budget} for 8 full runs)")
    """),
    md("reflection_prompt", r"""
    ## 8. Reflection (manually graded, 3 points)

    In a few sentences, using the figures, tables and samples above: which hyperparameter
    mattered most, and how can you tell? Did the grid or the random search find the better run,
    and does that survive other seeds? Which optimizer reached the lower perplexity, and what
    did early stopping and successive halving save? What does the temperature do to the
    samples, and why? Name one thing that truncated BPTT makes impossible to learn.
    """),
    written("reflection", r"""
    *Model answer.* The learning rate mattered most: along the lr axis the perplexity changes
    a lot, while at a fixed lr the two clipping thresholds give close results (clipping only
    acts when the gradient is large, i.e. at large lr, where it prevents divergence). Random
    search tried 6 distinct learning rates against the grid's 3, so it covers the axis that
    matters better; with one seed and 6 runs the difference between the two bests is within
    the noise unless the seeds say otherwise: the conclusion holds only if the spread over
    seeds is small next to the gap between the two winners (and the search itself should be
    repeated with other draws before calling one strategy better). Adam adapts the step per parameter and reaches a lower perplexity in fewer
    epochs than SGD at its best rate; early stopping keeps the best epoch and stops runs that
    no longer improve, and successive halving drops the bad configurations after one epoch,
    spending a fraction of the budget of training every configuration fully. A low temperature
    sharpens the softmax (frequent characters and words repeat), a high one flattens it
    (more varied, more misspelt). Truncated BPTT cannot learn dependencies longer than the
    chunk through the gradient (the state is carried, but no gradient crosses a boundary).
    """, points=3),
    md("summary", r"""
    ## Summary

    - Truncated BPTT carries the hidden state across chunks but stops the gradient there.
    - Clip by the global norm; Adam's bias correction matters in the first steps.
    - Sampling: softmax(scores / temperature), one seeded draw per character.
    - Perplexity = exp(mean NLL per character). Next: make all this fast with Numba (06).
    """),
    code("timing", r"""
    print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
    """),
]


def build():
    return notebook(CELLS)
