"""``python -m rnnkit.demo``: the reference at work.

1. a gradient-check table (analytic vs central differences, float64) for RNN (tanh, relu), LSTM
   and both GRU variants;
2. the agreement with PyTorch (float64, forward and backward) where torch is installed.
Exit status 1 if any check fails.
"""
import sys

from rnnkit.gradcheck import format_table, gradcheck
from rnnkit.oracle import torch_agreement


def main(backend="numpy"):
    print(f"== Gradient check of the {backend} backend (float64, central differences, h = 1e-5)\n")
    rows = gradcheck(backend=backend)
    print(format_table(rows))
    failed = [r for r in rows if not r.passed]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} gradients within 1e-6\n")

    print("== Agreement with PyTorch (float64; max |ours - torch| / max |torch| over 3 shapes,"
          " stacked layers included)\n")
    table = torch_agreement(backend=backend)
    if table is None:
        print("torch is not installed: skipped (pip install torch==2.13.0 for the CPU build).")
        print("The committed golden fixtures (tests/test_golden.py) check the same agreement.")
        agree = True
    else:
        print(f"{'cell':10} {'forward':>10} {'backward':>10}")
        for name, (fwd, bwd) in table.items():
            print(f"{name:10} {fwd:10.1e} {bwd:10.1e}")
        agree = all(max(errors) <= 1e-10 for errors in table.values())
        print("\nall within 1e-10" if agree else "\nDISAGREEMENT above 1e-10")
    return 0 if not failed and agree else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
