"""One sandbox run each, without a course: the CPU-time limit, and a kernel that kills the
process that drives it (the executor). Both are reported, neither hangs the grader."""
import shutil

import nbformat
import pytest

from rnnkit.scale.sandbox import SandboxError, run_notebook

pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not "
                                "installed: apt-get install bubblewrap")


def request(*sources, **limits):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return {"notebook": nb, "cell_timeout": 120, "probe_timeout": 3,
            "limits": {"memory_mb": 1024, "cpu_seconds": 60, "processes": 64, "file_mb": 16,
                       **limits}}


def test_cpu_time_limit_kills_the_kernel_and_says_so():
    result = run_notebook(request("x = 1", "while True:\n    x += 1", "print(x)",
                                  cpu_seconds=2), {}, wall_timeout=120)
    statuses = [c["status"] for c in result["cells"]]
    assert statuses == ["ok", "kernel-died", "not-run"], result["cells"]
    assert "SIGXCPU" in result["incidents"][0]["message"]


def test_killing_the_executor_fails_the_notebook_visibly():
    with pytest.raises(SandboxError, match="no result"):
        run_notebook(request("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"), {},
                     wall_timeout=120)


def test_files_outside_the_submission_are_refused():
    with pytest.raises(SandboxError, match="outside the submission"):
        run_notebook(request("1"), {"../escape.txt": b"x"})
