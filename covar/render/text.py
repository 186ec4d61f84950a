"""Terminal text of a derived Density: the result, then the numbered steps of its Derivation.

Everything shown comes from the Derivation record (pieces, inverses, |h'|, images, cell sums,
notes); nothing is re-derived here. Formulas use sympy's unicode pretty-printer.
"""
from __future__ import annotations

from typing import Any

import sympy as sp


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _pretty(expr: Any) -> str:
    return sp.pretty(expr, use_unicode=True)


def _eq(lhs: str, expr: Any) -> str:
    """``lhs = expr`` pretty-printed; a tall expr keeps ``lhs =`` on its baseline."""
    # a Symbol named by the whole left side prints verbatim and keeps the baseline alignment
    return _pretty(sp.Eq(sp.Symbol(lhs), expr, evaluate=False))


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _letter(var: sp.Symbol) -> str:
    """The random variable's name for a variable: x -> X."""
    return str(var).upper()


def _law_of(density: Any, name: str) -> str:
    """One line naming a law: its family, or its density on its support."""
    if density.family:
        return f"{name} ~ {density.family}"
    kind = "pmf" if density.discrete else "density"
    if density.pdf is None:
        return f"{name} has a numeric-only {kind} on {_pretty(density.support)}"
    return f"{name} has {kind} {sp.sstr(density.pdf)} on {_pretty(density.support)}"


def _label(density: Any) -> str:
    return f"{'p' if density.discrete else 'f'}_{_letter(density.var)}({density.var})"


def headline(density: Any) -> str:
    """'Y = g(X) with g(x) = ..., X ~ ...' for a derived density (its first input names X)."""
    d = density.derivation
    if d is None:
        return _law_of(density, _letter(density.var))
    chain = d.steps
    g = chain[0].g
    for step in chain[1:]:  # a composition: write the whole map in terms of the first variable
        g = step.g.xreplace({step.x: g})
    x = chain[0].x
    return (f"{_letter(d.y)} = g({_letter(x)}) with g({x}) = {sp.sstr(g)}, "
            f"{_law_of(chain[0].input, _letter(x))}")


def render_result(density: Any) -> str:
    """The result block: f_Y, support, atoms, family."""
    y = density.var
    if density.pdf is None:
        body = (f"{_label(density)} has no closed form: it is evaluated numerically "
                f"(g(x) = {y} is solved on each monotone piece)")
    else:
        body = _eq(_label(density), density.pdf)
    atoms = "none" if not density.atoms else ", ".join(
        f"P({_letter(y)} = {sp.sstr(k)}) = {sp.sstr(v)}" for k, v in density.atoms.items())
    rows = [body, "", f"support  {_pretty(density.support)}", f"atoms    {atoms}",
            f"family   {density.family or 'not recognised'}"]
    return "\n".join(rows)


def _piece_block(k: int, piece: Any, d: Any) -> list[str]:
    x, y = d.x, d.y
    head = f"Piece {k}: on {x} ∈ {_pretty(piece.interval)}, g is {piece.kind}"
    if piece.kind == "constant":
        return [head, f"g = {sp.sstr(piece.value)} there; P({_letter(x)} in the piece) = {sp.sstr(piece.mass)}"
                f" becomes an atom at {y} = {sp.sstr(piece.value)}"]
    h = f"h{str(k).translate(_SUB)}"
    out = [head, f"image g({_pretty(piece.interval)}) = {_pretty(piece.image)}"]
    if piece.inverse is None:
        return out + [f"no closed-form inverse: {x} is found numerically from g({x}) = {y}"]
    out.append(_eq(f"inverse  {x} = {h}({y})", piece.inverse))
    if piece.rejected:
        out.append(f"(rejected root{'s' if len(piece.rejected) > 1 else ''} "
                   f"{', '.join(sp.sstr(r) for r in piece.rejected)}: not in the piece)")
    if piece.jacobian is not None:
        out.append(_eq(f"|{h}'({y})|", piece.jacobian))
    if piece.contribution is not None:
        out.append(_eq(f"f_{_letter(x)}({h}({y}))·|{h}'({y})|", piece.contribution))
    return out


def _cell_block(cell: Any, d: Any) -> list[str]:
    y = d.y
    hs = [f"h{str(i + 1).translate(_SUB)}" for i in cell.pieces]
    terms = " + ".join(f"f_{_letter(d.x)}({h}({y}))·|{h}'({y})|" for h in hs)
    out = [f"on {y} ∈ {_pretty(cell.interval)}:  f_{_letter(y)}({y}) = {terms}"]
    if len(cell.pieces) > 1:  # the branch sum written out term by term, before sympy merges it
        out.append("   = " + " + ".join(f"({sp.sstr(d.pieces[i].contribution)})" for i in cell.pieces))
    out.append(_eq("  ", cell.raw))
    if cell.simplified != cell.raw:
        out.append(_eq("  ", cell.simplified))
    return out


def _step_paragraphs(d: Any) -> list[list[str]]:
    """The numbered paragraphs of one map's derivation."""
    x, y = d.x, d.y
    first = [f"Input: {_law_of(d.input, _letter(x))}"]
    if d.input.pdf is not None:
        first.append(_eq(_label(d.input), d.input.pdf))
    paras = [first]
    if d.discrete and not d.pieces:
        paras.append([f"Map: {y} = {sp.sstr(d.g)}; each value of {_letter(x)} is sent through g "
                      "and the masses of equal images add up."])
    else:
        inner = [b for b in d.breakpoints if b.is_finite is not False]
        where = f"split at {x} = {', '.join(sp.sstr(b) for b in inner)}" if inner else "not split"
        paras.append([f"Map: {y} = g({x}) = {sp.sstr(d.g)}. The support is {where}: "
                      f"{len(d.pieces)} piece(s) on which g is monotone or constant."])
    paras += [_piece_block(k, piece, d) for k, piece in enumerate(d.pieces, start=1)]
    if d.cells:
        block = [f"Change of variables: f_{_letter(y)}({y}) = Σₖ f_{_letter(x)}(hₖ({y}))·|hₖ'({y})|, "
                 f"summed over the pieces whose image contains {y}"]
        for cell in d.cells:
            block += _cell_block(cell, d)
        paras.append(block)
    if d.notes:
        paras.append(["Notes:"] + [f"- {n}" for n in d.notes])
    return paras


def render_steps(density: Any) -> str:
    """The numbered steps of every map that led to ``density`` (oldest first)."""
    chain = density.derivation.steps
    out, n = [], 1
    for i, d in enumerate(chain, start=1):
        if len(chain) > 1:
            out.append(f"── map {i} of {len(chain)}: {d.y} = {sp.sstr(d.g)} ──")
        for para in _step_paragraphs(d):
            out.append(f"{n:>2}. {para[0]}")
            out += [_indent(line, "    ") for line in para[1:]]
            n += 1
    return "\n".join(out)


def render(density: Any, steps: bool = True) -> str:
    """The full terminal text of a result.

    >>> import covar
    >>> print(render(covar.transform(covar.parse_density("Uniform(0, 1)"), "2*x"), steps=False))
    Y = g(X) with g(x) = 2*x, X ~ Uniform(0, 1)
    ...
    support  [0, 2]
    atoms    none
    family   Uniform(0, 2)
    """
    parts = [headline(density), "", render_result(density)]
    if steps and density.derivation is not None:
        parts += ["", "Derivation", render_steps(density)]
    return "\n".join(parts)


def render_check(density: Any, report: Any, seed: int, values: dict[str, float]) -> str:
    """The figures of a CheckReport and the verdict."""
    given = f" with {', '.join(f'{k} = {v:g}' for k, v in values.items())}" if values else ""
    rows = [f"check of {headline(density)}{given}",
            f"   samples of g(X)      {report.samples}  (seed {seed})",
            f"   mass of f_Y          {report.mass:.6f}  (expected {report.expected_mass:.6f})"]
    if report.ks_statistic is not None:
        name = "chi-square" if density.discrete else "KS statistic D"
        rows.append(f"   {name:<20} {report.ks_statistic:.5f}  (p-value {report.ks_pvalue:.3g})")
    for point, mass in report.atom_masses.items():
        freq = report.atom_frequencies.get(point, float("nan"))
        rows.append(f"   atom at {point:<12g} frequency {freq:.5f}  (mass {mass:.5f})")
    if report.passed:
        rows.append("verdict: PASS")
    else:
        rows.append("verdict: FAIL")
        rows += [f"   - {f}" for f in report.failures]
    return "\n".join(rows)
