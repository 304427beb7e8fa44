"""The ``rnnkit`` command line: ``rnnkit train|sample|tune|bench|analyze|gradcheck|course``.

Each command lives in its own module, which provides ``add_arguments(parser)`` and ``run(args)``
(returning an exit status); this file only wires them up, importing a module when its command runs.
"""
import argparse
import importlib
import sys

COMMANDS = {
    # name: (module, one-line help)
    "train": ("rnnkit.commands.train", "train a character-level language model (default: char-LSTM)"),
    "sample": ("rnnkit.commands.sample", "generate text from a trained checkpoint"),
    "tune": ("rnnkit.commands.tune", "hyperparameter search (grid, random, successive halving)"),
    "bench": ("rnnkit.commands.bench", "time the numpy, numba (and PyTorch) backends"),
    "analyze": ("rnnkit.commands.analyze", "complexity and gradient-flow analysis with plots"),
    "gradcheck": ("rnnkit.commands.gradcheck", "check analytic gradients against finite differences"),
    "course": ("rnnkit.commands.course", "instructor tools: release, autograde, feedback, export"),
    "grade-safe": ("rnnkit.commands.grade_safe",
                   "sandboxed parallel/distributed autograding of a class"),
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="rnnkit",
        description="rnnkit: build, train, measure and grade recurrent neural networks.",
    )
    parser.add_argument("--threads", type=int, default=None, metavar="K",
                        dest="global_threads",  # a command's own --threads may reuse "threads"
                        help="CPU threads for every command's Numba kernels and BLAS "
                             "(default: all cores; same as rnnkit.set_num_threads(K))")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # this part of the kit is not installed in this version
        command = sub.add_parser(name, help=help_text, description=module.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.global_threads is not None:  # before any command runs: it governs all of them
        if args.global_threads < 0:
            parser.error(f"--threads must be >= 0 (0: all cores), got {args.global_threads}")
        from rnnkit.threads import set_num_threads

        set_num_threads(args.global_threads)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
