"""Run one notebook in a bubblewrap sandbox (or, only when asked, without one).

The sandbox sees:
- read-only: the system (/usr, /etc and the /bin, /lib links), the Python installation and the
  virtual environment, and at the ``rnnkit`` package's path the *student build* of the kit
  (``studentkit``: no answer of the assignment; nothing else of the course checkout);
- read-write: only a private, size-limited tmpfs at /sandbox (the kernel's working directory
  /sandbox/work with the submission's files, its home and TMPDIR) and a small /tmp: nothing a
  submission writes reaches the host's disk;
- no network (``--unshare-net``: only loopback, which the kernel's own sockets use), its own PID,
  IPC and UTS namespaces, and it dies with the process that started it (``--die-with-parent``).

Limits (set by the executor before the kernel starts, inherited by it): address space
(RLIMIT_AS), CPU seconds (RLIMIT_CPU), processes and threads (RLIMIT_NPROC), file size
(RLIMIT_FSIZE); where the machine allows it (root with cgroups v1 or v2) a cgroup of its own
for the whole sandbox (CPU share, total memory with the tmpfs, process count: see ``cgroup``);
a wall-clock limit on the whole sandbox and a cap on the size of its result, enforced from
outside.

RLIMIT_NPROC counts the processes of a real uid and does not apply to root. As an ordinary user,
bwrap puts every sandbox in a new user namespace, where the count starts from zero. As root, the
sandbox drops to a uid of its own (a free slot from ``uid_base``, claimed with a lock file so that
two sandboxes never share one) with ``setpriv`` and all capabilities dropped.
"""
import base64
import contextlib
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import rnnkit
from rnnkit.scale.cgroup import Group

DEFAULT_LIMITS = {"memory_mb": 3072, "cpu_seconds": 600, "processes": 96, "file_mb": 256}
DEFAULT_DISK_MB = 512   # the sandbox's tmpfs: work directory, home and TMPDIR together
MAX_RESULT_MB = 96      # what the coordinator reads back from one sandbox at most
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
        "RNNKIT_SANDBOX_ROOT": root_inside,
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    # assignment 06 checks prange code on 1 and 2 threads (a race shows only with two); the
    # sandbox's cgroup still caps the CPU time they share
    env["NUMBA_NUM_THREADS"] = str(max(2, threads))
    for var in ("PYTHONHASHSEED", "NUMBA_ENABLE_CUDASIM"):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def bwrap_command(bwrap, uid=None, threads=1, disk_mb=None, kit=None):
    """The bwrap argv that runs the executor with a private tmpfs of `disk_mb` MB at /sandbox.

    `kit`: the ``rnnkit`` folder of a student build (`studentkit`), bound read-only over the
    package's own path, so that the kernel and the executor import it instead of the real one.
    """
    disk_mb = disk_mb or DEFAULT_DISK_MB
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
             "--perms", "1777", "--size", str(64 << 20), "--tmpfs", "/tmp",
             # numba's parallel layer takes a multiprocessing lock (a POSIX semaphore)
             "--perms", "1777", "--size", str(16 << 20), "--tmpfs", "/dev/shm"]
    seen = {"/tmp"}
    for root in python_roots():
        args += _bind_with_parents(root, seen)
    if kit is not None:
        args += ["--ro-bind", str(kit), str(Path(rnnkit.__file__).resolve().parent)]
    # work, home and TMPDIR live on a size-limited tmpfs: nothing reaches the host's disk
    args += ["--perms", "1777", "--size", str(int(disk_mb) << 20), "--tmpfs", "/sandbox",
             "--chdir", "/sandbox", "--clearenv"]
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


def _remove(path):
    def retry(func, p, _exc):  # a submission may have chmod-ed its files
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
    shutil.rmtree(path, onerror=retry)


def _encode_files(files):
    """relative path -> base64 text, for the request (the executor writes them on its tmpfs)."""
    return {_safe_relpath(name): base64.b64encode(data).decode("ascii")
            for name, data in files.items()}


def _home_files():
    """matplotlib builds its font cache on first import (seconds): start from the host's copy."""
    found = {}
    for font_cache in glob.glob(os.path.expanduser("~/.cache/matplotlib/fontlist-*.json")):
        with open(font_cache, "rb") as fh:
            found[f".cache/matplotlib/{os.path.basename(font_cache)}"] = fh.read()
    return found


def _read_capped(stream, limit, sink):
    """Read `stream` into sink["data"], at most `limit` bytes; sink["over"] when it had more."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        if size + len(chunk) > limit:
            sink["over"] = True
            break
        chunks.append(chunk)
        size += len(chunk)
    sink["data"] = b"".join(chunks)


def _run_capped(cmd, stdin_bytes, cwd, env, timeout, limit, preexec_fn=None):
    """(returncode, stdout, stderr tail, why) of a sandbox, reading at most `limit` bytes back."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=cwd, env=env, preexec_fn=preexec_fn,
                            start_new_session=True)
    out, err = {}, {}
    readers = [threading.Thread(target=_read_capped, args=(proc.stdout, limit, out), daemon=True),
               threading.Thread(target=_read_capped, args=(proc.stderr, 1 << 16, err),
                                daemon=True)]
    for r in readers:
        r.start()
    why = None
    try:
        proc.stdin.write(stdin_bytes)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if out.get("over"):
            why = f"its result is larger than {limit >> 20} MB"
            break
        if time.monotonic() > deadline:
            why = f"the notebook ran longer than {timeout} s in total"
            break
        time.sleep(0.05)
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.kill()
    proc.wait()
    for r in readers:
        r.join(timeout=5)
    if out.get("over"):
        why = f"its result is larger than {limit >> 20} MB"
    tail = " | ".join(err.get("data", b"").decode(errors="replace").strip().splitlines()[-3:])
    return proc.returncode, out.get("data", b""), tail, why


def run_notebook(request, files, *, sandbox=True, wall_timeout=900, uid_base=3_000_000,
                 threads=1, disk_mb=DEFAULT_DISK_MB, max_result_mb=MAX_RESULT_MB, kit=None):
    """Execute ``request["notebook"]`` in a fresh sandbox -> the executor's result dict.

    `files`: relative path -> bytes, the submission's other files (the kernel's cwd). They
    travel in the request and the executor writes them into the sandbox's own size-limited
    tmpfs, so a submission never writes to the host's disk. When the machine allows it (root,
    cgroups), the whole sandbox runs in a cgroup of its own: at most `threads` CPUs, the
    request's memory_mb in total (tmpfs included) and its process limit.
    `kit`: the ``rnnkit`` folder of the student build the notebook runs against
    (`studentkit.cached`); None runs it against the real package (tests of the sandbox only).
    Without a sandbox the build comes first on PYTHONPATH, which gives the same `check` but
    hides nothing: the student's code runs as you and can read the real package.
    Raises SandboxError when no result came back (the reason says why).
    """
    request = dict(request)
    limits = dict(DEFAULT_LIMITS)
    limits.update(request.get("limits") or {})
    request["limits"] = limits
    request["files"] = _encode_files(files)
    request["home_files"] = _encode_files(_home_files())
    payload = json.dumps(request).encode()
    private = None
    group = None
    try:
        with contextlib.ExitStack() as stack:
            if sandbox:
                bwrap = require_bwrap()
                uid = stack.enter_context(uid_slot(uid_base)) if os.geteuid() == 0 else None
                cmd = bwrap_command(bwrap, uid, threads, disk_mb, kit)
                cwd, env = None, {"PATH": "/usr/bin:/bin"}
                # the tmpfs (disk) is charged to the group's memory too: give it room
                group = Group.create(cpus=max(1, threads),
                                     memory_mb=limits["memory_mb"] + disk_mb + 256,
                                     pids=limits["processes"] + 32)
            else:
                private = Path(tempfile.mkdtemp(prefix="rnnkit-unsandboxed-"))
                cmd = [sys.executable, "-m", "rnnkit.scale.execute"]
                cwd, env = private, sandbox_env(str(private), threads)
                if kit is not None:
                    env["PYTHONPATH"] = str(Path(kit).parent)
            code, stdout, tail, why = _run_capped(
                cmd, payload, cwd, env, wall_timeout, max_result_mb << 20,
                preexec_fn=group.enter if group else None)
        if why:
            raise SandboxError(f"{why}; the sandbox was killed")
        if group is not None and group.oom_killed() and (code != 0 or not stdout):
            raise SandboxError(f"the sandbox ran out of its {limits['memory_mb']} MB of memory "
                               "and was killed (memory limit)")
        if code != 0 or not stdout:
            raise SandboxError(f"the sandbox exited with status {code} and no result"
                               + (f": {tail}" if tail else ""))
        try:
            result = json.loads(stdout)
        except ValueError as exc:
            raise SandboxError(f"the sandbox returned a malformed result ({exc})") from None
        if "error" in result:
            raise SandboxError(f"the grader inside the sandbox failed: {result['error']}")
        result["cgroup"] = group.layout if group else None
        return result
    finally:
        if group is not None:
            group.close()
        if private is not None:
            _remove(private)
