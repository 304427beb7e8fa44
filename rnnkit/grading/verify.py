"""The grader's side of trusted scoring: check a notebook cell's records in the grader's process.

For each `check("<name>", ...)` call in a grade cell's source (the instructor's source, restored
by nbgrader), the cell's outputs must hold one record (`record.MIME`) for that call, in order.
The grader regenerates every case's inputs from the record's seed with its own copy of
`cases`, recomputes the expected outputs with the reference module it was handed (imported
before any student kernel ran), and compares. A forged record would have to contain correct
outputs for inputs the grader chose.
"""
import ast
import re

from rnnkit.grading import record as records
from rnnkit.grading.cases import case_plan, default_case_count, make_inputs
from rnnkit.grading.compare import first_mismatch, scaled_error
from rnnkit.grading.exercises import find_exercise, resolve_variant
from rnnkit.grading.messages import headed, label
from rnnkit.grading.runner import run_reference

class Finding(str):
    """What is wrong with one record (a sentence), and what kind of wrong.

    wrong:       the record is genuine but the student's answer is wrong (outputs that do not
                 match, or a function that failed on a case): an ordinary 0 for the cell;
    not wrong:   the record is missing, malformed, or made for other inputs than the grader's:
                 the grader cannot trust it (an incident for the instructor to look at);
    explanation: for a wrong answer, what the student reads (the full check's message).
    """

    def __new__(cls, text, wrong=False, explanation=None):
        finding = super().__new__(cls, text)
        finding.wrong = wrong
        finding.explanation = explanation
        return finding

    def prefixed(self, prefix):
        return Finding(f"{prefix}{self}", self.wrong, self.explanation)


UNKNOWN = object()  # an option given in the source as an expression the grader cannot evaluate
_OPTIONS = ("forward", "cases", "seed", "hidden")


def _python_source(source):
    """Cell source as plain Python (IPython magics and shell escapes turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:
        return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                         for line in source.splitlines())


def _is_check(func):
    return (isinstance(func, ast.Name) and func.id == "check") or \
        (isinstance(func, ast.Attribute) and func.attr == "check")


def find_check_calls(source):
    """The check(...) calls of a cell, in source order: [{'name': ..., 'options': {...}}]."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:  # unparsable: fall back on the calls' names, options unknown
        return [{"name": m.group(1), "options": {}, "line": None}
                for m in re.finditer(r"\bcheck\(\s*['\"](\w+)['\"]", source)]
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_check(node.func) and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            options = {}
            for kw in node.keywords:
                if kw.arg is None or kw.arg == "forward":
                    continue
                try:
                    options[kw.arg] = ast.literal_eval(kw.value)
                except ValueError:
                    options[kw.arg] = UNKNOWN
            calls.append({"name": node.args[0].value, "options": options, "line": node.lineno})
    calls.sort(key=lambda c: c["line"])
    return calls


def choose_seeds(source, rng):
    """`source` with every check("<name>", ...) call given a seed that the grader draws.

    The kernel learns the seed only when the test cell runs, so no record prepared beforehand
    (at home, or by an answer cell) can match it; an existing `seed=` is replaced. Calls are
    found in the plain Python of the cell; a cell that does not parse is returned unchanged.
    Returns (new_source, [seed of each call in source order]).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, []
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")

    def offset(lineno, col):  # ast columns count UTF-8 bytes
        return starts[lineno - 1] + col

    edits, seeds = [], []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_check(n.func)
             and n.args and isinstance(n.args[0], ast.Constant)
             and isinstance(n.args[0].value, str)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        seed = int(rng.integers(0, 2**31 - 1))
        seeds.append(seed)
        given = [kw for kw in node.keywords if kw.arg == "seed"]
        if given:
            v = given[0].value
            edits.append((offset(v.lineno, v.col_offset), offset(v.end_lineno, v.end_col_offset),
                          str(seed)))
        else:
            end = offset(node.end_lineno, node.end_col_offset) - 1  # the closing parenthesis
            comma = "" if data[:end].rstrip().endswith(b",") else ", "
            edits.append((end, end, f"{comma}seed={seed}"))
    for start, stop, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode("utf-8") + data[stop:]
    return data.decode("utf-8"), seeds


def find_records(outputs):
    """The rnnkit records among a cell's outputs, in order (malformed ones as given)."""
    found = []
    for out in outputs:
        if out.get("output_type") in ("display_data", "execute_result") and \
                records.MIME in out.get("data", {}):
            found.append(out["data"][records.MIME])
    return found


def verify_record(call, record, reference):
    """None if `record` is a correct result of `call`, else a `Finding` saying what is wrong."""
    name = call["name"]
    try:
        exercise = find_exercise(name)
    except ValueError:
        return Finding(f"check({name!r}) names no known exercise")
    found = exercise.verify_record(call, record, reference)
    return found if found is None or isinstance(found, Finding) else Finding(found)


def verify_array_record(exercise, call, record, reference):
    """`verify_record` for an array exercise of 01-04 (`Exercise.verify_record`)."""
    name = exercise.name
    if not isinstance(record, dict) or record.get("version") != records.VERSION:
        return Finding("the record is malformed")
    if record.get("name") != name:
        return Finding(f"the record is for {record.get('name')!r}, not {name!r}")
    options = call["options"]
    variant_given = {k: v for k, v in options.items() if k not in _OPTIONS}
    try:
        variant = resolve_variant(exercise, record.get("variant") or {})
        if any(v is not UNKNOWN for v in variant_given.values()):
            wanted = resolve_variant(exercise, {k: v for k, v in variant_given.items()
                                                if v is not UNKNOWN})
            if any(variant[k] != wanted[k] for k in wanted if variant_given.get(k) is not UNKNOWN):
                return Finding(f"the record's options {variant} differ from the test's {wanted}")
    except (TypeError, ValueError) as exc:
        return Finding(f"the record's options are invalid ({exc})")
    hidden = record.get("hidden")
    if not isinstance(hidden, bool) or \
            options.get("hidden", False) not in (UNKNOWN, hidden):
        return Finding("the record's hidden flag differs from the test's")
    seed = record.get("seed")
    if not isinstance(seed, int) or options.get("seed") not in (None, UNKNOWN, seed):
        return Finding("the record's seed differs from the test's")
    n_cases = options.get("cases")
    if n_cases is None:
        n_cases = default_case_count(hidden)
    if n_cases is UNKNOWN:
        n_cases = record.get("cases")
        if not isinstance(n_cases, int) or n_cases < 3:
            return Finding("the record has too few cases")
    try:
        plan = case_plan(exercise, seed, hidden, n_cases)
    except (TypeError, ValueError) as exc:
        return Finding(f"the record's cases are invalid ({exc})")
    results = record.get("results")
    if not isinstance(results, list) or len(results) > len(plan):
        return Finding("the record's cases are not the check's")
    # a case that failed in the kernel (its error shown there) ends the check early; a case
    # recorded before it may already be wrong: that one is told first, as the full check would
    crashed = len(results) < len(plan) and bool(results) and isinstance(results[-1], dict) \
        and "error" in results[-1]
    for case, result in zip(plan, results[:-1] if crashed else results):
        problem = _verify_case(exercise, case, result, variant, reference, len(plan))
        if problem:
            return problem.prefixed(f"case {case.index + 1} of {len(plan)}: ")
    if len(results) < len(plan):
        return Finding(f"the check completed {len(results) - crashed} of {len(plan)} cases",
                       wrong=crashed)
    return None


def _verify_case(exercise, case, result, variant, reference, n_cases):
    if not isinstance(result, dict) or result.get("index") != case.index:
        return Finding("the record's cases are out of order")
    if "outputs" not in result:
        return Finding("the student's function did not produce valid outputs", wrong=True)
    inputs = make_inputs(exercise, case)
    expected = run_reference(exercise, inputs, variant, reference)
    got = result["outputs"]
    if not isinstance(got, dict) or set(got) != set(expected):
        return Finding("the record's outputs are not the exercise's outputs")
    actual = {}
    for key, exp in expected.items():
        try:
            actual[key] = records.decode_array(got[key])
        except (ValueError, TypeError) as exc:
            return Finding(f"{key} is malformed ({exc})")
        if actual[key].shape != exp.shape:
            return Finding(f"{key} has shape {actual[key].shape}, expected {exp.shape}")
    mismatch = first_mismatch(actual, expected, exercise.tolerance)
    if mismatch is None:
        return None
    where = f"in case {case.index + 1} of {n_cases} ({case.describe()})"
    return Finding(f"{mismatch.output} does not match the reference", wrong=True,
                   explanation=explain_record(exercise, case, result, inputs, variant, actual,
                                              expected, mismatch, where))


def explain_record(exercise, case, result, inputs, variant, actual, expected, mismatch, where):
    """The full check's message for a wrong answer, from what the kernel recorded: the
    isolation probes and the forward are judged here from the student's recorded outputs."""
    from rnnkit.grading.checker import explain_mismatch
    from rnnkit.grading.diagnose import judge_forward, judge_probes

    def decoded(entry):
        try:
            return None if entry is None else records.decode_outputs(entry)
        except (ValueError, TypeError):
            return None

    def probe_results():
        recorded = result.get("probes")
        if not isinstance(recorded, dict):
            return {}
        outputs = {k: decoded(v) for k, v in recorded.items()}
        return judge_probes(exercise, outputs, inputs, variant, mismatch.output,
                            exercise.tolerance)

    def forward_note():
        if "forward" not in result:
            return None
        return judge_forward(exercise, decoded(result["forward"]), inputs, variant,
                             exercise.tolerance)

    try:
        message = explain_mismatch(exercise, inputs, variant, actual, expected, mismatch, where,
                                   probe_results=probe_results, forward_note=forward_note)
    except Exception:  # noqa: BLE001 (an explanation must never cost a verdict)
        message = f"{mismatch.output} does not match the reference {where}."
    return headed(exercise.name, label(exercise, variant), message)


def verify_cell(source, outputs, reference):
    """Problems (sentences) of one grade cell: [] when every check call has a valid record."""
    calls = find_check_calls(source)
    if not calls:
        return []
    found = find_records(outputs)
    problems = []
    for k, call in enumerate(calls):
        label_ = f"check({call['name']!r}, ...)"
        if k >= len(found):
            problems.append(Finding(f"{label_}: no record of its result (the check did not run "
                                    "to the end, or was replaced)"))
            continue
        problem = verify_record(call, found[k], reference)
        if problem:
            problems.append(problem.prefixed(f"{label_}: "))
    if len(found) > len(calls):
        problems.append(Finding(f"the cell holds {len(found)} records for {len(calls)} check "
                                "calls"))
    return problems
