"""Small parts of the pipeline, without nbgrader: the export table, feedback, edits, lab."""
import json

import nbformat
import pytest

from rnnkit.course.export import export, rows, score_table
from rnnkit.course.feedback import HideTestTracebacks, leaks
from rnnkit.course.submissions import apply_edit, solution_text


def test_export_never_reports_a_score_for_a_failed_submission(tmp_path):
    status = {
        "ann/01": {"student": "ann", "assignment": "01", "ok": True, "score": 8.0,
                   "max_score": 8.0, "flags": []},
        "bob/01": {"student": "bob", "assignment": "01", "ok": False, "flags": [],
                   "reason": "the notebook is not valid JSON", "score": 8.0},
        "cat/01": {"student": "cat", "assignment": "01", "ok": True, "score": 1.0,
                   "max_score": 8.0, "flags": ["audit: x line 1: os-exit: os._exit(1)"]},
    }
    (tmp_path / "autograde_status.json").write_text(json.dumps(status))
    table = {r["student"]: r for r in rows(tmp_path)}
    assert table["ann"]["status"] == "ok" and table["ann"]["score"] == "8"
    assert table["bob"]["status"] == "failed" and table["bob"]["score"] == ""
    assert table["cat"]["status"] == "flagged" and "os-exit" in table["cat"]["problems"]
    export(tmp_path, log=lambda *a: None)
    assert (tmp_path / "grades.csv").read_text().splitlines()[0] == \
        "student,assignment,score,max_score,status,problems"
    text = score_table(list(table.values()))
    assert "FAILED" in text and "1/8 FLAG" in text and "not valid JSON" in text


def test_hidden_test_tracebacks_are_cut_to_their_message():
    cell = nbformat.v4.new_code_cell("check(...)\n### BEGIN HIDDEN TESTS\ncheck(..., hidden=True)")
    cell.metadata = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="dx differs",
                                           traceback=["----> 3 check(..., hidden=True)", "..."])]
    cell, _ = HideTestTracebacks().preprocess_cell(cell, {}, 0)
    assert cell.outputs[0]["traceback"] == ["AssertionError: dx differs"]


def test_feedback_shows_passing_lines_first_and_wraps_long_messages():
    cell = nbformat.v4.new_code_cell("check(...)\n### BEGIN HIDDEN TESTS\ncheck(..., hidden=True)")
    cell.metadata = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    long = "rnn_forward with nonlinearity=\"relu\": h does not match the reference " + "x " * 80
    # as the grader leaves it: the failure moved first so that nbgrader scores it
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=long,
                                           traceback=["..."]),
                    nbformat.v4.new_output("stream", name="stdout", text="rnn_forward: 5/5\n")]
    cell, _ = HideTestTracebacks().preprocess_cell(cell, {}, 0)
    assert [o.output_type for o in cell.outputs] == ["stream", "error"]
    lines = cell.outputs[1]["traceback"]
    assert len(lines) > 1 and all(len(line) <= 100 for line in lines)
    assert " ".join(lines) == f"AssertionError: {long}".strip()


def test_leak_scan(tmp_path):
    page = tmp_path / "f.html"
    page.write_text("<pre>check('rnn_forward', rnn_forward, hidden=True)</pre>")
    assert leaks(page) == ["hidden=True"]


def test_solution_text_and_edits():
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    assert solution_text(source) == "def f():\n    return 1"
    assert apply_edit("a + b", "b", "c") == "a + c"
    assert apply_edit("x", None, "y") == "x\ny"
    with pytest.raises(ValueError, match="exactly once"):
        apply_edit("b + b", "b", "c")


def test_lab_copies_the_release_once(tmp_path):
    from rnnkit.course.lab import student_copy
    with pytest.raises(FileNotFoundError, match="rnnkit course release"):
        student_copy(tmp_path, "alice")
    (tmp_path / "release" / "01_rnn_forward").mkdir(parents=True)
    (tmp_path / "release" / "01_rnn_forward" / "01_rnn_forward.ipynb").write_text("release")
    home = student_copy(tmp_path, "alice")
    work = home / "01_rnn_forward" / "01_rnn_forward.ipynb"
    assert work.read_text() == "release"
    work.write_text("the student's work")
    student_copy(tmp_path, "alice")  # opening the lab again keeps the work
    assert work.read_text() == "the student's work"


def test_students_lab_hides_the_instructor_ui(tmp_path, monkeypatch):
    """What JupyterLab and Jupyter Server read from the student's configuration."""
    from rnnkit.course.lab import lab_command
    (tmp_path / "release" / "01_rnn_forward").mkdir(parents=True)
    command, env = lab_command(tmp_path, "alice", port=8890, no_browser=True, is_root=False)
    assert "--allow-root" not in command and "--port=8890" in command
    assert "--allow-root" in lab_command(tmp_path, "alice", is_root=True)[0]
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", env["JUPYTER_CONFIG_DIR"])
    from jupyter_server.serverapp import ServerApp
    from jupyterlab_server.config import get_static_page_config
    disabled = get_static_page_config(level="all").get("disabledExtensions", {})
    for plugin in ("create-assignment", "formgrader", "course-list"):
        assert disabled.get(f"@jupyter/nbgrader:{plugin}") is True
    assert not disabled.get("@jupyter/nbgrader:validate-assignment")
    assert not disabled.get("@jupyter/nbgrader:assignment-list")
    app = ServerApp()
    app.load_config_file()
    app.find_server_extensions()
    enabled = app.jpserver_extensions
    assert enabled["nbgrader.server_extensions.formgrader"] is False
    assert enabled["nbgrader.server_extensions.course_list"] is False
    assert enabled["nbgrader.server_extensions.validate_assignment"] is True


def test_course_command_is_wired():
    from rnnkit.cli import build_parser
    args = build_parser().parse_args(["course", "autograde", "--jobs", "3"])
    assert args.action == "autograde" and args.jobs == 3


def test_feedback_pages_draw_equations_offline_and_wrap_long_lines():
    import re

    import nbformat
    from nbconvert import HTMLExporter
    from rnnkit.course.feedback import offline_html
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(r"Inline $h_t = \tanh(a_t)$ and `$HOME`, then"
                                              "\n\n$$c' = f \\odot c + i \\odot g$$"),
                nbformat.v4.new_code_cell("print('$5 and $6')")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="$5 and $6\n")]
    page = offline_html(HTMLExporter().from_notebook_node(nb)[0])
    assert "mathjax" not in page.lower()  # no script from a CDN
    markdown = re.search(r'<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>(.*?)</div>', page,
                         re.S).group(1)
    assert markdown.count("<math") == 2 and 'display="block"' in markdown
    assert "<mi>tanh</mi>" in markdown and "\\tanh" not in markdown
    assert "<code>$HOME</code>" in markdown  # code is not math
    assert "$5 and $6" in page  # outputs are left alone
    assert "white-space: pre-wrap" in page.split("</head>")[0]
