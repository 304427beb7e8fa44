"""Throughput of the sandboxed grader on synthetic submissions of notebook 01 (make bench-grading).

    python benchmarks/bench_grading.py [--count 100] [--modes jobs1,jobs2,dask2,plain1,plain2]

Builds a throw-away copy of the course with 01_rnn_forward released, and `count` submissions
made from the bundled examples: half correct (ada), 30% with realistic mistakes (alan, grace),
20% hostile (os._exit, a memory hog, a network request, reading the gradebook). Each mode
grades the same submissions from a fresh copy of the gradebook:

    jobs1 / jobs2    sandboxed, JOBS=1 / JOBS=2 on this machine
    dask2            sandboxed, on a local Dask cluster of 2 single-threaded workers
    plain1 / plain2  the same engine WITHOUT the sandbox (--unsandboxed), for the overhead

and prints submissions per minute and the sandbox's overhead against unsandboxed grading at the
same JOBS. Timings on a shared machine vary: run it when the machine is otherwise idle.
"""
import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "course"
ASSIGNMENT = "01_rnn_forward"
FIRST_ANSWER = "rnn_step_forward"


def hostile_payloads(course):
    return {
        "exit": "import os\nos._exit(1)\n",
        "hog": "hog = bytearray(64 << 30)\n",
        "net": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\n",
        "gradebook": f"print(open({str(course / 'gradebook.db')!r}, 'rb').read(16))\n",
    }


def nbgrader_env():
    import os
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def build_course(root, count):
    """Release 01 in `root` and write `count` synthetic submissions; -> {student: kind}."""
    root.mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", root)
    shutil.copytree(COURSE / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                    "--force"], cwd=root, env=nbgrader_env(), check=True, capture_output=True)
    examples = {name: nbformat.read(str(COURSE / "examples" / name / ASSIGNMENT /
                                        f"{ASSIGNMENT}.ipynb"), 4)
                for name in ("ada", "alan", "grace")}
    payloads = hostile_payloads(root)
    kinds = {}
    for i in range(count):
        slot = i % 10
        if slot < 5:
            kind, nb = "correct", examples["ada"]
        elif slot < 8:
            kind, nb = "wrong", examples["alan" if slot % 2 else "grace"]
        else:
            kind = "hostile:" + list(payloads)[(i // 10 * 2 + slot - 8) % len(payloads)]
            nb = nbformat.from_dict(json.loads(json.dumps(examples["ada"])))
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == FIRST_ANSWER:
                    cell.source += "\n" + payloads[kind.split(":")[1]]
        student = f"s{i:04d}"
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{ASSIGNMENT}.ipynb"))
        kinds[student] = kind
    return kinds


def start_dask(workdir, workers=2):
    dask = str(Path(sys.executable).parent / "dask")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": workdir}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], **quiet),
             subprocess.Popen([dask, "worker", address, "--nworkers", str(workers), "--nthreads",
                               "1", "--no-dashboard", "--memory-limit", "0"], **quiet)]
    from distributed import Client
    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout="5s") as client:
                client.wait_for_workers(workers, timeout=90)
            return address, procs
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def run_mode(template, work, mode):
    from rnnkit.scale.engine import grade
    course = work / mode
    shutil.copytree(template, course)
    kwargs = {"progress": False, "log": lambda *a: None}
    procs = []
    if mode.startswith("dask"):
        address, procs = start_dask(work, workers=int(mode[4:]))
        kwargs["scheduler"] = address
    else:
        kwargs["jobs"] = int(mode[-1])
        kwargs["unsandboxed"] = mode.startswith("plain")
    try:
        start = time.perf_counter()
        outcomes = grade(course, **kwargs)
        elapsed = time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    return elapsed, outcomes


def sandbox_overhead(template, repeats):
    """Median seconds of one correct submission's task, sandboxed vs not, interleaved.

    Interleaving (A B A B ...) makes a busy machine slow both sides alike, which whole-run
    timings taken minutes apart do not.
    """
    import statistics
    import warnings
    from rnnkit.scale.coordinator import Coordinator
    from rnnkit.scale.worker import run_task
    warnings.simplefilter("ignore")
    coord = Coordinator(template)
    sub = coord.submissions(students=["s0000"])[0]
    task = coord.prepare(sub).task
    times = {True: [], False: []}
    for _ in range(repeats):
        for sandbox in (True, False):
            task["settings"]["sandbox"] = sandbox
            start = time.perf_counter()
            result = run_task(task)
            times[sandbox].append(time.perf_counter() - start)
            assert all(n["ok"] for n in result["notebooks"].values()), result
    return statistics.median(times[True]), statistics.median(times[False])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="synthetic submissions (100)")
    parser.add_argument("--modes", default="jobs1,plain1,jobs2,plain2,dask2",
                        help="comma-separated: jobs1, jobs2, dask2, plain1, plain2")
    parser.add_argument("--overhead-repeats", type=int, default=5,
                        help="interleaved sandboxed/unsandboxed runs of one submission (5; 0: "
                             "skip)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    work = Path(tempfile.mkdtemp(prefix="rnnkit-bench-grading-"))
    try:
        kinds = build_course(work / "template", args.count)
        mix = {k: sum(1 for v in kinds.values() if v.split(":")[0] == k)
               for k in ("correct", "wrong", "hostile")}
        print(f"{args.count} synthetic submissions of {ASSIGNMENT}: {mix}", flush=True)
        rows = {}
        for mode in modes:
            elapsed, outcomes = run_mode(work / "template", work, mode)
            graded = sum(o.status == "graded" for o in outcomes)
            rows[mode] = {"seconds": round(elapsed, 1),
                          "per_minute": round(60 * len(outcomes) / elapsed, 1),
                          "graded": graded, "failed": len(outcomes) - graded}
            print(f"  {mode:<7} {elapsed:7.1f} s  {rows[mode]['per_minute']:6.1f} submissions/min"
                  f"  ({graded} graded, {len(outcomes) - graded} failed)", flush=True)
        if args.overhead_repeats > 0:
            boxed, plain = sandbox_overhead(work / "template", args.overhead_repeats)
            rows["one_submission"] = {"sandboxed_s": round(boxed, 2), "plain_s": round(plain, 2),
                                      "overhead_pct": round(100 * (boxed / plain - 1), 1)}
            print(f"  one submission, {args.overhead_repeats} interleaved runs each: median "
                  f"{boxed:.2f} s sandboxed vs {plain:.2f} s unsandboxed: "
                  f"{100 * (boxed / plain - 1):+.1f}% (target < 15%)", flush=True)
        for jobs in ("1", "2"):
            if f"jobs{jobs}" in rows and f"plain{jobs}" in rows:
                over = rows[f"jobs{jobs}"]["seconds"] / rows[f"plain{jobs}"]["seconds"] - 1
                rows[f"overhead_jobs{jobs}"] = round(100 * over, 1)
                print(f"  sandbox overhead at JOBS={jobs}: {100 * over:+.1f}% (target < 15%)")
        if args.json:
            Path(args.json).write_text(json.dumps({"count": args.count, "mix": mix,
                                                   "results": rows}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
