"""Custom exercises of assignment 05 (training a character-level language model).

The model is a vanilla tanh RNN over one-hot characters followed by a temporal affine layer:
params = {W_ih (H, V), W_hh (H, H), b_ih (H,), b_hh (H,), W (V, H), b (V,)}; inputs x and
targets y are integer arrays (N, T). The expected outputs come from `rnnkit.reference.training`.
"""
import copy

import numpy as np

from rnnkit import reference as ref
from rnnkit.grading.custom import Case, CustomExercise, Problem, as_array, as_number, unpack

PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W", "b")


# --- cases ----------------------------------------------------------------------------------

def _params(rng, V, H, scale=0.5):
    return {"W_ih": rng.standard_normal((H, V)) * scale,
            "W_hh": rng.standard_normal((H, H)) * scale / np.sqrt(H),
            "b_ih": rng.standard_normal(H) * 0.1, "b_hh": rng.standard_normal(H) * 0.1,
            "W": rng.standard_normal((V, H)) * scale, "b": rng.standard_normal(V) * 0.1}


def _check_params(who, value, like):
    if not isinstance(value, dict) or set(value) != set(like):
        raise Problem(f"{who} must return the new parameters as a dict with the keys "
                      f"{sorted(like)}; got {type(value).__name__}"
                      f"{sorted(value) if isinstance(value, dict) else ''}.")
    return {k: as_array(who, f"params[{k!r}]", value[k], like[k].shape) for k in PARAM_NAMES}


class AdamStep(CustomExercise):
    name = "adam_step"
    what = "adam_step"

    def make_case(self, index, rng, hidden):
        shape = [(3,), (2, 5), (4, 3)][index % 3] if not hidden else (int(rng.integers(2, 7)), 3)
        t = [1, 2, 10, 1000][index % 4]
        # one case in three has tiny gradients, where sqrt(v_hat) ~ eps: eps's place matters
        dw_scale = 1e-6 if index % 3 == 2 else 1.0
        inputs = {"w": rng.standard_normal(shape), "dw": rng.standard_normal(shape) * dw_scale,
                  "m": rng.standard_normal(shape) * 0.1 * (t > 1),
                  "v": rng.random(shape) * 0.1 * dw_scale**2 * (t > 1), "t": t,
                  "lr": float(rng.choice([1e-3, 1e-2, 0.1])),
                  "beta1": float(rng.choice([0.9, 0.8])), "beta2": float(rng.choice([0.999, 0.99]))}
        return Case(index, {"shape": shape, "t": t}, inputs)

    def expected(self, case):
        a = case.inputs
        w, m, v = ref.adam_step(a["w"], a["dw"], a["m"], a["v"], a["t"], a["lr"], a["beta1"],
                            a["beta2"])
        return {"w_next": w, "m_next": m, "v_next": v}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        out = unpack(self.name, func(a["w"], a["dw"], a["m"], a["v"], a["t"], lr=a["lr"],
                                     beta1=a["beta1"], beta2=a["beta2"]),
                     ("w_next", "m_next", "v_next"))
        shape = case.inputs["w"].shape
        return {k: as_array(self.name, k, o, shape)
                for k, o in zip(("w_next", "m_next", "v_next"), out)}

    def diagnose(self, case, actual, expected, key):
        a = case.inputs
        m = a["beta1"] * a["m"] + (1 - a["beta1"]) * a["dw"]
        v = a["beta2"] * a["v"] + (1 - a["beta2"]) * a["dw"] ** 2
        guesses = {
            "you skip the bias correction (m / (1 - beta1**t), v / (1 - beta2**t))":
                a["w"] - a["lr"] * m / (np.sqrt(v) + 1e-8),
            "eps goes inside the square root; PyTorch adds it after: sqrt(v_hat) + eps":
                a["w"] - a["lr"] * (m / (1 - a["beta1"]**a["t"]))
                / np.sqrt(v / (1 - a["beta2"]**a["t"]) + 1e-8),
        }
        if key == "w_next":
            for why, w in guesses.items():
                if np.allclose(w, actual["w_next"], rtol=1e-9, atol=1e-12):
                    return f"Your w_next is what you get when {why}."
        if key == "v_next" and np.allclose(actual["v_next"], a["beta2"] * a["v"]
                                           + (1 - a["beta2"]) * np.abs(a["dw"])):
            return "v is the moving average of the SQUARED gradient (dw * dw)."
        return None


class TrainStep(CustomExercise):
    name = "train_step"
    what = "train_step"

    def make_case(self, index, rng, hidden):
        N, T, V, H = [(2, 4, 5, 3), (1, 3, 4, 6), (3, 5, 6, 4), (2, 6, 7, 5)][index % 4]
        params = _params(rng, V, H)
        # max_norm: sometimes below the gradient's norm (clipping acts), sometimes far above
        max_norm = float([0.5, 100.0, 0.2, 1.0][index % 4])
        inputs = {"params": params, "x": rng.integers(0, V, (N, T)),
                  "y": rng.integers(0, V, (N, T)), "h_prev": rng.standard_normal((N, H)) * 0.5,
                  "lr": 0.1, "max_norm": max_norm}
        return Case(index, {"N": N, "T": T, "V": V, "H": H, "max_norm": max_norm}, inputs)

    def expected(self, case):
        a = case.inputs
        new, loss, h_last = ref.train_step(a["params"], a["x"], a["y"], a["h_prev"], a["lr"],
                                       a["max_norm"])
        return {"loss": np.float64(loss), "h_last": h_last,
                **{f"params[{k}]": new[k] for k in PARAM_NAMES}}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        new, loss, h_last = unpack(self.name, func(a["params"], a["x"], a["y"], a["h_prev"],
                                                   a["lr"], a["max_norm"]),
                                   ("params", "loss", "h_last"))
        new = _check_params(self.name, new, case.inputs["params"])
        h_last = as_array(self.name, "h_last", h_last, case.inputs["h_prev"].shape)
        return {"loss": as_number(self.name, "loss", loss), "h_last": h_last,
                **{f"params[{k}]": new[k] for k in PARAM_NAMES}}

    def diagnose(self, case, actual, expected, key):
        a = case.inputs
        loss0, _, _ = ref.loss_and_grads(a["params"], a["x"], a["y"], np.zeros_like(a["h_prev"]))
        if key in ("loss", "h_last") and np.allclose(actual["loss"], loss0):
            return "It matches a forward pass that starts from zeros: start from h_prev."
        _, grads, _ = ref.loss_and_grads(a["params"], a["x"], a["y"], a["h_prev"])
        per_tensor = {k: ref.clip_grad_norm({k: g}, a["max_norm"])[0][k] for k, g in grads.items()}
        for why, g in (("you clip each parameter's gradient on its own; clip by the GLOBAL norm "
                        "of all gradients together", per_tensor),
                       ("you do not clip the gradients before the update", grads)):
            if key.startswith("params[") and all(
                    np.allclose(actual[f"params[{k}]"], a["params"][k] - a["lr"] * g[k])
                    for k in PARAM_NAMES):
                return f"Your new parameters are what you get when {why}."
        return None


class TrainTBPTT(CustomExercise):
    name = "train_tbptt"
    what = "train_tbptt"
    n_cases = (2, 3)

    def make_case(self, index, rng, hidden):
        N, L, seq_len, V, H = [(2, 10, 4, 5, 3), (1, 9, 3, 4, 4), (3, 12, 5, 6, 3)][index % 3]
        inputs = {"params": _params(rng, V, H), "x": rng.integers(0, V, (N, L)),
                  "y": rng.integers(0, V, (N, L)), "seq_len": seq_len, "lr": 0.1,
                  "max_norm": 1.0}
        return Case(index, {"N": N, "L": L, "seq_len": seq_len, "V": V, "H": H}, inputs)

    def expected(self, case):
        a = case.inputs
        params, losses = ref.train_tbptt(a["params"], a["x"], a["y"], a["seq_len"], a["lr"],
                                     a["max_norm"])
        return {"losses": losses, **{f"params[{k}]": params[k] for k in PARAM_NAMES}}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        params, losses = unpack(self.name, func(a["params"], a["x"], a["y"], a["seq_len"],
                                                a["lr"], a["max_norm"]), ("params", "losses"))
        params = _check_params(self.name, params, case.inputs["params"])
        n_chunks = -(-case.inputs["x"].shape[1] // case.inputs["seq_len"])
        losses = np.asarray(losses, dtype=np.float64)
        if losses.shape != (n_chunks,):
            raise Problem(f"losses must hold one loss per chunk: shape ({n_chunks},) for a "
                          f"sequence of length {case.inputs['x'].shape[1]} in chunks of "
                          f"{case.inputs['seq_len']} (the last one may be shorter); got "
                          f"{losses.shape}.")
        return {"losses": losses, **{f"params[{k}]": params[k] for k in PARAM_NAMES}}

    def diagnose(self, case, actual, expected, key):
        a = case.inputs

        def fresh_state(params, x, y, h_prev, lr, max_norm):
            return ref.train_step(params, x, y, np.zeros_like(h_prev), lr, max_norm)

        _, losses = ref.train_tbptt(a["params"], a["x"], a["y"], a["seq_len"], a["lr"],
                                a["max_norm"], step=fresh_state)
        if np.allclose(actual["losses"], losses):
            return ("Your losses are what you get when every chunk starts from a zero state: "
                    "carry the last hidden state of a chunk into the next one.")
        return None


class Sample(CustomExercise):
    name = "sample"
    what = "sample"

    def make_case(self, index, rng, hidden):
        V, H = [(5, 4), (8, 6), (6, 3), (7, 5)][index % 4]
        temperature = [1.0, 0.5, 2.0, 0.8][index % 4]
        inputs = {"params": _params(rng, V, H, scale=1.5), "h0": rng.standard_normal((1, H)) * .3,
                  "start": int(rng.integers(0, V)), "n": 12, "temperature": temperature,
                  "rng_seed": int(rng.integers(2**31))}
        return Case(index, {"V": V, "H": H, "temperature": temperature, "n": 12}, inputs)

    def tolerance_for(self, key):
        return 0.0  # the same characters, exactly

    def expected(self, case):
        a = case.inputs
        return {"ids": ref.sample(a["params"], a["h0"], a["start"], a["n"], a["temperature"],
                              np.random.default_rng(a["rng_seed"])).astype(np.float64)}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        ids = func(a["params"], a["h0"], a["start"], a["n"], a["temperature"],
                   np.random.default_rng(a["rng_seed"]))
        ids = np.asarray(ids)
        if ids.shape != (a["n"],) or not np.issubdtype(ids.dtype, np.integer):
            raise Problem(f"sample must return the {a['n']} sampled indices as integers "
                          f"(a list or an int array of shape ({a['n']},)); got {ids.dtype} "
                          f"{ids.shape}.")
        return {"ids": ids.astype(np.float64)}

    def diagnose(self, case, actual, expected, key):
        a = case.inputs
        for why, temperature in (("multiply the scores by the temperature (divide them)",
                                  1 / a["temperature"]),):
            ids = ref.sample(a["params"], a["h0"], a["start"], a["n"], temperature,
                         np.random.default_rng(a["rng_seed"]))
            if a["temperature"] != 1.0 and np.array_equal(ids, actual["ids"]):
                return f"Your characters are what you get when you {why}."
        return ("Draw each character with exactly one call rng.choice(V, p=p), p the softmax "
                "of scores / temperature, and feed the drawn character back in, carrying h.")


class Perplexity(CustomExercise):
    name = "perplexity"
    what = "perplexity"

    def make_case(self, index, rng, hidden):
        N, T, V, H = [(2, 5, 5, 3), (1, 7, 6, 4), (3, 4, 4, 5), (2, 3, 7, 4)][index % 4]
        inputs = {"params": _params(rng, V, H), "x": rng.integers(0, V, (N, T)),
                  "y": rng.integers(0, V, (N, T))}
        return Case(index, {"N": N, "T": T, "V": V, "H": H}, inputs)

    def expected(self, case):
        a = case.inputs
        return {"perplexity": np.float64(ref.perplexity(a["params"], a["x"], a["y"]))}

    def run(self, func, case, forward=None):
        a = copy.deepcopy(case.inputs)
        return {"perplexity": as_number(self.name, "perplexity",
                                        func(a["params"], a["x"], a["y"]))}

    def diagnose(self, case, actual, expected, key):
        N, T = case.inputs["x"].shape
        log_ppl = np.log(expected["perplexity"])
        if np.isclose(np.log(actual["perplexity"]), log_ppl * T):
            return ("It is exp of the loss per SEQUENCE: temporal_softmax_loss averages over "
                    "the batch only; perplexity needs the mean over all N*T characters.")
        if np.isclose(actual["perplexity"], 2 ** log_ppl):
            return "Perplexity is exp(mean negative log-likelihood) with the natural log."
        return None


EXERCISES = [AdamStep(), TrainStep(), TrainTBPTT(), Sample(), Perplexity()]
