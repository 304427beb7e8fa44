"""Measure and look inside recurrent networks.

- complexity: time and peak memory of forward and forward+backward against T, H and N, with
  power-law fits compared with the theory (time O(N·T·H·(D+H)), BPTT memory O(N·T·H));
- report: a performance report of a trained char-LM (time per epoch, latency, throughput,
  memory, loss and perplexity);
- gradient_flow: ‖∂L/∂h_t‖ for every t (RNN vs LSTM vs GRU, several spectral radii of W_hh),
  gate activations, saturation statistics and hidden-state traces;
- memory_tasks: the adding problem, trained with each cell.
"""
from rnnkit.analysis.complexity import (ScalingFit, fit_power_law, measure, r_squared,
                                       scaling_study)
from rnnkit.analysis.gradient_flow import (gate_activations, gradient_flow_study, gradient_norms,
                                           saturation, set_spectral_radius)

__all__ = ["fit_power_law", "r_squared", "ScalingFit", "measure", "scaling_study", "gradient_norms",
           "gradient_flow_study", "set_spectral_radius", "gate_activations", "saturation"]
