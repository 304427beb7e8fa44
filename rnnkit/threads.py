"""How many CPU threads rnnkit uses, and keeping Numba's threads and BLAS's threads apart.

    import rnnkit
    rnnkit.set_num_threads(1)     # or `rnnkit --threads 1 train ...`; 0 = every core (default)

Two pools of threads can do rnnkit's arithmetic on the CPU:

- Numba's, which run the ``prange`` loops of the parallel kernels (rnnkit/cpu);
- BLAS's, which run matrix products. A pip install has two BLAS libraries: numpy's OpenBLAS
  (numpy's ``@``) and SciPy's OpenBLAS, which Numba's ``np.dot`` calls through
  ``scipy.linalg.cython_blas``.

If both pools compute at once they busy-wait against each other: on 2 cores an LSTM step became
25-85x slower (issue 12: 1.2 s instead of 0.04 s). And "at once" is more often than it looks: an
OpenBLAS thread keeps spinning for ~0.1 s after each product, waiting for the next one, so a
numpy product just before a parallel kernel (the trainer's output layer) steals a core from
every one of the kernel's time steps (measured: 100 ms of spinning per training step). The
policy, applied when the first kernel runs, whatever was imported in which order:

1. Numba's BLAS (SciPy's) gets one thread for the life of the process: Numba only calls it from
   its own code, where Numba's threads already are the parallelism.
2. Once a parallel kernel has run, every BLAS keeps one thread: from then on Numba's threads
   are the process's parallelism. (Until then, e.g. on the numpy backend, BLAS keeps its own.)
3. ``set_num_threads(N)`` gives Numba N threads, and BLAS N where rule 2 does not apply yet.
4. Numba's OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE`` while Numba starts them,
   unless the user set a policy). A parallel kernel ends every time step at a barrier; by
   default a thread that arrives first spins there for ~300,000 rounds, which on a machine
   where another job runs keeps the core from the thread it is waiting for. Measured at load
   ≈ 2 on 2 cores, issue 12's LSTM: 818-851 ms per forward+backward spinning, 20.4 ms passive,
   56 ms on one thread; an empty parallel step costs 3.6-8.4 µs spinning, 6.8-7.1 µs passive.

Why the order of loading matters: threadpoolctl only sees libraries that are already loaded
when its controller is built, and Numba loads SciPy's BLAS lazily, the first time a compiled
kernel calls ``np.dot``, i.e. after a limiter built at the first call was set up: the bug of
issue 12. So ``_controller()`` loads SciPy's BLAS itself before it looks.

``numba.set_num_threads`` is per calling thread: call ``set_num_threads`` from the thread that
runs the model. Without threadpoolctl (an optional dependency) only rule 3's Numba half applies,
and the kernels run serially (rnnkit/cpu/_blocks.py).
"""
import contextlib
import os
import threading

#: the caller's choice: 0 = every core
_requested = 0
_controller_cache = None
_default_threads = {}  # BLAS library path -> its threads before rnnkit changed them
_numba_only = set()  # paths of the BLAS libraries only Numba calls (rule 1)
_parallel_started = False  # rule 2 applies
_numba_pool_started = False
_lock = threading.Lock()


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def numba_blas_paths(controller):
    """The BLAS libraries that Numba's ``np.dot`` calls and numpy does not: SciPy's own copy.

    Empty when numpy and SciPy share one BLAS (a conda environment): then rule 1 cannot apply
    without also slowing numpy, and rule 2 alone keeps the pools apart during the kernels.
    """
    import numpy
    import scipy

    numpy_dir = os.path.dirname(os.path.realpath(numpy.__file__))
    scipy_dir = os.path.dirname(os.path.realpath(scipy.__file__))
    own = (scipy_dir + os.sep, scipy_dir + ".libs" + os.sep)
    return [lib.filepath for lib in controller.lib_controllers
            if lib.user_api == "blas" and os.path.realpath(lib.filepath).startswith(own)
            and not os.path.realpath(lib.filepath).startswith(numpy_dir)]


def start_numba_threads():
    """Start Numba's thread pool now, with rule 4's wait policy (once; cheap afterwards).

    Call before anything that starts it implicitly (``numba.get_num_threads``, a parallel
    kernel). The variable is set only while the pool starts (OpenMP reads it when it loads), so
    libraries loaded later, PyTorch's OpenMP included, keep their own defaults.
    """
    global _numba_pool_started
    if _numba_pool_started:
        return
    _numba_pool_started = True
    try:
        from numba.np.ufunc import parallel
    except ImportError:
        return
    if getattr(parallel, "_is_initialized", True):
        return  # already started by someone else: too late to choose
    chosen = any(k in os.environ for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME"))
    if not chosen:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        parallel._launch_threads()
    except (ValueError, RuntimeError, OSError):
        pass  # e.g. NUMBA_THREADING_LAYER names a missing layer: Numba says so when a kernel runs
    finally:
        if not chosen:
            del os.environ["OMP_WAIT_POLICY"]


def _controller():
    """threadpoolctl's controller over every BLAS loaded, Numba's included; None without it."""
    global _controller_cache
    with _lock:
        if _controller_cache is None:
            tpc = _threadpoolctl()
            if tpc is None:
                return None
            import scipy.linalg.cython_blas  # noqa: F401  (load Numba's BLAS before looking)

            controller = tpc.ThreadpoolController().select(user_api="blas")
            _default_threads.update((lib.filepath, lib.num_threads)
                                    for lib in controller.lib_controllers)
            _numba_only.update(numba_blas_paths(controller))
            _controller_cache = controller
            _apply(controller)
        return _controller_cache


def blas_threads_wanted(filepath):
    """The threads the policy gives the BLAS library at ``filepath`` now."""
    if filepath in _numba_only or _parallel_started:
        return 1
    return _requested or _default_threads.get(filepath, 1)


def _apply(controller):
    """Set every BLAS library's threads from the policy (the few that differ)."""
    for lib in controller.lib_controllers:
        wanted = blas_threads_wanted(lib.filepath)
        if lib.num_threads != wanted:  # also undoes a change made behind rnnkit's back
            lib.set_num_threads(wanted)


def set_num_threads(n):
    """Use at most ``n`` threads in Numba's parallel kernels and in BLAS; 0 = every core.

    Stays in force for the process (for Numba: for the calling thread). On a machine busy with
    other jobs, 1 can be many times faster than the default.
    """
    global _requested
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"threads must be an integer >= 0 (0: every core), got {n!r}")
    _requested = n
    try:
        import numba
    except ImportError:
        numba = None
    if numba is not None:
        start_numba_threads()
        available = numba.config.NUMBA_NUM_THREADS
        numba.set_num_threads(min(n, available) if n else available)
    controller = _controller()
    if controller is not None:
        _apply(controller)
    elif n:
        os.environ["OPENBLAS_NUM_THREADS"] = str(n)  # without threadpoolctl: only before BLAS loads


def requested_threads():
    """What ``set_num_threads`` last asked for (0: every core, the default)."""
    return _requested


def get_num_threads():
    """The threads a parallel kernel would use now (Numba's setting for the calling thread)."""
    import numba

    start_numba_threads()
    return numba.get_num_threads()


def kernel_region(parallel):
    """Call before a kernel runs: applies the policy (on first use, and rule 2 for a parallel
    kernel). Being called by every kernel is what makes the policy hold for every entry point:
    layers, trainer, CLI commands, notebooks, the grader."""
    global _parallel_started
    start_numba_threads()
    controller = _controller()
    if controller is None:
        return
    if parallel and not _parallel_started:
        _parallel_started = True
    if parallel:
        _apply(controller)  # ~2 µs per library: cheap next to a parallel kernel


@contextlib.contextmanager
def blas_as_if_alone():
    """Inside the block, numpy's BLAS has the threads it would have in a process without Numba's
    parallel kernels (rule 2 lifted); afterwards the policy again. For benchmarks that time the
    numpy reference beside the kernels: wait ~0.25 s after the block before timing a parallel
    kernel, while the BLAS threads stop spinning."""
    global _parallel_started
    start_numba_threads()
    controller = _controller()
    before = _parallel_started
    _parallel_started = False
    try:
        if controller is not None:
            _apply(controller)
        yield
    finally:
        _parallel_started = before
        if controller is not None:
            _apply(controller)
