"""Fused gate kernels: one launch per time step applies a cell's whole pointwise update.

Every kernel here maps threads to data the same way: one thread per (batch row n, hidden unit j),
flattened as idx = n·H + j, in a grid-stride loop (a thread handles idx, idx + gridsize, ... so
any launch size covers any N·H). The thread computes *all* gates of its unit (i, f, g, o for the
LSTM; r, z, n for the GRU), so the gate values never travel through global memory between
kernels. The matrix products around them (matmul.py) are separate launches.

Array layout: one time step's slices, batch rows first.
    gx  (N, G·H)  x_t W_ihᵀ        (no bias: the kernels add b_ih and b_hh)
    gh  (N, G·H)  h_{t-1} W_hhᵀ    (no bias)
    acts (N, G·H) saved gate activations for BPTT: i|f|g|o (LSTM), r|z|n (GRU)
"""
import math

from numba import cuda

from rnnkit.cuda.cells import (gru_gate_unit, gru_output_backward_unit, gru_output_unit,
                               gru_reset_backward_unit, lstm_backward_unit, lstm_forward_unit,
                               rnn_backward_unit, rnn_forward_unit)


# ------------------------------------------------------------------------------------- RNN

@cuda.jit
def rnn_forward_kernel(gx, gh, b_ih, b_hh, relu, h_next):
    """h_next[n, j] = act(gx[n, j] + b_ih[j] + gh[n, j] + b_hh[j]); thread idx = n·H + j."""
    N, H = h_next.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        a = gx[n, j] + b_ih[j] + gh[n, j] + b_hh[j]
        h_next[n, j] = rnn_forward_unit(a, relu)


@cuda.jit
def rnn_backward_kernel(dh_out, dh_rec, h_next, relu, da, one):
    """da[n, j] = (dh_out + dh_rec)[n, j] · act'; thread idx = n·H + j.

    dh_out: gradient of h_t from the loss at step t; dh_rec: from step t+1 (through W_hh).
    """
    N, H = h_next.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        da[n, j] = rnn_backward_unit(dh_out[n, j] + dh_rec[n, j], h_next[n, j], relu, one)


# ------------------------------------------------------------------------------------ LSTM

@cuda.jit
def lstm_forward_kernel(gx, gh, b_ih, b_hh, c_prev, acts, c_next, h_next, one):
    """All four gates of unit (n, j), then c_next and h_next; thread idx = n·H + j.

    Gate g's pre-activation sits in column g·H + j of gx and gh (rows i|f|g|o of W).
    """
    N, H = h_next.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        a_i = gx[n, j] + b_ih[j] + gh[n, j] + b_hh[j]
        a_f = gx[n, H + j] + b_ih[H + j] + gh[n, H + j] + b_hh[H + j]
        a_g = gx[n, 2 * H + j] + b_ih[2 * H + j] + gh[n, 2 * H + j] + b_hh[2 * H + j]
        a_o = gx[n, 3 * H + j] + b_ih[3 * H + j] + gh[n, 3 * H + j] + b_hh[3 * H + j]
        i, f, g, o, c, h = lstm_forward_unit(a_i, a_f, a_g, a_o, c_prev[n, j], one)
        acts[n, j] = i
        acts[n, H + j] = f
        acts[n, 2 * H + j] = g
        acts[n, 3 * H + j] = o
        c_next[n, j] = c
        h_next[n, j] = h


@cuda.jit
def lstm_backward_kernel(dh_out, dh_rec, dc, acts, c_prev, c_next, da, one):
    """Gradients of the four gate pre-activations of unit (n, j); thread idx = n·H + j.

    dc holds dc_t on entry and is overwritten with dc_{t-1} (each thread touches only its own
    element, so updating in place is safe).
    """
    N, H = c_next.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        da_i, da_f, da_g, da_o, dc_prev = lstm_backward_unit(
            dh_out[n, j] + dh_rec[n, j], dc[n, j],
            acts[n, j], acts[n, H + j], acts[n, 2 * H + j], acts[n, 3 * H + j],
            c_prev[n, j], c_next[n, j], one)
        da[n, j] = da_i
        da[n, H + j] = da_f
        da[n, 2 * H + j] = da_g
        da[n, 3 * H + j] = da_o
        dc[n, j] = dc_prev


# ------------------------------------------------------------------------------------- GRU

@cuda.jit
def gru_forward_kernel(gx, gh, b_ih, b_hh, h_prev, acts, gh_n, h_next, one):
    """GRU step, "reset after" (PyTorch): r, z, n and h_next of unit (n, j); idx = n·H + j.

    gh holds h_prev W_hhᵀ for all three gates; gh_n[n, j] saves W_hn h + b_hn for BPTT.
    """
    N, H = h_next.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        r = gru_gate_unit(gx[n, j] + b_ih[j] + gh[n, j] + b_hh[j], one)
        z = gru_gate_unit(gx[n, H + j] + b_ih[H + j] + gh[n, H + j] + b_hh[H + j], one)
        ghn = gh[n, 2 * H + j] + b_hh[2 * H + j]
        cand = math.tanh(gx[n, 2 * H + j] + b_ih[2 * H + j] + r * ghn)
        acts[n, j] = r
        acts[n, H + j] = z
        acts[n, 2 * H + j] = cand
        gh_n[n, j] = ghn
        h_next[n, j] = gru_output_unit(cand, z, h_prev[n, j], one)


@cuda.jit
def gru_reset_forward_kernel(gx, gh_rz, b_ih, b_hh, h_prev, acts, rh, one):
    """GRU "reset before", first half: r, z of unit (n, j) and rh = r ⊙ h_prev; idx = n·H + j.

    The candidate needs W_hn (r ⊙ h), a product over *all* units, so it waits for a matmul
    between this kernel and gru_candidate_forward_kernel. gh_rz (N, 2H) = h_prev W_hh[:2H]ᵀ.
    """
    N, H = h_prev.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        r = gru_gate_unit(gx[n, j] + b_ih[j] + gh_rz[n, j] + b_hh[j], one)
        z = gru_gate_unit(gx[n, H + j] + b_ih[H + j] + gh_rz[n, H + j] + b_hh[H + j], one)
        acts[n, j] = r
        acts[n, H + j] = z
        rh[n, j] = r * h_prev[n, j]


@cuda.jit
def gru_candidate_forward_kernel(gx, b_ih, b_hh, h_prev, acts, gh_n, h_next, one):
    """GRU "reset before", second half: n and h_next of unit (n, j); idx = n·H + j.

    gh_n (N, H) holds W_hn (r ⊙ h) on entry; b_hn is added in place, so it ends as the
    reference's gh_n = W_hn (r ⊙ h) + b_hn.
    """
    N, H = h_next.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        ghn = gh_n[n, j] + b_hh[2 * H + j]
        cand = math.tanh(gx[n, 2 * H + j] + b_ih[2 * H + j] + ghn)
        gh_n[n, j] = ghn
        acts[n, 2 * H + j] = cand
        h_next[n, j] = gru_output_unit(cand, acts[n, H + j], h_prev[n, j], one)


@cuda.jit
def gru_backward_kernel(dh_out, dh_rec, h_prev, acts, gh_n, dgi, dgh, one):
    """GRU "reset after" backward of unit (n, j); idx = n·H + j.

    Writes the gradients of the input-side pre-activations dgi (N, 3H) and of the hidden-side
    ones dgh (N, 3H) (they differ in the n gate, which r scales on the hidden side), and
    replaces dh_rec[n, j] by the direct part dh · z of dh_prev (the driver then adds dgh W_hh).
    """
    N, H = h_prev.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        r, z, cand = acts[n, j], acts[n, H + j], acts[n, 2 * H + j]
        da_n, da_z, dh_direct = gru_output_backward_unit(dh_out[n, j] + dh_rec[n, j],
                                                         h_prev[n, j], r, z, cand, one)
        da_r = gru_reset_backward_unit(da_n * gh_n[n, j], r, one)
        dgi[n, j] = da_r
        dgi[n, H + j] = da_z
        dgi[n, 2 * H + j] = da_n
        dgh[n, j] = da_r
        dgh[n, H + j] = da_z
        dgh[n, 2 * H + j] = da_n * r
        dh_rec[n, j] = dh_direct


@cuda.jit
def gru_candidate_backward_kernel(dh_out, dh_rec, h_prev, acts, dgi, dgh, one):
    """GRU "reset before" backward, first half: gradients of z and n of unit (n, j).

    Writes the z and n columns of dgi and dgh (equal here: W_hn acts on r ⊙ h, nothing scales
    it) and replaces dh_rec[n, j] by dh · z. The driver then computes d(r ⊙ h) = da_n W_hn.
    """
    N, H = h_prev.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        r, z, cand = acts[n, j], acts[n, H + j], acts[n, 2 * H + j]
        da_n, da_z, dh_direct = gru_output_backward_unit(dh_out[n, j] + dh_rec[n, j],
                                                         h_prev[n, j], r, z, cand, one)
        dgi[n, H + j] = da_z
        dgi[n, 2 * H + j] = da_n
        dgh[n, H + j] = da_z
        dgh[n, 2 * H + j] = da_n
        dh_rec[n, j] = dh_direct


@cuda.jit
def gru_reset_backward_kernel(d_rh, h_prev, acts, dgi, dgh, dh_rec, one):
    """GRU "reset before" backward, second half: gradient of r of unit (n, j).

    d_rh (N, H) = da_n W_hn is the gradient of r ⊙ h: it gives dr = d_rh ⊙ h and adds
    d_rh ⊙ r to dh_prev (accumulated in dh_rec).
    """
    N, H = h_prev.shape
    for idx in range(cuda.grid(1), N * H, cuda.gridsize(1)):
        n, j = idx // H, idx % H
        r = acts[n, j]
        da_r = gru_reset_backward_unit(d_rh[n, j] * h_prev[n, j], r, one)
        dgi[n, j] = da_r
        dgh[n, j] = da_r
        dh_rec[n, j] += d_rh[n, j] * r
