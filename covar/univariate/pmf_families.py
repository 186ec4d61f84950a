"""Recognise a pmf on the integers as a discrete catalog family, then confirm it numerically.

Candidates are read off the support and the first masses (a two-point law on {0, 1} is
Binomial(1, p), i.e. Bernoulli(p); a law on 1, 2, ... with P(1) = p is tried as Geometric(p);
one on 0, 1, ... with P(1)/P(0) = lam as Poisson(lam); equal masses on consecutive integers as
DiscreteUniform). A candidate is CONFIRMED at the first support points for a few parameter
draws under which the pmf is a valid law; otherwise the answer is None (no name beats a wrong one).

>>> import sympy as sp
>>> y = sp.Symbol("y", real=True)
>>> lam = sp.Symbol("lam", positive=True)
>>> str(recognize_pmf((1 - sp.exp(-lam))*sp.exp(-lam*(y - 1)), y, sp.Range(1, sp.oo)))
'Geometric(1 - exp(-lam))'
"""
from __future__ import annotations

import math
from itertools import islice

import sympy as sp

from covar.laws.families import NamedLaw, get_family
from covar.numeric.verify import close, parameter_draws, to_float

_POINTS = 12   # support points compared
_DRAWS = 3     # parameter draws compared


def recognize_pmf(pmf: sp.Expr, y: sp.Symbol, support: sp.Set) -> NamedLaw | None:
    """The catalog law of the pmf ``pmf`` (in ``y``) on ``support``, or None."""
    for candidate in _candidates(pmf, y, support):
        if _confirm(pmf, y, support, candidate):
            return candidate
    return None


def _at(pmf: sp.Expr, y: sp.Symbol, k: sp.Expr) -> sp.Expr:
    return sp.simplify(pmf.subs(y, k))


def _candidates(pmf: sp.Expr, y: sp.Symbol, support: sp.Set) -> list[NamedLaw]:
    out = []
    if isinstance(support, sp.FiniteSet) and all(v.is_Integer for v in support):
        points = sorted(int(v) for v in support)
        if points == [0, 1]:
            out.append(NamedLaw("Binomial", (1, _at(pmf, y, sp.Integer(1)))))
        if points == list(range(points[0], points[-1] + 1)) and len(points) > 1:
            out.append(NamedLaw("DiscreteUniform", (points[0], points[-1])))
    elif isinstance(support, sp.Range) and support.step == 1 and support.stop == sp.oo:
        if support.start == 1:
            out.append(NamedLaw("Geometric", (_at(pmf, y, sp.Integer(1)),)))
        if support.start == 0:
            out.append(NamedLaw("Geometric0", (_at(pmf, y, sp.Integer(0)),)))
            out.append(NamedLaw("Poisson", (sp.simplify(_at(pmf, y, sp.Integer(1)) / _at(pmf, y, sp.Integer(0))),)))
    elif isinstance(support, sp.Range) and support.step == 1 and support.start == 0 and support.stop.free_symbols:
        # 0..n with n symbolic: Binomial(n, q), q from P(1)/P(0) = n q/(1 - q)
        n, ratio = support.stop - 1, _at(pmf, y, sp.Integer(1)) / _at(pmf, y, sp.Integer(0))
        out.append(NamedLaw("Binomial", (n, sp.simplify(ratio / (n + ratio)))))
    if isinstance(support, sp.Range) and support.step == 1 and support.free_symbols and support.stop != sp.oo:
        out.append(NamedLaw("DiscreteUniform", (support.start, support.stop - 1)))
    elif isinstance(support, sp.Range) and support.step == 1 and support.start.is_Integer \
            and support.stop.is_Integer and support.size > 1:
        out.append(NamedLaw("DiscreteUniform", (support.start, support.stop - 1)))
    return out


def _confirm(pmf: sp.Expr, y: sp.Symbol, support: sp.Set, law: NamedLaw) -> bool:
    entry = get_family(law.name)
    reference = entry.pdf(y, *law.args)
    if not _same_points(entry.support(*law.args), support):
        return False
    params = sorted((pmf.free_symbols | law.free_symbols) - {y}, key=lambda s: s.name)
    checked = 0
    for values in parameter_draws(params, n=4 * _DRAWS, seed=11) if params else [{}]:
        args = [to_float(a, values, otherwise=math.nan) for a in law.args]
        if not _valid(law.name, args):
            continue
        for k in islice(support.xreplace(values) if support.free_symbols else support, _POINTS):
            got = to_float(pmf.subs(y, k), values, otherwise=math.nan)
            want = to_float(reference.subs(y, k), values, otherwise=math.nan)
            if not close(got, want, 1e-9, 1e-14):
                return False
        checked += 1
        if checked == _DRAWS:
            return True
    return checked > 0


def _same_points(a: sp.Set, b: sp.Set) -> bool:
    if a == b:
        return True
    finite = [s.is_finite_set and not s.free_symbols for s in (a, b)]
    return all(finite) and set(a) == set(b)


def _valid(name: str, args: list[float]) -> bool:
    """Are these numeric arguments inside the family's domain (a probability in (0, 1], ...)?"""
    if not all(math.isfinite(a) for a in args):
        return False
    if name == "Binomial":
        return 0 <= args[1] <= 1
    if name in ("Geometric", "Geometric0"):
        return 0 < args[0] <= 1
    if name == "Poisson":
        return args[0] > 0
    return True
