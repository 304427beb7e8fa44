"""The pointwise math of each cell, as device functions on scalars (one hidden unit (n, j)).

The fused gate kernels (gates.py) and the persistent kernel (persistent.py) both call these, so
the equations are written once. ``one`` is 1 in the arrays' dtype: a literal 1.0 would turn
float32 arithmetic into float64 (slower on a GPU, and not what the float32 kernel claims to do).

Equations (PyTorch's; a_* are gate pre-activations, x W_ihᵀ + b_ih + h W_hhᵀ + b_hh):
    RNN   h' = tanh(a) or relu(a)
    LSTM  i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g);  c' = f c + i g;  h' = o tanh(c')
    GRU   r, z = σ(a_r), σ(a_z);  n = tanh(gx_n + r ⊙ gh_n) (reset after)
          or tanh(gx_n + W_hn (r ⊙ h) + b_hn) (reset before);  h' = (1 - z) n + z h
"""
import math

from numba import cuda


@cuda.jit(device=True)
def sigmoid(a, one):
    """σ(a) = 1 / (1 + e^-a), written so that e^(...) never overflows."""
    e = math.exp(-abs(a))
    if a >= 0:
        return one / (one + e)
    return e / (one + e)


# ---------------------------------------------------------------------------- RNN

@cuda.jit(device=True)
def rnn_forward_unit(a, relu):
    """h' = act(a)."""
    if relu:
        return max(a, a - a)  # max(a, 0) in a's dtype
    return math.tanh(a)


@cuda.jit(device=True)
def rnn_backward_unit(dh, h_next, relu, one):
    """da = dh · act'(a), with act' read from the output: tanh' = 1 - h'², relu' = [h' > 0]."""
    if relu:
        return dh if h_next > 0 else dh - dh
    return dh * (one - h_next * h_next)


# ---------------------------------------------------------------------------- LSTM

@cuda.jit(device=True)
def lstm_forward_unit(a_i, a_f, a_g, a_o, c_prev, one):
    """-> (i, f, g, o, c_next, h_next)."""
    i = sigmoid(a_i, one)
    f = sigmoid(a_f, one)
    g = math.tanh(a_g)
    o = sigmoid(a_o, one)
    c_next = f * c_prev + i * g
    h_next = o * math.tanh(c_next)
    return i, f, g, o, c_next, h_next


@cuda.jit(device=True)
def lstm_backward_unit(dh, dc_next, i, f, g, o, c_prev, c_next, one):
    """dh, dc_next: upstream gradients of h_t and c_t -> (da_i, da_f, da_g, da_o, dc_prev)."""
    tanh_c = math.tanh(c_next)
    # c_t reaches the loss directly (dc_next) and through h_t = o tanh(c_t)
    dc = dc_next + dh * o * (one - tanh_c * tanh_c)
    da_i = dc * g * i * (one - i)        # σ' = σ (1 - σ)
    da_f = dc * c_prev * f * (one - f)
    da_g = dc * i * (one - g * g)        # tanh' = 1 - tanh²
    da_o = dh * tanh_c * o * (one - o)
    return da_i, da_f, da_g, da_o, dc * f


# ---------------------------------------------------------------------------- GRU

@cuda.jit(device=True)
def gru_gate_unit(a, one):
    """r or z from its pre-activation."""
    return sigmoid(a, one)


@cuda.jit(device=True)
def gru_output_unit(n, z, h_prev, one):
    """h' = (1 - z) n + z h."""
    return (one - z) * n + z * h_prev


@cuda.jit(device=True)
def gru_output_backward_unit(dh, h_prev, r, z, n, one):
    """Gradients through h' = (1 - z) n + z h and n = tanh(·) ->
    (da_n, da_z, dh_direct): da_n is the gradient of n's pre-activation, dh_direct = dh z the
    part of dh_prev that flows straight from h' to h."""
    dn = dh * (one - z)
    dz = dh * (h_prev - n)
    da_n = dn * (one - n * n)
    da_z = dz * z * (one - z)
    return da_n, da_z, dh * z


@cuda.jit(device=True)
def gru_reset_backward_unit(dr, r, one):
    """da_r = dr · σ'(a_r)."""
    return dr * r * (one - r)
