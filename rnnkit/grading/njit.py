"""Custom exercises of assignment 06 (the LSTM with Numba on the CPU).

The student's `@njit` functions keep part 1's API: `lstm_forward_njit(x, h0, c0, W_ih, W_hh,
b_ih, b_hh) -> (h, cache)`, `lstm_backward_njit(dh, cache) -> (dx, dh0, dc0, dW_ih, dW_hh,
db_ih, db_hh)` and `lstm_forward_parallel(...) -> h` (prange over the batch). Each case runs in
float64 and in float32 (outputs "<name>[float32]", compared with the float64 reference of the
same float32 inputs at 1e-4). Beyond the numbers, the checks require what the assignment
teaches: a compiled Numba dispatcher, nopython mode for every signature, `parallel=True`, and
the same result on 1 thread and on every thread the machine has (a race shows up as a
difference). numba is imported lazily: the grader's process never needs it.
"""
import copy

import numpy as np

from rnnkit import reference as ref
from rnnkit.grading.custom import Case, CustomExercise, Problem, as_array, unpack

GRADS = ("dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh")


def _lstm_inputs(rng, N, T, D, H):
    return {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)) * 0.5,
            "c0": rng.standard_normal((N, H)) * 0.5,
            "W_ih": rng.standard_normal((4 * H, D)) / np.sqrt(D),
            "W_hh": rng.standard_normal((4 * H, H)) / np.sqrt(H),
            "b_ih": rng.standard_normal(4 * H) * 0.1, "b_hh": rng.standard_normal(4 * H) * 0.1,
            "dh": rng.standard_normal((N, T, H))}


ARGS = ("x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh")
DTYPES = (("", np.float64), ("[float32]", np.float32))


def _cast(inputs, dtype):
    return {k: np.asarray(v, dtype=dtype) for k, v in inputs.items()}


def _as64(inputs, dtype):
    """The inputs as the student sees them in `dtype`, back in float64 for the reference."""
    return {k: np.asarray(v, dtype=dtype).astype(np.float64) for k, v in inputs.items()}


def _require_dispatcher(name, func, parallel=False):
    from numba.core.dispatcher import Dispatcher
    if not isinstance(func, Dispatcher):
        raise Problem(f"{name} is a plain Python function ({type(func).__name__}): decorate it "
                      f"with @njit{'(parallel=True)' if parallel else ''} so that Numba compiles "
                      "it.")
    options = getattr(func, "targetoptions", {})
    if options.get("forceobj"):
        raise Problem(f"{name} is compiled with forceobj=True (object mode): it runs at Python "
                      "speed. Use @njit (nopython mode).")
    if parallel and not options.get("parallel"):
        raise Problem(f"{name} must be compiled with @njit(parallel=True) so that prange "
                      "actually runs in parallel.")


def _require_nopython(name, func):
    signatures, nopython = list(func.signatures), list(func.nopython_signatures)
    if not signatures:
        raise Problem(f"{name} was never compiled.")
    if len(nopython) < len(signatures):
        raise Problem(f"{name} compiled in object mode for {len(signatures) - len(nopython)} "
                      "signature(s) (Python objects inside, or forceobj): every signature must "
                      "compile in nopython mode (@njit).")


class _NjitLSTM(CustomExercise):
    """Small LSTM cases (N=1, D≠H) for an @njit function that must compile in nopython mode."""
    n_cases = (2, 3)

    def make_case(self, index, rng, hidden):
        N, T, D, H = [(2, 3, 4, 5), (1, 4, 3, 2), (3, 5, 6, 7)][index % 3]
        return Case(index, {"N": N, "T": T, "D": D, "H": H}, _lstm_inputs(rng, N, T, D, H))

    def require(self, func, forward=None):
        _require_dispatcher(self.name, func)

    def require_after(self, func, forward=None):
        _require_nopython(self.name, func)


class ForwardNjit(_NjitLSTM):
    name = "lstm_forward_njit"
    what = "lstm_forward_njit"

    def expected(self, case):
        out = {}
        for suffix, dtype in DTYPES:
            a = _as64(case.inputs, dtype)
            out["h" + suffix] = ref.lstm_forward(*[a[k] for k in ARGS])[0]
        return out

    def run(self, func, case, forward=None):
        out = {}
        for suffix, dtype in DTYPES:
            a = _cast(copy.deepcopy(case.inputs), dtype)
            h, _ = unpack(self.name, func(*[a[k] for k in ARGS]), ("h", "cache"))
            out["h" + suffix] = as_array(self.name, "h" + suffix, h, a["dh"].shape, dtype)
        return out


class BackwardNjit(_NjitLSTM):
    name = "lstm_backward_njit"
    what = "lstm_backward_njit"

    def expected(self, case):
        out = {}
        for suffix, dtype in DTYPES:
            a = _as64(case.inputs, dtype)
            _, cache = ref.lstm_forward(*[a[k] for k in ARGS])
            for key, value in zip(GRADS, ref.lstm_backward(a["dh"], cache)):
                out[key + suffix] = value
        return out

    def require(self, func, forward=None):
        if forward is None:
            raise TypeError("check('lstm_backward_njit', ...) needs forward=your "
                            "lstm_forward_njit: the backward runs on its cache")
        super().require(func)

    def run(self, func, case, forward=None):
        out = {}
        shapes = {"dx": case.inputs["x"].shape, "dh0": case.inputs["h0"].shape,
                  "dc0": case.inputs["c0"].shape, "dW_ih": case.inputs["W_ih"].shape,
                  "dW_hh": case.inputs["W_hh"].shape, "db_ih": case.inputs["b_ih"].shape,
                  "db_hh": case.inputs["b_hh"].shape}
        for suffix, dtype in DTYPES:
            a = _cast(copy.deepcopy(case.inputs), dtype)
            _, cache = unpack("lstm_forward_njit", forward(*[a[k] for k in ARGS]),
                              ("h", "cache"))
            grads = unpack(self.name, func(a["dh"], cache), GRADS)
            for key, value in zip(GRADS, grads):
                out[key + suffix] = as_array(self.name, key + suffix, value, shapes[key], dtype)
        return out

    def diagnose(self, case, actual, expected, key):
        if key.startswith("dh0") and np.allclose(actual[key], 0):
            return "dh0 is zero: return the gradient that reaches h0 after the last step back."
        return None


class ForwardParallel(CustomExercise):
    name = "lstm_forward_parallel"
    what = "lstm_forward_parallel"
    n_cases = (1, 2)
    repeats = 6

    def make_case(self, index, rng, hidden):
        # big enough (a few ms per call) that the threads really overlap: a race shows up
        N, T, D, H = [(128, 24, 32, 48), (97, 20, 27, 41)][index % 2]
        return Case(index, {"N": N, "T": T, "D": D, "H": H}, _lstm_inputs(rng, N, T, D, H))

    def thread_counts(self):
        import numba
        return sorted({1, numba.config.NUMBA_NUM_THREADS})

    def expected(self, case):
        a = case.inputs
        h = ref.lstm_forward(*[a[k] for k in ARGS])[0]
        return {"h": h, "h[max threads]": h}

    def require(self, func, forward=None):
        _require_dispatcher(self.name, func, parallel=True)

    def require_after(self, func, forward=None):
        _require_nopython(self.name, func)

    def run(self, func, case, forward=None):
        import numba
        before = numba.get_num_threads()
        out = {}
        try:
            for n_threads in self.thread_counts():
                numba.set_num_threads(n_threads)
                key = "h" if n_threads == 1 else "h[max threads]"
                for _ in range(self.repeats if n_threads > 1 else 1):
                    a = copy.deepcopy(case.inputs)
                    h = as_array(self.name, "h", func(*[a[k] for k in ARGS]), a["dh"].shape)
                    # a race need not show up every time: every repeat must agree with the first
                    if key in out and not np.array_equal(out[key], h) or \
                            n_threads > 1 and not np.allclose(out["h"], h, rtol=1e-9, atol=1e-12):
                        raise Problem(f"{self.name} gave different results on {n_threads} "
                                      "threads in two runs on the same inputs: a race. Threads "
                                      "must not share scratch arrays or accumulate into the "
                                      "same elements; allocate per-row scratch inside the "
                                      "prange loop.")
                    out[key] = h
        finally:
            numba.set_num_threads(before)
        if "h[max threads]" not in out:  # a 1-core machine: the same key, for the record
            out["h[max threads]"] = out["h"]
        return out

    def diagnose(self, case, actual, expected, key):
        if key == "h[max threads]":
            return ("Correct on 1 thread, wrong on several: a race between the threads of "
                    "prange (shared scratch, or += into shared elements).")
        return None


EXERCISES = [ForwardNjit(), BackwardNjit(), ForwardParallel()]
