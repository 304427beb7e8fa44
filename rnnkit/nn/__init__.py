"""Layers and the parameter container, for users coming from PyTorch.

    from rnnkit.nn import Module, Embedding, LSTM, Linear

    class Tagger(Module):
        def __init__(self):
            super().__init__()
            self.embed = Embedding(100, 16, seed=0)
            self.lstm = LSTM(16, 32, num_layers=2, dropout=0.2, bidirectional=True, seed=1)
            self.head = Linear(64, 5, seed=2)

        def forward(self, ids):                    # ids (N, T) -> scores (N, T, 5)
            output, _ = self.lstm(self.embed(ids))
            return self.head(output)

        def backward(self, d_scores):              # fills self.grads
            d_output = self.head.backward(d_scores)
            self.embed.backward(self.lstm.backward(d_output)[0])

Modules: module.py (Module), recurrent.py (RNN, LSTM, GRU), linear.py (Linear, Embedding),
dropout.py (Dropout), io.py (save and load a whole model as .npz).
"""
from rnnkit.nn.dropout import Dropout
from rnnkit.nn.io import load, save
from rnnkit.nn.linear import Embedding, Linear
from rnnkit.nn.module import Module, ParameterDict
from rnnkit.nn.recurrent import GRU, LSTM, RNN

#: the classes ``load(path)`` can rebuild from a file alone
BUILTIN = {cls.__name__: cls for cls in (RNN, LSTM, GRU, Linear, Embedding)}

__all__ = ["Module", "ParameterDict", "RNN", "LSTM", "GRU", "Linear", "Embedding", "Dropout",
           "save", "load"]
