"""Student-style functions built from the bank of mistakes (and the correct reference copy).

`student(name, bugs)` returns (func, forward) with the exercise API's signatures, made from
`rnnkit.grading.mutants` with the given slips, so every mistake in the bank can be fed to
`check` exactly as a notebook would.
"""
from rnnkit.grading import mutants
from rnnkit.grading.exercises import EXERCISES


def _variant(family, kw):
    return {**{"rnn": {"nonlinearity": "tanh"}, "gru": {"reset_after": True}}.get(family, {}),
            **kw}


def _cell_functions(family, bugs):
    step_forward, step_backward = mutants.CELLS[family]
    lstm = family == "lstm"

    def step_fwd(x, h_prev, *args, **kw):
        c_prev, W = (args[0], args[1:]) if lstm else (None, args)
        h, c, cache = step_forward(x, h_prev, c_prev, *W, _variant(family, kw), bugs)
        return (h, c, cache) if lstm else (h, cache)

    def step_bwd(dh_next, *args):
        dc_next, cache = (args[0], args[1]) if lstm else (None, args[0])
        return tuple(v for v in step_backward(dh_next, dc_next, cache, bugs) if v is not None)

    def seq_fwd(x, h0, *args, **kw):
        c0, W = (args[0], args[1:]) if lstm else (None, args)
        variant = _variant(family, kw)
        h = mutants.cell_sequence(family, x, h0, c0, W, variant, bugs)
        return h, (x, h0, c0, W, variant)

    def seq_bwd(dh, cache):
        x, h0, c0, W, variant = cache
        out = mutants.cell_sequence(family, x, h0, c0, W, variant, bugs, dh=dh)
        return tuple(v for v in out if v is not None)

    return {f"{family}_step_forward": step_fwd, f"{family}_step_backward": step_bwd,
            f"{family}_forward": seq_fwd, f"{family}_backward": seq_bwd}


def _other_functions(bugs):
    def affine_fwd(h, W, b):
        return mutants.affine_forward(h, W, b, bugs), (h, W)

    def affine_bwd(dscores, cache):
        return mutants.affine_backward(cache[0], cache[1], dscores, bugs)

    return {
        "temporal_affine_forward": affine_fwd,
        "temporal_affine_backward": affine_bwd,
        "temporal_softmax_loss": lambda scores, y, mask: mutants.softmax_loss(scores, y, mask,
                                                                              bugs),
        "eval_numerical_gradient": lambda f, x, df, h=1e-5: mutants.numerical_gradient(
            f, x, df, bugs, h),
        "clip_grad_norm": lambda grads, max_norm: mutants.clip(grads, max_norm, bugs),
    }


def student(name, bugs=()):
    """(func, forward) for exercise `name`, made with the slips in `bugs`."""
    bugs = frozenset(bugs)
    exercise = EXERCISES[name]
    if exercise.family in mutants.CELLS:
        funcs = _cell_functions(exercise.family, bugs)
    else:
        funcs = _other_functions(bugs)
    forward = funcs[exercise.forward] if exercise.is_backward else None
    return funcs[name], forward
