"""Custom exercises of assignment 08 (performance and gradient analysis).

Only what is deterministic is graded: the fitted exponent of a power law (against numpy's
least squares on the same data), the cost model of a forward pass (FLOPs and parameters of an
RNN, LSTM or GRU, exact), the gradient norms ||dL/dh_t|| of a vanilla RNN on fixed weights and
the spectral radius of W_hh. The student's timings are teaching figures, never graded: a busy
grader must not cost a correct answer points.
"""
import copy

import numpy as np

from rnnkit import reference as ref
from rnnkit.grading.custom import Case, CustomExercise, Problem, as_array, as_number, unpack
from rnnkit.grading.exercises import FAMILY_GATES


class FitExponent(CustomExercise):
    name = "fit_exponent"
    what = "fit_exponent"

    def make_case(self, index, rng, hidden):
        p = float(rng.uniform(0.5, 2.5))
        c = float(10 ** rng.uniform(-7, -3))
        sizes = np.unique(np.round(2 ** rng.uniform(3, 10, size=5 + index))).astype(float)
        times = c * sizes**p * np.exp(rng.normal(0, 0.1, size=sizes.size))
        return Case(index, {"points": sizes.size, "true p": round(p, 2)},
                    {"sizes": sizes, "times": times})

    def expected(self, case):
        p, c = ref.fit_exponent(case.inputs["sizes"], case.inputs["times"])
        return {"p": np.float64(p), "c": np.float64(c)}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        p, c = unpack(self.name, func(a["sizes"], a["times"]), ("p", "c"))
        return {"p": as_number(self.name, "p", p), "c": as_number(self.name, "c", c)}

    def diagnose(self, case, actual, expected, key):
        sizes, times = case.inputs["sizes"], case.inputs["times"]
        p_linear = np.polyfit(sizes, times, 1)[0]
        if np.isclose(actual["p"], p_linear):
            return "That is the slope of times against sizes: fit log(times) against log(sizes)."
        return "Fit a straight line to (log sizes, log times): slope p, intercept log c."


class GradientNorms(CustomExercise):
    name = "rnn_gradient_norms"
    what = "rnn_gradient_norms"

    ARGS = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")

    def make_case(self, index, rng, hidden):
        N, T, D, H = [(2, 8, 3, 5), (1, 12, 2, 4), (3, 6, 4, 6), (2, 10, 3, 3)][index % 4]
        gain = [0.5, 1.5, 1.0, 3.0][index % 4]
        inputs = {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)) * 0.1,
                  "W_ih": rng.standard_normal((H, D)) / np.sqrt(D),
                  "W_hh": gain * rng.standard_normal((H, H)) / np.sqrt(H),
                  "b_ih": np.zeros(H), "b_hh": rng.standard_normal(H) * 0.1}
        return Case(index, {"N": N, "T": T, "D": D, "H": H, "gain": gain}, inputs)

    def expected(self, case):
        return {"norms": ref.rnn_gradient_norms(*[case.inputs[k] for k in self.ARGS])}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        norms = np.asarray(func(*[a[k] for k in self.ARGS]))
        T = a["x"].shape[1]
        return {"norms": as_array(self.name, "norms", norms.astype(np.float64)
                                  if norms.dtype.kind == "f" else norms, (T,))}

    def diagnose(self, case, actual, expected, key):
        exp = expected["norms"]
        if np.allclose(actual["norms"][:-1], exp[1:]) or np.allclose(actual["norms"][1:], exp[:-1]):
            return ("Off by one step: norms[t] is the norm of the gradient reaching h_t, so "
                    "norms[T-1] is the norm of dL/dh_(T-1) = ones, before any step back.")
        if np.allclose(actual["norms"], exp[::-1]):
            return "Your norms are in reverse order: index them by t, not by steps back."
        return None


class SpectralRadius(CustomExercise):
    name = "spectral_radius"
    what = "spectral_radius"

    def make_case(self, index, rng, hidden):
        H = [4, 7, 5, 9][index % 4]
        W = rng.standard_normal((H, H)) / np.sqrt(H)
        if index % 2:  # a non-symmetric matrix whose largest eigenvalue is negative
            W -= 1.5 * np.eye(H)
        return Case(index, {"H": H}, {"W": W})

    def expected(self, case):
        return {"rho": np.float64(ref.spectral_radius(case.inputs["W"]))}

    def run(self, func, case, forward=None):
        return {"rho": as_number(self.name, "rho", func(copy.deepcopy(case.inputs["W"])))}

    def diagnose(self, case, actual, expected, key):
        W = case.inputs["W"]
        if np.isclose(actual["rho"], np.linalg.norm(W, 2)):
            return ("That is the largest singular value (the 2-norm); the spectral radius is the "
                    "largest |eigenvalue|.")
        if np.isclose(actual["rho"], np.max(np.linalg.eigvals(W).real)):
            return "Take the absolute value of the (complex) eigenvalues before the maximum."
        return None


class ForwardCost(CustomExercise):
    """A cost model, graded exactly: what a measured exponent is compared with.

    Timings are never graded (issue 11): a busy grader must not cost a correct answer points.
    """

    name = "forward_cost"
    what = "forward_cost"
    tolerance = 1e-12  # whole numbers: exact (a float sum of them is exact too)

    def make_case(self, index, rng, hidden):
        cell = ("rnn", "lstm", "gru")[index % 3]
        N, T, D, H = (int(v) for v in rng.integers(1, 40 if hidden else 12, size=4))
        if index == 0:
            D, H = D, D + 1  # D != H: a swapped D and H is visible
        return Case(index, {"cell": cell, "N": N, "T": T, "D": D, "H": H},
                    {"cell": cell, "N": N, "T": T, "D": D, "H": H})

    def expected(self, case):
        flops, params = ref.forward_cost(**case.inputs)
        return {"flops": np.float64(flops), "params": np.float64(params)}

    def run(self, func, case, forward=None):
        a = dict(case.inputs)
        flops, params = unpack(self.name, func(a["cell"], a["N"], a["T"], a["D"], a["H"]),
                               ("flops", "params"))
        return {"flops": as_number(self.name, "flops", flops),
                "params": as_number(self.name, "params", params)}

    def diagnose(self, case, actual, expected, key):
        i = case.inputs
        G, N, T, D, H = FAMILY_GATES[i["cell"]], i["N"], i["T"], i["D"], i["H"]
        flops, params = actual["flops"], actual["params"]
        if key == "flops":
            guesses = {N * T * G * H * (D + H): "A multiply-add is 2 FLOPs (one multiply, one "
                                                "add): count 2 per element of each product.",
                       2 * N * T * H * (D + H): f"A {i['cell']} has G = {G} gate blocks: W_ih "
                                                f"is (G*H, D), so each product has G*H columns.",
                       2 * N * G * H * (D + H): "That is one step: a forward pass has T of them.",
                       2 * T * G * H * (D + H): "That is one sequence: the batch has N of them."}
            return guesses.get(int(flops)) if float(flops).is_integer() else None
        guesses = {G * H * (D + H): "Count the two bias vectors b_ih and b_hh (G*H each).",
                   G * H * (D + H) + G * H: "PyTorch's layout has two biases, b_ih and b_hh.",
                   H * (D + H) + 2 * H: f"A {i['cell']} has G = {G} gate blocks in every "
                                        f"weight and bias."}
        return guesses.get(int(params)) if float(params).is_integer() else None


EXERCISES = [FitExponent(), ForwardCost(), GradientNorms(), SpectralRadius()]
