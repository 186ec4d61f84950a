"""covar: closed-form densities of transformed random variables, with the derivation.

>>> import covar
>>> Y = covar.transform(covar.parse_density("Normal(0, 1)"), "x**2")
>>> Y.family
'ChiSquared(1)'
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

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

# Public names that live in heavier modules, imported on first use.
_LAZY = {
    "transform": "covar.pushforward",
    "parse_density": "covar.inputs",
    "JointDensity": "covar.joint",
    "independent": "covar.multivariate",
    "flows": "covar.flows",
    "plot": "covar.plot",
}

_SUBMODULES = {"flows", "plot"}

__all__ = [
    "CovarError", "DerivationTimeout", "InvalidDensity", "NoClosedForm", "NoClosedFormInverse",
    "ParseError", "UnsupportedTransform", "Density", "__version__", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name in _SUBMODULES else getattr(module, name)
    raise AttributeError(f"module 'covar' has no attribute {name!r}")
