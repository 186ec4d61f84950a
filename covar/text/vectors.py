"""Random-vector text: independent families joined by `*` and maps split at top-level commas.

"Normal(0, 1) * Gamma(2, 1)" is a random vector in x1, x2; "x1 + x2, x1/(x1 + x2)" a vector map.
"""
from __future__ import annotations

import re

_FAMILY_CALL = re.compile(r"^\s*[A-Za-z_]\w*\s*\(.*\)\s*$", re.S)


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` cut at each ``separator`` character outside brackets (parts stripped).

    >>> split_top_level("sqrt(x1**2 + x2**2), atan2(x2, x1)", ",")
    ['sqrt(x1**2 + x2**2)', 'atan2(x2, x1)']
    >>> split_top_level("Normal(0, 1) * Gamma(2, 1)", "*")
    ['Normal(0, 1)', 'Gamma(2, 1)']
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        # "**" is a power, never a product of two factors
        if ch == separator and depth == 0 and not (separator == "*" and "**" in text[max(i - 1, 0):i + 2]):
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def joint_factors(density: str) -> list[str] | None:
    """The family calls of a random-vector DENSITY ("A(..) * B(..)"), or None for a univariate one.

    >>> joint_factors("Normal(0, 1) * Exponential(2)")
    ['Normal(0, 1)', 'Exponential(2)']
    >>> joint_factors("2*x") is None, joint_factors("Normal(0, 1)") is None
    (True, True)
    """
    from covar.laws.families import FAMILIES

    factors = split_top_level(density, "*")
    if len(factors) < 2 or not all(_FAMILY_CALL.match(f) for f in factors):
        return None
    if not all(f.split("(", 1)[0].strip() in FAMILIES for f in factors):
        return None
    return factors
