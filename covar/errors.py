"""The one error hierarchy of covar.

Every failure a user can cause or meet is a :class:`CovarError`; each message says what
to change. Front ends catch ``CovarError`` and print its message without a traceback.
"""
from __future__ import annotations


class CovarError(Exception):
    """Base class of every error covar raises on purpose."""


class ParseError(CovarError, ValueError):
    """User text could not be read safely (unknown name, unsafe construct, too large)."""


class InvalidDensity(CovarError, ValueError):
    """The input is not a probability density (negative, or does not integrate to 1)."""


class UnsupportedTransform(CovarError):
    """covar cannot split or invert this map with certainty; the message says what would help."""


class NoClosedFormInverse(UnsupportedTransform):
    """g(x) = y has no closed-form solution on some monotone piece of g."""


class NoClosedForm(CovarError):
    """An integral (a marginal, an atom's mass) has no closed form."""


class DerivationTimeout(CovarError, TimeoutError):
    """A derivation ran past its time budget; raise the budget or simplify the input."""


class MissingExtra(CovarError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


class VerificationFailed(CovarError):
    """A derived result disagreed with an independent numeric check (the gate), so it was not
    returned: a covar bug worth reporting, never a wrong answer handed on."""
