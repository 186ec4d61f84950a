"""covar: closed-form densities of transformed random variables, with the derivation.

>>> import covar
>>> Y = covar.transform(covar.parse_density("Normal(0, 1)"), "x**2")
>>> Y.family, str(Y.family)
(NamedLaw('ChiSquared', (1,)), 'ChiSquared(1)')
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from covar.errors import (
    CovarError,
    DerivationTimeout,
    InvalidDensity,
    MissingExtra,
    NoClosedForm,
    NoClosedFormInverse,
    ParseError,
    UnsupportedTransform,
    VerificationFailed,
)

if TYPE_CHECKING:  # the lazy names below, for type checkers and IDEs
    from covar import flows, matrix
    from covar.render import plot
    from covar.derive import transform
    from covar.laws.density import Density
    from covar.laws.joint import JointDensity
    from covar.multivariate.products import independent
    from covar.render.serialize import from_json, to_json
    from covar.text.inputs import parse_density

__version__ = "0.1.0"  # the one version source (pyproject reads it)

# Public names that live in heavier modules, imported on first use.
_LAZY = {
    "Density": "covar.laws.density",
    "transform": "covar.derive",
    "parse_density": "covar.text.inputs",
    "JointDensity": "covar.laws.joint",
    "independent": "covar.multivariate.products",
    "flows": "covar.flows",
    "matrix": "covar.matrix",
    "plot": "covar.render.plot",
    "from_json": "covar.render.serialize",
    "to_json": "covar.render.serialize",
}

_SUBMODULES = {"flows", "matrix", "plot"}

__all__ = [
    "CovarError", "DerivationTimeout", "InvalidDensity", "MissingExtra", "NoClosedForm", "NoClosedFormInverse",
    "ParseError", "UnsupportedTransform", "VerificationFailed", "__version__", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name in _SUBMODULES else getattr(module, name)
    raise AttributeError(f"module 'covar' has no attribute {name!r}")
