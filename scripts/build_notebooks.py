"""Write the course's source notebooks from their builders in scripts/notebooks/.

    .venv/bin/python scripts/build_notebooks.py          # (re)write course/source/*/*.ipynb
    .venv/bin/python scripts/build_notebooks.py --check  # exit 1 if a notebook is out of date

The builders are the reviewable form of the notebooks: prose, equations, answer cells with their
solutions between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and test cells with hidden tests
between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``. Edit a builder, run this script,
commit both.
"""
import argparse
import importlib
import pathlib
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "notebooks"))

BUILDERS = ["nb01_rnn_forward", "nb02_bptt", "nb03_lstm", "nb04_gru",
            "nb05_training", "nb06_numba_cpu", "nb07_numba_cuda", "nb08_analysis"]


def built_notebooks():
    """Yield (assignment name, notebook) for every assignment, in order."""
    for module_name in BUILDERS:
        module = importlib.import_module(module_name)
        yield module.NAME, module.build()


def target(name, source_dir=ROOT / "course" / "source"):
    return source_dir / name / f"{name}.ipynb"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, nb in built_notebooks():
        nbformat.validate(nb)
        text = nbformat.writes(nb) + "\n"
        path = target(name)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        print("out of date (run scripts/build_notebooks.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
