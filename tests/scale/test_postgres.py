"""The gradebook on PostgreSQL (nbgrader's db_url), against a real server this test starts.

initdb + pg_ctl in a temporary directory, listening on a loopback port only; as root the server
runs as the `postgres` user (PostgreSQL refuses to run as root). Skipped, with the reason, where
the server binaries or psycopg2 are missing (CI installs both: see docs/grading-at-scale.md).
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from rnnkit.scale.engine import grade
from tiny_course import make_course, submit

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed "
                                                  "(pip install psycopg2-binary)")
pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not "
                                "installed: apt-get install bubblewrap")


def _pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user():
    """The command prefix that runs the server as a non-root user (or nothing)."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
            return ["runuser", "-u", user, "--"], user
        except KeyError:
            continue
    pytest.skip("running as root and no unprivileged user to run PostgreSQL as")


@pytest.fixture(scope="module")
def postgres():
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    prefix = _as_server_user()
    prefix, user = prefix if prefix else ([], None)
    base = Path(tempfile.mkdtemp(prefix="rnnkit-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "data"
    subprocess.run(prefix + [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                             "-U", "postgres", "--no-sync"], check=True, capture_output=True)
    subprocess.run(prefix + [str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
                             str(base / "server.log"), "-w", "-t", "60", "-o",
                             f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(prefix + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                 "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_gradebook_on_postgresql(postgres, tmp_path):
    course = make_course(tmp_path / "course", db_url=postgres)  # release writes to PostgreSQL
    submit(course, "alice")
    submit(course, "bob", add="def add(a, b):\n    return a - b\n")
    outcomes = {o.student: (o.status, o.score) for o in
                grade(course, jobs=2, progress=False, log=lambda *a: None)}
    assert outcomes == {"alice": ("graded", 3), "bob": ("graded", 1)}
    assert not (course / "gradebook.db").exists()
    from nbgrader.api import Gradebook
    with Gradebook(postgres) as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("tiny")}
    assert scores == {"alice": 3, "bob": 1}
