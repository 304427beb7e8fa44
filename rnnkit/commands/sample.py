"""Generate text from a trained checkpoint (written by `rnnkit train`).

temperature 1 samples the model's distribution, lower is more conservative, 0 is greedy.
--plot saves the text coloured by the probability the model gave each character.

examples:
  rnnkit sample runs/charlm.npz --prefix "def " -n 300 --temperature 0.7 --seed 1
"""
import sys

from rnnkit.commands._backend import (add_backend_argument, add_threads_argument,
                                     limit_threads, resolve_backend)


def add_arguments(parser):
    parser.add_argument("checkpoint", help="an .npz checkpoint from `rnnkit train`")
    parser.add_argument("--prefix", default="\n", help="text to start from (default: a newline)")
    parser.add_argument("-n", "--num-chars", type=int, default=500,
                        help="characters to generate (default 500)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="softmax temperature, >= 0 (default 0.8; 0 is greedy)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible output)")
    parser.add_argument("--last", action="store_true",
                        help="use the last parameters instead of the best validated ones")
    parser.add_argument("--plot", metavar="PNG", help="also save the per-character probabilities")
    add_backend_argument(parser)
    add_threads_argument(parser)


def run(args):
    from rnnkit.commands.train import warm_up_kernels
    from rnnkit.train import load_model, sample

    if args.num_chars < 0:
        print("rnnkit sample: error: -n/--num-chars must be >= 0", file=sys.stderr)
        return 2
    if args.temperature < 0:
        print("rnnkit sample: error: --temperature must be >= 0", file=sys.stderr)
        return 2
    try:
        backend = resolve_backend(args.backend)
    except (RuntimeError, ImportError) as error:  # e.g. cuda without a GPU: says how to enable it
        print(f"rnnkit sample: error: {error}", file=sys.stderr)
        return 2
    try:
        limit_threads(args.threads)
        model = load_model(args.checkpoint, backend=backend, best=not args.last)
        warm_up_kernels(model, backend)
        text, probs = sample(model, args.prefix, args.num_chars, args.temperature, args.seed,
                             return_probs=True)
    except (ValueError, FileNotFoundError) as error:
        print(f"rnnkit sample: error: {error}", file=sys.stderr)
        return 2
    print(args.prefix + text)
    if args.plot:
        from rnnkit.plots import plot_sample_probabilities

        plot_sample_probabilities(text, probs, args.plot)
        print(f"saved {args.plot}", file=sys.stderr)
    return 0
