"""rnnkit.data: corpora, batching for truncated BPTT, time series, synthetic tasks."""
import numpy as np
import pytest

from rnnkit.data import (CharBatches, Normalizer, Vocabulary, adding_problem, copy_task,
                         load_corpus, load_eeg, load_stocks, make_windows, noisy_sine,
                         split_series, split_train_val)


def test_default_corpus_is_python_documentation():
    text = load_corpus()
    assert len(text) > 400_000
    assert "lambda" in text
    assert load_corpus("pydoc") == text  # deterministic order


def test_corpus_from_file_and_errors(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("héllo wörld", encoding="utf-8")
    assert load_corpus(str(path)) == "héllo wörld"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_corpus(str(tmp_path / "missing.txt"))
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ValueError, match="UTF-8"):
        load_corpus(str(tmp_path / "bad.txt"))


def test_vocabulary_round_trip():
    vocab = Vocabulary.from_text("hello world")
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "hello"
    assert vocab.chars == sorted(set("hello world"))
    assert Vocabulary(vocab.to_string()).chars == vocab.chars
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("z")


def test_split_is_contiguous():
    ids = np.arange(100)
    train, val = split_train_val(ids, 0.2)
    assert np.array_equal(np.concatenate([train, val]), ids) and len(val) == 20
    with pytest.raises(ValueError, match="val_fraction"):
        split_train_val(ids, 1.5)


@pytest.mark.parametrize("n_ids,N,T", [(101, 4, 5), (103, 4, 7), (50, 3, 100), (11, 10, 1)])
def test_batches_cover_the_corpus_once_in_order(n_ids, N, T):
    ids = np.arange(n_ids)
    batches = CharBatches(ids, N, T)
    L = (n_ids - 1) // N
    xs, ys = zip(*batches)
    assert len(xs) == len(batches) == -(-L // T)
    assert all(x.shape[0] == N and x.shape[1] <= T for x in xs)
    streams_x, streams_y = np.concatenate(xs, axis=1), np.concatenate(ys, axis=1)
    # row n of consecutive batches continues stream n, and the streams tile the corpus
    assert np.array_equal(streams_x.ravel(), ids[:N * L])
    assert np.array_equal(streams_y, streams_x + 1)  # targets: the next id
    assert batches.chars_per_epoch == N * L and N * L > n_ids - 1 - N


def test_batches_reject_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        CharBatches(np.arange(10), 0, 5)
    with pytest.raises(ValueError, match="seq_len"):
        CharBatches(np.arange(10), 2, -1)
    with pytest.raises(ValueError, match="too few"):
        CharBatches(np.arange(3), 5, 2)
    with pytest.raises(TypeError, match="integer"):
        CharBatches(np.linspace(0, 1, 10), 2, 2)


def test_stocks_and_eeg_load():
    dates, prices = load_stocks("^GSPC")
    assert len(dates) == len(prices) > 300 and np.all(prices > 0)
    assert np.all(np.diff(dates).astype(int) > 0)
    assert load_eeg().shape == (800, 4)
    with pytest.raises(ValueError, match="symbol"):
        load_stocks("NOPE")


def test_windows_and_training_statistics():
    series = np.arange(20.0)
    train, val = split_series(series, 0.25)
    assert len(val) == 5 and train[-1] == 14
    norm = Normalizer.fit(train)
    assert np.isclose(norm.transform(train).mean(), 0) and np.isclose(norm.transform(train).std(), 1)
    assert np.allclose(norm.inverse(norm.transform(val)), val)
    assert norm.transform(val).mean() > 1  # validation is normalised with train's statistics
    x, y = make_windows(series, seq_len=4, horizon=2)
    assert x.shape == (15, 4, 1) and y.shape == (15, 1)
    assert np.array_equal(x[3, :, 0], [3, 4, 5, 6]) and y[3, 0] == 8
    with pytest.raises(ValueError, match="too short"):
        make_windows(series, seq_len=30)


def test_adding_problem():
    x, y = adding_problem(64, 20, seed=0)
    assert x.shape == (64, 20, 2) and y.shape == (64, 1)
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    assert np.all(x[:, :10, 1].sum(axis=1) == 1)  # one mark in each half
    assert np.allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=1), y[:, 0])
    assert np.array_equal(adding_problem(4, 6, seed=1)[0], adding_problem(4, 6, seed=1)[0])
    with pytest.raises(ValueError, match="T"):
        adding_problem(4, 0)


def test_copy_task_and_noisy_sine():
    x, y, mask = copy_task(3, seq_len=4, delay=5, n_symbols=6, seed=0)
    assert x.shape == (3, 13, 8) and mask.sum() == 12
    assert np.array_equal(y[:, -4:], x[:, :4].argmax(axis=2))
    assert np.all(x[:, 8].argmax(axis=1) == 7)  # go marker
    x, y = noisy_sine(2, 30, noise=0.0, seed=0)
    assert np.allclose(x[:, 1:], y[:, :-1])
