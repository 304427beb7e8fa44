"""Data for training recurrent networks, all available offline.

- text: character corpora (default: the Python documentation inside every CPython,
  ``pydoc_data.topics``), a character vocabulary, train/validation split and (N, T) batches that
  continue across batches so truncated BPTT can carry the hidden state;
- timeseries: the monthly stock prices and EEG channels that ship with matplotlib, windowed and
  normalised with training statistics only;
- synthetic: tasks that need long-range memory (adding problem, copy task) and a noisy sine.
"""
from rnnkit.data.synthetic import adding_problem, copy_task, noisy_sine
from rnnkit.data.text import (CharBatches, Vocabulary, load_corpus, split_train_val)
from rnnkit.data.timeseries import Normalizer, load_eeg, load_stocks, make_windows, split_series

__all__ = [
    "load_corpus", "Vocabulary", "split_train_val", "CharBatches",
    "load_stocks", "load_eeg", "make_windows", "split_series", "Normalizer",
    "adding_problem", "copy_task", "noisy_sine",
]
