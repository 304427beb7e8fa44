"""Persistent kernels: one launch runs all T time steps of a small problem (forward, and BPTT).

The step-by-step driver launches two kernels per time step (the recurrent product, then the
gates); for small N and H each launch costs more than its arithmetic. Here one launch loops over
t itself, and W_hh, read at every step, is copied once into shared memory (fast, on-chip).

Work split: the H hidden units are cut into slices of U units; block b owns units
[b·U, b·U + U) for every batch row, keeps the G·U rows of W_hh those units need in its shared
memory, and its threads walk the N·U pairs (n, j) of its slice (block-stride loop). A thread
computes all gates of its unit (n, j) from the previous hidden state h_{t-1}[n, :], so after each
step *every* block must wait until *all* blocks have written h_t: that is a grid-wide barrier.

Two kernels, one body:
  * persistent_forward_grid_kernel: several blocks, barrier = cooperative grid sync
    (cuda.cg.this_grid().sync()); numba launches it cooperatively, which needs a GPU that
    supports cooperative launch and a grid no larger than the blocks that fit on it at once.
  * persistent_forward_block_kernel: one block owns all H units (U = H), barrier = syncthreads.
    It runs anywhere, including the CUDA simulator (which supports only one-block grids).

BPTT works the same way backwards in time, with the *columns* of W_hh that a block's units need
(dh_{t-1}[n, j] = Σ_r dG_t[n, r] W_hh[r, j]): see persistent_backward_block_kernel.

Cells: RNN (tanh, relu), LSTM, GRU "reset after". The GRU "reset before" candidate needs
r ⊙ h of all units in the middle of a step, so it uses the step-by-step driver.
The input projection x W_ihᵀ of all steps is done before, by the tiled matmul; the weight
gradients (sums over all steps) after, by the tiled matmul too.
"""
import math

from numba import cuda

from rnnkit.cuda.cells import (gru_gate_unit, gru_output_backward_unit, gru_output_unit,
                               gru_reset_backward_unit, lstm_backward_unit, lstm_forward_unit,
                               rnn_backward_unit, rnn_forward_unit)
from rnnkit.cuda.device import simulator_enabled

RNN, LSTM, GRU = 0, 1, 2
CELL_CODES = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
GATES = {RNN: 1, LSTM: 4, GRU: 3}

#: shared memory a block may use without opting in (48 KiB on every CUDA GPU since Kepler)
MAX_SHARED_BYTES = 48 * 1024
#: threads per block (at most)
THREADS = 256


@cuda.jit(device=True)
def load_weight_slice(W_hh, W_s, u0, U):
    """Copy the rows of W_hh that units [u0, u0 + U) need into shared W_s (G·U x H, flat).

    Local row g·U + jl of W_s is row g·H + (u0 + jl) of W_hh; the block's threads share the copy.
    """
    GH, H = W_hh.shape
    G = GH // H
    for idx in range(cuda.threadIdx.x, G * U * H, cuda.blockDim.x):
        row_local, k = idx // H, idx % H
        g, jl = row_local // U, row_local % U
        if u0 + jl < H:
            W_s[idx] = W_hh[g * H + u0 + jl, k]


@cuda.jit(device=True)
def recurrent_dot(W_s, row_local, H_all, t, n):
    """Σ_k W_s[row_local, k] · h_{t-1}[n, k]  (one gate's share of h_{t-1} W_hhᵀ)."""
    H = H_all.shape[2]
    base = row_local * H
    acc = W_s[base] * H_all[t, n, 0]  # first term; starting from it keeps the arrays' dtype
    for k in range(1, H):
        acc += W_s[base + k] * H_all[t, n, k]
    return acc


@cuda.jit(device=True)
def step_slice(cell, relu, t, u0, U, Gx, W_s, b_ih, b_hh, H_all, C_all, acts, gh_n, one):
    """Advance units (n, j), j in [u0, u0 + U), from h_{t-1} = H_all[t] to h_t = H_all[t + 1].

    Threads of the block walk the N·U pairs (n, j) with a block-stride loop.
    """
    N = Gx.shape[1]
    H = H_all.shape[2]
    for idx in range(cuda.threadIdx.x, N * U, cuda.blockDim.x):
        n, jl = idx // U, idx % U
        j = u0 + jl
        if j < H:
            if cell == RNN:
                a = Gx[t, n, j] + b_ih[j] + b_hh[j] + recurrent_dot(W_s, jl, H_all, t, n)
                H_all[t + 1, n, j] = rnn_forward_unit(a, relu)
            elif cell == LSTM:
                a_i = Gx[t, n, j] + b_ih[j] + b_hh[j] + recurrent_dot(W_s, jl, H_all, t, n)
                a_f = (Gx[t, n, H + j] + b_ih[H + j] + b_hh[H + j]
                       + recurrent_dot(W_s, U + jl, H_all, t, n))
                a_g = (Gx[t, n, 2 * H + j] + b_ih[2 * H + j] + b_hh[2 * H + j]
                       + recurrent_dot(W_s, 2 * U + jl, H_all, t, n))
                a_o = (Gx[t, n, 3 * H + j] + b_ih[3 * H + j] + b_hh[3 * H + j]
                       + recurrent_dot(W_s, 3 * U + jl, H_all, t, n))
                i, f, g, o, c, h = lstm_forward_unit(a_i, a_f, a_g, a_o, C_all[t, n, j], one)
                acts[t, n, j] = i
                acts[t, n, H + j] = f
                acts[t, n, 2 * H + j] = g
                acts[t, n, 3 * H + j] = o
                C_all[t + 1, n, j] = c
                H_all[t + 1, n, j] = h
            else:  # GRU, reset after
                r = gru_gate_unit(Gx[t, n, j] + b_ih[j] + b_hh[j]
                                  + recurrent_dot(W_s, jl, H_all, t, n), one)
                z = gru_gate_unit(Gx[t, n, H + j] + b_ih[H + j] + b_hh[H + j]
                                  + recurrent_dot(W_s, U + jl, H_all, t, n), one)
                ghn = recurrent_dot(W_s, 2 * U + jl, H_all, t, n) + b_hh[2 * H + j]
                cand = math.tanh(Gx[t, n, 2 * H + j] + b_ih[2 * H + j] + r * ghn)
                acts[t, n, j] = r
                acts[t, n, H + j] = z
                acts[t, n, 2 * H + j] = cand
                gh_n[t, n, j] = ghn
                H_all[t + 1, n, j] = gru_output_unit(cand, z, H_all[t, n, j], one)


@cuda.jit
def persistent_forward_block_kernel(cell, relu, Gx, W_hh, b_ih, b_hh, H_all, C_all, acts, gh_n,
                                    one):
    """All T steps in ONE block: the block owns every unit (U = H); barrier = syncthreads.

    Gx (T, N, G·H) input projections (no bias); H_all (T+1, N, H) with H_all[0] = h0 on entry;
    C_all (T+1, N, H) likewise for the LSTM; acts (T, N, G·H), gh_n (T, N, H) saved for BPTT.
    Dynamic shared memory: G·H·H elements of W_hh's dtype.
    """
    W_s = cuda.shared.array(0, dtype=W_hh.dtype)
    H = H_all.shape[2]
    load_weight_slice(W_hh, W_s, 0, H)
    cuda.syncthreads()
    for t in range(Gx.shape[0]):
        step_slice(cell, relu, t, 0, H, Gx, W_s, b_ih, b_hh, H_all, C_all, acts, gh_n, one)
        cuda.syncthreads()  # h_t complete before any thread reads it at step t + 1


@cuda.jit
def persistent_forward_grid_kernel(cell, relu, units_per_block, Gx, W_hh, b_ih, b_hh, H_all,
                                   C_all, acts, gh_n, one):
    """All T steps on a cooperative grid: block b owns units [b·U, b·U + U), U = units_per_block.

    Same arrays as persistent_forward_block_kernel; dynamic shared memory G·U·H elements.
    """
    W_s = cuda.shared.array(0, dtype=W_hh.dtype)
    grid = cuda.cg.this_grid()
    U = units_per_block
    u0 = cuda.blockIdx.x * U
    load_weight_slice(W_hh, W_s, u0, U)
    cuda.syncthreads()
    for t in range(Gx.shape[0]):
        step_slice(cell, relu, t, u0, U, Gx, W_s, b_ih, b_hh, H_all, C_all, acts, gh_n, one)
        grid.sync()  # every block's part of h_t is written (and visible) before step t + 1


# ------------------------------------------------------------------------------ BPTT

@cuda.jit(device=True)
def load_weight_columns(W_hh, W_s, u0, U):
    """Copy columns [u0, u0 + U) of W_hh into shared W_s (G·H x U, flat: W_s[r·U + jl])."""
    GH, H = W_hh.shape
    for idx in range(cuda.threadIdx.x, GH * U, cuda.blockDim.x):
        r, jl = idx // U, idx % U
        if u0 + jl < H:
            W_s[idx] = W_hh[r, u0 + jl]


@cuda.jit(device=True)
def backward_gates_slice(cell, relu, t, u0, U, dH, H_all, C_all, acts, gh_n, dc, dh_rec, dGi,
                         dGh, one):
    """Phase 1 of step t, units (n, j) of this block: dh_t -> gate gradients dG_t.

    dh_rec[n, j] holds the gradient reaching h_t from step t+1; it is replaced by the part of
    dh_{t-1} that needs no product with W_hh (dh z for the GRU, 0 otherwise).
    """
    N, H = dh_rec.shape
    for idx in range(cuda.threadIdx.x, N * U, cuda.blockDim.x):
        n, jl = idx // U, idx % U
        j = u0 + jl
        if j < H:
            dh = dH[t, n, j] + dh_rec[n, j]
            if cell == RNN:
                dGi[t, n, j] = rnn_backward_unit(dh, H_all[t + 1, n, j], relu, one)
                dh_rec[n, j] = dh - dh  # 0 in dh's dtype; phase 2 adds dG_t W_hh
            elif cell == LSTM:
                da_i, da_f, da_g, da_o, dc_prev = lstm_backward_unit(
                    dh, dc[n, j], acts[t, n, j], acts[t, n, H + j], acts[t, n, 2 * H + j],
                    acts[t, n, 3 * H + j], C_all[t, n, j], C_all[t + 1, n, j], one)
                dGi[t, n, j] = da_i
                dGi[t, n, H + j] = da_f
                dGi[t, n, 2 * H + j] = da_g
                dGi[t, n, 3 * H + j] = da_o
                dc[n, j] = dc_prev
                dh_rec[n, j] = dh - dh
            else:  # GRU, reset after
                r, z, cand = acts[t, n, j], acts[t, n, H + j], acts[t, n, 2 * H + j]
                da_n, da_z, dh_direct = gru_output_backward_unit(dh, H_all[t, n, j], r, z, cand,
                                                                 one)
                da_r = gru_reset_backward_unit(da_n * gh_n[t, n, j], r, one)
                dGi[t, n, j] = da_r
                dGi[t, n, H + j] = da_z
                dGi[t, n, 2 * H + j] = da_n
                dGh[t, n, j] = da_r
                dGh[t, n, H + j] = da_z
                dGh[t, n, 2 * H + j] = da_n * r
                dh_rec[n, j] = dh_direct


@cuda.jit(device=True)
def backward_hidden_slice(t, u0, U, W_s, dGh, dh_rec):
    """Phase 2 of step t, units (n, j) of this block: dh_{t-1}[n, j] += Σ_r dGh_t[n, r] W_hh[r, j]

    Reads the gate gradients of *all* units (written in phase 1 by every block).
    """
    N, H = dh_rec.shape
    GH = dGh.shape[2]
    for idx in range(cuda.threadIdx.x, N * U, cuda.blockDim.x):
        n, jl = idx // U, idx % U
        j = u0 + jl
        if j < H:
            acc = dh_rec[n, j]
            for r in range(GH):
                acc += dGh[t, n, r] * W_s[r * U + jl]
            dh_rec[n, j] = acc


@cuda.jit
def persistent_backward_block_kernel(cell, relu, dH, W_hh, H_all, C_all, acts, gh_n, dc, dh_rec,
                                     dGi, dGh, one):
    """BPTT over all T steps in ONE block (all H units); barrier = syncthreads.

    dH (T, N, H) upstream gradients; dh_rec (N, H) zeros on entry, dh0 on exit; dc (N, H) dc_T
    on entry, dc0 on exit (LSTM); dGi, dGh (T, N, G·H) gate gradients, input and hidden side
    (the same array except for the GRU). Dynamic shared memory: G·H·H elements (all of W_hh).

    One barrier per step is enough: phase 2 of step t reads every unit's dG_t, so it must wait
    for phase 1 of step t everywhere; phase 1 of step t-1 touches only the thread's own
    dh_rec[n, j] and dc[n, j] and the rows dG_{t-1}, which nobody else reads at step t.
    """
    W_s = cuda.shared.array(0, dtype=W_hh.dtype)
    H = dh_rec.shape[1]
    load_weight_columns(W_hh, W_s, 0, H)
    cuda.syncthreads()
    for t in range(dH.shape[0] - 1, -1, -1):
        backward_gates_slice(cell, relu, t, 0, H, dH, H_all, C_all, acts, gh_n, dc, dh_rec, dGi,
                             dGh, one)
        cuda.syncthreads()  # every unit's dG_t is written
        backward_hidden_slice(t, 0, H, W_s, dGh, dh_rec)


@cuda.jit
def persistent_backward_grid_kernel(cell, relu, units_per_block, dH, W_hh, H_all, C_all, acts,
                                    gh_n, dc, dh_rec, dGi, dGh, one):
    """BPTT on a cooperative grid: block b owns units [b·U, b·U + U); barrier = grid sync.

    Same arrays as persistent_backward_block_kernel; shared memory G·H·U elements (the block's
    columns of W_hh).
    """
    W_s = cuda.shared.array(0, dtype=W_hh.dtype)
    grid = cuda.cg.this_grid()
    U = units_per_block
    u0 = cuda.blockIdx.x * U
    load_weight_columns(W_hh, W_s, u0, U)
    cuda.syncthreads()
    for t in range(dH.shape[0] - 1, -1, -1):
        backward_gates_slice(cell, relu, t, u0, U, dH, H_all, C_all, acts, gh_n, dc, dh_rec, dGi,
                             dGh, one)
        grid.sync()  # every block's part of dG_t is written (and visible)
        backward_hidden_slice(t, u0, U, W_s, dGh, dh_rec)


def shared_bytes(cell, H, units, itemsize):
    """Shared memory for a block owning ``units`` units: G·units·H elements of W_hh (its rows
    for the forward pass, its columns for BPTT: the same count)."""
    return GATES[CELL_CODES[cell]] * units * H * itemsize


def supports(cell, reset_after):
    return cell in CELL_CODES and (cell != "gru" or reset_after)


def plan(cell, reset_after, N, H, itemsize):
    """How to split this problem: ("block", 1, H), ("grid", blocks, U) or None (not persistent).

    One block when all of W_hh fits in its shared memory and one block's threads cover the
    N·H units (or on the simulator, which runs one-block grids only). Otherwise a cooperative
    grid on a GPU that supports it, each block owning U units: about THREADS (n, j) pairs per
    block, and no more units than its shared memory holds. Whether the grid fits on the GPU at
    once is checked at launch (persistent_forward).
    """
    if not supports(cell, reset_after):
        return None
    fits_one_block = shared_bytes(cell, H, H, itemsize) <= MAX_SHARED_BYTES
    if fits_one_block and (N * H <= THREADS or simulator_enabled()):
        return ("block", 1, H)
    if simulator_enabled():
        return None
    if not getattr(cuda.get_current_device(), "COOPERATIVE_LAUNCH", 0):
        return ("block", 1, H) if fits_one_block else None
    units = min(MAX_SHARED_BYTES // shared_bytes(cell, H, 1, itemsize), -(-THREADS // N), H)
    if units < 1:
        return None
    return ("grid", -(-H // units), units)  # -(-a // b): a / b rounded up


def max_cooperative_blocks(kernel, args, threads, smem):
    """Blocks of this kernel that fit on the GPU at once: a cooperative grid's limit."""
    if simulator_enabled():
        return 1
    compiled = kernel.compile(tuple(kernel.typeof_pyval(a) for a in args))
    return compiled.max_cooperative_grid_blocks(threads, smem)


def persistent_forward(cell, relu, Gx, W_hh, b_ih, b_hh, H_all, C_all, acts, gh_n, one, layout):
    """Launch the persistent forward with a ``layout`` from ``plan``.

    Returns False (and launches nothing) when a cooperative grid would not fit on the GPU.
    """
    kind, blocks, units = layout
    N = Gx.shape[1]
    H = H_all.shape[2]
    threads = max(1, min(THREADS, N * units))
    smem = shared_bytes(cell, H, units, W_hh.dtype.itemsize)
    code = CELL_CODES[cell]
    if kind == "block":
        persistent_forward_block_kernel[1, threads, 0, smem](
            code, relu, Gx, W_hh, b_ih, b_hh, H_all, C_all, acts, gh_n, one)
        return True
    args = (code, relu, units, Gx, W_hh, b_ih, b_hh, H_all, C_all, acts, gh_n, one)
    if blocks > max_cooperative_blocks(persistent_forward_grid_kernel, args, threads, smem):
        return False
    persistent_forward_grid_kernel[blocks, threads, 0, smem](*args)
    return True


def persistent_backward(cell, relu, dH, W_hh, H_all, C_all, acts, gh_n, dc, dh_rec, dGi, dGh,
                        one, layout):
    """Launch the persistent BPTT with a ``layout`` from ``plan`` (the forward's).

    Returns False (and launches nothing) when a cooperative grid would not fit on the GPU.
    """
    kind, blocks, units = layout
    N, H = dh_rec.shape
    threads = max(1, min(THREADS, N * units))
    smem = shared_bytes(cell, H, units, W_hh.dtype.itemsize)
    code = CELL_CODES[cell]
    if kind == "block":
        persistent_backward_block_kernel[1, threads, 0, smem](
            code, relu, dH, W_hh, H_all, C_all, acts, gh_n, dc, dh_rec, dGi, dGh, one)
        return True
    args = (code, relu, units, dH, W_hh, H_all, C_all, acts, gh_n, dc, dh_rec, dGi, dGh, one)
    if blocks > max_cooperative_blocks(persistent_backward_grid_kernel, args, threads, smem):
        return False
    persistent_backward_grid_kernel[blocks, threads, 0, smem](*args)
    return True
