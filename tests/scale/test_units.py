"""Fast checks of the pieces: the bwrap command line, refusing without bwrap, settings."""
from pathlib import Path

import pytest

from rnnkit.scale import course as course_cfg
from rnnkit.scale import sandbox
from rnnkit.scale.report import classify

REPO = Path(__file__).resolve().parents[2]


def test_bwrap_command_isolates():
    cmd = sandbox.bwrap_command("/usr/bin/bwrap", uid=3_000_001, disk_mb=300)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv"):
        assert flag in cmd
    binds = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    writable = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--bind"]
    assert writable == []  # no host path is writable: work, home and TMPDIR are a tmpfs
    at = cmd.index("/sandbox")
    assert cmd[at - 1] == "--tmpfs" and cmd[at - 2] == str(300 << 20)
    assert str(REPO) not in binds and str(REPO / "course") not in binds
    assert str(Path.home()) not in binds
    assert cmd[cmd.index("--") + 1] == "setpriv"  # as root: drop to the sandbox's own uid
    assert "--reuid=3000001" in cmd


def test_missing_bwrap_refuses_unless_unsandboxed(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox, "_WARNED", set())
    with pytest.raises(sandbox.SandboxError, match="--unsandboxed"):
        sandbox.require_bwrap(unsandboxed=False)
    said = []
    assert sandbox.require_bwrap(unsandboxed=True, log=said.append) is None
    assert sandbox.require_bwrap(unsandboxed=True, log=said.append) is None
    assert len(said) == 1 and "WITHOUT a sandbox" in said[0]  # said once


def test_settings_come_from_config_then_command_line(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.Execute.timeout = 12\nc.ScaleGrading.jobs = 3\n"
        "c.ScaleGrading.scheduler = 'tcp://10.0.0.5:8786'\n"
        "c.CourseDirectory.db_url = 'sqlite:///gb.db'\n")
    cfg = course_cfg.load_config(tmp_path)
    s = course_cfg.scale_settings(cfg)
    assert (s["jobs"], s["scheduler"], s["cell_timeout"]) == (3, "tcp://10.0.0.5:8786", 12)
    assert course_cfg.scale_settings(cfg, jobs=5, scheduler=None)["jobs"] == 5
    assert course_cfg.db_url(cfg, tmp_path) == f"sqlite:///{tmp_path.resolve() / 'gb.db'}"


def test_not_a_course_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nbgrader_config.py"):
        course_cfg.load_config(tmp_path)


@pytest.mark.parametrize("ename, evalue, kind", [
    ("MemoryError", "", "memory limit"),
    ("_ArrayMemoryError", "Unable to allocate 8.00 GiB", "memory limit"),
    ("BlockingIOError", "[Errno 11] Resource temporarily unavailable", "process limit"),
    ("OSError", "[Errno 101] Network is unreachable", "no network"),
    ("FileNotFoundError", "[Errno 2] No such file or directory: '/x'", "outside the sandbox"),
    ("AssertionError", "", None),
])
def test_classify(ename, evalue, kind):
    assert classify(ename, evalue) == kind


def test_cli_rejects_bad_jobs(capsys):
    from rnnkit.scale.__main__ import main
    assert main(["course", "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err
