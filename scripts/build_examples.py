"""Write the bundled example submissions, course/examples/<student>/<assignment>/*.ipynb.

    .venv/bin/python scripts/build_examples.py

Each example is the release of an assignment with its answer cells filled in: the solution,
the solution with a realistic mistake, a cheat, or nothing. The release is built in a temporary
copy of the course, so course/ itself is not touched (except examples/).
"""
import pathlib
import shutil
import sys
import tempfile

import nbformat

from rnnkit.course.paths import DEFAULT_ROOT, assignments
from rnnkit.course.sandbox import copy_course, run_release
from rnnkit.course.submissions import fill, write

# Cheats: each tries to get a score without a correct function (see tests/course/test_course_pipeline.py).
PATCH_REFERENCE = '''
# "cheat": make the reference agree with whatever I wrote
import rnnkit.reference
import rnnkit.reference.rnn
rnnkit.reference.rnn_step_forward = rnn_step_forward
rnnkit.reference.rnn.rnn_step_forward = rnn_step_forward
'''
REPLACE_CHECKER = '''
# "cheat": a checker that always passes
def check(*args, **kwargs):
    print("All tests passed!")
'''
PATCH_NUMPY = '''
# "cheat": every comparison succeeds
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.shape(a), dtype=bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
import rnnkit.grading.compare
rnnkit.grading.compare.first_mismatch = lambda *args, **kwargs: None
'''

#: student -> assignment -> how to fill it: ("solution", edits) / ("release", edits) /
#: ("partial", answered cell ids, edits) / ("invalid",)
EXAMPLES = {
    "ada": {  # does everything right
        "01_rnn_forward": ("solution", []),
        "02_bptt": ("solution", []),
        "03_lstm": ("solution", []),
        "04_gru": ("solution", []),
        "05_training": ("solution", []),
        "06_numba_cpu": ("solution", []),
        "07_numba_cuda": ("solution", []),
        "08_analysis": ("solution", []),
    },
    "grace": {  # one classic mistake per assignment
        "01_rnn_forward": ("solution", [("temporal_softmax_loss", "dscores *= m[:, :, None] / N",
                                         "dscores *= m[:, :, None]")]),
        "02_bptt": ("solution", [("rnn_backward", "rnn_step_backward(dh[:, t] + dh_prev,",
                                  "rnn_step_backward(dh[:, t],")]),
        "03_lstm": ("solution", [("lstm_step_forward", "i = sigmoid(a[:, 0:H])\n    f = sigmoid(a[:, H:2 * H])",
                                  "f = sigmoid(a[:, 0:H])\n    i = sigmoid(a[:, H:2 * H])")]),
        "04_gru": ("solution", [("gru_step_forward", "h_next = (1 - z) * n + z * h_prev",
                                 "h_next = z * n + (1 - z) * h_prev")]),
        # part 2 (tests/course_systems/bank_systems.py): clipping per tensor, a missing syncthreads, the
        # 2-norm taken for the spectral radius
        "05_training": ("solution", [("train_step", "clipped, _ = clip_grad_norm(grads, max_norm)",
                                      "clipped = {k: clip_grad_norm({k: g}, max_norm)[0][k] "
                                      "for k, g in grads.items()}")]),
        "07_numba_cuda": ("solution", [("matmul_tiled_kernel",
                                        "        cuda.syncthreads()\n        for k in range(TILE):",
                                        "        for k in range(TILE):")]),
        "08_analysis": ("solution", [("spectral_radius", "np.max(np.abs(np.linalg.eigvals(W)))",
                                      "np.max(np.linalg.svd(W, compute_uv=False))")]),
    },
    "alan": {  # good start, two slips in the backward passes, did not do the GRU
        "01_rnn_forward": ("solution", []),
        "02_bptt": ("solution", [("rnn_step_backward", "da = dh_next * (1 - h_next**2)",
                                  "da = dh_next * (1 - h_prev**2)")]),
        "03_lstm": ("solution", [("lstm_step_backward",
                                  "dc = dc_next + dh_next * o * (1 - tanh_c**2)",
                                  "dc = dh_next * o * (1 - tanh_c**2)")]),
        "04_gru": ("release", []),
    },
    "mallory": {  # wrong code, and monkeypatching to hide it
        "01_rnn_forward": ("partial", {"rnn_forward", "temporal_affine_forward"}, [
            ("rnn_step_forward", "# YOUR CODE HERE\n    raise NotImplementedError()",
             "h_next, cache = np.zeros_like(h_prev), None"),
            ("rnn_step_forward", None, PATCH_REFERENCE),
            ("temporal_softmax_loss", None, REPLACE_CHECKER),
        ]),
        "02_bptt": ("partial", {"eval_numerical_gradient", "clip_grad_norm"}, [
            ("rnn_step_backward", "# YOUR CODE HERE\n    raise NotImplementedError()",
             "dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh = [np.zeros(1)] * 6"),
            ("rnn_step_backward", None, PATCH_NUMPY),
        ]),
    },
    "bob": {  # an invalid file, and a kernel that dies
        "01_rnn_forward": ("invalid",),
        "02_bptt": ("solution", []),
        "03_lstm": ("solution", [("lstm_forward", None, "import os\nos._exit(1)\n")]),
    },
}


def build(examples_dir, release_dir, source_dir):
    shutil.rmtree(examples_dir, ignore_errors=True)
    for student, work in EXAMPLES.items():
        for assignment, spec in work.items():
            for release_path in sorted((release_dir / assignment).glob("*.ipynb")):
                target = examples_dir / student / assignment / release_path.name
                release_nb = nbformat.read(str(release_path), as_version=4)
                source_nb = nbformat.read(str(source_dir / assignment / release_path.name),
                                          as_version=4)
                kind = spec[0]
                if kind == "invalid":  # a file cut off in the middle of a save
                    text = nbformat.writes(fill(release_nb, source_nb))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text[: len(text) // 2])
                    continue
                if kind == "partial":
                    nb = fill(release_nb, source_nb, spec[2], answered=spec[1])
                else:
                    nb = fill(release_nb, source_nb, spec[1], answered=kind == "solution")
                write(nb, target)
            print(f"wrote {student}/{assignment}")


def main():
    root = DEFAULT_ROOT
    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(root, pathlib.Path(tmp) / "course")
        run_release(course)
        build(root / "examples", course / "release", root / "source")
    print(f"examples for {len(EXAMPLES)} students in {root / 'examples'} "
          f"({len(assignments(root))} assignments)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
