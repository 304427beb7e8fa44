"""Compile every CUDA kernel of the backend for a real GPU, without needing a GPU.

    python -m rnnkit.cuda.compile_check [--cc 9.0]

The CUDA simulator runs kernels as Python, so it cannot tell whether numba can *type and
compile* them for a GPU. This does: it compiles each kernel to PTX for float32 and float64 with
numba-cuda's real compiler (NVVM + NVRTC, installed by ``pip install 'rnnkit[gpu]'``), and checks
that the float32 kernels contain no float64 instruction (a stray ``1.0`` literal would add some).

Exit status: 0 all compiled; 1 a kernel failed; 2 the compiler libraries are missing.
"""
import argparse
import os
import sys


def kernel_signatures(types):
    """(name, kernel, argument types) of every kernel, for both float dtypes."""
    from rnnkit.cuda import gates, matmul, memory, persistent

    def array(dt, ndim):
        return types.Array(dt, ndim, "A")  # "A": any layout, as strided views are passed too

    table = []
    for dt in (types.float32, types.float64):
        a1, a2, a3, b, i = array(dt, 1), array(dt, 2), array(dt, 3), types.boolean, types.int64
        table += [(f"{name}[{dt}]", kernel, sig) for name, kernel, sig in (
            ("fill", memory.fill_kernel, (a1, dt)),
            ("matmul 16x16", matmul.matmul_kernel(matmul.GPU_TILE), (a2, a2, a2, b, b, b, dt)),
            ("column_sum", matmul.column_sum_kernel, (a2, a1, b, dt)),
            ("rnn forward", gates.rnn_forward_kernel, (a2, a2, a1, a1, b, a2)),
            ("rnn backward", gates.rnn_backward_kernel, (a2, a2, a2, b, a2, dt)),
            ("lstm forward", gates.lstm_forward_kernel, (a2, a2, a1, a1, a2, a2, a2, a2, dt)),
            ("lstm backward", gates.lstm_backward_kernel, (a2, a2, a2, a2, a2, a2, a2, dt)),
            ("gru forward", gates.gru_forward_kernel, (a2, a2, a1, a1, a2, a2, a2, a2, dt)),
            ("gru reset forward", gates.gru_reset_forward_kernel,
             (a2, a2, a1, a1, a2, a2, a2, dt)),
            ("gru candidate forward", gates.gru_candidate_forward_kernel,
             (a2, a1, a1, a2, a2, a2, a2, dt)),
            ("gru backward", gates.gru_backward_kernel, (a2, a2, a2, a2, a2, a2, a2, dt)),
            ("gru candidate backward", gates.gru_candidate_backward_kernel,
             (a2, a2, a2, a2, a2, a2, dt)),
            ("gru reset backward", gates.gru_reset_backward_kernel, (a2, a2, a2, a2, a2, a2, dt)),
            ("persistent one block", persistent.persistent_forward_block_kernel,
             (i, b, a3, a2, a1, a1, a3, a3, a3, a3, dt)),
            ("persistent grid", persistent.persistent_forward_grid_kernel,
             (i, b, i, a3, a2, a1, a1, a3, a3, a3, a3, dt)),
            ("persistent BPTT one block", persistent.persistent_backward_block_kernel,
             (i, b, a3, a2, a3, a3, a3, a3, a2, a2, a3, a3, dt)),
            ("persistent BPTT grid", persistent.persistent_backward_grid_kernel,
             (i, b, i, a3, a2, a3, a3, a3, a3, a2, a2, a3, a3, dt)),
        )]
    return table


def float64_instructions(ptx):
    return sum(1 for line in ptx.splitlines()
               if ".f64" in line and not line.lstrip().startswith("//"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default="9.0", help="compute capability to compile for")
    args = parser.parse_args(argv)
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        print("compile_check compiles for a real GPU: unset NUMBA_ENABLE_CUDASIM", file=sys.stderr)
        return 2
    cc = tuple(int(part) for part in args.cc.split("."))
    from numba import types
    from numba.cuda import compile_ptx
    import numba.cuda.dispatcher as dispatcher

    class TargetDevice:  # device functions ask the current device for its compute capability;
        compute_capability = cc  # there is none here, so answer with the target's

    dispatcher.get_current_device = lambda: TargetDevice()
    try:
        compile_ptx(lambda a: None, (types.float32[:],), cc=cc)
    except Exception as error:  # NVVM or NVRTC missing: nothing can be checked here
        print(f"cannot compile for a GPU on this machine ({type(error).__name__}: "
              f"{str(error).splitlines()[0]}); install the CUDA extra: pip install 'rnnkit[gpu]'",
              file=sys.stderr)
        return 2
    failures = 0
    for name, kernel, signature in kernel_signatures(types):
        try:
            ptx, _ = compile_ptx(kernel.py_func, signature, cc=cc)
        except Exception as error:
            failures += 1
            print(f"FAIL {name}: {type(error).__name__}: {error}")
            continue
        f64 = float64_instructions(ptx)
        if "float32" in name and f64:
            failures += 1
            print(f"FAIL {name}: {f64} float64 instructions in a float32 kernel")
        else:
            print(f"ok   {name}: {len(ptx.splitlines())} lines of PTX, {f64} float64 instructions")
    verdict = f"{failures} failure(s)" if failures else "all kernels compiled"
    print(f"{verdict} for sm_{cc[0]}{cc[1]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
