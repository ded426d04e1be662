"""fxp_nn.energy: what would a systolic-array accelerator spend to train or run a network?

An analytical cost model (SCALE-Sim-exact cycle and SRAM counts, capacity-in-words DRAM reuse,
Horowitz 45 nm energies with bit-width and node scaling, rounding and stochastic-rounding RNG
cost, full training steps). Entry point: :func:`estimate`.
"""
from .hardware import Hardware
from .estimator import estimate
from .precision import GemmFormat, NumberFormat, Precision, fixed, floating, precision_from_policy
from .report import COMPONENTS, Report
from .sweep import compare, plot_breakdown, plot_word_length, sweep_word_length, table
from .tables import HOROWITZ_45NM, EnergyTable, node_energy_factor
from .workload import Conv, Gemm, Update, conv_gemm, mlp_workload, model_gemms, training_step

__all__ = ["COMPONENTS", "Conv", "EnergyTable", "Gemm", "GemmFormat", "HOROWITZ_45NM", "Hardware",
           "NumberFormat", "Precision", "Report", "Update", "compare", "conv_gemm", "estimate",
           "fixed", "floating", "mlp_workload", "model_gemms", "node_energy_factor", "plot_breakdown",
           "plot_word_length", "precision_from_policy", "sweep_word_length", "table",
           "training_step"]
