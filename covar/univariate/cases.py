"""Parameter case splits: when a sign or an order of parameters decides the law of g(X) and the
assumptions leave it open, derive every case on its own and combine them into one Piecewise law.

A case is a list of relations between parameters (``c > 0``; ``a < b``; ``Eq(a, b)``). Each is
made decidable by a substitution (:func:`refine`): ``c`` becomes a same-named symbol declared
positive, ``b`` becomes ``a + t`` with ``t`` positive, or ``a`` itself. The derivation runs in
the substituted symbols; a sign it still cannot decide (:class:`~covar.univariate.signs.UndecidedSign`)
splits the case again. The result's pdf and atoms are Piecewise over the cases' conditions, its
cells are the cases' cells (each empty outside its case), and the gate draws parameters inside
every case (:func:`draws_by_case`, :func:`guarded_draws`), equality cases included.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import sympy as sp
from sympy.core.relational import Relational

from covar.errors import InvalidDensity, ParseError, UnsupportedTransform
from covar.laws.density import Density
from covar.record import Case, CaseSplit, Cell, Derivation, Note
from covar.univariate.signs import UndecidedSign, sign_of, sign_part

MAX_CASES = 9  # leaves of one split, at most
MAX_DEPTH = 3  # nested splits beyond the stated relations
_STRICT = (sp.StrictGreaterThan, sp.StrictLessThan)
_ORDERS = (sp.StrictGreaterThan, sp.StrictLessThan, sp.GreaterThan, sp.LessThan, sp.Equality)


@dataclass(frozen=True)
class Refinement:
    """How a case is written so that sympy decides under it: ``forward`` maps each original
    parameter to its form in the case's symbols, ``back`` each new symbol to its value in the
    original parameters."""

    forward: dict
    back: dict


class _Impossible(Exception):
    """The relations contradict each other or the assumptions: the case is empty."""


def _holds(kind: type, s: int) -> bool:
    return {sp.StrictGreaterThan: s > 0, sp.StrictLessThan: s < 0, sp.GreaterThan: s >= 0,
            sp.LessThan: s <= 0, sp.Equality: s == 0}[kind]


def _keeps(sym: sp.Symbol, new: sp.Expr) -> bool:
    """Does ``new`` provably satisfy the sign assumptions of ``sym``?"""
    s = sign_of(new)
    wanted = {"positive": (1,), "negative": (-1,), "nonnegative": (0, 1), "nonpositive": (0, -1),
              "nonzero": (1, -1)}
    return all(s in signs for fact, signs in wanted.items() if getattr(sym, f"is_{fact}"))


def _in_closure(sym: sp.Symbol, root: sp.Expr) -> bool:
    """Can ``root`` be a boundary of the values ``sym`` may take (not of the wrong sign)?"""
    s = sign_of(root)
    if sym.is_nonnegative and s == -1 or sym.is_nonpositive and s == 1:
        return False
    return True


def _fresh_name(taken: set[str]) -> str:
    for name in ("t", "s", "r", "d"):
        if name not in taken:
            return name
    k = 1
    while f"t{k}" in taken:
        k += 1
    return f"t{k}"


def _step(rel: Relational, ref: Refinement, taken: set[str]) -> Refinement:
    """``ref`` with one more relation made decidable (or unchanged when it already holds)."""
    kind = type(rel)
    q = sp.expand((rel.lhs - rel.rhs).xreplace(ref.forward))
    s = sign_of(q)
    if s is not None:
        if _holds(kind, s):
            return ref
        raise _Impossible(rel)
    for ratios in (False, True):  # a shift (b = a + t) first; a ratio (t = 2/(1 + u)) only if none works
        found = _substitute(kind, q, ref, taken, ratios)
        if found is not None:
            return found
    raise UnsupportedTransform(
        f"the answer depends on whether {rel}, which the assumptions leave open; covar splits into "
        f"cases only on relations it can solve for one parameter, and none in {q} can be: state "
        f"assumptions that decide the sign of {rel.lhs - rel.rhs} (signs of the parameters) or give them numbers")


def _substitute(kind: type, q: sp.Expr, ref: Refinement, taken: set[str], ratios: bool) -> Refinement | None:
    for sym in sorted(q.free_symbols, key=lambda v: (v in ref.back, v.name)):
        if sym.is_integer and ratios:
            continue
        slope = sign_of(sp.diff(q, sym))
        if slope not in (1, -1):
            continue
        free = sp.Dummy(sym.name, real=True)  # solve drops roots that sym's own assumptions exclude
        try:
            roots = [r for r in sp.solve(q.xreplace({sym: free}), free)
                     if r.is_real is not False and _in_closure(sym, r)]
        except NotImplementedError:
            continue
        if len(roots) != 1:
            continue
        root = roots[0]
        if sym.is_integer and not root.is_integer:
            continue  # an integer parameter is split at integers only
        if kind is sp.Equality:
            new, fresh = root, None
        else:
            above = (kind in (sp.StrictGreaterThan, sp.GreaterThan)) == (slope > 0)
            facts = {"positive" if kind in _STRICT else "nonnegative": True}
            if sym.is_integer:  # c > 0 for an integer c: c = t with t a positive integer
                facts["integer"] = True
            if root == 0:  # a sign: the same name, declared positive or negative
                if not above:
                    facts = {"negative" if kind in _STRICT else "nonpositive": True,
                             **({"integer": True} if sym.is_integer else {})}
                fresh = sp.Symbol(sym.name, **facts)
                new = fresh
            else:
                fresh = sp.Symbol(_fresh_name(taken), **facts)
                new = root + fresh if above else root - fresh
        if ratios and not _keeps(sym, new) and kind is not sp.Equality and root != 0 \
                and (sym.is_positive or sym.is_negative):
            # a bounded range of a signed parameter (0 < t < 2): t = 2/(1 + u) with u > 0
            fresh = sp.Symbol(fresh.name, **facts) if fresh is not None else sp.Symbol(_fresh_name(taken), **facts)
            new = root / (1 + fresh)
            ratio = True
        else:
            ratio = False
        if not _keeps(sym, new):
            continue
        if ratio:  # the ratio must land on the right side of the root
            side = sign_of(q.xreplace({sym: new}))
            if side is None or not _holds(kind, side):
                continue
        forward = {k: v.xreplace({sym: new}) for k, v in ref.forward.items()}
        if sym not in ref.back:
            forward[sym] = new
        back = {k: v for k, v in ref.back.items() if k != sym}
        if fresh is not None:
            value = sym if root == 0 else root / sym - 1 if ratio else (sym - root if above else root - sym)
            back[fresh] = sp.expand(value.xreplace(ref.back))
            taken.add(fresh.name)
        return Refinement(forward, back)
    return None


def refine(conditions: Sequence[Relational], taken: Iterable[str] = ()) -> Refinement:
    """The substitution under which every relation in ``conditions`` holds and sympy knows it.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> refine([a < b]).forward
    {b: a + t}
    >>> c = sp.Symbol("c", real=True)
    >>> ref = refine([c < 0]); ref.forward[c].is_negative, ref.back
    (True, {c: c})
    """
    names = set(taken) | {s.name for rel in conditions for s in rel.free_symbols}
    ref = Refinement({}, {})
    for rel in conditions:
        ref = _step(rel, ref, names)
    return ref


def case_substitution(conditions: Sequence[Relational], taken: Iterable[str] = ()) -> Refinement | None:
    """:func:`refine`, or None when the relations contradict each other or the assumptions
    (an empty case). Raises UnsupportedTransform when a relation cannot be solved for a parameter.

    >>> alpha = sp.Symbol("alpha", positive=True)
    >>> case_substitution([alpha < 1]).forward, case_substitution([alpha < 0])
    ({alpha: 1/(t + 1)}, None)
    """
    if any(c == sp.false for c in conditions):
        return None  # decided false by the symbols' own assumptions (alpha < 0, alpha positive)
    try:
        return refine([c for c in conditions if c != sp.true], taken)
    except _Impossible:
        return None


def _relation(kind: type, q: sp.Expr) -> Relational:
    """q (kind) 0 written readably: b - a > 0 as b > a, 1 - c > 0 as c < 1, c + 1 = 0 as c = -1.

    >>> c = sp.Symbol("c", real=True)
    >>> _relation(sp.StrictGreaterThan, 1 - c), _relation(sp.Equality, c + 1)
    (c < 1, Eq(c, -1))
    """
    terms = sp.Add.make_args(sp.expand(q))
    number = sp.Add(*[t for t in terms if not t.free_symbols])
    plus = sp.Add(*[t for t in terms if t.free_symbols and not t.could_extract_minus_sign()])
    minus = -sp.Add(*[t for t in terms if t.free_symbols and t.could_extract_minus_sign()])
    if plus != 0:
        return kind(plus, minus - number)
    flip = {sp.StrictGreaterThan: sp.StrictLessThan, sp.StrictLessThan: sp.StrictGreaterThan,
            sp.Equality: sp.Equality}[kind]
    return flip(minus, number)


def _possible(q: sp.Expr) -> list[type]:
    """The relations of q to 0 that the assumptions allow."""
    out = []
    if q.is_nonpositive is not True:
        out.append(sp.StrictGreaterThan)
    if q.is_nonzero is not True:
        out.append(sp.Equality)
    if q.is_nonnegative is not True:
        out.append(sp.StrictLessThan)
    return out


def _refined(X: Density, forward: dict) -> Density:
    """X with its parameters written as in the case (no gate: the combined law is verified)."""
    if not forward:
        return X
    family = X.family.subs(forward) if X.family is not None else None
    return Density(X.pdf.xreplace(forward) if X.pdf is not None else None, X.var, X.support.xreplace(forward),
                   {k.xreplace(forward): v.xreplace(forward) for k, v in X.atoms.items()}, X.discrete, family,
                   None, X.numeric, validate=False)


@dataclass(frozen=True)
class _Leaf:
    conditions: tuple[Relational, ...]
    refinement: Refinement
    law: Density


def _unify(stated: Sequence[Relational], params: Iterable[sp.Symbol]) -> list[Relational]:
    """The stated relations in the problem's own symbols (matched by name)."""
    by_name = {p.name: p for p in params}
    out = []
    for rel in stated:
        unknown = sorted(s.name for s in rel.free_symbols if s.name not in by_name)
        if unknown:
            raise ParseError(f"the assumption '{rel}' names {', '.join(unknown)}, which neither the "
                             "density nor the map uses")
        out.append(rel.xreplace({s: by_name[s.name] for s in rel.free_symbols}))
    return out


def derive_with_cases(X: Density, g: sp.Expr, y: sp.Symbol, stated: Sequence[Relational],
                      derive: Callable[[Density, sp.Expr, sp.Symbol], Density]) -> Density:
    """``derive(X, g, y)``, split into cases wherever a parameter sign or order decides the
    answer; ``stated`` relations between parameters (``c < b``) hold in every case."""
    params = set(X.params) | (g.free_symbols - {X.var})
    stated = _unify(stated, params)
    if not stated and not isinstance(X.derivation, CaseSplit):
        try:
            return derive(X, g, y)
        except UndecidedSign as exc:
            first: Any = exc
    else:
        first = None
    taken = {s.name for s in params} | {X.var.name, y.name}
    starts = [tuple(stated) + tuple(case.conditions) for case in X.derivation.cases] \
        if isinstance(X.derivation, CaseSplit) else [tuple(stated)]
    leaves: list[_Leaf] = []
    dropped: list[tuple[Relational, ...]] = []
    for start in starts:
        if first is not None:
            _split(X, g, y, start, first, derive, leaves, dropped, taken, len(stated))
        else:
            _explore(X, g, y, start, derive, leaves, dropped, taken, len(stated))
    if not leaves:
        raise UnsupportedTransform("every case of the parameters is impossible under the assumptions")
    return _combine(X, g, y, leaves, dropped)


def _explore(X, g, y, conditions, derive, leaves, dropped, taken, stated) -> None:
    try:
        ref = refine(conditions, taken)
    except _Impossible:
        dropped.append(tuple(conditions))
        return
    try:
        Xr = _refined(X, ref.forward)
    except InvalidDensity:  # the case leaves the input no law (b < a for DiscreteUniform(a, b))
        dropped.append(tuple(conditions))
        return
    if Xr.pdf is not None and not Xr.discrete and _empty(Xr.support):
        dropped.append(tuple(conditions))  # the input's support is empty (b < a for Uniform(a, b))
        return
    try:
        law = derive(Xr, g.xreplace(ref.forward), y)
    except UndecidedSign as exc:
        _split(X, g, y, conditions, exc, derive, leaves, dropped, taken, stated, ref)
        return
    except UnsupportedTransform as exc:
        named = {s.name for s in set(X.params) | g.free_symbols}
        fresh = {new: old for new, old in ref.back.items() if new.name not in named}
        if not fresh or type(exc) is not UnsupportedTransform:
            raise
        where = ", ".join(f"{new} = {old}" for new, old in fresh.items())
        raise UnsupportedTransform(f"{exc} (in the case {sp.And(*conditions)}, written with {where})") from exc
    leaves.append(_Leaf(tuple(conditions), ref, law))


def _empty(support: sp.Set) -> bool:
    from covar.univariate.pieces import support_intervals

    return not support_intervals(support)


def _split(X, g, y, conditions, exc: UndecidedSign, derive, leaves, dropped, taken, stated,
           ref: Refinement | None = None) -> None:
    """Split ``conditions`` on the sign ``exc`` could not decide, and explore each case."""
    ref = ref or Refinement({}, {})
    q = sign_part(exc.quantity)
    if q.has(sp.nan) or not q.free_symbols or q.has(X.var, y):
        raise exc  # not a question about parameters: nothing to split on
    if len(conditions) - stated >= MAX_DEPTH or len(leaves) >= MAX_CASES:
        raise UnsupportedTransform(
            f"{exc} The answer splits into more than {MAX_CASES} cases of the parameters; state "
            f"which holds (e.g. assume='{_relation(sp.StrictGreaterThan, q.xreplace(ref.back))}')") from exc
    original, flip = _plain(q.xreplace(ref.back), ref)
    for kind in _possible(q):
        if flip < 0:
            kind = {sp.StrictGreaterThan: sp.StrictLessThan, sp.StrictLessThan: sp.StrictGreaterThan}.get(kind, kind)
        rel = _relation(kind, original)
        for case in _few_integers(rel) or (rel,):
            _explore(X, g, y, (*conditions, case), derive, leaves, dropped, taken, stated)


def _few_integers(rel: Relational) -> tuple[Relational, ...]:
    """n < 3 for a positive integer n as its values, Eq(n, 1), Eq(n, 2) (an integer parameter
    bounded on both sides has few values, and no substitution writes the range); () otherwise."""
    if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
        rel = rel.reversed
    n, bound = rel.lhs, rel.rhs
    if not (isinstance(rel, (sp.StrictLessThan, sp.LessThan)) and isinstance(n, sp.Symbol) and n.is_integer
            and n.is_nonnegative and bound.is_number and bound.is_real):
        return ()
    first = 1 if n.is_positive else 0
    last = sp.ceiling(bound) - 1 if isinstance(rel, sp.StrictLessThan) else sp.floor(bound)
    if not first <= last <= first + 5:
        return ()
    return tuple(sp.Eq(n, v) for v in range(first, int(last) + 1))


def _plain(q: sp.Expr, ref: Refinement) -> tuple[sp.Expr, int]:
    """(p, sign) with q = sign * p * (factors of known sign in the current case): the simplest
    quantity in the original parameters whose sign decides q (2/(c + 1) - 2 is -2c/(c + 1):
    the sign of c once c > -1 holds)."""
    flip, kept = 1, []
    num, den = sp.fraction(sp.cancel(sp.together(q)))
    for factor in sp.Mul.make_args(sp.factor(num)) + tuple(sp.Mul.make_args(sp.factor(den))):
        known = sign_of(factor.xreplace(ref.forward)) if factor.free_symbols else sign_of(factor)
        if known in (1, -1):
            flip *= known
        else:
            kept.append(factor)
    if any(k in sp.Mul.make_args(sp.factor(den)) for k in kept):
        return sp.expand(q), 1  # a denominator of unknown sign: keep q as it is
    return sp.expand(sp.Mul(*kept)), flip


# -- combining the cases ---------------------------------------------------------------------------

def _guard(value: sp.Expr, condition: sp.Basic, otherwise: sp.Expr) -> sp.Expr:
    return value if condition == sp.true else sp.Piecewise((value, condition), (otherwise, True))


def _interval(lo: sp.Expr, hi: sp.Expr, left_open: bool = True, right_open: bool = True) -> sp.Interval:
    """Interval(lo, hi) with Piecewise ends, which sympy must not have judged empty."""
    iv = sp.Interval(lo, hi, left_open, right_open)
    if not isinstance(iv, sp.Interval):
        raise UnsupportedTransform(f"covar cannot write the interval ({lo}, {hi}) of one case")
    return iv


def _select(values: list[sp.Expr], conditions: list[sp.Basic]) -> sp.Expr:
    if all(v == values[0] for v in values):
        return values[0]
    return sp.Piecewise(*zip(values, conditions))


def _pieces_of(support: sp.Set) -> list[sp.Interval]:
    parts = support.args if isinstance(support, sp.Union) else (support,)
    if not all(isinstance(p, (sp.Interval, sp.FiniteSet)) or p is sp.EmptySet for p in parts):
        raise UnsupportedTransform(f"covar cannot combine the support {support} of one case with the others")
    return [p for p in parts if isinstance(p, sp.Interval)]


def _support(supports: list[sp.Set], conditions: list[sp.Basic], atoms: list[sp.Expr]) -> sp.Set:
    """One set that is each case's support under its condition: interval by interval when the
    cases have the same shape (Interval(0, Piecewise((b**2, a < b), (a**2, a >= b)))), else a
    union of intervals that are empty outside their case."""
    if len(supports) == 1:
        return sp.Union(supports[0], sp.FiniteSet(*atoms)) if atoms else supports[0]
    runs = [sp.Range(s.args[0], s.args[0] + 1) if isinstance(s, sp.FiniteSet) and len(s) == 1
            and s.args[0].is_integer else s for s in supports]  # one integer c is Range(c, c + 1)
    if all(isinstance(s, sp.Range) and s.step == 1 for s in runs):  # a pmf's integers, case by case
        return sp.Range(_select([s.start for s in runs], conditions), _select([s.stop for s in runs], conditions))
    shapes = [_pieces_of(s) for s in supports]
    first = shapes[0]
    if all(len(ivs) == len(first) for ivs in shapes):
        parts = []
        for k in range(len(first)):
            starts, ends = [ivs[k].start for ivs in shapes], [ivs[k].end for ivs in shapes]
            # an infinite end is open in any case; a finite one is closed if any case closes it
            left = all(ivs[k].left_open for ivs in shapes if ivs[k].start.is_finite is not False)
            right = all(ivs[k].right_open for ivs in shapes if ivs[k].end.is_finite is not False)
            parts.append(_interval(_select(starts, conditions), _select(ends, conditions), left, right))
    else:  # outside its case an interval collapses to the empty (0, 0)
        parts = [_interval(_guard(iv.start, cond, sp.Integer(0)), _guard(iv.end, cond, sp.Integer(0)), True, True)
                 for ivs, cond in zip(shapes, conditions) for iv in ivs]
    if atoms:
        parts.append(sp.FiniteSet(*atoms))
    return parts[0] if len(parts) == 1 else sp.Union(*parts, evaluate=False)


@dataclass(frozen=True)
class LatticeCases:
    """The pmf of a case split whose cases live on different lattices, evaluable with numpy: at
    given parameter values the case whose condition holds evaluates (its own law's evaluator,
    which matches a point of its lattice up to round-off)."""

    cases: tuple[tuple[sp.Basic, Density, dict], ...]  # (condition, law in the case's symbols, back)

    def pmf(self, params: tuple[sp.Symbol, ...]) -> Callable[..., Any]:
        def evaluate(ys: Any, *p: Any) -> Any:
            values = {s: sp.Integer(round(float(v))) if s.is_integer else sp.Float(float(v), 30)
                      for s, v in zip(params, p)}
            for condition, law, back in self.cases:
                if condition.xreplace(values) == sp.true:
                    by_name = {s.name: v for s, v in values.items()}  # a case's k > 0 is k too
                    inner = {new.name: float(old.xreplace({s: by_name[s.name] for s in old.free_symbols}))
                             for new, old in back.items()}
                    named = {**{s.name: float(v) for s, v in values.items()}, **inner}
                    return law.numpy()(ys, **{s.name: named[s.name] for s in law.params})
            raise ValueError(f"no case of the parameters holds at {values}")
        return evaluate


def lattice_cases(record: Any) -> LatticeCases | None:
    """The case-by-case evaluator of a pmf split into cases (each case's own law evaluates: its
    lattice, its sums), None for any other record."""
    if not (isinstance(record, CaseSplit) and record.discrete and record.cases):
        return None
    names = {s.name for s in set(record.input.params) | record.g.free_symbols}
    cases = []
    for case in record.cases:
        back = {}
        for old, new in case.substitution:
            fresh = [s for s in sp.sympify(new).free_symbols if s.name not in names]
            if len(fresh) == 1:  # n = 3 + t: t = n - 3
                back[fresh[0]] = sp.solve(new - old, fresh[0])[0]
        cases.append((sp.And(*case.conditions), case.law, back))
    return LatticeCases(tuple(cases))


def _runs(supports: Iterable[sp.Set]) -> bool:
    """Is every support a run of integers (a unit-step Range, or one integer)?"""
    return all(isinstance(s, sp.Range) and s.step == 1 or isinstance(s, sp.FiniteSet) and len(s) == 1
               and s.args[0].is_integer for s in supports)


def _same_law(candidate: sp.Expr, leaf: _Leaf) -> bool:
    if leaf.law.pdf is None or sp.count_ops(candidate) > 150:
        return False
    here = candidate.xreplace(leaf.refinement.forward)
    if here.has(sp.zoo, sp.nan):  # c = 0 in f_X(y/c)/|c|: a different law (a point mass)
        return False
    try:
        return sp.simplify(here - leaf.law.pdf) == 0
    except TypeError:  # sympy's "Invalid NaN comparison" inside a condition
        return False


def _abs_form(leaves: list[_Leaf], pdfs: list[sp.Expr]) -> sp.Expr | None:
    """One formula for every case when the split was on signs only and the cases agree once each
    sign-split parameter is written |c| (f_X(y/c)/|c|), else None."""
    head = leaves[0]
    signs = {old: new for old, new in head.refinement.forward.items()
             if isinstance(new, sp.Symbol) and new.name == old.name}
    if not signs or len(signs) != len(head.refinement.forward) or head.law.atoms or head.law.pdf is None:
        return None
    if any(leaf.law.atoms for leaf in leaves):
        return None
    candidate = head.law.pdf.xreplace({new: sp.Abs(old) if new.is_positive else -sp.Abs(old)
                                       for old, new in signs.items()})
    if candidate.free_symbols & set(signs.values()):
        return None
    return candidate if all(_same_law(candidate, leaf) for leaf in leaves[1:]) else None


def _restore(expr: Any, back: dict) -> Any:
    """``expr`` (in a case's symbols) in the original parameters, with the parameter-only parts
    that a ratio substitution leaves as nested fractions cancelled (2/(2/(c + 1)) - 1 -> c)."""
    out = expr.xreplace(back)
    if all(v.is_polynomial() for v in back.values()):
        return out
    params = set().union(*[v.free_symbols for v in back.values()])
    return out.replace(lambda e: isinstance(e, (sp.Add, sp.Mul, sp.Pow)) and e.free_symbols <= params
                       and bool(e.free_symbols), lambda e: sp.factor_terms(sp.cancel(e)))


def _grouped(pairs: Iterable[tuple[Any, sp.Basic]]) -> list[tuple[Any, sp.Basic]]:
    """(value, condition) pairs with equal values joined by Or, in first-seen order."""
    groups: dict[Any, list[sp.Basic]] = {}
    for value, cond in pairs:
        groups.setdefault(value, []).append(cond)
    return [(value, _joined(conds)) for value, conds in groups.items()]


def _joined(conditions: list[sp.Basic]) -> sp.Basic:
    """Or of the conditions, c > 0 or c < 0 read as c ≠ 0."""
    either = sp.Or(*conditions)
    if len(conditions) == 2 and all(isinstance(c, Relational) and len(c.free_symbols) == 1 for c in conditions):
        one = either.simplify()
        return one if isinstance(one, sp.Ne) else either
    return either


def _essential(conditions: tuple[Relational, ...]) -> tuple[Relational, ...]:
    """The conditions without those the others imply (c > -1 once Eq(c, 1) holds)."""
    kept = list(conditions)
    for rel in conditions:
        others = [r for r in kept if r is not rel]
        if not others:
            continue
        try:
            ref = refine(others)
        except (_Impossible, UnsupportedTransform):
            continue
        s = sign_of((rel.lhs - rel.rhs).xreplace(ref.forward))
        if s is not None and _holds(type(rel), s):
            kept = others
    return tuple(kept)


def _combine(X: Density, g: sp.Expr, y: sp.Symbol, leaves: list[_Leaf],
             dropped: list[tuple[Relational, ...]]) -> Density:
    numeric = [leaf for leaf in leaves if leaf.law.pdf is None]
    if numeric:
        raise UnsupportedTransform(
            f"in the case {sp.And(*numeric[0].conditions)} the law of {g} has no closed form; "
            "state the other case's condition (assume=...) or give the parameters numbers")
    leaves = [_Leaf(_essential(leaf.conditions), leaf.refinement, leaf.law) for leaf in leaves]
    conditions = [sp.And(*leaf.conditions) for leaf in leaves]
    back = [leaf.refinement.back for leaf in leaves]
    pdfs = [_restore(leaf.law.pdf, b) for leaf, b in zip(leaves, back)]
    single = len(leaves) == 1
    if single:
        pdf = pdfs[0]
    elif len(set(pdfs)) == 1:  # the same formula in every case (p_X(y/c), c > 0 or c < 0)
        pdf = pdfs[0]
    else:
        pdf = _abs_form(leaves, pdfs) or sp.Piecewise(*_grouped(zip(pdfs, conditions)), evaluate=False)
    masses: dict[sp.Expr, list[tuple[sp.Expr, sp.Basic]]] = {}
    # atoms of the strict cases first: an equality case's atom at 1 (c = 1) joins the atom at c
    for leaf, b, cond in sorted(zip(leaves, back, conditions), key=lambda t: t[2].has(sp.Eq)):
        for point, mass in leaf.law.atoms.items():
            p = next((k for k in masses if sp.simplify(k.xreplace(leaf.refinement.forward) - point) == 0),
                     sp.simplify(_restore(point, b)))
            masses.setdefault(p, []).append((_restore(mass, b), cond))
    atoms = {p: pairs[0][0] if single else sp.Piecewise(*_grouped(pairs), (0, True))
             for p, pairs in masses.items()}
    cells = []
    for leaf, b, cond in zip(leaves, back, conditions):
        record = leaf.law.derivation
        for c in (record.cells if isinstance(record, Derivation) else ()):
            lo, hi = (sp.simplify(_restore(e, b)) for e in (c.interval.start, c.interval.end))
            cells.append(Cell(_interval(lo if single else _guard(lo, cond, sp.Integer(0)),
                                        hi if single else _guard(hi, cond, sp.Integer(0))),
                              (), _restore(c.raw, b), _restore(c.simplified, b)))
    shapes = _grouped((_restore(leaf.law.support, b), cond)  # the atoms join as points below
                      for leaf, b, cond in zip(leaves, back, conditions))
    discrete = leaves[0].law.discrete
    if discrete and len(shapes) > 1 and not _runs(shape for shape, _ in shapes):
        # pmfs on different lattices (c*k for c > 0, c < 0; {0} for c = 0): one set holds for
        # every case, the image of X's support under g; support_by_case shows each case's own
        support: sp.Set = sp.ImageSet(sp.Lambda(X.var, g), X.support)
    else:
        support = _support([shape for shape, _ in shapes], [cond for _, cond in shapes], list(atoms))
    family = leaves[0].law.family.subs(back[0]) if single and leaves[0].law.family is not None else None
    notes: list[Note] = [("The case ", sp.And(*c), " is impossible for this input and contributes nothing.")
                         for c in dropped]
    if single and leaves[0].conditions:
        notes.append(("Derived under the stated ", sp.And(*leaves[0].conditions), "; the result holds there only."))
    record = CaseSplit(
        input=X, x=X.var, y=y, g=g, breakpoints=(), pieces=(), cells=tuple(cells), pdf=pdf, support=support,
        atoms=atoms, family=family, discrete=discrete, notes=tuple(notes),
        cases=tuple(Case(leaf.conditions, tuple(leaf.refinement.forward.items()), leaf.law) for leaf in leaves))
    return Density(pdf, y, support, atoms, discrete, family=family, derivation=record, validate=False)


def support_by_case(law: Any) -> tuple[tuple[sp.Basic, sp.Set], ...]:
    """(condition, support) for each case of a case split whose combined support has Piecewise
    ends (Interval(0, Piecewise((b**2, a < b), (a**2, True)))): the support each case really
    has, for display; () for any other law.

    >>> import covar
    >>> Y = covar.transform("Uniform(-a, b)", "x**2", assume="a>0, b>0")
    >>> len(support_by_case(Y))  # a < b, a = b, a > b
    3
    """
    record = law.derivation
    if isinstance(record, CaseSplit) and record.discrete and isinstance(law.support, sp.ImageSet) \
            and len(record.cases) >= 2:
        return _lattices_by_case(record)
    if not isinstance(record, CaseSplit) or not law.support.has(sp.Piecewise) or len(record.cases) < 2:
        return ()
    out = []
    for case in record.cases:
        condition = sp.And(*case.conditions)
        wanted = _canonical(condition)

        def pick(pw: sp.Piecewise, wanted: sp.Basic = wanted) -> sp.Expr:
            for value, cond in pw.args:
                if cond == sp.true or wanted in sp.Or.make_args(_canonical(cond)):
                    return value
            raise ValueError(pw)
        def here(e: sp.Basic) -> sp.Basic:
            return e.replace(lambda v: isinstance(v, sp.Piecewise), pick)
        parts = law.support.args if isinstance(law.support, sp.Union) else (law.support,)
        kept = []
        try:
            for part in parts:
                if isinstance(part, sp.FiniteSet):  # atoms: only those with mass in this case
                    part = sp.FiniteSet(*[p for p in part.args if here(sp.sympify(law.atoms.get(p, 1))) != 0])
                part = here(part)
                if part != sp.EmptySet:
                    kept.append(part)
        except (ValueError, TypeError):  # a support sympy wrote in another form: show the combined one
            return ()
        out.append((condition, sp.Union(*kept, evaluate=False) if len(kept) > 1
                    else kept[0] if kept else sp.EmptySet))
    return tuple(out)


def _lattices_by_case(record: CaseSplit) -> tuple[tuple[sp.Basic, sp.Set], ...]:
    """Each case's own support of a pmf whose cases live on different lattices, in the original
    parameters (the case's substitution undone: c declared positive is c again)."""
    out = []
    for case in record.cases:
        back = {new: old for old, new in case.substitution if isinstance(new, sp.Symbol)}
        support = case.law.support.xreplace(back)
        if support.free_symbols - record.support.free_symbols:
            return ()  # a shift or ratio substitution (b = a + t): show the combined support
        out.append((sp.And(*case.conditions), support))
    return tuple(out)


def _canonical(condition: sp.Basic) -> sp.Basic:
    """One spelling of a condition (b > a and a < b alike), through And and Or."""
    if isinstance(condition, Relational):
        return condition.canonical
    if isinstance(condition, (sp.And, sp.Or)):
        return type(condition)(*[_canonical(c) for c in condition.args])
    return condition


# -- reading stated relations and drawing parameters inside a case --------------------------------

def read_relations(assume: Iterable[str] | str) -> tuple[list[str], list[Relational]]:
    """``assume`` statements split into those about one name (for covar.text.assumptions) and
    relations between parameters (``c < b``), which hold in every case of a derivation.

    >>> read_relations("0 < c < b, sigma > 0")
    (['0 < c', 'sigma > 0'], [c < b])
    """
    from covar.text.expressions import parse_expr
    from covar.text.limits import check_length
    from covar.text.syntax import split_top

    plain: list[str] = []
    relations: list[Relational] = []
    for text in [assume] if isinstance(assume, str) else list(assume):
        for item in split_top(check_length(text), ",;"):
            item = " ".join(item.split())
            if not item:
                continue
            try:
                condition = parse_expr(item)
            except ParseError:  # words ("n positive integer"): covar.text.assumptions reads them
                plain.append(item)
                continue
            rels = condition.args if isinstance(condition, sp.And) else (condition,)
            between = [r for r in rels if isinstance(r, Relational) and len(r.free_symbols) > 1]
            if not between:
                plain.append(item)
                continue
            for r in between:
                if not isinstance(r, _ORDERS) or isinstance(r, sp.Equality):
                    raise ParseError(f"'{r}' is not a relation covar can split on; write <, <=, > or >= "
                                     "(substitute equal parameters instead)")
            relations += between
            plain += [sp.sstr(r) for r in rels if r not in between]
    return plain, relations


def draws_within(conditions: Sequence[Relational], params: Sequence[sp.Symbol], n: int,
                 seed: int) -> list[dict]:
    """Up to ``n`` parameter draws (by symbol) under which every relation holds, drawn through
    the case's substitution (so Eq(a, b) is hit exactly); [] when the case cannot be written."""
    from covar.numeric.verify import parameter_draws

    ref = None
    for order in itertools.islice(itertools.permutations(conditions), 6):
        try:
            ref = refine(order)
            break
        except (_Impossible, UnsupportedTransform):
            continue
    if ref is None:
        return []
    inner = sorted(set().union(*[sp.sympify(v).free_symbols for v in ref.forward.values()])
                   | (set(params) - set(ref.forward)), key=lambda s: (s.name, str(s.assumptions0)))
    out = []
    for draw in parameter_draws(inner, n=n, seed=seed):
        values = {p: ref.forward.get(p, p).xreplace(draw) for p in params}
        if all(v.is_number for v in values.values()):
            out.append({p: sp.Integer(round(v)) if p.is_integer else sp.Float(v, 30) for p, v in values.items()})
    return out


def draws_by_case(record: Any, params: Sequence[sp.Symbol], n: int, seed: int) -> list[list[dict]] | None:
    """Parameter draws for each case of a case split (None for any other record)."""
    if not isinstance(record, CaseSplit) or not record.cases:
        return None
    return [draws_within(case.conditions, params, n, seed) for case in record.cases]


def guarded_draws(params: Sequence[sp.Symbol], ends: Sequence[Any], n: int) -> list[dict] | None:
    """Draws inside the case that guards a cell's ends (Piecewise((lo, condition), (0, True)))."""
    for end in ends:
        if isinstance(end, sp.Piecewise) and len(end.args) == 2 and end.args[1].cond == sp.true:
            condition = end.args[0].cond
            rels = [r for r in sp.And.make_args(condition) if isinstance(r, Relational)]
            if rels and len(rels) == len(sp.And.make_args(condition)):
                return draws_within(rels, params, n, seed=20261126)
    return None
