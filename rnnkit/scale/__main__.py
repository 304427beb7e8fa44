"""``python -m rnnkit.scale COURSE [options]``: the same as ``rnnkit grade-safe``."""
import argparse
import sys

from rnnkit.commands import grade_safe


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rnnkit.scale",
                                     description=grade_safe.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    grade_safe.add_arguments(parser)
    return grade_safe.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
