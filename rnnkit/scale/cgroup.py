"""One control group per sandbox: a ceiling on its CPU share, its memory and its process count.

Why: rlimits are per process. A submission that starts 60 processes may use 60 times the
memory limit and every core, and starve the honest student graded next to it. A cgroup counts
the whole sandbox (bwrap, the executor, the kernel, every child, and the pages of its tmpfs).

Both layouts are supported, whichever the machine has (root only):
- cgroup v2 (``/sys/fs/cgroup`` with ``cgroup.controllers``): cpu.max, memory.max, pids.max;
- cgroup v1 (``/sys/fs/cgroup/{cpu,memory,pids}``): cpu.cfs_quota_us, memory.limit_in_bytes,
  pids.max.
Where neither is writable (an ordinary user, macOS, a locked-down container) ``Group.create``
returns None and the sandbox keeps its rlimits; ``available()`` says which it is.
"""
import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "rnnkit-sandbox"


def _v2_root():
    """The cgroup v2 directory we may create children in, or None."""
    for base in (ROOT, ROOT / "unified"):
        controllers = base / "cgroup.controllers"
        if controllers.exists() and {"cpu", "memory", "pids"} <= set(controllers.read_text().split()):
            return base
    return None


def _writable(path):
    return path.is_dir() and os.access(path, os.W_OK)


def available():
    """'v2', 'v1' or None: which cgroup layout this process can use for sandboxes."""
    if os.geteuid() != 0:
        return None
    v2 = _v2_root()
    if v2 is not None and _writable(v2):
        return "v2"
    if all(_writable(ROOT / c) for c in ("cpu", "memory", "pids")):
        return "v1"
    return None


class Group:
    """A cgroup (v1: one per controller) holding one sandbox; ``close()`` kills and removes it."""

    def __init__(self, layout, dirs):
        self.layout, self.dirs = layout, dirs

    @classmethod
    def create(cls, cpus=1.0, memory_mb=3072, pids=128):
        """A new group with these limits, or None where cgroups cannot be used."""
        layout = available()
        if layout is None:
            return None
        name = f"{PREFIX}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        period = 100_000
        quota = max(1000, int(cpus * period))
        memory = int(memory_mb) << 20
        try:
            if layout == "v2":
                base = _v2_root()
                _write(base / "cgroup.subtree_control", "+cpu +memory +pids", missing_ok=True)
                group = base / name
                group.mkdir()
                dirs = [group]
                _write(group / "cpu.max", f"{quota} {period}")
                _write(group / "memory.max", str(memory))
                _write(group / "memory.swap.max", "0", missing_ok=True)
                _write(group / "pids.max", str(int(pids)))
            else:
                dirs = [ROOT / c / name for c in ("cpu", "memory", "pids")]
                for d in dirs:
                    d.mkdir()
                cpu, mem, pid = dirs
                _write(cpu / "cpu.cfs_period_us", str(period))
                _write(cpu / "cpu.cfs_quota_us", str(quota))
                _write(mem / "memory.limit_in_bytes", str(memory))
                _write(mem / "memory.memsw.limit_in_bytes", str(memory), missing_ok=True)
                _write(pid / "pids.max", str(int(pids)))
        except OSError:
            for d in locals().get("dirs", []):
                _rmdir(d)
            return None
        return cls(layout, dirs)

    def enter(self):
        """Move the calling process into the group (use as a subprocess ``preexec_fn``)."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(os.getpid()))

    def members(self):
        pids = set()
        for d in self.dirs:
            try:
                pids |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return pids

    def oom_killed(self):
        """Did the kernel kill a process of the group for exceeding its memory?"""
        for d in self.dirs:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                try:
                    for line in (d / name).read_text().splitlines():
                        k, _, v = line.partition(" ")
                        if k == key and int(v) > 0:
                            return True
                except (OSError, ValueError):
                    continue
        return False

    def close(self):
        """Kill whatever is left in the group, then remove it."""
        for _ in range(50):
            left = self.members()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for d in self.dirs:
            _rmdir(d)


def _write(path, text, missing_ok=False):
    try:
        path.write_text(text)
    except FileNotFoundError:
        if not missing_ok:
            raise
    except OSError:
        if not missing_ok:
            raise


def _rmdir(path):
    for _ in range(20):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # still busy for a moment after its last process died
            time.sleep(0.05)
