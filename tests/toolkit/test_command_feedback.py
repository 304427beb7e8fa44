"""What the commands tell their user: backend errors without a traceback, bad --out before any
work, progress of a search, a note while Numba compiles, a progress bar that knows --minutes."""
import os
import re
import subprocess
import sys
import time

import pytest

from rnnkit import tune
from rnnkit.cli import main
from rnnkit.commands import _backend
from rnnkit.commands import train as train_command
from rnnkit.train import TrainConfig, Trainer, notice_if_slow

TINY = ["--hidden-size", "8", "--embedding-dim", "4", "--seq-len", "8", "--batch-size", "4",
        "--eval-every", "5", "--val-chars", "200", "--no-progress", "--threads", "1",
        "--sample", "0"]
NO_GPU = "backend='cuda' needs an NVIDIA GPU or numba's CUDA simulator"


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("for i in range(10):\n    print(i)\n" * 30, encoding="utf-8")
    return str(path)


@pytest.fixture
def no_cuda(monkeypatch):
    """The cuda backend as on a machine with neither a GPU nor the simulator."""
    from rnnkit.cuda.device import HOW_TO_ENABLE

    def get_backend(name):
        if name == "cuda":
            raise RuntimeError(HOW_TO_ENABLE)
        return None

    monkeypatch.setattr(_backend, "get_backend", get_backend)


@pytest.mark.parametrize("argv", [
    ["train", "--max-steps", "1"],
    ["sample", "x.npz"],
    ["tune", "--steps", "1"],
    ["analyze", "gradflow"],
    ["analyze", "report", "x.npz"],
    ["gradcheck"],
])
def test_cuda_without_a_gpu_is_a_clean_error(argv, no_cuda, tmp_path, capsys):
    out = ["--out", str(tmp_path / "o")] if argv[0] in ("tune", "analyze") else []
    assert main([*argv, "--backend", "cuda", *out]) == 2  # returns: no exception escapes
    err = capsys.readouterr().err
    assert NO_GPU in err and "NUMBA_ENABLE_CUDASIM=1" in err and "Traceback" not in err


def test_cuda_without_a_gpu_from_the_shell():
    """The real thing: a fresh process without the simulator variable."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    probe = subprocess.run([sys.executable, "-c", "from rnnkit.cuda.device import gpu_available;"
                            "print(gpu_available())"], capture_output=True, text=True, env=env)
    if probe.stdout.strip() == "True":
        pytest.skip("this machine has a GPU: backend cuda works here")
    run = subprocess.run([sys.executable, "-m", "rnnkit.cli", "train", "--backend", "cuda",
                          "--max-steps", "1"], capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert run.stderr.startswith("rnnkit train: error: " + NO_GPU)
    assert "Traceback" not in run.stderr


def bad_output(kind, tmp):
    """An --out folder that cannot be written, of the given kind."""
    (tmp / "a_file").write_text("x")
    if kind == "file":
        return tmp / "a_file"
    if kind == "below-a-file":
        return tmp / "a_file" / "sub"
    (tmp / "out" / "tune.csv").mkdir(parents=True)  # "csv-is-a-folder"
    return tmp / "out"


@pytest.mark.parametrize("kind", ["file", "below-a-file", "csv-is-a-folder"])
def test_tune_checks_its_output_before_any_trial(kind, corpus, tmp_path, monkeypatch, capsys):
    trials = []
    monkeypatch.setattr(Trainer, "from_config",
                        classmethod(lambda cls, *a, **k: trials.append(a) or 1 / 0))
    bad = bad_output(kind, tmp_path)
    assert main(["tune", "--corpus", corpus, "--hidden-size", "4,8", "--steps", "2",
                 "--backend", "numpy", "--out", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "--out" in captured.err and str(bad) in captured.err
    assert trials == [] and "trial" not in captured.out


def quadratic_trial(config, backend="numpy"):
    import math

    time.sleep(0.001)
    return {"val_loss": (math.log10(config.lr) + 2) ** 2 + 1.0 / config.max_steps}


def test_halving_reports_every_rung_and_trial():
    lines = []
    result = tune.successive_halving({"lr": [1e-3, 1e-2, 1e-1, 1.0]}, n_trials=9, min_steps=10,
                                     eta=3, trial_fn=quadratic_trial, log=lines.append)
    rungs = [line for line in lines if line.startswith("rung")]
    assert rungs == ["rung 0: 9 configuration(s) x 10 steps",
                     "rung 1: 3 configuration(s) x 30 steps",
                     "rung 2: 1 configuration(s) x 90 steps"]
    finished = [line for line in lines if "done" in line]
    assert len(finished) == len(result.trials) == 13
    assert "(9/9 done" in finished[8] and "-> val loss" in finished[0]
    # a trial keeps its number from rung to rung
    best = result.best
    assert any(line.startswith(f"  rung 2 trial {best['trial']} ") for line in finished)


def test_tune_command_prints_progress(corpus, tmp_path, capsys):
    assert main(["tune", "--method", "halving", "--corpus", corpus, "--hidden-size", "4",
                 "--lr", "1e-3,1e-2,3e-2", "--trials", "3", "--eta", "3", "--seq-len", "8",
                 "--batch-size", "4", "--steps", "2", "--val-chars", "100", "--backend", "numpy",
                 "--out", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    assert "rung 0: 3 configuration(s) x 2 steps" in out and "rung 1: 1 configuration(s)" in out
    assert out.count("done, ") == 4


def test_notice_if_slow_fires_only_for_slow_blocks():
    calls = []
    with notice_if_slow(lambda: calls.append("slow"), after_s=0.05):
        time.sleep(0.3)
    with notice_if_slow(lambda: calls.append("fast"), after_s=0.5):
        pass
    time.sleep(0.6)  # the cancelled timer must not fire later either
    assert calls == ["slow"]


def test_train_says_when_it_compiles_the_numba_kernels(corpus, tmp_path, monkeypatch, capsys):
    # a cold cache is what makes the warm-up slow; here: every warm-up counts as slow
    monkeypatch.setattr(train_command, "NOTICE_AFTER_S", 0.0)
    assert main(["train", "--corpus", corpus, "--max-steps", "2", "--backend", "numba",
                 "--out", str(tmp_path / "m.npz"), *TINY]) == 0
    err = capsys.readouterr().err
    assert train_command.COMPILE_NOTICE in err and re.search(r"compiled in \d+ s", err)
    # sample and analyze report compile (or load) the kernels they time before timing them
    ck = str(tmp_path / "m.npz")
    for argv in (["sample", ck, "-n", "5"], ["analyze", "report", ck, "--out", str(tmp_path)]):
        assert main([*argv, "--backend", "numba", "--threads", "1"]) == 0
        assert train_command.COMPILE_NOTICE in capsys.readouterr().err, argv
    # with the threshold the command uses, a warm cache stays silent
    monkeypatch.setattr(train_command, "NOTICE_AFTER_S", 60.0)
    assert main(["train", "--corpus", corpus, "--max-steps", "2", "--backend", "numba",
                 "--out", str(tmp_path / "m.npz"), *TINY]) == 0
    assert "compiling" not in capsys.readouterr().err


def test_progress_bar_total_follows_the_time_limit(corpus, capsys):
    config = TrainConfig(corpus=corpus, hidden_size=8, embedding_dim=4, seq_len=8, batch_size=4,
                         epochs=1000, eval_every=10_000, max_minutes=0.005, dtype="float64")
    trainer = Trainer.from_config(config)
    assert trainer.expected_total_steps(0.0) == trainer.total_steps  # speed unknown
    trainer.elapsed = 0.1   # 0.2 s left at 50 steps/s: 10 more steps
    trainer.step = 7
    assert trainer.expected_total_steps(50.0) == 17
    trainer.elapsed, trainer.step = 0.0, 0
    trainer.fit(progress=True)
    bars = capsys.readouterr().err.replace("\r", "\n").splitlines()
    last = [b for b in bars if "step" in b][-1]
    assert 0 < trainer.step < trainer.total_steps
    assert f" {trainer.step}/{trainer.step} " in last and "100%" in last
    assert f"/{trainer.total_steps}" not in "".join(bars)  # never the epochs' 1000s of steps
