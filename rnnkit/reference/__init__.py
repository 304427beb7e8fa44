"""The reference: plain numpy implementations of every function the course asks for.

Assignments 01-04 (cells, BPTT, layers) in rnn, lstm, gru, affine, clip, gradcheck; 05
(training) in training; 07's gate math in lstm; 08 (analysis) in analysis.

Everything else in rnnkit (the Numba and CUDA kernels, the notebooks' checks) is compared
against these functions, which are themselves compared against PyTorch in float64.
"""
from rnnkit.reference.analysis import (fit_exponent, forward_cost, rnn_gradient_norms,
                                       spectral_radius)
from rnnkit.reference.affine import (temporal_affine_backward, temporal_affine_forward,
                                     temporal_softmax_loss)
from rnnkit.reference.clip import clip_grad_norm
from rnnkit.reference.gradcheck import eval_numerical_gradient, rel_error, scaled_error
from rnnkit.reference.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnnkit.reference.lstm import (lstm_backward, lstm_forward, lstm_gates, lstm_step_backward,
                                   lstm_step_forward, sigmoid)
from rnnkit.reference.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from rnnkit.reference.training import (adam_step, loss_and_grads, one_hot, perplexity, sample,
                                       train_step, train_tbptt)

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
    "eval_numerical_gradient", "rel_error", "scaled_error", "clip_grad_norm", "sigmoid",
    "one_hot", "adam_step", "loss_and_grads", "train_step", "train_tbptt", "sample", "perplexity",
    "lstm_gates", "fit_exponent", "forward_cost", "rnn_gradient_norms", "spectral_radius",
]
