"""The student build of the kit: what a grading sandbox sees as the package ``rnnkit``.

A student's notebook is graded against this build, never against the real package, so that
no answer of the assignment is within the kernel's reach, however the student's code asks for
it (an import, ``vars``, ``pkgutil``, ``objmode``, reading the files). It holds:

- ``rnnkit.data`` and ``rnnkit._checks`` as they are;
- ``rnnkit.grading.check``: the recording check (`rnnkit.grading.recorder`), with the case
  generator, the records, the shape checks and the isolation probes: none knows an answer;
- the custom exercise classes without their grader's side (``expected``, ``diagnose``,
  ``compare``, ``check``, ``verify_record`` are removed from the source);
- ``rnnkit.reference`` with only the functions of the assignments *before* this one (the
  notebooks import them as "solved"); an assignment this module does not know gets none;
- the executor (``rnnkit.scale.execute``), which runs the notebook inside the sandbox.

A *home* build (``home=True``, `rnnkit course student-kit`) is the same plus the expected
outputs of the assignment's visible checks on fixed inputs (`rnnkit.grading.visible`), so that
students get the full check's feedback at home without the answer key on their disk.

Everything else (the reference of this and later assignments, the classic mistakes, the Numba
and CUDA kernels, the optimizers, the analysis tools, the grader's verification) stays outside.
The grader compares the records with the reference in its own process (`rnnkit.grading.verify`).
"""
import ast
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import rnnkit

#: the reference functions each assignment asks students to write: its answer key
ANSWERS = {
    "01_rnn_forward": ("rnn_step_forward", "rnn_forward", "temporal_affine_forward",
                       "temporal_softmax_loss"),
    "02_bptt": ("rnn_step_backward", "rnn_backward", "temporal_affine_backward",
                "eval_numerical_gradient", "clip_grad_norm"),
    "03_lstm": ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
                "lstm_final_cell"),
    "04_gru": ("gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"),
    "05_training": ("one_hot", "adam_step", "loss_and_grads", "train_step", "train_tbptt",
                    "sample", "perplexity"),
    # 06 asks for @njit versions of 03's LSTM: the numpy LSTM is given, the kernels are not
    "06_numba_cpu": (),
    "07_numba_cuda": ("lstm_gates",),
    "08_analysis": ("fit_exponent", "forward_cost", "rnn_gradient_norms", "spectral_radius"),
}
#: reference helpers that answer nothing, in every build
UTILITIES = ("sigmoid", "rel_error", "scaled_error")
#: the reference modules a build may draw from (sequence.py serves the layers, not notebooks)
REFERENCE_MODULES = ("affine", "clip", "gradcheck", "rnn", "lstm", "gru", "training",
                     "analysis")

#: copied as they are (paths inside the package)
COPIED = ("_checks.py", "data", "grading/cases.py", "grading/compare.py",
          "grading/exercises.py", "grading/explain.py", "grading/messages.py",
          "grading/probes.py", "grading/record.py", "grading/recorder.py",
          "grading/visible.py", "scale/execute.py")
#: copied without the named top-level functions, or methods of every class
STRIPPED = {
    "grading/runner.py": {"functions": ("run_reference",)},
    "grading/custom.py": {"methods": ("check", "compare", "verify_record", "expected",
                                      "diagnose")},
    **{f"grading/{topic}.py": {"methods": ("expected", "diagnose")}
       for topic in ("training", "njit", "kernels", "analysis")},
}
#: written here
WRITTEN = {
    "__init__.py": '"""rnnkit, student build: the package a grading sandbox sees (see '
                   'rnnkit.scale.studentkit)."""\n',
    "grading/__init__.py": '"""Grading, student build: check() records your outputs; the grader '
                           'compares them."""\nfrom rnnkit.grading.recorder import check\n\n'
                           '__all__ = ["check"]\n',
    "scale/__init__.py": '"""The executor that runs a notebook inside the sandbox."""\n',
}


class KitError(RuntimeError):
    """The student build could not be made (a given function needs an answer, say)."""


def allowed_reference(assignment):
    """The reference functions a build for `assignment` holds: those of earlier assignments."""
    if assignment not in ANSWERS:
        return set(UTILITIES)
    order = list(ANSWERS)
    earlier = order[:order.index(assignment)]
    return set(UTILITIES).union(*(ANSWERS[a] for a in earlier))


def withheld_reference(assignment):
    """Every answer a build for `assignment` must not hold: this one's and later ones'."""
    everything = set().union(*ANSWERS.values())
    return everything - allowed_reference(assignment)


def build(dest, assignment, source=None, home=False, visible_checks=()):
    """Write the student build for `assignment` into ``dest/rnnkit``; returns that folder.

    home: also write the expected outputs of `visible_checks` [(name, variant options)]
    (made with the real kit here, see `rnnkit.grading.visible`).
    """
    source = Path(source or Path(rnnkit.__file__).resolve().parent)
    out = Path(dest) / "rnnkit"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for rel in COPIED:
        src = source / rel
        if src.is_dir():
            shutil.copytree(src, out / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / rel)
    for rel, spec in STRIPPED.items():
        text = strip(source.joinpath(rel).read_text(), **spec)
        (out / rel).write_text(text)
    for rel, text in WRITTEN.items():
        (out / rel).write_text(text)
    _write_reference(source / "reference", out / "reference", assignment)
    if home:
        from rnnkit.grading import visible
        with open(out / "grading" / "visible.json", "w") as fh:
            json.dump(visible.make(visible_checks), fh)
    return out


def visible_checks(notebook):
    """[(name, variant options)] of the visible check(...) calls of an instructor notebook:
    test cells outside ``### BEGIN/END HIDDEN TESTS`` blocks, without hidden=True."""
    from rnnkit.grading.verify import UNKNOWN, find_check_calls
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        kept, hiding = [], False
        for line in cell.source.splitlines():
            if line.strip() == "### BEGIN HIDDEN TESTS":
                hiding = True
            elif line.strip() == "### END HIDDEN TESTS":
                hiding = False
            elif not hiding:
                kept.append(line)
        for call in find_check_calls("\n".join(kept)):
            options = call["options"]
            if options.get("hidden") or any(v is UNKNOWN for v in options.values()):
                continue
            variant = {k: v for k, v in options.items() if k not in ("cases", "seed", "hidden")}
            if (call["name"], variant) not in found:
                found.append((call["name"], variant))
    return found


def build_home(course_dir, assignment, dest):
    """The home build of `assignment` of a course, from its instructor notebooks."""
    import nbformat
    calls = []
    for path in sorted((Path(course_dir) / "source" / assignment).glob("*.ipynb")):
        for call in visible_checks(nbformat.read(str(path), as_version=4)):
            if call not in calls:
                calls.append(call)
    return build(dest, assignment, home=True, visible_checks=calls)


def strip(text, functions=(), methods=()):
    """Python source without the named top-level functions and class methods (docstrings and
    comments of the removed code go with it; the rest is re-printed by `ast.unparse`)."""
    tree = ast.parse(text)
    tree.body = [n for n in tree.body
                 if not (isinstance(n, ast.FunctionDef) and n.name in functions)]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            node.body = [n for n in node.body
                         if not (isinstance(n, ast.FunctionDef) and n.name in methods)] or \
                [ast.Pass()]
    return "# generated by rnnkit.scale.studentkit: the grader's side is removed\n" + \
        ast.unparse(tree) + "\n"


def _names_used(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _write_reference(source, out, assignment):
    """rnnkit/reference with only the allowed functions (and the module helpers they use)."""
    allowed, withheld = allowed_reference(assignment), withheld_reference(assignment)
    out.mkdir(parents=True)
    exported = {}
    for module in REFERENCE_MODULES:
        tree = ast.parse((source / f"{module}.py").read_text())
        defs = {}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defs[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        defs[target.id] = node
        wanted = [name for name in defs if name in allowed]
        keep, todo = set(), list(wanted)
        while todo:  # the module-level helpers the kept functions use, transitively
            name = todo.pop()
            if name in keep:
                continue
            if name in withheld:
                raise KitError(f"reference.{module}: a function given in {assignment}'s build "
                               f"needs {name}, an answer of {assignment} or later")
            keep.add(name)
            todo += [n for n in _names_used(defs[name]) if n in defs and n not in keep]
        if not wanted:
            continue
        used = set().union(*(_names_used(defs[n]) for n in keep))
        body = []
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None),
                                                         ast.Constant) and node is tree.body[0]:
                body.append(node)  # the module docstring
            elif isinstance(node, ast.Import):
                if any((a.asname or a.name).split(".")[0] in used for a in node.names):
                    body.append(node)
            elif isinstance(node, ast.ImportFrom):
                names = [a for a in node.names if (a.asname or a.name) in used]
                if names:
                    if (node.module or "").startswith("rnnkit.reference"):
                        bad = [a.name for a in names if a.name in withheld]
                        if bad:
                            raise KitError(f"reference.{module} imports {bad}, withheld in "
                                           f"{assignment}'s build")
                    body.append(ast.ImportFrom(module=node.module, names=names,
                                               level=node.level))
            elif node in (defs.get(n) for n in keep):
                body.append(node)
        tree.body = body
        (out / f"{module}.py").write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n")
        exported[module] = sorted(n for n in wanted if not n.startswith("_") and
                                  isinstance(defs[n], ast.FunctionDef))
    lines = [f'"""The reference of the assignments before {assignment} (student build: this '
             'assignment\'s answers are not here)."""']
    for module, names in exported.items():
        if names:
            lines.append(f"from rnnkit.reference.{module} import {', '.join(names)}")
    lines.append(f"__all__ = {sorted(n for names in exported.values() for n in names)!r}")
    (out / "__init__.py").write_text("\n".join(lines) + "\n")


_BUILT = {}
_LOCK = threading.Lock()


def cached(assignment):
    """The student build for `assignment`, made once per process (in a private temp folder),
    world-readable so that a sandbox's own uid can read it; returns its ``rnnkit`` folder."""
    with _LOCK:
        if assignment not in _BUILT or not _BUILT[assignment].is_dir():
            dest = Path(tempfile.mkdtemp(prefix="rnnkit-studentkit-"))
            out = build(dest, assignment)
            for folder, dirs, files in os.walk(dest):
                os.chmod(folder, 0o755)
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o644)
            _BUILT[assignment] = out
        return _BUILT[assignment]
