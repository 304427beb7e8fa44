"""Feedback never carries the hidden tests, not even echoed by the student's own code.

nbgrader's ClearHiddenTests removes the hidden lines from the test cells' *source*. But the
kernel ran those lines: a student's function can print its caller's source (``inspect``, the
input history ``In``/``_ih``), in that cell or any later one, and the output would reach the
feedback. ``ScrubHiddenEchoes`` runs first in GenerateFeedback: it collects every hidden line
of the notebook and rewrites every output of every cell without the lines that contain one.
"""
import re

from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
NOTE = "[a line was removed from this output: it repeated hidden test code]"
MIN_LENGTH = 6  # shorter lines ("pass", ")") say nothing about the test


def hidden_lines(nb):
    """The stripped hidden-test lines of every cell (long enough to mean something)."""
    found = set()
    for cell in nb.cells:
        inside = False
        for line in cell.get("source", "").splitlines():
            stripped = line.strip()
            if stripped.startswith(BEGIN):
                inside = True
            elif stripped.startswith(END):
                inside = False
            elif inside and len(stripped) >= MIN_LENGTH:
                found.add(stripped)
    return found


def _scrub_text(text, secrets_):
    if not isinstance(text, str) or not any(s in text for s in secrets_):
        return text, False
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)  # tracebacks colour their lines
    kept = [NOTE if any(s in re.sub(r"\x1b\[[0-9;]*m", "", line) for s in secrets_) else line
            for line in text.splitlines()]
    return "\n".join(kept) + ("\n" if plain.endswith("\n") else ""), True


def scrub_outputs(nb, secrets_):
    """Rewrite every output of `nb` without the lines holding a hidden line; how many changed."""
    changed = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"], hit = _scrub_text(out["text"], secrets_)
                changed += hit
            for key, value in list(out.get("data", {}).items()):
                if isinstance(value, str):
                    out["data"][key], hit = _scrub_text(value, secrets_)
                    changed += hit
                elif isinstance(value, list):
                    out["data"][key], hit = _scrub_text("".join(value), secrets_)
                    changed += hit
                elif isinstance(value, dict):  # JSON outputs (records): never for students
                    text = repr(value)
                    if any(s in text for s in secrets_):
                        out["data"].pop(key)
                        changed += 1
            if "evalue" in out:
                out["evalue"], hit = _scrub_text(out["evalue"], secrets_)
                changed += hit
            if "traceback" in out:
                lines = []
                for line in out["traceback"]:
                    new, hit = _scrub_text(line, secrets_)
                    lines.append(new)
                    changed += hit
                out["traceback"] = lines
    return changed


class ScrubHiddenEchoes(NbGraderPreprocessor):
    """Remove, from every output, the lines that repeat a hidden test line (before
    ClearHiddenTests, which needs the hidden lines still in the source to find them)."""

    def preprocess(self, nb, resources):
        secrets_ = hidden_lines(nb)
        if secrets_:
            changed = scrub_outputs(nb, secrets_)
            if changed:
                self.log.warning("feedback: removed %d echoes of hidden tests", changed)
        return nb, resources
