"""The `rnnkit` commands end to end on tiny settings, and their errors for bad arguments."""
import subprocess
import sys

import pytest

from rnnkit.cli import main
from rnnkit.commands import _backend

TINY = ["--hidden-size", "8", "--embedding-dim", "4", "--seq-len", "8", "--batch-size", "4",
        "--eval-every", "5", "--val-chars", "500", "--no-progress", "--backend", "numpy",
        "--threads", "1"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("for i in range(10):\n    print(i)\n" * 30, encoding="utf-8")
    return str(path)


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "rnnkit.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ("train", "sample", "tune", "analyze", "gradcheck"):
        assert command in out


def test_gradcheck_passes_and_fails_with_exit_status(capsys):
    assert main(["gradcheck", "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "GRU reset_after=False" in out and "PASS" in out and "FAIL" not in out
    assert main(["gradcheck", "--backend", "numpy", "--tolerance", "1e-30"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_train_sample_resume(corpus, tmp_path, capsys):
    out = tmp_path / "run" / "m.npz"
    assert main(["train", "--corpus", corpus, "--max-steps", "10", "--sample", "20",
                 "--out", str(out), *TINY]) == 0
    text = capsys.readouterr().out
    assert "best validation loss" in text and "sample (temperature 0.8)" in text
    assert out.exists() and out.with_suffix(".png").stat().st_size > 1000
    assert out.with_suffix(".json").exists()

    args = ["sample", str(out), "--prefix", "for", "-n", "30", "--seed", "4", "--backend", "numpy"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first and first.startswith("for")
    assert main([*args, "--plot", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000

    assert main(["train", "--resume", str(out), "--max-steps", "15", "--sample", "0",
                 "--out", str(tmp_path / "m2.npz"), "--no-progress", "--backend", "numpy"]) == 0
    assert "after 15 steps" in capsys.readouterr().out


def test_tune_grid(corpus, tmp_path, capsys):
    assert main(["tune", "--corpus", corpus, "--hidden-size", "4,8", "--lr", "1e-2",
                 "--seq-len", "8", "--batch-size", "4", "--steps", "4", "--val-chars", "200",
                 "--backend", "numpy", "--out", str(tmp_path)]) == 0
    assert "best: hidden_size=" in capsys.readouterr().out
    assert (tmp_path / "tune.csv").read_text().count("\n") == 3
    assert (tmp_path / "tune.png").stat().st_size > 1000


def test_analyses(corpus, tmp_path, capsys):
    out = ["--out", str(tmp_path), "--backend", "numpy"]
    assert main(["analyze", "complexity", "--vary", "T,H", "--T", "4,8", "--H", "4,8",
                 "--fixed", "N=2,T=4,H=4", "--repeats", "1", *out]) == 0
    assert main(["analyze", "gradflow", "--T", "10", "--H", "4", *out]) == 0
    assert main(["analyze", "adding", "--T", "6", "--H", "4", "--steps", "4",
                 "--batch-size", "4", *out]) == 0
    text = capsys.readouterr().out
    assert "fitted exponent" in text and "RNN ρ=0.5" in text and "test MSE" in text
    ck = tmp_path / "m.npz"
    assert main(["train", "--corpus", corpus, "--max-steps", "5", "--sample", "0",
                 "--out", str(ck), *TINY]) == 0
    assert main(["analyze", "report", str(ck), *out]) == 0
    assert main(["analyze", "gates", str(ck), "--text", "for i in", *out]) == 0
    text = capsys.readouterr().out
    assert "perplexity" in text and "saturated" in text
    for name in ("complexity_T", "complexity_H", "gradient_flow", "adding", "hidden_heatmap",
                 "gate_histograms", "traces"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000, name


@pytest.mark.parametrize("argv,message", [
    (["train", "--val-fraction", "2"], "val_fraction must be in (0, 1)"),
    (["train", "--hidden-size", "0"], "hidden_size must be a positive integer"),
    (["train", "--corpus", "/nonexistent.txt"], "does not exist"),
    (["train", "--resume", "/nonexistent.npz"], "does not exist"),
    (["sample", "/nonexistent.npz"], "does not exist"),
    (["sample", "/nonexistent.npz", "--temperature", "-1"], "temperature"),
    (["tune", "--lr", "fast"], "--lr must be a comma-separated list"),
    (["tune", "--method", "grid", "--lr", "log:1e-4:1e-2"], "ranges are only"),
    (["analyze", "complexity", "--vary", "Q"], "--vary must be"),
    (["analyze", "gradflow", "--radii", "0,1"], "--radii must be"),
    (["analyze", "adding", "--cells", "lstm,tcn"], "--cells must be"),
    (["gradcheck", "--tolerance", "0"], "--tolerance must be positive"),
    (["train", "--threads", "-1"], "--threads must be >= 0"),
])
def test_bad_arguments_give_clear_errors(argv, message, capsys, tmp_path):
    extra = ["--out", str(tmp_path)] if argv[0] == "analyze" else []
    assert main([*argv, "--backend", "numpy", *extra]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv,flag", [(["train", "--lr", "fast"], "--lr"),
                                       (["train", "--cell", "tcn"], "--cell"),
                                       (["analyze", "nothing"], "ANALYSIS")])
def test_argparse_rejects_wrong_types_and_choices(argv, flag, capsys):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2 and flag in capsys.readouterr().err


def test_numba_falls_back_to_numpy_with_a_note(monkeypatch, capsys):
    def unavailable(name):
        raise RuntimeError(f"backend {name!r} is not available")

    monkeypatch.setattr(_backend, "get_backend", unavailable)
    assert _backend.resolve_backend("numba") == "numpy"
    assert "using numpy instead" in capsys.readouterr().err
    with pytest.raises(RuntimeError):
        _backend.resolve_backend("cuda")
