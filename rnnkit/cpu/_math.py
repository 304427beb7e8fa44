"""Scalar activations and a small matrix product, shared by the Numba kernels.

Why not ``np.tanh``: inside ``@njit`` it is a scalar libm call (~20 ns per float32 element) that
also stops LLVM from vectorising the loop around it. Here:

- float32: tanh is Eigen's rational approximation (odd degree-13 / even degree-6 polynomial,
  input clamped to ±7.9), max error ≈ 3e-7 — below float32's own rounding of the gates, far below
  the kit's 1e-4 tolerance — and, being only multiplies, adds, a divide and a clamp, LLVM turns
  the whole gate loop into AVX vector code (≈ 0.3 ns per element instead of 20).
  σ(a) = (1 + tanh(a/2)) / 2 uses the same approximation.
- float64: exact formulas, tanh(a) = 1 - 2 / (e^{2a} + 1) and σ(a) = 1 / (1 + e^{-a}) (the
  reference's 1e-10 tolerance rules out the rational approximation), on an e^x that vectorises:
  ``np.exp`` is a scalar libm call (~6.4 ns per σ; 2.6 ns with ``exp64``, measured on 4096
  elements), and the gate pass computes five of them per hidden unit and step.
  ``exp64``: e^x = 2^k · e^r with k = round(x / ln 2) and r = x - k·ln 2 (ln 2 in two parts,
  so k·ln 2 is exact to ~1e-19), |r| ≤ ln(2)/2, e^r by its Taylor polynomial of degree 12
  (truncation error r^13/13! < 2e-16), 2^k built from its exponent bits. Max relative error
  4.7e-16 over [-708, 709]. x is clamped to that range, so e^x never overflows: a saturated
  gate gets σ ≈ 1e-308 instead of 0 and tanh exactly ±1, far inside the tolerance.

Every constant is typed (``np.float32(...)``) because a Python float literal would silently
promote float32 arithmetic to float64. Kernels are compiled with ``error_model="numpy"``: Python's
model checks every float division for zero, which prevents vectorisation.

Maintainers: Numba's on-disk cache (``cache=True``) is invalidated only when the file defining a
kernel changes, not when a function it calls changes. After editing this file, delete the
cached kernels (``rm rnnkit/cpu/__pycache__/*.nb[ci]``, or the NUMBA_CACHE_DIR in use).
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

# Eigen's fast tanh (generic_fast_tanh_float): tanh(x) ≈ x·P(x²) / Q(x²) on |x| ≤ 7.9
_CLAMP = np.float32(7.90531110763549805)
_A1, _A3, _A5 = np.float32(4.89352455891786e-03), np.float32(6.37261928875436e-04), np.float32(1.48572235717979e-05)
_A7, _A9 = np.float32(5.12229709037114e-08), np.float32(-8.60467152213735e-11)
_A11, _A13 = np.float32(2.00018790482477e-13), np.float32(-2.76076847742355e-16)
_B0, _B2 = np.float32(4.89352518554385e-03), np.float32(2.26843463243900e-03)
_B4, _B6 = np.float32(1.18534705686654e-04), np.float32(1.19825839466702e-06)
_HALF32, _ONE32 = np.float32(0.5), np.float32(1.0)
_ONE64, _TWO64 = np.float64(1.0), np.float64(2.0)
# exp64: 1/ln 2, ln 2 = _LN2_HI + _LN2_LO (fdlibm's split), Taylor coefficients 1/k!, clamp
_LOG2E, _HALF64 = np.float64(1.4426950408889634), np.float64(0.5)
_LN2_HI, _LN2_LO = np.float64(6.93147180369123816490e-01), np.float64(1.90821492927058770002e-10)
_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12 = (
    np.float64(1 / math.factorial(k)) for k in range(13))
_EXP_LO, _EXP_HI = np.float64(-708.0), np.float64(709.0)

#: below this many multiply-adds a hand-written loop beats a BLAS call (measured: the call
#: overhead of ~1 µs dominates tiny per-step products such as (1, 32) @ (32, 128))
SMALL_MATMUL = 32 * 1024

KERNEL_OPTIONS = dict(cache=True, error_model="numpy", nogil=True)


def tanh(a):
    """tanh for a float32 or float64 scalar inside @njit code (see the module note)."""
    return np.tanh(a)


def sigmoid(a):
    """σ(a) for a float32 or float64 scalar inside @njit code (see the module note)."""
    return 1 / (1 + np.exp(-a))


@njit(inline="always")
def _tanh_f32(a):
    x = min(max(a, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * _A13 + _A11
    p = p * x2 + _A9
    p = p * x2 + _A7
    p = p * x2 + _A5
    p = p * x2 + _A3
    p = p * x2 + _A1
    q = x2 * _B6 + _B4
    q = q * x2 + _B2
    q = q * x2 + _B0
    return x * p / q


@intrinsic
def _as_float64(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 ``bits`` (a no-op that LLVM vectorises)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(inline="always", error_model="numpy")
def exp64(a):
    """e^a for a float64 scalar, as accurate as np.exp (see the module note) but vectorisable."""
    x = min(max(a, _EXP_LO), _EXP_HI)
    k = np.floor(x * _LOG2E + _HALF64)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = _E12 * r + _E11
    p = p * r + _E10
    p = p * r + _E9
    p = p * r + _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    p = p * r + _E1
    p = p * r + _E0
    return p * _as_float64((np.int64(k) + 1023) << 52)  # p · 2^k, k in [-1021, 1023]


@njit(inline="always")
def _tanh_f64(a):
    return _ONE64 - _TWO64 / (exp64(_TWO64 * a) + _ONE64)


@njit(inline="always")
def _sigmoid_f32(a):
    return _HALF32 + _HALF32 * _tanh_f32(_HALF32 * a)


@njit(inline="always")
def _sigmoid_f64(a):
    return _ONE64 / (_ONE64 + exp64(-a))


@overload(tanh, jit_options=dict(error_model="numpy"))
def _tanh_overload(a):
    if a == types.float32:
        return lambda a: _tanh_f32(a)
    if a == types.float64:
        return lambda a: _tanh_f64(a)


@overload(sigmoid, jit_options=dict(error_model="numpy"))
def _sigmoid_overload(a):
    if a == types.float32:
        return lambda a: _sigmoid_f32(a)
    if a == types.float64:
        return lambda a: _sigmoid_f64(a)


@njit(error_model="numpy")
def matmul(a, b, out):
    """out = a @ b for C-contiguous a (M, K), b (K, P), out (M, P); no allocation.

    Tiny products (the N = 1, H = 32 case) run as a plain loop, vectorised over out's columns;
    larger ones call BLAS (SciPy's, through Numba's ``np.dot``), which is multithreaded.
    """
    M, K = a.shape
    P = b.shape[1]
    if M * K * P > SMALL_MATMUL:
        np.dot(a, b, out)
        return
    for i in range(M):
        for j in range(P):
            out[i, j] = 0
        for k in range(K):
            a_ik = a[i, k]
            for j in range(P):
                out[i, j] += a_ik * b[k, j]
