"""rnnkit: recurrent neural networks you build yourself, in numpy, Numba and numba.cuda.

    from rnnkit import LSTM
    lstm = LSTM(input_size=10, hidden_size=20, backend="numpy")
    output, (h_n, c_n) = lstm(x)                # x (N, T, 10), batch-first, as in PyTorch

Layers, ``Module`` (the parameter container) and whole-model save/load are in ``rnnkit.nn``.

The reference implementation of every course function lives in ``rnnkit.reference``.
"""
from rnnkit import losses, nn, optim
from rnnkit.layers import GRU, LSTM, RNN, Dropout, Embedding, Linear, Module
from rnnkit.threads import get_num_threads, set_num_threads

__version__ = "0.1.0"
__all__ = ["RNN", "LSTM", "GRU", "Linear", "Embedding", "Dropout", "Module", "set_num_threads",
           "get_num_threads"]
