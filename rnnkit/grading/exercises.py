"""What each exercise-API function takes and returns: the table `check` and the grader share.

An exercise is described by its argument names, its output names, and (for a backward) the
forward whose cache it consumes. Shapes are spelled with the symbols of DESIGN.md:
N batch, T time, D input, H hidden, V vocabulary, G gates (1 RNN, 4 LSTM, 3 GRU).
"""
from dataclasses import dataclass

#: scaled error (max|yours - expected| / max|expected|) accepted for students' float64 code
TOLERANCE = 1e-7
#: clip_grad_norm: PyTorch adds 1e-6 to the norm; a student who omits it is still right
CLIP_TOLERANCE = 1e-5

FAMILY_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
#: the variant options each family accepts, with their defaults
VARIANTS = {"rnn": {"nonlinearity": "tanh"}, "gru": {"reset_after": True}}
VARIANT_CHOICES = {"nonlinearity": ("tanh", "relu"), "reset_after": (True, False)}


@dataclass(frozen=True)
class Exercise:
    name: str
    family: str            # rnn | lstm | gru | affine | loss | numgrad | clip
    args: tuple            # the student's positional arguments (forward) or upstream grads
    outputs: tuple         # returned values that are compared (a cache is not)
    returns_cache: bool = False
    forward: str = None    # for a backward: the exercise whose cache it takes
    sequence: bool = False
    tolerance: float = TOLERANCE

    @property
    def is_backward(self):
        return self.forward is not None

    @property
    def n_returned(self):
        return len(self.outputs) + (1 if self.returns_cache else 0)

    def variant_defaults(self):
        return dict(VARIANTS.get(self.family, {}))

    # the interface every exercise has, of 01-04 (these) and of 05-08 (`custom.CustomExercise`)
    def check(self, func, forward=None, cases=None, seed=None, hidden=False, **variant):
        """The full check: compare with the reference, explain a mismatch (`checker`)."""
        __tracebackhide__ = True  # noqa: F841
        from rnnkit.grading.checker import check_arrays
        return check_arrays(self, func, forward, cases, seed, hidden, variant)

    def record(self, func, forward=None, cases=None, seed=None, hidden=False, **variant):
        """The student build's check: record the outputs, decide nothing (`recorder`)."""
        __tracebackhide__ = True  # noqa: F841
        from rnnkit.grading.recorder import record_arrays
        return record_arrays(self, func, forward, cases, seed, hidden, variant)

    def verify_record(self, call, record, reference):
        """The grader's verdict on a record: None, or a `verify.Finding` (`verify`)."""
        from rnnkit.grading.verify import verify_array_record
        return verify_array_record(self, call, record, reference)


def _cell(family):
    """The eight exercises of one recurrent cell family."""
    c = ("c_prev",) if family == "lstm" else ()
    c0 = ("c0",) if family == "lstm" else ()
    weights = ("W_ih", "W_hh", "b_ih", "b_hh")
    step_out = ("h_next", "c_next") if family == "lstm" else ("h_next",)
    step_up = ("dh_next", "dc_next") if family == "lstm" else ("dh_next",)
    grads = ("dW_ih", "dW_hh", "db_ih", "db_hh")
    f = family
    return [
        Exercise(f"{f}_step_forward", f, ("x", "h_prev") + c + weights, step_out, True),
        Exercise(f"{f}_forward", f, ("x", "h0") + c0 + weights, ("h",), True, sequence=True),
        Exercise(f"{f}_step_backward", f, step_up,
                 ("dx", "dh_prev") + tuple("d" + n for n in c) + grads,
                 forward=f"{f}_step_forward"),
        Exercise(f"{f}_backward", f, ("dh",),
                 ("dx", "dh0") + tuple("d" + n for n in c0) + grads,
                 forward=f"{f}_forward", sequence=True),
    ]


EXERCISES = {e.name: e for e in [
    *_cell("rnn"), *_cell("lstm"), *_cell("gru"),
    Exercise("temporal_affine_forward", "affine", ("h", "W", "b"), ("scores",), True,
             sequence=True),
    Exercise("temporal_affine_backward", "affine", ("dscores",), ("dh", "dW", "db"),
             forward="temporal_affine_forward", sequence=True),
    Exercise("temporal_softmax_loss", "loss", ("scores", "y", "mask"), ("loss", "dscores"),
             sequence=True),
    Exercise("eval_numerical_gradient", "numgrad", ("f", "x", "df"), ("grad",)),
    Exercise("clip_grad_norm", "clip", ("grads", "max_norm"), ("clipped", "total_norm"),
             tolerance=CLIP_TOLERANCE),
]}


def custom_exercises():
    """The custom exercises of 05-08 (`rnnkit.grading.custom`) by name.

    They have their own check and verify_record; `check` and the grader hand those names on.
    An import error is raised, not swallowed: a broken module must not grade 05-08 as zero.
    """
    from rnnkit.grading.custom import custom_exercises as exercises
    return exercises()


def get_exercise(name):
    """The array exercise (01-04) named `name`."""
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; the names are: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def find_exercise(name):
    """The exercise named `name`, of any assignment: 01-04's `Exercise`, 05-08's
    `CustomExercise`; both have `check`, `record` and `verify_record`."""
    if name in EXERCISES:
        return EXERCISES[name]
    custom = custom_exercises()
    if name in custom:
        return custom[name]
    raise ValueError(f"unknown exercise {name!r}; the names are: "
                     f"{', '.join([*EXERCISES, *custom])}")


def resolve_variant(exercise, variant):
    """Full variant (defaults filled in) after checking the options the student passed."""
    allowed = exercise.variant_defaults()
    for key, value in variant.items():
        if key not in allowed:
            raise TypeError(f"check({exercise.name!r}) takes no option {key}=; "
                            f"its options are: {', '.join(allowed) or 'none'}")
        if value not in VARIANT_CHOICES[key] or type(value) is not type(allowed[key]):
            raise ValueError(f"{key} must be one of {VARIANT_CHOICES[key]}, got {value!r}")
    return {**allowed, **variant}


# Symbolic shapes, for messages such as "expected (N, T, H) = (2, 4, 3)".
def symbols(family, sequence):
    g = {1: "", 4: "4*", 3: "3*"}.get(FAMILY_GATES.get(family, 1), "")
    x = "(N, T, D)" if sequence else "(N, D)"
    return {
        "x": x, "dx": x, "h_prev": "(N, H)", "c_prev": "(N, H)", "h_next": "(N, H)",
        "c_next": "(N, H)", "dh_prev": "(N, H)", "dc_prev": "(N, H)", "dh_next": "(N, H)",
        "dc_next": "(N, H)", "h0": "(N, H)", "c0": "(N, H)", "dh0": "(N, H)", "dc0": "(N, H)",
        "h": "(N, T, H)", "dh": "(N, T, H)",
        "W_ih": f"({g}H, D)", "dW_ih": f"({g}H, D)", "W_hh": f"({g}H, H)", "dW_hh": f"({g}H, H)",
        "b_ih": f"({g}H,)", "db_ih": f"({g}H,)", "b_hh": f"({g}H,)", "db_hh": f"({g}H,)",
        "scores": "(N, T, V)", "dscores": "(N, T, V)", "W": "(V, H)", "dW": "(V, H)",
        "b": "(V,)", "db": "(V,)", "loss": "()", "grad": "x.shape", "total_norm": "()",
    }
