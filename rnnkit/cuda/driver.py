"""The sequence driver: a whole forward pass and BPTT on device arrays.

Everything stays on the device between the first copy in and the last copy out: weights, every
hidden (and cell) state, the gate activations saved for BPTT. The layout is time-major, so
that one time step is a contiguous (N, ·) slice:

    X      (T, N, D)        input
    Gx     (T, N, G·H)      x_t W_ihᵀ for all t: ONE big matmul before the loop
    H_all  (T+1, N, H)      H_all[0] = h0, H_all[t+1] = h_t
    C_all  (T+1, N, H)      LSTM cell states, likewise
    acts   (T, N, G·H)      gate activations (i|f|g|o or r|z|n)
    gh_n   (T, N, H)        GRU: W_hn h + b_hn (reset after) or W_hn (r ⊙ h) + b_hn (before)
    rh     (T, N, H)        GRU reset before: r ⊙ h_{t-1}

Forward, per step t (step-by-step strategy): gh = h_{t-1} W_hhᵀ (matmul), then one fused gate
kernel (gates.py). Backward, per step t from T-1 down to 0: a gate kernel turns dh_t into the
pre-activation gradients dG_t, then dh_{t-1} = dG_t W_hh (matmul). For small problems the
"persistent" strategy runs all steps of the forward in one launch, and all steps of BPTT in
another (persistent.py). Either way the weight gradients are summed over all steps at the end
with one matmul each: dW_ih = dGᵀ X, dW_hh = dGᵀ H_prev.
"""
from dataclasses import dataclass

from numba import cuda

from rnnkit.cuda import gates, memory
from rnnkit.cuda.matmul import column_sum, matmul
from rnnkit.cuda.persistent import persistent_backward, persistent_forward, plan

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
STRATEGIES = ("auto", "stepwise", "persistent")


@dataclass
class DeviceCache:
    """What the forward pass leaves on the device for BPTT (opaque to callers)."""
    cell: str
    relu: bool
    reset_after: bool
    X: object
    W_ih: object
    W_hh: object
    H_all: object
    C_all: object = None
    acts: object = None
    gh_n: object = None
    rh: object = None
    strategy: str = "stepwise"  # how the forward ran; BPTT runs the same way when it can
    layout: tuple = None  # the persistent kernels' split of the units (persistent.plan)


def units(kernel, N, H):
    """Configure a gates.py kernel: one thread per (n, j), N·H threads in all."""
    threads = memory.threads_for(N * H)
    return kernel[memory.blocks_for(N * H, threads), threads]


def forward(cell, X, h0, c0, W_ih, W_hh, b_ih, b_hh, relu=False, reset_after=True,
            strategy="auto"):
    """Forward pass on device arrays. X (T, N, D); h0, c0 (N, H) (c0 only for the LSTM).

    strategy: "stepwise" (two launches per step), "persistent" (one launch for all steps; small
    problems only) or "auto" (persistent when it applies). Returns a DeviceCache; its H_all[1:]
    holds every h_t and C_all[T] the final cell state.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    T, N, D = X.shape
    GH, H = W_hh.shape
    dtype = X.dtype
    one = dtype.type(1)
    cache = DeviceCache(cell, bool(relu), bool(reset_after), X, W_ih, W_hh,
                        H_all=memory.empty((T + 1, N, H), dtype))
    cache.H_all[0].copy_to_device(h0)
    if cell == "lstm":
        cache.C_all = memory.empty((T + 1, N, H), dtype)
        cache.C_all[0].copy_to_device(c0)
    if cell != "rnn":
        cache.acts = memory.empty((T, N, GH), dtype)
    if cell == "gru":
        cache.gh_n = memory.empty((T, N, H), dtype)
        if not reset_after:
            cache.rh = memory.empty((T, N, H), dtype)

    # input projection of every time step at once: Gx = X W_ihᵀ, (T·N, D) x (D, G·H)
    Gx = memory.empty((T, N, GH), dtype)
    matmul(X.reshape(T * N, D), W_ih, Gx.reshape(T * N, GH), transpose_b=True)

    layout = plan(cell, reset_after, N, H, dtype.itemsize) if strategy != "stepwise" else None
    if strategy == "persistent" and layout is None:
        raise ValueError(f"the persistent kernel does not handle this problem ({cell}, H={H}, "
                         f"reset_after={reset_after}); use strategy='stepwise' or 'auto'")
    if layout is not None and _run_persistent(cache, Gx, b_ih, b_hh, one, layout):
        cache.strategy, cache.layout = "persistent", layout
        return cache
    _run_stepwise(cache, Gx, b_ih, b_hh, one)
    return cache


def _or_dummy(array, ndim, dtype):
    """Arrays a cell does not use still need a value of the right type: a 1-element stand-in."""
    return array if array is not None else memory.empty((1,) * ndim, dtype)


def _run_persistent(cache, Gx, b_ih, b_hh, one, layout):
    dtype = Gx.dtype
    return persistent_forward(cache.cell, cache.relu, Gx, cache.W_hh, b_ih, b_hh, cache.H_all,
                              _or_dummy(cache.C_all, 3, dtype), _or_dummy(cache.acts, 3, dtype),
                              _or_dummy(cache.gh_n, 3, dtype), one, layout)


def _run_stepwise(cache, Gx, b_ih, b_hh, one):
    cell, W_hh, H_all = cache.cell, cache.W_hh, cache.H_all
    T, N, GH = Gx.shape
    H = H_all.shape[2]
    reset_before = cell == "gru" and not cache.reset_after
    gh = memory.empty((N, 2 * H if reset_before else GH), Gx.dtype)
    for t in range(T):
        h_prev, h_next = H_all[t], H_all[t + 1]
        if reset_before:
            # r, z first; the candidate needs W_hn (r ⊙ h_prev) of all units, a matmul
            matmul(h_prev, W_hh[:2 * H], gh, transpose_b=True)
            units(gates.gru_reset_forward_kernel, N, H)(
                Gx[t], gh, b_ih, b_hh, h_prev, cache.acts[t], cache.rh[t], one)
            matmul(cache.rh[t], W_hh[2 * H:], cache.gh_n[t], transpose_b=True)
            units(gates.gru_candidate_forward_kernel, N, H)(
                Gx[t], b_ih, b_hh, h_prev, cache.acts[t], cache.gh_n[t], h_next, one)
            continue
        matmul(h_prev, W_hh, gh, transpose_b=True)  # gh = h_{t-1} W_hhᵀ, (N, G·H)
        if cell == "rnn":
            units(gates.rnn_forward_kernel, N, H)(Gx[t], gh, b_ih, b_hh, cache.relu, h_next)
        elif cell == "lstm":
            units(gates.lstm_forward_kernel, N, H)(
                Gx[t], gh, b_ih, b_hh, cache.C_all[t], cache.acts[t], cache.C_all[t + 1], h_next,
                one)
        else:
            units(gates.gru_forward_kernel, N, H)(
                Gx[t], gh, b_ih, b_hh, h_prev, cache.acts[t], cache.gh_n[t], h_next, one)


def backward(cache, dH, dc_n=None):
    """BPTT on device arrays. dH (T, N, H): upstream gradient of every h_t (dh_n already added);
    dc_n (N, H) or None: of the final cell state (LSTM; this buffer is overwritten).

    Returns device arrays (dX (T, N, D), dh0, dc0 or None, dW_ih, dW_hh, db_ih, db_hh).
    """
    cell, X, W_ih, W_hh, H_all = cache.cell, cache.X, cache.W_ih, cache.W_hh, cache.H_all
    T, N, D = X.shape
    GH, H = W_hh.shape
    dtype = X.dtype
    one = dtype.type(1)
    reset_before = cell == "gru" and not cache.reset_after

    dh_rec = memory.zeros((N, H), dtype)  # gradient reaching h_t from step t+1 (through W_hh)
    dc = None
    if cell == "lstm":
        dc = dc_n if dc_n is not None else memory.zeros((N, H), dtype)
    dGi = memory.empty((T, N, GH), dtype)  # gradients of the gate pre-activations, input side
    dGh = memory.empty((T, N, GH), dtype) if cell == "gru" else dGi  # hidden side (GRU: differ)

    # the recurrence, from t = T-1 down to 0: fills dGi, dGh; leaves dh0 in dh_rec, dc0 in dc
    if cache.layout is None or not persistent_backward(
            cell, cache.relu, dH, W_hh, H_all, _or_dummy(cache.C_all, 3, dtype),
            _or_dummy(cache.acts, 3, dtype), _or_dummy(cache.gh_n, 3, dtype),
            _or_dummy(dc, 2, dtype), dh_rec, dGi, dGh, one, cache.layout):
        _backward_stepwise(cache, dH, dh_rec, dc, dGi, dGh, one)

    # sums over all time steps, one matmul each: rows are the T·N (t, n) pairs
    dGi2, dGh2 = dGi.reshape(T * N, GH), dGh.reshape(T * N, GH)
    X2, H_prev2 = X.reshape(T * N, D), H_all[:T].reshape(T * N, H)
    dX = memory.empty((T, N, D), dtype)
    matmul(dGi2, W_ih, dX.reshape(T * N, D))
    dW_ih = matmul(dGi2, X2, memory.empty((GH, D), dtype), transpose_a=True)
    dW_hh = memory.empty((GH, H), dtype)
    if reset_before:  # W_hn acts on r ⊙ h, the other rows on h
        matmul(dGh2[:, :2 * H], H_prev2, dW_hh[:2 * H], transpose_a=True)
        matmul(dGh2[:, 2 * H:], cache.rh.reshape(T * N, H), dW_hh[2 * H:], transpose_a=True)
    else:
        matmul(dGh2, H_prev2, dW_hh, transpose_a=True)
    db_ih = column_sum(dGi2, memory.empty((GH,), dtype))
    db_hh = column_sum(dGh2, memory.empty((GH,), dtype))
    return dX, dh_rec, dc, dW_ih, dW_hh, db_ih, db_hh


def _backward_stepwise(cache, dH, dh_rec, dc, dGi, dGh, one):
    """BPTT's recurrence step by step: per step a gate kernel, then dh_{t-1} = dG_t W_hh."""
    cell, W_hh, H_all = cache.cell, cache.W_hh, cache.H_all
    T, N, H = dH.shape
    reset_before = cell == "gru" and not cache.reset_after
    d_rh = memory.empty((N, H), dH.dtype) if reset_before else None
    for t in reversed(range(T)):
        if cell == "rnn":
            units(gates.rnn_backward_kernel, N, H)(dH[t], dh_rec, H_all[t + 1], cache.relu,
                                                   dGi[t], one)
            matmul(dGi[t], W_hh, dh_rec)  # dh_{t-1} = da_t W_hh
        elif cell == "lstm":
            units(gates.lstm_backward_kernel, N, H)(dH[t], dh_rec, dc, cache.acts[t],
                                                    cache.C_all[t], cache.C_all[t + 1], dGi[t],
                                                    one)
            matmul(dGi[t], W_hh, dh_rec)
        elif not reset_before:
            units(gates.gru_backward_kernel, N, H)(dH[t], dh_rec, H_all[t], cache.acts[t],
                                                   cache.gh_n[t], dGi[t], dGh[t], one)
            matmul(dGh[t], W_hh, dh_rec, accumulate=True)  # dh z + dG_h W_hh
        else:
            units(gates.gru_candidate_backward_kernel, N, H)(dH[t], dh_rec, H_all[t],
                                                             cache.acts[t], dGi[t], dGh[t], one)
            matmul(dGh[t][:, 2 * H:], W_hh[2 * H:], d_rh)  # d(r ⊙ h) = da_n W_hn
            units(gates.gru_reset_backward_kernel, N, H)(d_rh, H_all[t], cache.acts[t], dGi[t],
                                                         dGh[t], dh_rec, one)
            matmul(dGh[t][:, :2 * H], W_hh[:2 * H], dh_rec, accumulate=True)


def synchronize():
    """Wait for every launched kernel (timings and host copies need it)."""
    cuda.synchronize()
