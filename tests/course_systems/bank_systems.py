"""Part 2's bank: realistic wrong answers and correct alternatives for notebooks 05-08, as data.

A wrong answer is a small text edit of a solution's answer cell and the set of test cells on
which it must lose points (every other test cell keeps full marks). An alternative replaces an
answer cell by another correct implementation: it must earn full marks.
"""
from tests.course.bank import Alternative, Wrong, _w  # noqa: F401 (one format for both banks)

NB05, NB06, NB07, NB08 = "05_training", "06_numba_cpu", "07_numba_cuda", "08_analysis"
NOTEBOOKS = (NB05, NB06, NB07, NB08)


TRAIN = ("train_step", "train_tbptt")

# 07's tiled matmul, as in the solution, and a naive kernel computing the same product
_TILED_BODY = """\
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
"""
_NAIVE_BODY = """\
    row = cuda.blockIdx.y * TILE + cuda.threadIdx.y
    col = cuda.blockIdx.x * TILE + cuda.threadIdx.x
    M, K = A.shape
    N = B.shape[1]
    acc = 0.0
    if row < M and col < N:
        for k in range(K):
            acc += A[row, k] * B[k, col]
"""

WRONG = [
    # --- 05: training -------------------------------------------------------------------------
    _w("adam_no_bias_correction", NB05, "adam_step",
       [("m_hat = m_next / (1 - beta1**t)", "m_hat = m_next"),
        ("v_hat = v_next / (1 - beta2**t)", "v_hat = v_next")], ["adam_step"]),
    _w("adam_eps_inside_sqrt", NB05, "adam_step",
       [("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)")], ["adam_step"],
       "only visible with tiny gradients, where sqrt(v_hat) ~ eps"),
    _w("adam_t_from_zero", NB05, "adam_step",
       [("(1 - beta1**t)", "(1 - beta1**(t + 1))"), ("(1 - beta2**t)", "(1 - beta2**(t + 1))")],
       ["adam_step"], "step counter off by one"),
    _w("no_clipping", NB05, "train_step",
       [("clipped, _ = clip_grad_norm(grads, max_norm)", "clipped = grads")], TRAIN),
    _w("per_tensor_clipping", NB05, "train_step",
       [("clipped, _ = clip_grad_norm(grads, max_norm)",
         "clipped = {k: clip_grad_norm({k: g}, max_norm)[0][k] for k, g in grads.items()}")],
       TRAIN, "each tensor clipped on its own: the direction changes"),
    _w("state_ignored_in_step", NB05, "train_step",
       [("h, rnn_cache = rnn_forward(one_hot(x, V), h_prev,",
         "h, rnn_cache = rnn_forward(one_hot(x, V), np.zeros_like(h_prev),")], TRAIN),
    _w("h_last_first_step", NB05, "train_step", [("h_last = h[:, -1]", "h_last = h[:, 0]")],
       TRAIN),
    _w("state_not_carried", NB05, "train_tbptt",
       [("y[:, s:s + seq_len], h,", "y[:, s:s + seq_len], np.zeros_like(h),")], ["train_tbptt"]),
    _w("last_chunk_dropped", NB05, "train_tbptt",
       [("range(0, L, seq_len)", "range(0, L - seq_len + 1, seq_len)")], ["train_tbptt"]),
    _w("temperature_multiplied", NB05, "sample", [("[0] / temperature", "[0] * temperature")],
       ["sample"]),
    _w("greedy_sampling", NB05, "sample",
       [("idx = int(rng.choice(V, p=p))", "idx = int(np.argmax(p))")], ["sample"]),
    _w("sample_h_not_carried", NB05, "sample",
       [("+ h @ params[\"W_hh\"].T", "+ h0 @ params[\"W_hh\"].T")], ["sample"]),
    _w("perplexity_per_sequence", NB05, "perplexity",
       [("np.exp(loss / T)", "np.exp(loss)")], ["perplexity"],
       "temporal_softmax_loss averages over the batch only"),
    _w("perplexity_base_2", NB05, "perplexity", [("np.exp(loss / T)", "2 ** (loss / T)")],
       ["perplexity"]),
    # --- 06: Numba on the CPU ------------------------------------------------------------------
    _w("object_mode", NB06, "lstm_forward_njit",
       [("@njit\ndef lstm_forward_njit", "@numba.jit(forceobj=True)\ndef lstm_forward_njit")],
       ["lstm_forward_njit"], "falls back to object mode: right numbers, Python speed"),
    _w("float64_hardcoded", NB06, "lstm_forward_njit",
       [("h = np.empty((N, T, H), dtype=x.dtype)", "h = np.empty((N, T, H))")],
       ["lstm_forward_njit"], "float32 input gives a float64 h"),
    _w("dc_not_carried", NB06, "lstm_backward_njit",
       [("dc_next[j] = dc * f", "dc_next[j] = 0")], ["lstm_backward_njit"]),
    _w("db_overwritten", NB06, "lstm_backward_njit",
       [("db[r] += da[r]", "db[r] = da[r]")], ["lstm_backward_njit"]),
    _w("prange_race", NB06, "lstm_forward_parallel",
       [("    for n in prange(N):\n        a = np.empty(4 * H, dtype=x.dtype)\n",
         "    a = np.empty(4 * H, dtype=x.dtype)  # shared by all threads: a race\n"
         "    for n in prange(N):\n")],
       ["lstm_forward_parallel"], "scratch shared between the threads of prange"),
    _w("parallel_not_enabled", NB06, "lstm_forward_parallel",
       [("@njit(parallel=True)", "@njit")], ["lstm_forward_parallel"],
       "prange without parallel=True runs serially"),
    # --- 07: CUDA ------------------------------------------------------------------------------
    _w("missing_bounds_check", NB07, "lstm_gates_kernel",
       [("    if n < N and j < H:\n        i = 1.0", "    if True:\n        i = 1.0")],
       ["lstm_gates_kernel"]),
    _w("wrong_index_arithmetic", NB07, "lstm_gates_kernel",
       [("n = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y\n    N, H = c_prev.shape",
         "n = cuda.blockIdx.y * cuda.blockDim.x + cuda.threadIdx.y\n    N, H = c_prev.shape")],
       ["lstm_gates_kernel"], "blockDim.x used for the y axis: invisible with square blocks"),
    _w("missing_syncthreads", NB07, "matmul_tiled_kernel",
       [("        cuda.syncthreads()\n        for k in range(TILE):",
         "        for k in range(TILE):")], ["matmul_tiled_kernel"],
       "reads the shared tile before the other threads loaded it"),
    _w("missing_second_syncthreads", NB07, "matmul_tiled_kernel",
       [("            acc += sA[ty, k] * sB[k, tx]\n        cuda.syncthreads()",
         "            acc += sA[ty, k] * sB[k, tx]")], ["matmul_tiled_kernel"],
       "the next tile overwrites shared memory while others still read it"),
    _w("matmul_no_bounds_check", NB07, "matmul_tiled_kernel",
       [("    if row < M and col < N:\n        C[row, col] = acc", "    C[row, col] = acc")],
       ["matmul_tiled_kernel"]),
    _w("matmul_without_shared_tiles", NB07, "matmul_tiled_kernel",
       [(_TILED_BODY, _NAIVE_BODY)], ["matmul_tiled_kernel"],
       "right product, one thread per element of C, no shared memory: not the exercise"),
    _w("matmul_numpy_behind_a_kernel_lookalike", NB07, "matmul_tiled_kernel",
       [("@cuda.jit\ndef matmul_tiled_kernel(A, B, C):", "def _kernel(A, B, C):"),
        ("        C[row, col] = acc", "        C[row, col] = acc\n"
         "\n\nclass _LooksLikeAKernel:  # numpy on the CPU, no launch\n"
         "    py_func = _kernel\n\n    def __getitem__(self, config):\n        return self\n\n"
         "    def __call__(self, A, B, C):\n        C[...] = A @ B\n\n\n"
         "matmul_tiled_kernel = _LooksLikeAKernel()")], ["matmul_tiled_kernel"],
       "an object with __getitem__, py_func and __call__ that computes with numpy"),
    _w("interleaved_gate_rows", NB07, "lstm_step_kernel",
       [("r = gate * H + j", "r = 4 * j + gate")], ["lstm_step_kernel"]),
    _w("step_one_bias", NB07, "lstm_step_kernel",
       [("acc = b_ih[r] + b_hh[r]", "acc = b_ih[r]")], ["lstm_step_kernel"]),
    # --- 08: analysis --------------------------------------------------------------------------
    _w("fit_linear_axes", NB08, "fit_exponent",
       [("np.polyfit(np.log(sizes), np.log(times), 1)", "np.polyfit(sizes, times, 1)")],
       ["fit_exponent"]),
    _w("cost_multiply_add_once", NB08, "forward_cost",
       [("flops = 2 * N * T * G * H * (D + H)", "flops = N * T * G * H * (D + H)")],
       ["forward_cost"], "a multiply-add counted as one FLOP"),
    _w("cost_gates_forgotten", NB08, "forward_cost",
       [("flops = 2 * N * T * G * H * (D + H)", "flops = 2 * N * T * H * (D + H)")],
       ["forward_cost"], "the G gate blocks of an LSTM/GRU left out"),
    _w("cost_one_bias", NB08, "forward_cost",
       [("params = G * H * (D + H) + 2 * G * H", "params = G * H * (D + H) + G * H")],
       ["forward_cost"], "PyTorch's layout has two biases"),
    _w("spectral_norm_instead", NB08, "spectral_radius",
       [("np.max(np.abs(np.linalg.eigvals(W)))", "np.max(np.linalg.svd(W, compute_uv=False))")],
       ["spectral_radius"]),
    _w("eigenvalue_without_abs", NB08, "spectral_radius",
       [("np.max(np.abs(np.linalg.eigvals(W)))", "np.max(np.linalg.eigvals(W).real)")],
       ["spectral_radius"]),
    _w("gradient_norm_off_by_one", NB08, "rnn_gradient_norms",
       [("        norms[t] = np.linalg.norm(dh)\n"
         "        dh = rnn_step_backward(dh, step_caches[t])[1]",
         "        dh = rnn_step_backward(dh, step_caches[t])[1]\n"
         "        norms[t] = np.linalg.norm(dh)")], ["rnn_gradient_norms"]),
]

ALTERNATIVES = [
    Alternative("adam_folded_bias_correction", NB05, {"adam_step": '''
def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    # the bias corrections folded into the step size (Kingma & Ba, end of section 2)
    m_next = m.copy()
    m_next *= beta1
    m_next += (1 - beta1) * dw
    v_next = beta2 * v + (1 - beta2) * np.square(dw)
    correction = np.sqrt(1 - beta2**t)
    step = lr * correction / (1 - beta1**t)
    w_next = w - step * m_next / (np.sqrt(v_next) + eps * correction)
    return w_next, m_next, v_next
'''}, "algebraically equal, different rounding"),
    Alternative("sample_inverse_cdf", NB05, {"sample": '''
def sample(params, h0, start, n, temperature, rng):
    V = params["W"].shape[0]
    h, idx, out = h0[0], start, np.empty(n, dtype=np.int64)
    for k in range(n):
        h = np.tanh(params["W_ih"][:, idx] + params["b_ih"] + params["W_hh"] @ h
                    + params["b_hh"])
        logits = (params["W"] @ h + params["b"]) / temperature
        p = np.exp(logits - np.logaddexp.reduce(logits))
        # the same single uniform draw that rng.choice(V, p=p) makes
        idx = int(np.searchsorted(np.cumsum(p) / np.sum(p), rng.random(), side="right"))
        out[k] = idx
    return out
'''}, "column lookup instead of one-hot, inverse CDF instead of rng.choice"),
    Alternative("perplexity_log_softmax", NB05, {"perplexity": '''
def perplexity(params, x, y):
    N, T = x.shape
    H = params["W_hh"].shape[0]
    h = np.zeros((N, H))
    total = 0.0
    for t in range(T):
        h = np.tanh(params["W_ih"][:, x[:, t]].T + params["b_ih"] + h @ params["W_hh"].T
                    + params["b_hh"])
        scores = h @ params["W"].T + params["b"]
        log_p = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
        total -= log_p[np.arange(N), y[:, t]].sum()
    return float(np.exp(total / (N * T)))
'''}, "its own forward and log-softmax"),
    Alternative("njit_vectorised_forward", NB06, {"lstm_forward_njit": '''
@njit
def lstm_forward_njit(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    # numpy inside njit: one matrix-vector product per step and row
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H), dtype=x.dtype)
    c = np.empty((N, T, H), dtype=x.dtype)
    gates = np.empty((N, T, 4 * H), dtype=x.dtype)
    W_ih_T = np.ascontiguousarray(W_ih.T)
    W_hh_T = np.ascontiguousarray(W_hh.T)
    for n in range(N):
        h_prev = h0[n].copy()
        c_prev = c0[n].copy()
        for t in range(T):
            a = np.dot(x[n, t], W_ih_T) + b_ih + np.dot(h_prev, W_hh_T) + b_hh
            i = 1 / (1 + np.exp(-a[:H]))
            f = 1 / (1 + np.exp(-a[H:2 * H]))
            g = np.tanh(a[2 * H:3 * H])
            o = 1 / (1 + np.exp(-a[3 * H:]))
            c_prev = f * c_prev + i * g
            h_prev = o * np.tanh(c_prev)
            gates[n, t, :H] = i
            gates[n, t, H:2 * H] = f
            gates[n, t, 2 * H:3 * H] = g
            gates[n, t, 3 * H:] = o
            c[n, t] = c_prev
            h[n, t] = h_prev
    return h, (x, h0, c0, W_ih, W_hh, h, c, gates)
'''}, "np.dot inside @njit, same cache layout"),
    Alternative("matmul_if_else_loads", NB07, {"matmul_tiled_kernel": '''
@cuda.jit
def matmul_tiled_kernel(A, B, C):
    sA = cuda.shared.array((TILE, TILE), np.float64)
    sB = cuda.shared.array((TILE, TILE), np.float64)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row, col = cuda.grid(2)[1], cuda.grid(2)[0]
    M, K = A.shape
    N = B.shape[1]
    acc = 0.0
    n_tiles = (K + TILE - 1) // TILE
    for tile in range(n_tiles):
        k0 = tile * TILE
        if row < M and k0 + tx < K:
            sA[ty, tx] = A[row, k0 + tx]
        else:
            sA[ty, tx] = 0.0
        if k0 + ty < K and col < N:
            sB[ty, tx] = B[k0 + ty, col]
        else:
            sB[ty, tx] = 0.0
        cuda.syncthreads()
        for k in range(TILE):
            acc += sA[ty, k] * sB[k, tx]
        cuda.syncthreads()
    if row < M and col < N:
        C[row, col] = acc
'''}, "cuda.grid(2) and explicit if/else loads"),
    Alternative("cost_counted_per_product", NB08, {"forward_cost": '''
def forward_cost(cell, N, T, D, H):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    W_ih, W_hh = (G * H, D), (G * H, H)
    per_step = 2 * N * W_ih[0] * W_ih[1] + 2 * N * W_hh[0] * W_hh[1]  # x W_ih^T, h W_hh^T
    return float(T * per_step), W_ih[0] * W_ih[1] + W_hh[0] * W_hh[1] + 2 * W_ih[0]
'''}, "counted from the weight shapes, flops as a float"),
    Alternative("gradient_norms_list", NB08, {"rnn_gradient_norms": '''
def rnn_gradient_norms(x, h0, W_ih, W_hh, b_ih, b_hh):
    _, cache = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    step_caches = cache[0]
    dh = np.ones_like(h0)
    backwards = []
    for step_cache in step_caches[::-1]:
        backwards.append(np.sqrt(np.sum(dh * dh)))
        dh = rnn_step_backward(dh, step_cache)[1]
    return np.array(backwards[::-1])
'''}, "a list in reverse, then flipped"),
]
