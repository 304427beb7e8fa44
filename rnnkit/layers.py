"""The layers, under the name the rest of the kit imports them by.

They live in the rnnkit.nn package (one module per concern): RNN/LSTM/GRU in
rnnkit/nn/recurrent.py, Linear and Embedding in rnnkit/nn/linear.py, the parameter container
in rnnkit/nn/module.py.
"""
from rnnkit.nn import GRU, LSTM, RNN, Dropout, Embedding, Linear, Module
from rnnkit.nn.module import as_numpy as _as_numpy  # noqa: F401  (the old private helper)

__all__ = ["Module", "RNN", "LSTM", "GRU", "Linear", "Embedding", "Dropout"]
