"""Training throughput (characters per second) of the same char-LM in rnnkit and in PyTorch.

Both train the same model from the same weights (embedding -> LSTM -> Linear, float32) on the
same (N, T) windows of the default corpus, with Adam and global-norm clipping, in one process
and one run, so the machine's load affects both alike. The first step's losses are compared to
show that the two compute the same function.

    python benchmarks/train_throughput.py                       # numba vs torch, the defaults
    python benchmarks/train_throughput.py --backends numba,numpy,torch --steps 30 --json out.json

Each backend runs --warmup untimed steps (Numba compiles on first use), then --steps timed ones;
the backends take turns, one step each; chars/s = N * T * steps / seconds.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np


def make_batches(N, T, steps, seed=0):
    from rnnkit.data import CharBatches, Vocabulary, load_corpus

    text = load_corpus()
    vocab = Vocabulary.from_text(text)
    batches = CharBatches(vocab.encode(text), N, T)
    if steps > len(batches):
        raise ValueError(f"--steps {steps} exceeds the {len(batches)} windows of one epoch")
    return vocab, [batches[b] for b in range(steps)]


def run_rnnkit(backend, args, vocab, windows, state_dict):
    from rnnkit.losses import softmax_cross_entropy
    from rnnkit.model import CharLM
    from rnnkit.optim import Adam, clip_grad_norm

    model = CharLM(len(vocab), args.hidden_size, args.num_layers, args.cell, args.embedding_dim,
                   dtype=np.float32, backend=backend, seed=0)
    model.load_state_dict(state_dict)
    optimizer = Adam(model.parameters(), lr=1e-3)
    state = None
    for x, y in windows:
        start = time.perf_counter()
        scores, state = model.forward(x, state)
        loss, dscores = softmax_cross_entropy(scores, y)
        grads = model.backward(dscores)
        optimizer.step(clip_grad_norm(grads, 5.0)[0])
        yield float(loss), time.perf_counter() - start


def run_torch(args, vocab, windows, state_dict):
    import torch

    torch.manual_seed(0)
    rnn_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[args.cell]

    class TorchCharLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(len(vocab), args.embedding_dim)
            self.rnn = rnn_class(args.embedding_dim, args.hidden_size, args.num_layers,
                                 batch_first=True)
            self.fc = torch.nn.Linear(args.hidden_size, len(vocab))

        def forward(self, x, state):
            out, state = self.rnn(self.embedding(x), state)
            return self.fc(out), state

    model = TorchCharLM()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    state = None
    for x, y in windows:
        start = time.perf_counter()
        x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
        if state is not None:  # truncated BPTT: carry the state, stop its gradient
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        scores, state = model(x_t, state)
        loss = torch.nn.functional.cross_entropy(scores.reshape(-1, len(vocab)), y_t.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        yield float(loss.detach()), time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="numba,torch",
                        help="comma-separated: numba, numpy, torch (default numba,torch)")
    parser.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm")
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (default 3)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads (default 0: torch's default)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    bad = [b for b in backends if b not in ("numba", "numpy", "torch")]
    if bad or not backends:
        parser.error(f"--backends must be a subset of numba,numpy,torch, got {args.backends!r}")
    if min(args.steps, args.hidden_size, args.batch_size, args.seq_len) < 1 or args.warmup < 0:
        parser.error("--steps, --hidden-size, --batch-size, --seq-len must be positive")

    from rnnkit.model import CharLM

    vocab, windows = make_batches(args.batch_size, args.seq_len, args.warmup + args.steps)
    reference = CharLM(len(vocab), args.hidden_size, args.num_layers, args.cell,
                       args.embedding_dim, dtype=np.float32, seed=0)
    # rnnkit's names are PyTorch's with a module prefix: embedding.weight, rnn.weight_ih_l0, fc.*
    state_dict = reference.state_dict()
    chars = args.batch_size * args.seq_len
    print(f"{args.cell.upper()} {args.num_layers}x{args.hidden_size}, embedding "
          f"{args.embedding_dim}, vocabulary {len(vocab)}, N={args.batch_size}, T={args.seq_len}, "
          f"float32; {args.warmup} warm-up + {args.steps} timed steps; "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    runs, labels = {}, {}
    for backend in backends:
        if backend == "torch":
            from rnnkit.bench import _torch

            torch = _torch()  # with the OpenMP wait policy of Numba's threads (see there)
            if torch is None:
                print("torch: not installed, skipped")
                continue
            if args.threads:
                torch.set_num_threads(args.threads)
            runs[backend] = run_torch(args, vocab, windows, state_dict)
            labels[backend] = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
        else:
            runs[backend] = run_rnnkit(backend, args, vocab, windows, state_dict)
            labels[backend] = f"rnnkit {backend}"
    # the backends take turns, one training step each, so a change of the machine's load (other
    # jobs on a shared machine) slows them alike and their ratio stays meaningful
    losses = {backend: [] for backend in runs}
    times = {backend: [] for backend in runs}
    for _ in windows:
        for backend in list(runs):
            try:
                loss, seconds = next(runs[backend])
            except RuntimeError as error:  # e.g. a backend that cannot run here
                print(f"{backend}: {error}, skipped")
                del runs[backend], losses[backend], times[backend]
                continue
            losses[backend].append(loss)
            times[backend].append(seconds)
    results = {}
    for backend in runs:
        timed = times[backend][args.warmup:]
        results[backend] = {"label": labels[backend],
                            "chars_per_s": chars * len(timed) / sum(timed),
                            "median_step_ms": 1e3 * float(np.median(timed)),
                            "best_step_ms": 1e3 * float(np.min(timed)),
                            "first_loss": losses[backend][0], "last_loss": losses[backend][-1],
                            "first_step_s": times[backend][0]}
        r = results[backend]
        print(f"{r['label']:<32} {r['chars_per_s']:>10,.0f} chars/s  median step "
              f"{r['median_step_ms']:7.1f} ms  best {r['best_step_ms']:7.1f} ms  first step "
              f"{r['first_step_s']:6.2f} s  loss {r['first_loss']:.5f} -> {r['last_loss']:.5f}",
              flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if "torch" in results:
        for backend in ("numba", "numpy"):
            if backend in results:
                ratio = results[backend]["chars_per_s"] / results["torch"]["chars_per_s"]
                best = results["torch"]["best_step_ms"] / results[backend]["best_step_ms"]
                diff = abs(results[backend]["first_loss"] - results["torch"]["first_loss"])
                print(f"{backend} / torch throughput: {ratio:.2f}x (best steps: {best:.2f}x); "
                      f"first-step loss differs by {diff:.1e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
