"""Custom exercises of assignment 07 (numba.cuda kernels), checked on the CUDA simulator.

The checker launches the student's kernels itself, with a fixed block shape that is NOT
square (so that x/y mix-ups show) and sizes that are NOT multiples of the block (so that a
missing bounds check indexes out of bounds, which the simulator reports as an IndexError).
Every output is filled with NaN before the launch: an element the kernel never writes stays
NaN and is reported. The tiled matmul always spans at least three tiles along K: on the
simulator each thread of a block is a Python thread that runs until it blocks, so a missing
`cuda.syncthreads()` lets a thread read a shared tile before the others have loaded it (or
after they have overwritten it with the next tile), and the product comes out wrong.

Launch configurations (the notebook states them to the student):
  lstm_gates_kernel(a, c_prev, h_next, c_next)      blocks of (8, 2) threads: x -> hidden
                                                     unit j, y -> batch row n
  matmul_tiled_kernel(A, B, C)                       blocks of (TILE, TILE) = (4, 4): x -> column
                                                     of C, y -> row of C
  lstm_step_kernel(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, h_next, c_next)   as the gates
Proof that a kernel ran (issue 11): the object must be of the exact class @cuda.jit makes, every
block of the grid must run (counted in the simulator, `LaunchLog`), and the tiled matmul must
create shared arrays and wait at barriers (counted in the simulator; read from the PTX on a
GPU). The launch configuration is the checker's, stated in the notebook: nothing to grade there.

numba is imported lazily (the grader's process never needs it).
"""
import copy

import numpy as np

from rnnkit import reference as ref
from rnnkit.grading.custom import Case, CustomExercise, Problem

BLOCK = (8, 2)   # threads per block for the elementwise kernels: (x -> j, y -> n)
TILE = 4         # the tiled matmul's tile (and block) size


def _blocks(n_x, n_y, block):
    return ((n_x + block[0] - 1) // block[0], (n_y + block[1] - 1) // block[1])


def _kernel_types():
    """The classes a @cuda.jit kernel is an instance of: the simulator's, or a GPU's."""
    from numba import config
    if config.ENABLE_CUDASIM:
        from numba.cuda.simulator.kernel import FakeCUDAKernel
        return (FakeCUDAKernel,)
    from numba.cuda.dispatcher import CUDADispatcher
    return (CUDADispatcher,)


def _require_kernel(name, func):
    """A kernel made by @cuda.jit (its exact class: an object that only looks like one, say
    numpy behind a __getitem__, is not a kernel), and not a device function."""
    options = getattr(func, "targetoptions", None)
    device = getattr(func, "_device", False) or \
        (isinstance(options, dict) and options.get("device", False))
    if type(func) not in _kernel_types() or device:
        raise Problem(f"{name} is not a CUDA kernel ({type(func).__name__}): decorate it with "
                      "@cuda.jit (not device=True). The checker launches it as "
                      "kernel[blocks, threads](...).")


class LaunchLog:
    """What the simulator saw during launches: blocks run, shared arrays made, barriers.

    Proof that the student's kernel ran as a kernel, on every block of the grid, and (for the
    tiled matmul) that it used the shared-memory tiles and barriers the exercise teaches. On a
    GPU the same facts come from the compiled PTX (`ptx_facts`).
    """

    def __init__(self):
        self.blocks = self.shared = self.barriers = 0

    def __enter__(self):
        from numba import config
        self._patched = []
        if not config.ENABLE_CUDASIM:
            return self
        from numba.cuda.simulator import kernel, kernelapi
        log, self._modules = self, []

        def counting(cls, attr, field):
            original = getattr(cls, attr)

            def wrapper(*args, **kwargs):
                setattr(log, field, getattr(log, field) + 1)  # approximate across threads: > 0
                return original(*args, **kwargs)
            setattr(cls, attr, wrapper)
            self._patched.append((cls, attr, original))

        counting(kernel.BlockManager, "run", "blocks")
        counting(kernelapi.FakeCUDAModule, "syncthreads", "barriers")
        # shared arrays are told apart by the line that makes them: wrapping `array` would
        # merge them all, so the launch's fake cuda module is kept and read afterwards
        init = kernelapi.FakeCUDAModule.__init__

        def keep(module, *args, **kwargs):
            init(module, *args, **kwargs)
            log._modules.append(module)
        kernelapi.FakeCUDAModule.__init__ = keep
        self._patched.append((kernelapi.FakeCUDAModule, "__init__", init))
        return self

    def __exit__(self, *exc):
        for cls, attr, original in reversed(self._patched):
            setattr(cls, attr, original)
        self.shared = sum(len(getattr(getattr(m, "_shared", None), "_allocations", {}))
                          for m in getattr(self, "_modules", []))
        return False


def ptx_facts(kernel):
    """(uses shared memory, has a barrier) from a GPU kernel's compiled PTX; None, None if
    there is none to read."""
    try:
        ptx = "".join(kernel.inspect_asm().values())
    except Exception:  # noqa: BLE001 (an old numba-cuda, or not compiled yet)
        return None, None
    return ".shared" in ptx, "bar.sync" in ptx or "barrier.sync" in ptx


def _launch(name, kernel, blocks, threads, args):
    """Launch the student's kernel on the grid; returns the LaunchLog of the launch."""
    from numba import config
    try:
        with LaunchLog() as log:
            kernel[blocks, threads](*args)
    except IndexError as exc:
        raise Problem(f"{name} indexed out of bounds ({exc}) when launched with "
                      f"{blocks} blocks of {threads} threads: the grid has more threads than "
                      "elements, so every thread must check its indices (if n < N and j < H) "
                      "before reading or writing.") from None
    if config.ENABLE_CUDASIM and log.blocks != blocks[0] * blocks[1]:
        raise Problem(f"{name} did not run as a kernel: {log.blocks} of the "
                      f"{blocks[0] * blocks[1]} blocks of the launch ran.")
    return log


def _unwritten(name, key, out):
    missing = np.argwhere(np.isnan(out))
    if len(missing):
        first = tuple(int(i) for i in missing[0])
        raise Problem(f"{name} never wrote {len(missing)} of the {out.size} elements of {key} "
                      f"(they were NaN before the launch and still are), e.g. {key}{first}. "
                      "Check the index arithmetic: x is blockIdx.x * blockDim.x + threadIdx.x, "
                      "y likewise with .y, and each must map to the right axis.")


class GatesKernel(CustomExercise):
    name = "lstm_gates_kernel"
    what = "lstm_gates_kernel"
    n_cases = (2, 3)

    def make_case(self, index, rng, hidden):
        N, H = [(3, 5), (5, 11), (1, 17)][index % 3]
        return Case(index, {"N": N, "H": H, "block": BLOCK},
                    {"a": rng.standard_normal((N, 4 * H)) * 2,
                     "c_prev": rng.standard_normal((N, H))})

    def expected(self, case):
        h_next, c_next = ref.lstm_gates(case.inputs["a"], case.inputs["c_prev"])
        return {"h_next": h_next, "c_next": c_next}

    def require(self, func, forward=None):
        _require_kernel(self.name, func)

    def run(self, func, case, forward=None):
        a, c_prev = copy.deepcopy(case.inputs["a"]), copy.deepcopy(case.inputs["c_prev"])
        N, H = c_prev.shape
        h_next, c_next = np.full((N, H), np.nan), np.full((N, H), np.nan)
        _launch(self.name, func, _blocks(H, N, BLOCK), BLOCK, (a, c_prev, h_next, c_next))
        _unwritten(self.name, "h_next", h_next)
        _unwritten(self.name, "c_next", c_next)
        return {"h_next": h_next, "c_next": c_next}

    def diagnose(self, case, actual, expected, key):
        a, c_prev = case.inputs["a"], case.inputs["c_prev"]
        N, H = c_prev.shape
        interleaved = a.reshape(N, H, 4).transpose(0, 2, 1).reshape(N, 4 * H)
        if np.allclose(actual[key], dict(zip(("h_next", "c_next"),
                                             ref.lstm_gates(interleaved, c_prev)))[key]):
            return ("Your kernel reads gate k of unit j at a[n, 4*j + k]; the rows are stacked "
                    "by gate (i | f | g | o): gate k of unit j is a[n, k*H + j].")
        return None


class MatmulTiled(CustomExercise):
    name = "matmul_tiled_kernel"
    what = "matmul_tiled_kernel"
    n_cases = (2, 3)

    def make_case(self, index, rng, hidden):
        # K spans at least 3 tiles (a missing syncthreads shows), no size a multiple of TILE
        M, K, N = [(5, 11, 6), (3, 14, 7), (6, 13, 5)][index % 3]
        return Case(index, {"M": M, "K": K, "N": N, "tile": TILE},
                    {"A": rng.standard_normal((M, K)), "B": rng.standard_normal((K, N))})

    def expected(self, case):
        return {"C": case.inputs["A"] @ case.inputs["B"]}

    def require(self, func, forward=None):
        _require_kernel(self.name, func)

    def run(self, func, case, forward=None):
        A, B = copy.deepcopy(case.inputs["A"]), copy.deepcopy(case.inputs["B"])
        C = np.full((A.shape[0], B.shape[1]), np.nan)
        log = _launch(self.name, func, _blocks(C.shape[1], C.shape[0], (TILE, TILE)),
                      (TILE, TILE), (A, B, C))
        _unwritten(self.name, "C", C)
        self.require_tiles(log, func)
        return {"C": C}

    def require_tiles(self, log, func):
        """The exercise is the tiling: a product right without shared tiles earns nothing."""
        from numba import config
        shared, barriers = (log.shared > 0, log.barriers > 0) if config.ENABLE_CUDASIM else \
            ptx_facts(func)
        if shared is False:
            raise Problem(f"{self.name} computed C without shared memory: the exercise is the "
                          "tiled product. Load a (TILE, TILE) tile of A and of B into "
                          "cuda.shared.array(...) per step along K, and multiply from those.")
        if barriers is False:
            raise Problem(f"{self.name} uses shared tiles without cuda.syncthreads(): every "
                          "thread must wait after loading a tile, and again after using it.")

    def diagnose(self, case, actual, expected, key):
        A, B = case.inputs["A"], case.inputs["B"]
        K = A.shape[1]
        full = (K // TILE) * TILE
        if full < K and np.allclose(actual["C"], A[:, :full] @ B[:full]):
            return ("The last, partial tile along K is missing: loop over ceil(K / TILE) tiles "
                    "and load zeros where k0 + tx >= K.")
        return ("If the result changes from run to run or only some tiles are wrong: every "
                "thread must wait (cuda.syncthreads()) after loading the tiles, before reading "
                "them, and again after using them, before the next tile overwrites them.")


class StepKernel(CustomExercise):
    name = "lstm_step_kernel"
    what = "lstm_step_kernel"
    n_cases = (2, 3)

    def make_case(self, index, rng, hidden):
        N, D, H = [(3, 4, 5), (2, 3, 9), (1, 6, 3)][index % 3]
        inputs = {"x": rng.standard_normal((N, D)), "h_prev": rng.standard_normal((N, H)),
                  "c_prev": rng.standard_normal((N, H)),
                  "W_ih": rng.standard_normal((4 * H, D)) / np.sqrt(D),
                  "W_hh": rng.standard_normal((4 * H, H)) / np.sqrt(H),
                  "b_ih": rng.standard_normal(4 * H) * 0.1, "b_hh": rng.standard_normal(4 * H) * .1}
        return Case(index, {"N": N, "D": D, "H": H, "block": BLOCK}, inputs)

    ARGS = ("x", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh")

    def expected(self, case):
        h_next, c_next, _ = ref.lstm_step_forward(*[case.inputs[k] for k in self.ARGS])
        return {"h_next": h_next, "c_next": c_next}

    def require(self, func, forward=None):
        _require_kernel(self.name, func)

    def run(self, func, case, forward=None):
        args = [copy.deepcopy(case.inputs[k]) for k in self.ARGS]
        N, H = case.inputs["h_prev"].shape
        h_next, c_next = np.full((N, H), np.nan), np.full((N, H), np.nan)
        _launch(self.name, func, _blocks(H, N, BLOCK), BLOCK, (*args, h_next, c_next))
        _unwritten(self.name, "h_next", h_next)
        _unwritten(self.name, "c_next", c_next)
        return {"h_next": h_next, "c_next": c_next}

    def diagnose(self, case, actual, expected, key):
        a = case.inputs
        one_bias = ref.lstm_step_forward(a["x"], a["h_prev"], a["c_prev"], a["W_ih"], a["W_hh"],
                                         a["b_ih"], np.zeros_like(a["b_hh"]))
        if np.allclose(actual["h_next"], one_bias[0]):
            return "It matches a step without b_hh: PyTorch's LSTM has two biases, add both."
        return None


EXERCISES = [GatesKernel(), MatmulTiled(), StepKernel()]
