"""The density of a layer's or a flow's output: the base density at f^{-1}(y) times exp(log|det J_{f^{-1}}|)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.laws.joint import JointDensity
from covar.multivariate.conditions import simplify_condition
from covar.numeric.verify import verify
from covar.record import FlowRecord

if TYPE_CHECKING:
    from covar.flows.base import Layer


def flow_density(flow: Layer, base: JointDensity) -> JointDensity:
    """Density of y = flow(z), z ~ base, from the inverse and the structured log-det.

    The result goes through the verification gate before it is returned.

    >>> from sympy import symbols, exp, pi, sqrt
    >>> from covar.flows import Permutation
    >>> z = symbols("z1 z2", real=True)
    >>> base = JointDensity(exp(-z[0]**2/2 - z[1])/sqrt(2*pi), z, z[1] > 0)
    >>> flow_density(Permutation((1, 0)), base).support
    y1 > 0
    """
    if base.dim != flow.dim:
        raise CovarError(f"the base density has {base.dim} variables, the flow {flow.dim}")

    y, z = flow.outputs, flow.inverse  # cached closed forms, shared with the flow's other uses
    cond = sp.And(base.support.xreplace(dict(zip(base.vars, z))), flow.output_condition_at(y))
    support = simplify_condition(cond)
    pdf = base.pdf.xreplace(dict(zip(base.vars, z))) * sp.exp(flow.inverse_log_det_jacobian)
    pdf = sp.powsimp(pdf)
    sampler = None
    base_sampler = base.sampler
    if base_sampler is not None:
        fwd = flow.numpy_forward()

        def sampler(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
            return fwd(base_sampler(size, rng, values))

    result = sp.Piecewise((pdf, support), (0, True))
    record = FlowRecord(base.vars, base.pdf, base.support, flow.layer_steps(), result, support,
                        previous=base.derivation)
    return verify(JointDensity(result, y, support, record, sampler=sampler), "density of the flow's output")
