"""rnnkit: recurrent neural networks you build yourself, in numpy, Numba and numba.cuda.

    from rnnkit import LSTM
    lstm = LSTM(input_size=10, hidden_size=20, backend="numpy")
    output, h_n, c_n = lstm.forward(x)          # x (N, T, 10), batch-first

The reference implementation of every course function lives in ``rnnkit.reference``.
"""
from rnnkit import losses, optim
from rnnkit.layers import GRU, LSTM, RNN, Linear
from rnnkit.threads import get_num_threads, set_num_threads

__version__ = "0.1.0"
__all__ = ["RNN", "LSTM", "GRU", "Linear", "set_num_threads", "get_num_threads"]
