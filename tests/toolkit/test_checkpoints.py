"""Checkpoints: `train --resume X` saves back to X, and damaged files give a clear error."""
import json

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.train import load_history, load_model, Trainer

TINY = ["--hidden-size", "8", "--embedding-dim", "4", "--seq-len", "8", "--batch-size", "4",
        "--eval-every", "5", "--val-chars", "200", "--no-progress", "--backend", "numpy",
        "--threads", "1", "--sample", "0"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("for i in range(10):\n    print(i)\n" * 30, encoding="utf-8")
    return str(path)


@pytest.fixture
def checkpoint(corpus, tmp_path):
    path = tmp_path / "runs" / "a.npz"
    assert main(["train", "--corpus", corpus, "--max-steps", "5", "--out", str(path), *TINY]) == 0
    return path


def steps_saved(path):
    with np.load(path) as f:
        return json.loads(str(f["progress"]))["step"]


def test_resume_saves_back_to_its_own_checkpoint(checkpoint, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # where the old default runs/charlm.npz would have been written
    other = tmp_path / "runs" / "charlm.npz"
    other.parent.mkdir(exist_ok=True)
    other.write_bytes(b"another run")
    assert steps_saved(checkpoint) == 5
    assert main(["train", "--resume", str(checkpoint), "--max-steps", "10", *TINY]) == 0
    assert f"saved {checkpoint}" in capsys.readouterr().out
    assert steps_saved(checkpoint) == 10          # X was continued...
    assert other.read_bytes() == b"another run"   # ...and no other run was overwritten
    assert checkpoint.with_suffix(".png").exists() and checkpoint.with_suffix(".json").exists()
    assert [r["step"] for r in load_history(checkpoint)] == [5, 10]


def test_resume_with_out_keeps_the_original(checkpoint, tmp_path):
    copy = tmp_path / "b.npz"
    before = checkpoint.read_bytes()
    assert main(["train", "--resume", str(checkpoint), "--max-steps", "10", "--out", str(copy),
                 *TINY]) == 0
    assert checkpoint.read_bytes() == before and steps_saved(copy) == 10


def damaged(kind, good, path):
    """A damaged copy of the checkpoint ``good`` at ``path``."""
    data = good.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[:len(data) // 2])
    elif kind == "truncated-end":
        path.write_bytes(data[:-10])
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(5000))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a checkpoint\n")
    elif kind == "npy":  # a valid numpy file of the wrong kind
        np.save(path.with_suffix(""), np.arange(3))
        path.with_suffix(".npy").rename(path)
    elif kind == "other-npz":  # a valid .npz that is not a checkpoint
        with open(path, "wb") as f:
            np.savez(f, a=np.arange(3))
    return path


EXPECTED = {"truncated": "truncated or corrupt", "truncated-end": "truncated or corrupt",
            "random": "not an .npz file", "empty": "is empty", "text": "not an .npz file",
            "npy": "not an .npz file", "other-npz": "not an rnnkit checkpoint"}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_a_damaged_checkpoint_gives_a_clear_error(kind, checkpoint, tmp_path, capsys):
    bad = damaged(kind, checkpoint, tmp_path / f"{kind}.npz")
    with pytest.raises(ValueError) as error:
        load_model(bad)
    message = str(error.value)
    assert str(bad) in message and EXPECTED[kind] in message
    assert "pickle" not in message
    with pytest.raises(ValueError, match=EXPECTED[kind]):
        Trainer.resume(bad)
    # every command that reads a checkpoint says the same in one line, without a traceback
    for argv in (["train", "--resume", str(bad), *TINY],
                 ["sample", str(bad), "--backend", "numpy"],
                 ["analyze", "report", str(bad), "--backend", "numpy", "--out", str(tmp_path)],
                 ["analyze", "gates", str(bad), "--backend", "numpy", "--out", str(tmp_path)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert EXPECTED[kind] in err and str(bad) in err and "Traceback" not in err, argv


def test_train_out_that_is_a_folder_fails_before_training(corpus, tmp_path, capsys):
    assert main(["train", "--corpus", corpus, "--out", str(tmp_path), *TINY]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "is a directory" in err
