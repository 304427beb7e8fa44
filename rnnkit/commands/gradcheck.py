"""Check analytic gradients against central differences (float64, h = 1e-5).

For RNN (tanh, relu), LSTM and GRU (reset_after True and False) on small shapes, every input and
parameter gradient from the chosen backend's BPTT is compared with a numerical gradient. The
table shows the error relative to the gradient's scale (which decides PASS, tolerance 1e-6) and
CS231n's elementwise rel_error. The exit status is 1 if any check fails.

examples:
  rnnkit gradcheck                   # the numpy reference
  rnnkit gradcheck --backend numba   # the Numba CPU kernels
"""
import sys

from rnnkit.commands._backend import add_backend_argument, resolve_backend


def add_arguments(parser):
    add_backend_argument(parser, default="numpy")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    parser.add_argument("--tolerance", type=float, default=1e-6,
                        help="largest scaled error that passes (default 1e-6)")


def run(args):
    from rnnkit.gradcheck import format_table, gradcheck

    if args.tolerance <= 0:
        print("rnnkit gradcheck: error: --tolerance must be positive", file=sys.stderr)
        return 2
    try:
        backend = resolve_backend(args.backend)
    except (RuntimeError, ImportError) as error:  # e.g. cuda without a GPU: says how to enable it
        print(f"rnnkit gradcheck: error: {error}", file=sys.stderr)
        return 2
    print(f"gradient check of backend {backend!r} (float64, central differences, h = 1e-5)\n")
    rows = gradcheck(backend=backend, seed=args.seed, tolerance=args.tolerance)
    print(format_table(rows, tolerance=args.tolerance))
    failed = [r for r in rows if not r.passed]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} gradients pass"
          + (f"; FAILED: {', '.join(f'{r.case} d{r.name}' for r in failed)}" if failed else ""))
    return 1 if failed else 0
