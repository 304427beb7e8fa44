"""Execute one notebook, cell by cell, inside the sandbox: ``python -m rnnkit.scale.execute``.

This is the only code of the kit that runs next to a student's kernel. It reads a JSON request
on stdin::

    {"notebook": <nbformat dict, test cells already restored>, "cell_timeout": 30,
     "probe_timeout": 5, "limits": {"memory_mb": 2048, "cpu_seconds": 600, "processes": 64,
     "file_mb": 256}, "kernel_name": "python3", "files": {path: base64},
     "home_files": {path: base64}}

It writes the files into $RNNKIT_SANDBOX_ROOT/work (the kernel's cwd; the sandbox's tmpfs) and
home, then runs the cells.

and writes one JSON result on the stdout it was started with::

    {"notebook": <executed notebook>, "cells": [{"index", "grade_id", "status", "ename",
     "evalue", "seconds"}, ...], "incidents": [{"kind", "cell", "message"}, ...],
     "kernel_exit": <exit status or null>}

Why it is careful:
- the request holds the hidden tests: it never touches the disk, and this process makes itself
  non-dumpable so the kernel (same uid) cannot read our memory through /proc;
- the kernel inherits stdout/stderr: they are pointed at a log file, and the result goes to a
  private duplicate of the original stdout that the kernel never receives, so a submission
  cannot forge the result;
- limits are set here, before the kernel starts, so that it inherits them;
- outputs are capped while they arrive (per output, per cell, per notebook), so a cell that
  prints or displays without end costs neither this process's memory nor the coordinator's.

Nothing in the result is trusted by the coordinator without checking: it only takes the
cells' outputs, and verifies the trusted-scoring records itself.
"""
import asyncio
import ctypes
import json
import os
import resource
import sys
import time

_PR_SET_DUMPABLE = 4
MAX_OUTPUT_CHARS = 1_000_000  # per output; LimitOutput trims further in the coordinator
MAX_CELL_BYTES = 16 << 20     # all outputs of one cell (06 records ~6 MB in one cell)
MAX_CELL_OUTPUTS = 100        # outputs of one cell
MAX_NOTEBOOK_BYTES = 48 << 20  # all outputs of the notebook


def apply_limits(limits):
    """RLIMIT_AS / RLIMIT_CPU / RLIMIT_NPROC / RLIMIT_FSIZE for us and, by inheritance, the kernel."""
    table = {"memory_mb": (resource.RLIMIT_AS, 1 << 20),
             "cpu_seconds": (resource.RLIMIT_CPU, 1),
             "processes": (resource.RLIMIT_NPROC, 1),
             "file_mb": (resource.RLIMIT_FSIZE, 1 << 20)}
    for key, (which, unit) in table.items():
        value = limits.get(key)
        if value:
            soft = hard = int(value) * unit
            if key == "cpu_seconds":  # SIGXCPU at the soft limit, SIGKILL 5 s later
                hard += 5
            resource.setrlimit(which, (soft, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def make_private_stdout():
    """Keep the real stdout for the result; give the kernel a log file instead."""
    result_fd = os.dup(1)  # os.dup makes it non-inheritable: the kernel never gets it
    log = os.open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "kernel.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return os.fdopen(result_fd, "w")


def write_files(root, files, home_files):
    """The submission's files into root/work (the kernel's cwd), a font cache into root/home."""
    import base64
    for sub in ("work", "home", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for base, entries in (("work", files), ("home", home_files)):
        for rel, data in (entries or {}).items():
            rel = os.path.normpath(rel)
            if rel.startswith(("/", "..")):
                continue  # the coordinator never sends these; refuse them anyway
            dest = os.path.join(root, base, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as fh:
                fh.write(base64.b64decode(data))
    os.chdir(os.path.join(root, "work"))


def make_undumpable():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the sandbox is off anyway
        pass


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _error_output(ename, evalue):
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"{ename}: {evalue}"]}


def _trim(outputs):
    """Bound what goes back to the coordinator: long streams cut, huge other outputs dropped."""
    for k, out in enumerate(outputs):
        if out.get("output_type") == "stream" and len(out.get("text", "")) > MAX_OUTPUT_CHARS:
            out["text"] = out["text"][:MAX_OUTPUT_CHARS] + "\n... (output truncated by the grader)"
        elif len(json.dumps(out)) > 5 * MAX_OUTPUT_CHARS:
            outputs[k] = {"output_type": "stream", "name": "stderr",
                          "text": "(an output larger than 5 MB was dropped by the grader)\n"}
    return outputs


def _output_size(msg):
    content = msg.get("content", {})
    return len(json.dumps(content.get("data", content.get("text", "")), default=str))


def capped_client_class():
    """NotebookClient that drops outputs past the per-cell and per-notebook budgets as they
    arrive (a note takes the place of the first dropped one) and counts what it dropped."""
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.cell_bytes, self.cell_outputs, self.notebook_bytes = {}, {}, 0
            self.dropped = {}  # cell index -> outputs dropped

        def output(self, outs, msg, display_id, cell_index):
            kind = msg.get("msg_type")
            if kind in ("stream", "display_data", "execute_result", "update_display_data"):
                size = _output_size(msg)
                used = self.cell_bytes.get(cell_index, 0)
                count = self.cell_outputs.get(cell_index, 0)
                if used + size > MAX_CELL_BYTES or count >= MAX_CELL_OUTPUTS or \
                        self.notebook_bytes + size > MAX_NOTEBOOK_BYTES:
                    dropped = self.dropped.get(cell_index, 0)
                    self.dropped[cell_index] = dropped + 1
                    if dropped == 0:
                        import nbformat
                        note = nbformat.v4.new_output(
                            "stream", name="stdout",
                            text="\n... (further output dropped by the grader: output limit)\n")
                        outs.append(note)
                    return None
                self.cell_bytes[cell_index] = used + size
                self.cell_outputs[cell_index] = count + 1
                self.notebook_bytes += size
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


async def _kernel_responds(client, timeout):
    """After a timeout and an interrupt: does the kernel answer a trivial request?

    An interruptible loop (plain Python) stops on SIGINT and the kernel answers; a loop inside
    compiled code (``@njit``) ignores SIGINT and never does.
    """
    msg_id = client.kc.execute("pass", silent=True, store_history=False)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            msg = await client.kc.shell_channel.get_msg(timeout=remaining)
        except Exception:  # queue.Empty: no answer in time
            return False
        if msg["parent_header"].get("msg_id") == msg_id:
            return True


def _kernel_exit(client):
    try:
        return client.km.provisioner.process.poll()
    except AttributeError:
        return None


def _describe_exit(code):
    import signal
    if code is None:
        return "the kernel died"
    if code < 0:
        name = signal.Signals(-code).name
        why = {"SIGXCPU": " (CPU-time limit)", "SIGKILL": " (killed: the hard CPU-time limit?)",
               "SIGSEGV": " (segmentation fault)"}.get(name, "")
        return f"the kernel was killed by {name}{why}"
    return f"the kernel exited with status {code} (os._exit or sys.exit from C)"


def _record_reply_error(cell, cell_index, execute_reply):
    """An error the kernel replied without an output (a timeout) becomes an error output.

    Otherwise a cell that timed out would have no error output, and nbgrader scores a test
    cell without an error output as passed (nbgrader's Execute does the same).
    """
    content = execute_reply["content"]
    if content.get("status") != "error":
        return
    if any(o.get("output_type") == "error" and o.get("ename") == content.get("ename")
           for o in cell.outputs):
        return
    cell.outputs.append(_error_output(content.get("ename", "Error"), content.get("evalue", "")))


async def _run_cells(client, nb, request, cells, incidents, state):
    """Run the code cells in order; after a fatal event, mark the rest "not run"."""
    from nbclient.exceptions import DeadKernelError

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        entry = {"index": index, "grade_id": _grade_id(cell), "status": "running",
                 "ename": None, "evalue": None, "seconds": 0.0}
        cells.append(entry)
        if state["stopped"]:
            cell.outputs = [_error_output("NotRunError", f"not run: {state['stopped']}")]
            entry.update(status="not-run", ename="NotRunError", evalue=state["stopped"])
            continue
        start = time.monotonic()
        try:
            await client.async_execute_cell(cell, index)
        except DeadKernelError:
            state["kernel_exit"] = _kernel_exit(client)
            why = _describe_exit(state["kernel_exit"])
            cell.outputs = list(cell.get("outputs", [])) + [
                _error_output("DeadKernelError", f"{why} while running this cell")]
            entry.update(status="kernel-died", ename="DeadKernelError", evalue=why)
            incidents.append({"kind": "kernel-died", "cell": entry["grade_id"] or index,
                              "message": why})
            state["stopped"] = f"{why} in cell {entry['grade_id'] or index}"
            continue
        finally:
            entry["seconds"] = round(time.monotonic() - start, 3)
        entry["status"] = "ok"
        _trim(cell.outputs)
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors:
            entry.update(status="error", ename=errors[-1].get("ename"),
                         evalue=str(errors[-1].get("evalue", ""))[:500])
        if entry["ename"] == "CellTimeoutError":
            entry["status"] = "timeout"
            if not await _kernel_responds(client, request.get("probe_timeout", 5)):
                why = ("the cell exceeded the time limit and ignored the interrupt "
                       "(a loop in compiled code?)")
                incidents.append({"kind": "timeout", "cell": entry["grade_id"] or index,
                                  "message": why})
                state["stopped"] = f"{why} in cell {entry['grade_id'] or index}"
                await client.km.shutdown_kernel(now=True)  # the rest: "not run"
            else:
                incidents.append({"kind": "timeout", "cell": entry["grade_id"] or index,
                                  "message": "the cell exceeded the time limit and was "
                                             "interrupted"})
    if state["stopped"] and client.km is not None:
        try:
            await client.km.shutdown_kernel(now=True)
        except Exception:  # already dead
            pass


async def run(request):
    import nbformat

    nb = nbformat.from_dict(request["notebook"])
    client = capped_client_class()(
        nb, timeout=request.get("cell_timeout", 30), interrupt_on_timeout=True,
        allow_errors=True, raise_on_iopub_timeout=False, iopub_timeout=10,
        kernel_name=request.get("kernel_name") or "python3",
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
        resources={"metadata": {"path": os.getcwd()}},
        error_on_timeout={"ename": "CellTimeoutError",
                          "evalue": f"the cell ran longer than {request.get('cell_timeout', 30)} s",
                          "traceback": []})
    client.on_cell_executed = _record_reply_error
    cells, incidents = [], []
    state = {"stopped": None, "kernel_exit": None}  # why the remaining cells were not run
    try:
        async with client.async_setup_kernel():
            await _run_cells(client, nb, request, cells, incidents, state)
    except Exception as exc:  # the grader itself failed (or a dead kernel's cleanup did)
        state["stopped"] = state["stopped"] or f"the grader failed: {type(exc).__name__}: {exc}"
    # A code cell that was never run must not look passed (no error output = full points).
    entries = {c["index"]: c for c in cells}
    for index, cell in enumerate(nb.cells):
        entry = entries.get(index)
        if cell.cell_type != "code" or (entry and entry["status"] != "running"):
            continue
        cell.outputs = list(cell.get("outputs", [])) + [
            _error_output("NotRunError", f"not run: {state['stopped']}")]
        if entry is None:
            entry = {"index": index, "grade_id": _grade_id(cell), "seconds": 0.0}
            cells.append(entry)
        entry.update(status="not-run", ename="NotRunError", evalue=state["stopped"])
    cells.sort(key=lambda c: c["index"])
    for index, dropped in sorted(client.dropped.items()):
        grade_id = _grade_id(nb.cells[index]) if index < len(nb.cells) else None
        incidents.append({"kind": "output-limit", "cell": grade_id or index,
                          "message": f"{dropped} outputs dropped (output limit: "
                                     f"{MAX_CELL_OUTPUTS} outputs or {MAX_CELL_BYTES >> 20} MB a "
                                     f"cell, {MAX_NOTEBOOK_BYTES >> 20} MB a notebook)"})
    kernel_exit = state["kernel_exit"]
    return {"notebook": nb, "cells": cells, "incidents": incidents, "kernel_exit": kernel_exit}


def main():
    request = json.loads(sys.stdin.buffer.read())
    write_files(os.environ.get("RNNKIT_SANDBOX_ROOT") or os.getcwd(),
                request.pop("files", {}), request.pop("home_files", {}))
    apply_limits(request.get("limits", {}))
    make_undumpable()
    out = make_private_stdout()
    try:
        result = asyncio.run(run(request))
    except BaseException as exc:  # report, never hang: the coordinator records the reason
        result = {"error": f"{type(exc).__name__}: {exc}"}
    json.dump(result, out)
    out.flush()
    os._exit(0)  # do not wait for a kernel that refuses to die: the PID namespace reaps it


if __name__ == "__main__":
    main()
