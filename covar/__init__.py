"""covar: closed-form densities of transformed random variables, with the derivation.

>>> import covar
>>> Y = covar.transform(covar.parse_density("Normal(0, 1)"), "x**2")
>>> Y.family
'ChiSquared(1)'
"""
from __future__ import annotations

from .errors import (
    CovarError,
    DerivationTimeout,
    InvalidDensity,
    NoClosedForm,
    NoClosedFormInverse,
    ParseError,
    UnsupportedTransform,
)
from .density import Density

__version__ = "0.1.0"

__all__ = [
    "CovarError", "DerivationTimeout", "InvalidDensity", "NoClosedForm", "NoClosedFormInverse",
    "ParseError", "UnsupportedTransform", "Density", "__version__",
]
