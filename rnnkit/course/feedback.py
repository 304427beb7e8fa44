"""Feedback for students: one HTML file per autograded notebook, hidden tests never shown.

nbgrader's ``ClearHiddenTests`` (configured in nbgrader_config.py) removes the hidden tests'
source; ``HideTestTracebacks`` below also shortens the *tracebacks* of test cells to their last
line, because an IPython traceback quotes the source line that failed — the hidden test's code.
A last scan refuses to leave any feedback file that still mentions a hidden test.

Each page is then made readable offline (`offline_html`): the equations are rendered to MathML
(which browsers draw natively) instead of loading MathJax from a CDN, and long output lines
wrap instead of being cut at the page's edge.
"""
import html as html_lib
import json
import pathlib
import re

from nbgrader.preprocessors import NbGraderPreprocessor

from rnnkit.course.nbapi import log_tail, open_api
from rnnkit.course.paths import STATUS_FILE

#: text that only appears in hidden tests (their markers and their calls)
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True")


class HideTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of a failed test cell by its message (``AssertionError: ...``),
    wrapped, and show it after the lines of the checks that passed.

    The grader moves a failure to the front of a test cell's outputs (nbgrader scores the
    first one); in the kernel it came last (an exception ends the cell), and that is the order
    a student reads: "rnn_forward: 5/5 cases match" before the hidden check that failed.
    """

    def preprocess_cell(self, cell, resources, index):
        from rnnkit.grading.checker import wrap_message
        nbgrader = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and nbgrader.get("grade") and not nbgrader.get("solution"):
            outputs = cell.get("outputs", [])
            for output in outputs:
                if output.get("output_type") == "error":
                    output["traceback"] = wrap_message(
                        f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
            cell["outputs"] = [o for o in outputs if o.get("output_type") != "error"] + \
                [o for o in outputs if o.get("output_type") == "error"]
        return cell, resources


#: nbconvert's MathJax block (a script from a CDN): replaced by MathML rendered here
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MARKDOWN = re.compile(r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.S)
_VERBATIM = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])([^$]+?)(?<![\s\\])\$")
#: output lines wrap (nbconvert's default cuts them at the edge of the page)
_WRAP_CSS = ("<style>/* rnnkit: long output lines wrap */ .jp-OutputArea-output pre, "
             ".output_area pre { white-space: pre-wrap; overflow-wrap: anywhere; }</style>")


def _mathml(tex, display):
    """MathML of one TeX formula; the formula as code if the converter cannot read it."""
    from latex2mathml.converter import convert
    source = html_lib.unescape(tex).strip()
    try:
        return convert(source, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 (an unknown macro must not lose the whole page)
        return f"<code>{html_lib.escape(source)}</code>"


def _render_math(markdown_html):
    parts = _VERBATIM.split(markdown_html)
    for k in range(0, len(parts), 2):  # even parts are outside <pre> and <code>
        text = _DISPLAY.sub(lambda m: _mathml(m.group(1), True), parts[k])
        parts[k] = _INLINE.sub(lambda m: _mathml(m.group(1), False), text)
    return "".join(parts)


def offline_html(page):
    """A feedback page that needs no network: MathML equations, wrapped output lines."""
    page = _MATHJAX.sub("", page)
    page = _MARKDOWN.sub(lambda m: m.group(1) + _render_math(m.group(2)) + m.group(3), page)
    return page.replace("</head>", _WRAP_CSS + "\n</head>", 1)


def leaks(path):
    text = pathlib.Path(path).read_text(errors="replace")
    return [marker for marker in HIDDEN_MARKERS if marker in text]


def generate_feedback(root, students=None, log=print):
    """Feedback for every submission graded by the last autograde (or those of ``students``).

    Returns 0 if all went well.
    """
    status_path = root / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    api = open_api(root)
    problems = 0
    for key, result in sorted(status.items()):
        student, assignment = key.split("/")
        if students and student not in students:
            continue
        if not result.get("ok"):
            log(f"no feedback for {key}: it could not be graded ({result.get('reason')})")
            continue
        outcome = api.generate_feedback(assignment, student, force=True)
        if not outcome["success"]:
            problems += 1
            log(f"FAILED feedback for {key}:\n{log_tail(outcome)}")
            continue
        for html in sorted((root / "feedback" / student / assignment).glob("*.html")):
            found = leaks(html)
            if found:  # never hand out a file that shows a hidden test
                html.unlink()
                problems += 1
                log(f"REMOVED {html}: it mentions {', '.join(found)}")
                continue
            html.write_text(offline_html(html.read_text()))
    log(f"feedback written to {root / 'feedback'}")
    return 1 if problems else 0
