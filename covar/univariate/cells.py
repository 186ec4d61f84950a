"""Stage 4: the density of Y = g(X) for a univariate X, cell by cell on the y-line.

    f_Y(y) = sum over pieces k whose image covers y of f_X(h_k(y)) |h_k'(y)|

The y-line is cut at every image endpoint; on each cell the covering pieces are summed and
simplified (stage 5), constant pieces become atoms, and the result is one Derivation record.
"""
from __future__ import annotations

import time

import sympy as sp

from covar.laws.density import Density
from covar.laws.families import NamedLaw
from covar.record import Cell, Derivation, Note, Piece, joined, letter
from covar.errors import NoClosedForm, NoClosedFormInverse, UnsupportedTransform
from covar.univariate.inverses import image_interval, inverse_on
from covar.numeric.verify import parameter_draws, to_float as as_float
from covar.univariate.signs import sign_of, sort_points
from covar.univariate.pieces import RawPiece, monotone_pieces
from covar.univariate.simplify import simplify_on


def _mass(fx: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    mass = sp.integrate(fx, (x, lo, hi))
    if mass.has(sp.Integral):
        raise NoClosedForm(f"the probability of {lo} < X < {hi} (an atom of Y) has no closed form")
    mass = sp.simplify(mass) if sp.count_ops(mass) < 80 else mass
    _confirm_mass(mass, fx, x, lo, hi)
    return mass


def _confirm_mass(mass: sp.Expr, fx: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> None:
    """sympy's integral against quadrature at parameter draws (sympy 1.14 integrates the normal
    density over (tan(log(3)), oo) to 0); a disagreement, nan or complex value refuses."""
    import mpmath

    params = sorted((mass.free_symbols | fx.free_symbols | sp.sympify(lo).free_symbols
                     | sp.sympify(hi).free_symbols) - {x}, key=lambda s: s.name)
    checked = 0
    for values in parameter_draws(params, n=3 if params else 1):
        try:
            a, b = as_float(sp.sympify(lo).subs(values)), as_float(sp.sympify(hi).subs(values))
            if not a < b:
                continue
            f = sp.lambdify(x, fx.subs(values), "mpmath")
            with mpmath.workdps(20):
                quad = float(mpmath.quad(lambda t: mpmath.re(f(t)), [a, b]))
            closed = as_float(mass.subs(values))
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            raise NoClosedForm(f"the probability of {lo} < X < {hi} (an atom of Y) cannot be "
                               f"confirmed numerically ({exc})") from exc
        if not abs(closed - quad) <= 1e-7 * max(1.0, abs(quad)):
            raise NoClosedForm(f"the probability of {lo} < X < {hi} (an atom of Y): sympy's "
                               f"integral {mass} = {closed:.6g} disagrees with quadrature {quad:.6g}")
        checked += 1
    if params and not checked:
        raise NoClosedForm(f"the probability of {lo} < X < {hi} (an atom of Y) could not be checked")


def _cell_condition(y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Basic:
    parts = []
    if lo != -sp.oo:
        parts.append(y > lo)
    if hi != sp.oo:
        parts.append(y < hi)
    return sp.And(*parts) if parts else sp.true


def _piecewise(cells: list[Cell], y: sp.Symbol) -> sp.Expr:
    branches = [(c.simplified, _cell_condition(y, c.interval.start, c.interval.end)) for c in cells]
    return sp.Piecewise(*branches, (0, True), evaluate=False)


def _closed_union(cells: list[Cell]) -> sp.Set:
    if not cells:
        return sp.EmptySet
    try:
        return sp.Union(*[sp.Interval(c.interval.start, c.interval.end) for c in cells])
    except TypeError as exc:  # sympy cannot order two ends (a zero it cannot recognise)
        ends = sorted({e for c in cells for e in (c.interval.start, c.interval.end)}, key=sp.default_sort_key)
        raise UnsupportedTransform(f"covar cannot order the ends {ends} of the cells of f_Y ({exc}); "
                                   "try an equivalent, simpler form of the map") from exc


def _merge_equal_neighbours(cells: list[Cell]) -> list[Cell]:
    """Adjacent cells with the same simplified formula, joined (for the stated pdf only)."""
    merged: list[Cell] = []
    for cell in cells:
        prev = merged[-1] if merged else None
        if prev is not None and prev.interval.end == cell.interval.start and prev.simplified == cell.simplified:
            merged[-1] = Cell(sp.Interval.open(prev.interval.start, cell.interval.end),
                              tuple(dict.fromkeys(prev.pieces + cell.pieces)), prev.raw, prev.simplified)
        else:
            merged.append(cell)
    return merged


def _off_image_note(h: sp.Expr, x: sp.Symbol, y: sp.Symbol, image: sp.Interval) -> Note | None:
    """A note when the inverse formula is real beyond the image (the chi-square trap)."""
    params = sorted(h.free_symbols - {y}, key=lambda s: s.name)
    values = parameter_draws(params, n=1)[0]
    outside = []
    for end, step in ((image.start, -1), (image.end, 1)):
        if end.is_infinite:
            continue
        try:
            probe = as_float((end + step).subs(values))
            as_float(h.subs({**values, y: probe}))
        except (ValueError, TypeError):
            continue
        outside.append(sp.StrictLessThan(y, end, evaluate=False) if step < 0
                       else sp.StrictGreaterThan(y, end, evaluate=False))
    if not outside:
        return None
    return ("The formula ", sp.Eq(x, h, evaluate=False), " is also real for ", *joined(outside, " and "),
            f", but no {x} in this piece maps there (the image is ", image, "); applying it outside the image "
            "would invent a branch that carries no probability.")



def derive_univariate(X: Density, g: sp.Expr, y: sp.Symbol) -> Density:
    """Derive the law of Y = g(X) in the variable ``y`` (X continuous, with a pdf expression)."""
    started = time.perf_counter()
    x, fx = X.var, X.pdf
    breakpoints, raw = monotone_pieces(g, fx, x, X.support)
    t_pieces = time.perf_counter()
    notes: list[Note] = []
    off_support = sp.Interval(-sp.oo, sp.oo) - X.support
    if off_support is not sp.EmptySet and X.support.measure != 0:
        notes.append((f"f_{letter(x)} = 0 on ", off_support, f": {x} there carries no probability, so it "
                      "gives no branch and no term of the sum."))
    pieces: list[Piece] = []
    atoms: dict[sp.Expr, sp.Expr] = {}
    for rp in raw:
        try:
            pieces.append(_derive_piece(rp, x, y, atoms, notes))
        except NoClosedFormInverse:
            return _numeric_only(X, g, y, breakpoints, raw, (
                sp.Eq(sp.Function("g")(x), y), " has no closed-form solution for ", x, " on ",
                sp.Interval.open(rp.lo, rp.hi), "."))
    for point, mass in X.atoms.items():
        target = sp.simplify(g.subs(x, point))
        atoms[target] = atoms.get(target, 0) + mass
        notes.append((f"The atom of {letter(x)} at ", point, " (mass ", mass, ") moves to ",
                      sp.Eq(y, target, evaluate=False), "."))
    t_inverse = time.perf_counter()

    monotone = [(k, p) for k, p in enumerate(pieces) if p.kind != "constant"]
    images = {k: p.image for k, p in monotone if p.image is not None}
    if len(images) != len(monotone):
        raise RuntimeError("a monotone piece without an image interval")  # a covar bug, not user input
    if len(monotone) == 1:  # one image interval: its ends are ordered by construction
        ends = [images[monotone[0][0]].start, images[monotone[0][0]].end]
    else:
        ends = sort_points([e for im in images.values() for e in (im.start, im.end)], "image endpoints")
    def position(e: sp.Expr) -> int:
        # sort_points merged endpoints that are equal but written differently
        return next(k for k, v in enumerate(ends) if v == e or (not (v.is_infinite or e.is_infinite)
                                                                and sign_of(v - e) == 0))

    cells: list[Cell] = []
    for i, (lo, hi) in enumerate(zip(ends, ends[1:])):
        covering = tuple(k for k, p in monotone
                         if position(images[k].start) <= i and i + 1 <= position(images[k].end))
        if not covering:
            continue
        raw_sum = sp.Add(*[pieces[k].contribution for k in covering])
        simple = simplify_on(raw_sum, y, lo, hi)
        if simple == 0:
            continue
        cells.append(Cell(sp.Interval.open(lo, hi), covering, raw_sum, simple))
    # the record keeps every cell with the pieces that really cover it; the stated result merges
    # neighbours with one formula (1/X of a Cauchy is one Cauchy density, not two halves)
    merged = _merge_equal_neighbours(cells)
    t_sum = time.perf_counter()

    support = _closed_union(merged)
    outside = sp.Interval(-sp.oo, sp.oo) - support
    if cells and outside is not sp.EmptySet:
        notes.append((f"No {x} in the support ", X.support, f" of {letter(x)} maps into ", outside,
                      f", so f_{letter(y)} = 0 there."))
    atoms = {k: v for k, v in atoms.items() if v != 0}
    if not merged and not atoms:
        # every cell summed to 0 and there is no atom: a law with mass 0 is a derivation
        # error, never a result
        raise UnsupportedTransform(
            f"the derived law of {g} has no density and no atoms (mass 0); covar cannot "
            "derive it reliably: try an equivalent form of the map"
        )
    if atoms:
        support = sp.Union(support, sp.FiniteSet(*atoms))
    pdf = _piecewise(merged, y)
    family = _recognise(merged, y, atoms)
    t_done = time.perf_counter()
    derivation = Derivation(
        input=X, x=x, y=y, g=g,
        breakpoints=breakpoints, pieces=tuple(pieces), cells=tuple(cells), pdf=pdf,
        support=support, atoms=atoms, family=family, notes=tuple(notes),
        timings={"pieces": t_pieces - started, "inverses": t_inverse - t_pieces,
                 "sums": t_sum - t_inverse, "recognition": t_done - t_sum},
    )
    return Density(pdf, y, support, atoms, family=family, derivation=derivation, validate=False)


def _derive_piece(rp: RawPiece, x, y, atoms: dict, notes: list[Note]) -> Piece:
    interval = sp.Interval.open(rp.lo, rp.hi)
    if rp.kind == "constant":
        mass = _mass(rp.fx, x, rp.lo, rp.hi)
        atoms[rp.g] = atoms.get(rp.g, 0) + mass
        notes.append(("g is constant = ", rp.g, " on ", interval, ": its probability ", mass, " becomes an atom at ",
                      sp.Eq(y, rp.g, evaluate=False), "."))
        return Piece(interval, rp.g, "constant", value=rp.g, mass=mass)
    image = image_interval(rp.g, x, rp.lo, rp.hi, rp.kind)
    inv = inverse_on(rp.g, x, y, rp.lo, rp.hi, image, rp.kind)
    for cand in inv.rejected:
        notes.append(("On ", interval, f" the root {x} = ", cand, f" of g({x}) = {y} is rejected: "
                      "it does not lie in the piece."))
    note = _off_image_note(inv.h, x, y, image)
    if note:
        notes.append(note)
    contribution = rp.fx.subs(x, inv.h) * inv.jacobian
    return Piece(interval, rp.g, rp.kind, inverse=inv.h, jacobian=inv.jacobian, image=image,
                 contribution=contribution, rejected=inv.rejected)


def _numeric_only(X: Density, g, y, breakpoints, raw: list[RawPiece], why: Note) -> Density:
    """An honest result without a closed form: pdf None, numpy() by root-finding on each piece;
    ``why`` says what has no closed form."""
    from covar.numeric.evaluate import numeric_pdf

    x = X.var
    atoms: dict = {}
    notes: list[Note] = [("No closed-form inverse: ", *why, " The density is evaluated numerically by solving ",
                          sp.Eq(sp.Function("g")(x), y), " on each monotone piece.")]
    pieces, monotone = [], []
    for rp in raw:
        if rp.kind == "constant":
            pieces.append(_derive_piece(rp, x, y, atoms, notes))
            continue
        image = image_interval(rp.g, x, rp.lo, rp.hi, rp.kind)
        pieces.append(Piece(sp.Interval.open(rp.lo, rp.hi), rp.g, rp.kind, image=image))
        monotone.append(rp)
    support = sp.Union(*[sp.Interval(p.image.start, p.image.end) for p in pieces if p.image is not None])
    if atoms:
        support = sp.Union(support, sp.FiniteSet(*atoms))
    pdf_symbols = X.pdf.free_symbols if X.pdf is not None else set()
    params = sorted((g.free_symbols | pdf_symbols) - {x}, key=lambda s: s.name)
    evaluator = numeric_pdf(x, monotone, params)
    derivation = Derivation(
        input=X, x=x, y=y, g=g,
        breakpoints=breakpoints, pieces=tuple(pieces), cells=(), pdf=None, support=support,
        atoms=atoms, closed_form=False, notes=tuple(notes),
    )
    return Density(None, y, support, atoms, derivation=derivation, numeric=evaluator, validate=False)


def _recognise(cells: list[Cell], y: sp.Symbol, atoms: dict) -> NamedLaw | None:
    """The catalog law of a one-cell (or two-sided, two-cell) result without atoms, or None."""
    if len(cells) > 2 or atoms:
        return None
    from covar.univariate.recognize import recognize_cells

    return recognize_cells([(c.interval.start, c.interval.end, c.simplified) for c in cells], y)
