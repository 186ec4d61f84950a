"""One variable integrated out of an n-D joint density (n >= 3), with exact piecewise limits.

Each term f(v, t) on a conjunction of inequalities linear in t becomes, for every choice of the
active lower bound L_i(v) and upper bound U_j(v), the term

    ∫_{L_i(v)}^{U_j(v)} f(v, t) dt   where L_i is the largest lower bound, U_j the smallest
                                      upper bound and L_i < U_j

so the result is again a sum of terms on conjunctions of inequalities, ready for the next
variable. Choices whose region is provably empty are dropped; every closed form is checked
against quadrature at sampled points of its region before it is used.

>>> import sympy as sp
>>> x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
>>> box = sp.And(*[(v > 0) & (v < 1) for v in (x1, x2, x3)])
>>> from covar.laws.joint import JointDensity
>>> K = integrate_out(JointDensity(sp.Integer(1), (x1, x2, x3), box), x3)
>>> K.vars, K.terms
((x1, x2), ((1, (0 < x1) & (0 < x2) & (x1 < 1) & (x2 < 1)),))
"""
from __future__ import annotations

import itertools
import math
from typing import Callable

import numpy as np
import sympy as sp
from scipy import integrate as sci

from covar.errors import DerivationTimeout, NoClosedForm, UnsupportedTransform
from covar.laws.joint import JointDensity
from covar.multivariate.branch_check import parameter_values
from covar.multivariate.conditions import simplify_condition, simplify_on
from covar.multivariate.marginal import TermLimits, integrate_between, term_limits
from covar.multivariate.regions import provably_empty, tidy_condition
from covar.numeric.budget import time_budget
from covar.numeric.verify import close, to_float
from covar.record import Note
from covar.univariate.signs import sign_of


def _sign_cases(lim: TermLimits) -> list[tuple[tuple[int, ...], tuple[sp.Expr, ...]]]:
    """The signs of the bounds' coefficients (+1: a lower bound, -1: an upper bound): decided
    from the assumptions, or else each case taken in turn with its condition (coef > 0 or
    coef < 0, as expressions e > 0)."""
    known, open_ = [], []
    for k, b in enumerate(lim.bounds):
        sign = sign_of(b.coef)
        known.append(sign or 0)
        if sign is None:
            open_.append(k)
    if len(open_) > 3:
        raise UnsupportedTransform(
            f"cannot decide the signs of {[lim.bounds[k].coef for k in open_]}, which decide which "
            "integration limits are lower and which upper; declare the signs of the variables")
    out = []
    for signs in itertools.product((1, -1), repeat=len(open_)):
        chosen = list(known)
        extra = []
        for k, sg in zip(open_, signs):
            chosen[k] = sg
            extra.append(sg * lim.bounds[k].coef)
        out.append((tuple(chosen), tuple(extra)))
    return out


def _choices(lim: TermLimits) -> list[tuple[sp.Expr, sp.Expr, sp.Basic]]:
    """(lower, upper, condition) for every pair of active bounds of one term (and every case of
    the signs of their coefficients)."""
    out = []
    for signs, extra in _sign_cases(lim):
        lowers = [b.root for b, sg in zip(lim.bounds, signs) if sg > 0]
        uppers = [b.root for b, sg in zip(lim.bounds, signs) if sg < 0]
        base = [e > 0 for e in (*lim.s_constraints, *extra)]
        for i, j in itertools.product(range(len(lowers) or 1), range(len(uppers) or 1)):
            lo = lowers[i] if lowers else -sp.oo
            hi = uppers[j] if uppers else sp.oo
            cond = [*base,
                    *[lo > other for other in lowers[:i]], *[lo >= other for other in lowers[i + 1:]],
                    *[hi < other for other in uppers[:j]], *[hi <= other for other in uppers[j + 1:]]]
            if lowers and uppers:
                cond.append(lo < hi)
            out.append((lo, hi, sp.And(*cond)))
    return out


def _column_sampler(J: JointDensity, keep: list[int]
                    ) -> Callable[[int, np.random.Generator, dict], np.ndarray] | None:
    draw = J.sampler
    if draw is None:
        return None

    def sample(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        return np.asarray(draw(size, rng, values), dtype=float)[:, keep]

    return sample


def _points(J: JointDensity, cond: sp.Basic, others: list[sp.Symbol], vals: dict,
            rng: np.random.Generator, n: int = 3) -> np.ndarray:
    """Up to n points of the region ``cond`` (in the remaining variables), from J's samples or
    broad proposals."""
    keep = [k for k, v in enumerate(J.vars) if v in others]
    pools = []
    if J.sampler is not None:
        try:
            pools.append(np.asarray(J.sampler(4000, rng, {p.name: v for p, v in vals.items()}), float)[:, keep])
        except (ValueError, KeyError):  # a sampler that cannot take these parameter values
            pass
    d = len(others)
    pools += [rng.normal(0, 2, (4000, d)), rng.uniform(0, 1, (4000, d)), rng.exponential(2, (4000, d))]
    f = sp.lambdify(others, cond.xreplace(vals), "numpy")
    found: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for pts in pools:
            ok = np.broadcast_to(np.asarray(f(*pts.T), dtype=bool), (len(pts),))
            found += list(pts[ok][:n - len(found)])
            if len(found) >= n:
                break
    return np.array(found)


def _checked(result: sp.Expr, expr: sp.Expr, t: sp.Symbol, lo: sp.Expr, hi: sp.Expr, cond: sp.Basic,
             J: JointDensity, others: list[sp.Symbol]) -> bool:
    """The closed form equals quadrature of expr over (lo, hi) at sampled points of its region
    (True when no point of the region is found: the final marginal is still checked against
    samples by the gate)."""
    rng = np.random.default_rng(7)
    free = (result.free_symbols | expr.free_symbols | cond.free_symbols | lo.free_symbols
            | hi.free_symbols | set(J.params)) - set(J.vars)
    vals = parameter_values(free, 3)
    pts = _points(J, cond, others, vals, rng)
    f = sp.lambdify([t, *others], expr.xreplace(vals), "numpy")
    for p in pts:
        at = {v: sp.Float(float(c), 30) for v, c in zip(others, p)}
        a, b = to_float(lo.xreplace(vals).xreplace(at), otherwise=math.nan), \
            to_float(hi.xreplace(vals).xreplace(at), otherwise=math.nan)
        if math.isnan(a) or math.isnan(b):
            return False
        with np.errstate(all="ignore"):
            want = sci.quad(lambda u: to_float(f(np.float64(u), *p), otherwise=math.nan), a, b,
                            limit=200, epsabs=1e-12, epsrel=1e-10)[0]
        got = sp.N(result.xreplace(vals).xreplace(at), 20)
        if not close(got, want, rtol=1e-6, atol=1e-9):
            return False
    return True


def integrate_out(J: JointDensity, t: sp.Symbol, timeout: float = 60.0) -> JointDensity:
    """The joint density of the other variables: ``t`` integrated out of every term of J."""
    others = [v for v in J.vars if v != t]
    terms: list[tuple[sp.Expr, sp.Basic]] = []
    with time_budget(timeout, f"integrating {t} out"):
        for expr, cond in J.terms:
            for lo, hi, where in (c for lim in term_limits(expr, cond, others[0], t) for c in _choices(lim)):
                where = simplify_condition(where)
                if where is sp.false or provably_empty(where, others):
                    continue
                where = tidy_condition(where, others)
                try:
                    with time_budget(min(20.0, timeout), "integrating one term"):
                        result = simplify_on(integrate_between(expr, t, lo, hi), where, others)
                except (DerivationTimeout, NotImplementedError, ValueError, TypeError) as exc:
                    raise NoClosedForm(f"could not integrate {expr} over {lo} < {t} < {hi} in closed "
                                       "form; take the marginal of fewer variables") from exc
                if result.has(sp.Integral, sp.nan, sp.zoo):
                    raise NoClosedForm(f"the integral of {expr} over {lo} < {t} < {hi} has no closed form")
                if not _checked(result, expr, t, lo, hi, where, J, others):
                    raise NoClosedForm(f"the closed form of the integral of {expr} over {lo} < {t} < "
                                       f"{hi} does not match quadrature; covar does not return it")
                if result != 0:
                    terms.append((result, where))
    if not terms:
        raise UnsupportedTransform(f"integrating {t} out leaves no mass")
    pdf = sp.Add(*[sp.Piecewise((e, c), (0, True)) for e, c in terms])
    keep = [k for k, v in enumerate(J.vars) if v != t]
    return JointDensity(pdf, tuple(others), sp.Or(*[c for _, c in terms]), J.derivation, tuple(terms),
                        _column_sampler(J, keep), True)


def reduce_to_pair(J: JointDensity, keep: sp.Symbol, timeout: float) -> tuple[JointDensity, list[Note]]:
    """J with variables integrated out one at a time (the last first) until ``keep`` and one
    other remain; with a note per step saying what was integrated and what it gave."""
    notes: list[Note] = []
    while J.dim > 2:
        t = next(v for v in reversed(J.vars) if v != keep)
        J = integrate_out(J, t, timeout)
        density = sp.Add(*[sp.Piecewise((e, c), (0, True)) for e, c in J.terms], evaluate=False)
        notes.append((t, " integrated out over exact limits: the joint density of ", sp.Tuple(*J.vars), " is ",
                      density, "."))
    return J, notes

