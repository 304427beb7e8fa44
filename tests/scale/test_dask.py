"""The same grading on a real local Dask cluster: a scheduler and two workers, each its own
process started with the ``dask`` CLI on loopback; the scheduler address comes from the
course's config. Tasks carry the notebooks as bytes: the workers run in another directory."""
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnkit.scale.engine import grade
from tiny_course import MUL, copy_course, submit

pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install "
                                          "dask distributed)")
pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not "
                                "installed: apt-get install bubblewrap")
DASK = str(Path(sys.executable).parent / "dask")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dask-workers")
    address = f"tcp://127.0.0.1:{free_port()}"
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                               address.rsplit(":", 1)[1], "--no-dashboard"], cwd=workdir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs.append(subprocess.Popen([DASK, "worker", address, "--nworkers", "2", "--nthreads", "1",
                                   "--no-dashboard", "--memory-limit", "0",
                                   "--local-directory", str(workdir)], cwd=workdir,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        from distributed import Client
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_dask_cluster_grades_like_the_local_pool(tiny_template, tmp_path, cluster):
    course = copy_course(tiny_template, tmp_path / "course")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"c.ScaleGrading.scheduler = {cluster!r}\n")
    submit(course, "alice")
    submit(course, "bob", add="def add(a, b):\n    return a - b\n")
    submit(course, "exiter", mul=MUL + "import os\nos._exit(3)\n")
    lines = []
    outcomes = {o.student: o for o in grade(course, progress=False, log=lines.append)}
    assert any("Dask scheduler" in line for line in lines), lines
    assert {s: (o.status, o.score) for s, o in outcomes.items()} == {
        "alice": ("graded", 3), "bob": ("graded", 1), "exiter": ("graded", 2)}
    assert any("kernel exited" in i["message"] for i in outcomes["exiter"].incidents)
    # the notebooks ran in the Dask worker processes, not here
    pids = {o.host.rsplit(":", 1)[1] for o in outcomes.values()}
    assert str(__import__("os").getpid()) not in pids
    assert (course / "autograded" / "alice" / "tiny" / "tiny.ipynb").exists()
