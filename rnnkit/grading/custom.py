"""Custom exercises (assignments 05-08): exercises that bring their own cases and checks.

The array exercises of 01-04 share one shape (arrays in, arrays out, compared with
`rnnkit.reference`: `exercises.EXERCISES`). These do not: an optimizer step, a training loop
over chunks, sampling with a seeded generator, `@njit` functions in float32, CUDA kernels
launched by the checker, a fitted exponent. Their modules are named by topic: `training` (05),
`njit` (06), `kernels` (07), `analysis` (08). Each custom exercise is a `CustomExercise` that
knows

- its cases, regenerated from a seed (`cases`), the same in the kernel and in the grader;
- the expected outputs of a case (`expected`), computed from numpy references only;
- how to run the student's function on a case (`run`) and what else to require of it
  (`require`: "is a compiled nopython dispatcher", "no race on 1 and 2 threads", ...);
- the classic mistakes it recognises (`diagnose`).

In a test cell (the same call as for 01-04: `rnnkit.grading.check` hands these names here)::

    from rnnkit.grading import check
    check("adam_step", adam_step)
    check("lstm_backward_njit", lstm_backward_njit, forward=lstm_forward_njit, hidden=True)

Trusted scoring works as for 01-04: every call emits a record (`record.MIME`) of the student's
outputs; the grader's `VerifyRecords` finds the exercise through
`rnnkit.grading.exercises.custom_exercises()` and calls its
`verify_record`, which regenerates the cases from the record's seed and recomputes the
expected outputs in the grader's own process. A record carries no verdict.
"""
import secrets
from dataclasses import dataclass, field

import numpy as np

from rnnkit.grading import record as records
from rnnkit.grading.compare import scaled_error

#: scaled error accepted for float64 results (as in part 1)
TOLERANCE = 1e-7
#: float32 results against the float64 reference (DESIGN.md)
TOLERANCE_F32 = 1e-4


class Problem(Exception):
    """Something the student can fix; the message is shown as it is."""


@dataclass
class Case:
    index: int
    sizes: dict
    inputs: dict = field(default_factory=dict, repr=False)

    def describe(self):
        return ", ".join(f"{k}={v}" for k, v in self.sizes.items())


class CustomExercise:
    """One custom exercise. Subclasses set `name` and implement `make_case`, `expected`, `run`."""

    name = None
    family = "custom"
    n_cases = (3, 4)            # visible, hidden
    tolerance = TOLERANCE
    what = "your function"      # used in messages ("your kernel", ...)

    # --- the cases: the same in the kernel and in the grader ---------------------------------
    def cases(self, seed, hidden):
        n = self.n_cases[1] if hidden else self.n_cases[0]
        return [self.make_case(k, np.random.default_rng([seed, k]), hidden) for k in range(n)]

    def make_case(self, index, rng, hidden):
        raise NotImplementedError

    def expected(self, case):
        """name -> float64 array, from numpy references only (runs in the grader)."""
        raise NotImplementedError

    def tolerance_for(self, key):
        return TOLERANCE_F32 if key.endswith("[float32]") else self.tolerance

    # --- the student's side -----------------------------------------------------------------
    def run(self, func, case, forward=None):
        """name -> array of the student's outputs on one case; raises Problem."""
        raise NotImplementedError

    def require(self, func, forward=None):
        """Raise Problem when the function is not what the exercise asks for (before running)."""

    def require_after(self, func, forward=None):
        """Raise Problem after the cases ran (e.g. it compiled in object mode)."""

    def diagnose(self, case, actual, expected, key):
        """A sentence naming a classic mistake that explains the mismatch, or None."""
        return None

    # --- running the student's function (the kernel's side: no answer needed) -------------
    def run_cases(self, func, forward, plan, record, judge=None):
        """Run `func` on every case of `plan`, recording its outputs into `record`.

        Returns None when every case ran (and, with `judge`, matched), else the first message
        that stopped it: a requirement not met, a crash, a wrong type or shape, or what
        `judge(case, actual, where)` said. The student build runs it without a judge.
        """
        try:
            self.require(func, forward)
        except Problem as problem:
            return str(problem)
        for case in plan:
            where = f"case {case.index + 1} of {len(plan)} ({case.describe()})"
            try:
                actual = self.run(func, case, forward)
                actual = {k: np.asarray(v, dtype=np.float64) for k, v in actual.items()}
            except Problem as problem:
                records.add_result(record, case, error=problem)
                return f"{problem} (in {where})"
            except NotImplementedError:
                records.add_result(record, case, error="not implemented")
                return f"{self.what} is not implemented yet (it raises NotImplementedError)."
            except Exception as exc:  # the student's bug: show their traceback, not ours
                from rnnkit.grading.runner import _student_traceback
                records.add_result(record, case, error=exc)
                return f"{self.what} raised {type(exc).__name__} in {where}:\n" \
                       f"{_student_traceback(exc)}"
            records.add_result(record, case, outputs=actual)
            failure = judge(case, actual, where) if judge is not None else None
            if failure:
                return failure
        try:
            self.require_after(func, forward)
        except Problem as problem:
            return str(problem)
        return None

    def no_options(self, cases, variant):
        """These exercises have fixed cases and no variants."""
        if cases is not None or variant:
            given = ["cases"] * (cases is not None) + list(variant)
            raise TypeError(f"check({self.name!r}) takes no option(s) {', '.join(given)}")

    def record(self, func, forward=None, cases=None, seed=None, hidden=False, **variant):
        """The student build's check: record the outputs, decide nothing (`recorder`)."""
        __tracebackhide__ = True  # noqa: F841
        self.no_options(cases, variant)
        from rnnkit.grading.recorder import record_custom
        return record_custom(self, func, forward, seed, hidden)

    # --- judging (the grader's side: the student build has none of it) --------------------
    def check(self, func, forward=None, cases=None, seed=None, hidden=False, **variant):
        """The full check: compare with the expected outputs, with this exercise's hints."""
        __tracebackhide__ = True  # noqa: F841
        self.no_options(cases, variant)
        if not callable(func):
            raise TypeError(f"check({self.name!r}, func): func must be your function, got "
                            f"{type(func).__name__}")
        seed = secrets.randbelow(2**31) if seed is None else int(seed)
        plan = self.cases(seed, hidden)
        record = records.new_record(self.name, {}, seed, hidden, len(plan))
        try:
            failure = self.run_cases(func, forward, plan, record, judge=self.compare)
        finally:
            records.emit(record)
        if failure:
            from rnnkit.grading.messages import check_failure
            raise check_failure(f"{self.name}: {failure}") from None
        print(f"{self.name}: {len(plan)}/{len(plan)} cases match the reference", flush=True)

    def compare(self, case, actual, where):
        """None when `actual` matches the expected outputs of `case`, else the explanation."""
        expected = self.expected(case)
        return self.compare_with(expected, actual, where,
                                 lambda key: self.diagnose(case, actual, expected, key))

    def compare_with(self, expected, actual, where, diagnose=None):
        """`compare` against given expected outputs (the visible checks at home have them
        without the reference); `diagnose(key)` adds a hint when given."""
        for key, exp in expected.items():
            got = actual.get(key)
            if got is None or got.shape != exp.shape:
                shape = None if got is None else got.shape
                return (f"{key} has shape {shape}; expected {exp.shape} (in {where}).")
            err = scaled_error(got, exp)
            if not err <= self.tolerance_for(key):
                diff = np.abs(np.asarray(got) - exp)
                diff = np.where(np.isfinite(diff), diff, np.inf)
                index = np.unravel_index(int(np.argmax(diff)), exp.shape) if exp.ndim else ()
                lines = [f"{key} does not match the reference in {where}: scaled error "
                         f"{err:.2g} > {self.tolerance_for(key):.0e}; e.g. at index "
                         f"{tuple(int(i) for i in index)} yours is {got[index]:.6g}, expected "
                         f"{exp[index]:.6g}."]
                hint = diagnose(key) if diagnose is not None else None
                if hint:
                    lines.append(hint)
                return "\n".join(lines)
        return None

    def verify_record(self, call, record, reference=None):
        """The grader's side: None when `record` is a correct result of `call`, else a
        `verify.Finding` saying why not (a wrong answer carries the student's explanation)."""
        from rnnkit.grading.verify import Finding
        if not isinstance(record, dict) or record.get("version") != records.VERSION:
            return Finding("the record is malformed")
        if record.get("name") != self.name:
            return Finding(f"the record is for {record.get('name')!r}, not {self.name!r}")
        options = call.get("options", {})
        hidden = record.get("hidden")
        if not isinstance(hidden, bool) or options.get("hidden", False) != hidden:
            return Finding("the record's hidden flag differs from the test's")
        seed = record.get("seed")
        if not isinstance(seed, int) or options.get("seed") not in (None, seed):
            return Finding("the record's seed differs from the test's")
        plan = self.cases(seed, hidden)
        results = record.get("results")
        if not isinstance(results, list) or len(results) != len(plan):
            done = len(results) if isinstance(results, list) else 0
            return Finding(f"the check completed {done} of {len(plan)} cases",
                           wrong=bool(results) and isinstance(results, list) and
                           "error" in results[-1])
        for case, result in zip(plan, results):
            if not isinstance(result, dict) or result.get("index") != case.index:
                return Finding("the record's cases are out of order")
            if "outputs" not in result:
                return Finding(f"case {case.index + 1}: the student's function produced no "
                               "valid outputs", wrong=True)
            expected = self.expected(case)
            got = result["outputs"]
            if not isinstance(got, dict) or not set(expected) <= set(got):
                return Finding(f"case {case.index + 1}: the record's outputs are not the "
                               "exercise's")
            actual = {}
            for key in expected:
                try:
                    actual[key] = records.decode_array(got[key])
                except (ValueError, TypeError) as exc:
                    return Finding(f"case {case.index + 1}: {key} is malformed ({exc})")
            for key, exp in expected.items():
                if actual[key].shape != exp.shape or \
                        not scaled_error(actual[key], exp) <= self.tolerance_for(key):
                    where = f"case {case.index + 1} of {len(plan)} ({case.describe()})"
                    return Finding(f"case {case.index + 1}: {key} does not match the reference",
                                   wrong=True, explanation=f"{self.name}: "
                                   f"{self.compare(case, actual, where)}")
        return None


# Helpers shared by the custom exercise modules --------------------------------------------------------

def as_array(who, key, value, shape, dtype=np.float64):
    """The student's output `key` as an array of `shape` and `dtype`, or a Problem."""
    if not isinstance(value, np.ndarray):
        raise Problem(f"{who} returned {key} as {type(value).__name__}; expected a numpy array "
                      f"of shape {shape}.")
    if value.shape != tuple(shape):
        raise Problem(f"{who} returned {key} with shape {value.shape}; expected {tuple(shape)}.")
    if value.dtype != dtype:
        raise Problem(f"{who} returned {key} with dtype {value.dtype}; expected "
                      f"{np.dtype(dtype).name} (keep the inputs' dtype).")
    return value


def as_number(who, key, value):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Problem(f"{who} returned {key} as {type(value).__name__}; expected one number.")
    return np.float64(value)


def unpack(who, result, names):
    if len(names) == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = len(result) if isinstance(result, (tuple, list)) else 1
        raise Problem(f"{who} must return {len(names)} values ({', '.join(names)}); it "
                      f"returned {got}.")
    return tuple(result)


_EXERCISES = {}


def custom_exercises():
    """name -> exercise, for every custom exercise (its modules are imported on first use)."""
    if not _EXERCISES:
        from rnnkit.grading import analysis, kernels, njit, training
        for module in (training, njit, kernels, analysis):
            for exercise in module.EXERCISES:
                _EXERCISES[exercise.name] = exercise
    return _EXERCISES
