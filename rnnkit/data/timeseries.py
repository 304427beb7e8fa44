"""Real time series that ship with matplotlib, windowed for sequence-to-one prediction.

    dates, prices = load_stocks("^GSPC")              # monthly S&P 500 closes, 1990-
    train, val = split_series(np.log(prices), 0.2)
    norm = Normalizer.fit(train)                     # statistics of the training part only
    x, y = make_windows(norm.transform(train), seq_len=24)   # x (M, 24, 1), y (M, 1)
"""
import csv

import numpy as np


def _sample_path(name):
    from matplotlib.cbook import get_sample_data

    return get_sample_data(name, asfileobj=False)


STOCK_COLUMNS = ("IBM", "AAPL", "MSFT", "XRX", "AMZN", "DELL", "GOOGL", "ADBE", "^GSPC", "^IXIC")


def load_stocks(symbol="^GSPC"):
    """Monthly closing prices from matplotlib's ``Stocks.csv`` (Yahoo Finance).

    Returns (dates, prices): numpy datetime64[D] (M,) and float64 (M,), keeping only the months
    where ``symbol`` has a price. Symbols: IBM AAPL MSFT XRX AMZN DELL GOOGL ADBE ^GSPC ^IXIC.
    """
    if symbol not in STOCK_COLUMNS:
        raise ValueError(f"symbol must be one of {', '.join(STOCK_COLUMNS)}, got {symbol!r}")
    dates, prices = [], []
    with open(_sample_path("Stocks.csv"), newline="") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        header = next(rows)
        column = header.index(symbol)
        for row in rows:
            if row[column]:
                dates.append(np.datetime64(row[0]))
                prices.append(float(row[column]))
    return np.array(dates), np.array(prices)


def load_eeg():
    """matplotlib's ``eeg.dat``: 800 samples of 4 EEG channels, float64 (800, 4)."""
    return np.fromfile(_sample_path("eeg.dat"), dtype="<f8").reshape(800, 4)


def split_series(series, val_fraction=0.2):
    """Chronological split: the last val_fraction of the samples is the validation part."""
    series = np.asarray(series, dtype=np.float64)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = int(round(len(series) * val_fraction))
    return series[:len(series) - n_val], series[len(series) - n_val:]


class Normalizer:
    """z = (x - mean) / std per channel, with mean and std from the training data only.

    Using validation statistics would leak information about the future into training.
    """

    def __init__(self, mean, std):
        self.mean, self.std = np.asarray(mean), np.asarray(std)

    @classmethod
    def fit(cls, train):
        train = np.asarray(train, dtype=np.float64)
        std = train.std(axis=0)
        return cls(train.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, x):
        return (np.asarray(x) - self.mean) / self.std

    def inverse(self, z):
        return np.asarray(z) * self.std + self.mean


def make_windows(series, seq_len, horizon=1):
    """Sliding windows: x[i] = series[i : i+seq_len], y[i] = series[i+seq_len+horizon-1].

    series (S,) or (S, D) -> x (M, seq_len, D), y (M, D) with M = S - seq_len - horizon + 1.
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim == 1:
        series = series[:, None]
    if series.ndim != 2:
        raise ValueError(f"series must have shape (S,) or (S, D), got {series.shape}")
    if seq_len < 1 or horizon < 1:
        raise ValueError(f"seq_len and horizon must be positive, got {seq_len} and {horizon}")
    M = len(series) - seq_len - horizon + 1
    if M < 1:
        raise ValueError(f"a series of {len(series)} samples is too short for seq_len={seq_len} "
                         f"and horizon={horizon}")
    idx = np.arange(M)[:, None] + np.arange(seq_len)[None, :]
    return series[idx], series[np.arange(M) + seq_len + horizon - 1]
