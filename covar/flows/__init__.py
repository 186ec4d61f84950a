"""Normalizing-flow layers whose log|det J| is read off their structure, one layer per module.

Every layer is a :class:`Layer` (covar/flows/base.py): it maps z in R^d to y, has a closed-form
inverse, and knows log|det J| from its shape, never by expanding a d x d determinant:

* :class:`AffineCoupling` (RealNVP, coupling.py): block-triangular, log|det J| = sum_i s_i(z_A)
* :class:`Elementwise` (exp, tanh, sigmoid, leaky ReLU; elementwise.py): diagonal,
  log|det J| = sum_i log|g'(z_i)|
* :class:`Permutation` (permutation.py): log|det J| = 0
* :class:`Flow` (stack.py): a stack, derived as :class:`FlowStep` maps; log-dets add along the pass

>>> from sympy import symbols
>>> z = symbols("z1:5", real=True)
>>> layer = AffineCoupling((1, 1, 0, 0), s=(z[0] / 2, z[1]), t=(z[1], z[0] ** 2))
>>> layer.log_det_jacobian
z1/2 + z2
"""
from covar.flows.base import Layer, default_symbols
from covar.flows.coupling import AffineCoupling
from covar.flows.density import flow_density
from covar.flows.elementwise import Elementwise
from covar.flows.examples import realnvp_4d_example
from covar.flows.permutation import Permutation
from covar.flows.stack import Flow, FlowStep

__all__ = ["AffineCoupling", "Elementwise", "Flow", "FlowStep", "Layer", "Permutation", "default_symbols",
           "flow_density", "realnvp_4d_example"]
