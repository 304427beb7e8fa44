"""Run one notebook in a bubblewrap sandbox (or, only when asked, without one).

The sandbox sees:
- read-only: the system (/usr, /etc and the /bin, /lib links), the Python installation and the
  virtual environment, and the ``rnnkit`` package itself (nothing else of the course checkout);
- read-write: a private temporary directory holding the submission's files (the kernel's working
  directory), a private home and a small /tmp;
- no network (``--unshare-net``: only loopback, which the kernel's own sockets use), its own PID,
  IPC and UTS namespaces, and it dies with the process that started it (``--die-with-parent``).

Limits (set by the executor before the kernel starts, inherited by it): address space
(RLIMIT_AS), CPU seconds (RLIMIT_CPU), processes and threads (RLIMIT_NPROC), file size
(RLIMIT_FSIZE); plus a wall-clock limit on the whole sandbox enforced from outside.

RLIMIT_NPROC counts the processes of a real uid and does not apply to root. As an ordinary user,
bwrap puts every sandbox in a new user namespace, where the count starts from zero. As root, the
sandbox drops to a uid of its own (a free slot from ``uid_base``, claimed with a lock file so that
two sandboxes never share one) with ``setpriv`` and all capabilities dropped.
"""
import contextlib
import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import rnnkit

DEFAULT_LIMITS = {"memory_mb": 3072, "cpu_seconds": 600, "processes": 96, "file_mb": 256}
_WARNED = set()


class SandboxError(RuntimeError):
    """The sandbox could not run or returned no result: the reason is the message."""


def find_bwrap():
    return shutil.which("bwrap")


def require_bwrap(unsandboxed=False, log=print):
    """The bwrap path, or None with ``unsandboxed``; refuse (once, clearly) when it is missing."""
    path = find_bwrap()
    if path or not unsandboxed:
        if not path:
            raise SandboxError(
                "bubblewrap (bwrap) is not installed, so submissions cannot be sandboxed. Install "
                "it (Debian/Ubuntu: apt-get install bubblewrap) or pass --unsandboxed to run "
                "students' code with your own rights (not recommended).")
        _probe(path)
        return path
    if "unsandboxed" not in _WARNED:
        _WARNED.add("unsandboxed")
        log("WARNING: bwrap is missing: grading WITHOUT a sandbox (--unsandboxed): students' code "
            "runs as you, can read your files and reach the network; only rlimits apply.")
    return None


def _probe(bwrap):
    """Fail once, clearly, when bwrap is there but cannot create namespaces here."""
    if bwrap in _WARNED:
        return
    user = [] if os.geteuid() == 0 else ["--unshare-user"]
    proc = subprocess.run([bwrap, *user, "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/",
                           "--proc", "/proc", "--dev", "/dev", "true"], capture_output=True)
    if proc.returncode != 0:
        raise SandboxError(
            f"bwrap cannot create a sandbox on this machine: {proc.stderr.decode().strip()} "
            "(unprivileged user namespaces disabled? see docs/grading-at-scale.md)")
    _WARNED.add(bwrap)


def _system_binds():
    """/usr and /etc read-only; /bin, /lib, /lib64, /sbin as on the host (links or binds)."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def python_roots():
    """Directories the kernel needs from the host: Python, the venv, the rnnkit package."""
    package = Path(rnnkit.__file__).resolve().parent
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
             Path(sys.executable).resolve().parent.parent}
    if not any(package.is_relative_to(r) for r in roots):
        roots.add(package)  # an editable install: only the package, not its checkout
    # drop roots inside other roots and the system directories bound anyway
    kept = sorted(r for r in roots if not str(r).startswith("/usr/"))
    return [r for r in kept if not any(r != o and r.is_relative_to(o) for o in kept)]


def _bind_with_parents(path, seen):
    """--dir (mode 0755) for each missing parent, then a read-only bind of `path`."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) in ("/", "/usr") or str(parent) in seen:
            continue
        seen.add(str(parent))
        args += ["--perms", "0755", "--dir", str(parent)]
    return args + ["--ro-bind", str(path), str(path)]


@contextlib.contextmanager
def uid_slot(base, count=4096):
    """Claim a uid of our own for one sandbox (root only), released when the block ends."""
    lockdir = Path(tempfile.gettempdir()) / "rnnkit-sandbox-uids"
    lockdir.mkdir(mode=0o700, exist_ok=True)
    start = os.getpid() % count
    for i in range(count):
        uid = base + (start + i) % count
        fd = os.open(lockdir / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)
        return
    raise SandboxError(f"no free sandbox uid in [{base}, {base + count})")


def sandbox_env(root_inside, threads=1):
    home = f"{root_inside}/home"
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home, "TMPDIR": f"{root_inside}/tmp", "LANG": "C.UTF-8", "USER": "student",
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
        "IPYTHONDIR": f"{home}/.ipython", "JUPYTER_RUNTIME_DIR": f"{root_inside}/tmp/jupyter-runtime",
        "NUMBA_CACHE_DIR": f"{home}/.cache/numba", "NBGRADER_EXECUTION": "autograde",
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    for var in ("PYTHONHASHSEED", "NUMBA_ENABLE_CUDASIM"):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def bwrap_command(bwrap, private_dir, uid=None, threads=1):
    """The bwrap argv that runs the executor with `private_dir` mounted at /sandbox."""
    args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if uid is None:
        args += ["--unshare-user"]
    else:  # root: keep only what setpriv needs to drop to the sandbox's own uid
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    args += _system_binds()
    # the private /tmp first: a Python or venv that lives under /tmp (a CI clone, say) is bound
    # on top of it below, instead of being hidden by it
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(256 << 20), "--tmpfs", "/tmp"]
    seen = {"/tmp"}
    for root in python_roots():
        args += _bind_with_parents(root, seen)
    args += ["--perms", "0755", "--dir", "/sandbox", "--bind", str(private_dir), "/sandbox",
             "--chdir", "/sandbox/work", "--clearenv"]
    for key, value in sandbox_env("/sandbox", threads).items():
        args += ["--setenv", key, value]
    args += ["--"]
    if uid is not None:
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return args + [sys.executable, "-m", "rnnkit.scale.execute"]


def _safe_relpath(name):
    rel = os.path.normpath(name)
    if rel.startswith(("/", "..")) or rel == ".":
        raise SandboxError(f"refusing a file outside the submission: {name!r}")
    return rel


def _prepare_private_dir(files):
    private = Path(tempfile.mkdtemp(prefix="rnnkit-sandbox-"))
    for sub in ("work", "home/.cache/matplotlib", "tmp"):
        (private / sub).mkdir(parents=True)
    for name, data in files.items():
        dest = private / "work" / _safe_relpath(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    # matplotlib builds its font cache on first import (seconds): start from the host's copy
    for font_cache in glob.glob(os.path.expanduser("~/.cache/matplotlib/fontlist-*.json")):
        shutil.copy(font_cache, private / "home/.cache/matplotlib")
    return private


def _chown_tree(path, uid):
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, uid, uid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), uid, uid)


def _remove(path):
    def retry(func, p, _exc):  # a submission may have chmod-ed its files
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
    shutil.rmtree(path, onerror=retry)


def run_notebook(request, files, *, sandbox=True, wall_timeout=900, uid_base=3_000_000,
                 threads=1):
    """Execute ``request["notebook"]`` in a fresh sandbox -> the executor's result dict.

    `files`: relative path -> bytes, the submission's other files (the kernel's cwd).
    Raises SandboxError when no result came back (the reason says why).
    """
    request = dict(request)
    request.setdefault("limits", DEFAULT_LIMITS)
    private = _prepare_private_dir(files)
    try:
        with contextlib.ExitStack() as stack:
            if sandbox:
                bwrap = require_bwrap()
                uid = stack.enter_context(uid_slot(uid_base)) if os.geteuid() == 0 else None
                if uid is not None:
                    _chown_tree(private, uid)
                cmd, cwd, env = bwrap_command(bwrap, private, uid, threads), None, {"PATH": "/usr/bin:/bin"}
            else:
                cmd = [sys.executable, "-m", "rnnkit.scale.execute"]
                cwd = private / "work"
                env = sandbox_env(str(private), threads)
            try:
                proc = subprocess.run(cmd, input=json.dumps(request).encode(), cwd=cwd, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      timeout=wall_timeout)
            except subprocess.TimeoutExpired:
                raise SandboxError(f"the notebook ran longer than {wall_timeout} s in total; "
                                   "the sandbox was killed") from None
        if proc.returncode != 0 or not proc.stdout:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise SandboxError(f"the sandbox exited with status {proc.returncode} and no result"
                               + (f": {' | '.join(tail)}" if tail else ""))
        result = json.loads(proc.stdout)
        if "error" in result:
            raise SandboxError(f"the grader inside the sandbox failed: {result['error']}")
        return result
    finally:
        _remove(private)
