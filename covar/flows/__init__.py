"""Normalizing-flow layers whose log|det J| is read off their structure."""
from covar.flows.layers import (
    AffineCoupling,
    Elementwise,
    Flow,
    FlowStep,
    Permutation,
    default_symbols,
    realnvp_4d_example,
)

__all__ = ["AffineCoupling", "Elementwise", "Flow", "FlowStep", "Permutation", "default_symbols",
           "realnvp_4d_example"]
