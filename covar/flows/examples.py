"""Worked flow examples that the documentation and the tests share."""
from __future__ import annotations

import sympy as sp

from covar.flows.base import default_symbols
from covar.flows.coupling import AffineCoupling


def realnvp_4d_example(concrete: bool = False) -> tuple[AffineCoupling, sp.Expr]:
    """The worked 4-D RealNVP example: z split 2 + 2, log|det J| = s1 + s2.

    With ``concrete=False`` s and t are undefined functions s1(z1, z2), ...; with
    ``concrete=True`` they are fixed expressions so that the layer can be evaluated in numpy.

    >>> layer, logdet = realnvp_4d_example()
    >>> logdet
    s1(z1, z2) + s2(z1, z2)
    """
    z = default_symbols("z", 4)
    zA = z[:2]
    s: tuple[sp.Expr, ...]
    t: tuple[sp.Expr, ...]
    if concrete:
        s = (sp.tanh(z[0] + z[1] / 2), z[0] * z[1] / 4)
        t = (z[0] - z[1], sp.sin(z[0]))
    else:
        s = tuple(sp.Function(f"s{i}")(*zA) for i in (1, 2))
        t = tuple(sp.Function(f"t{i}")(*zA) for i in (1, 2))
    layer = AffineCoupling((1, 1, 0, 0), s, t, inputs=z)
    return layer, layer.log_det_jacobian
