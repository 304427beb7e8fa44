"""Character corpora: load, encode, split, and batch for truncated BPTT.

    text = load_corpus()                          # ~465k characters of Python documentation
    vocab = Vocabulary.from_text(text)
    train_ids, val_ids = split_train_val(vocab.encode(text), val_fraction=0.1)
    for x, y in CharBatches(train_ids, batch_size=32, seq_len=64):
        ...                                       # x, y (32, <=64) int64, y = next character
"""
from pathlib import Path

import numpy as np

DEFAULT_CORPUS = "pydoc"


def load_corpus(source=None):
    """The text of a corpus.

    ``source`` None or ``"pydoc"``: the Python documentation topics that ship with CPython
    (``pydoc_data.topics``, the help() pages), joined in sorted key order so the text is the same
    on every run. Otherwise a path to a UTF-8 text file.
    """
    if source is None or source == DEFAULT_CORPUS:
        from pydoc_data.topics import topics

        return "\n".join(topics[key] for key in sorted(topics))
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"corpus file {str(path)!r} does not exist "
                                f"(give a UTF-8 text file, or {DEFAULT_CORPUS!r} for the default)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"corpus file {str(path)!r} is not valid UTF-8: {error}") from None
    if len(text) < 2:
        raise ValueError(f"corpus file {str(path)!r} has fewer than 2 characters")
    return text


class Vocabulary:
    """Characters <-> integer ids (sorted characters, so the ids do not depend on text order)."""

    def __init__(self, chars):
        chars = list(chars)
        if len(set(chars)) != len(chars) or not chars:
            raise ValueError("chars must be a non-empty sequence of distinct characters")
        self.chars = chars
        self.index = {ch: i for i, ch in enumerate(chars)}

    @classmethod
    def from_text(cls, text):
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """str -> int64 array of ids; unknown characters raise a ValueError naming them."""
        try:
            return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))
        except KeyError as error:
            raise ValueError(f"character {error.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in ids)

    def to_string(self):
        """The vocabulary as one string (for checkpoints)."""
        return "".join(self.chars)


def split_train_val(ids, val_fraction=0.1):
    """Contiguous split: the first (1 - val_fraction) for training, the rest for validation.

    Contiguous (not random) so that validation text is never seen inside a training window.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = int(round(len(ids) * val_fraction))
    if n_val < 2 or len(ids) - n_val < 2:
        raise ValueError(f"a corpus of {len(ids)} characters is too short to split with "
                         f"val_fraction={val_fraction}")
    return ids[:-n_val], ids[-n_val:]


class CharBatches:
    """(N, T) input/target windows that continue across batches, for truncated BPTT.

    The ids are cut into N equal streams (row n of every batch reads stream n), and each batch
    is the next T characters of every stream; the targets are the inputs shifted by one. So
    the hidden state at the end of batch b is the right initial state for batch b + 1. One
    epoch visits each of the first N*L + 1 ids once, in order (L = (len(ids) - 1) // N; the
    last < N ids are dropped); the last batch is shorter than T when L is not a multiple of T.
    """

    def __init__(self, ids, batch_size, seq_len):
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError("ids must be a 1-d integer array (Vocabulary.encode(text))")
        for name, value in (("batch_size", batch_size), ("seq_len", seq_len)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        L = (len(ids) - 1) // batch_size
        if L < 1:
            raise ValueError(f"{len(ids)} characters are too few for batch_size={batch_size} "
                             f"(need at least batch_size + 1)")
        self.batch_size, self.seq_len, self.stream_len = batch_size, seq_len, L
        n = batch_size * L
        self.inputs = ids[:n].reshape(batch_size, L)
        self.targets = ids[1:n + 1].reshape(batch_size, L)

    def __len__(self):
        return -(-self.stream_len // self.seq_len)  # ceil

    def __getitem__(self, b):
        if not 0 <= b < len(self):
            raise IndexError(f"batch {b} out of range [0, {len(self)})")
        window = slice(b * self.seq_len, (b + 1) * self.seq_len)
        return self.inputs[:, window], self.targets[:, window]

    def __iter__(self):
        for b in range(len(self)):
            yield self[b]

    @property
    def chars_per_epoch(self):
        return self.inputs.size
