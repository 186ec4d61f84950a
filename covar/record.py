"""The derivation records: one family of frozen dataclasses for how every kind of result arose.

Every result carries a :class:`Record`: a univariate map (:class:`Derivation`, which covers
densities, pmfs, mixed laws and numeric-only results), a multivariate map (:class:`MapRecord`),
a marginal (:class:`MarginalRecord`) or a flow stack (:class:`FlowRecord`). A record links to
the record of its input (:attr:`Record.previous`), so a composition keeps each step, and
:meth:`Record.display` turns it into uniform :class:`DisplayStep` s (a title, formulas, remarks)
that every front end renders (text, LaTeX, JSON, notebooks) without knowing the kind of result.
The result itself is summarised by a :class:`LawSummary` that every law provides.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Union

import sympy as sp

if TYPE_CHECKING:  # pragma: no cover
    from covar.laws.density import Density
    from covar.laws.joint import JointDensity
    from covar.univariate.discrete import DiscreteLaw
    from covar.laws.families import NamedLaw


def set_text(s: sp.Set) -> str:
    """A set in the interval notation people write: (0, oo), [0, 1], (-oo, 0) U (1, oo).

    >>> set_text(sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval(1, 2)))
    '(-oo, 0) U [1, 2]'
    """
    if isinstance(s, sp.Interval):
        left = "(" if s.left_open or s.start == -sp.oo else "["
        right = ")" if s.right_open or s.end == sp.oo else "]"
        return f"{left}{sp.sstr(s.start)}, {sp.sstr(s.end)}{right}"
    if isinstance(s, sp.Union):
        return " U ".join(set_text(part) for part in s.args)
    if isinstance(s, sp.FiniteSet):
        return "{" + ", ".join(sp.sstr(v) for v in s) + "}"
    return sp.sstr(s)


# ---- what front ends render -----------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    """A name that is not a sympy expression (h₁(y), f_X(h₁(y))·|h₁'(y)|), in both notations."""

    text: str
    tex: str


#: Prose with math inline: strings are words; sympy objects and labels are math.
Phrase = tuple[Union[str, sp.Basic, Label], ...]


@dataclass(frozen=True)
class Formula:
    """``label = values[0] = values[1] ...``, optionally only ``where`` (a phrase) holds."""

    label: Label
    values: tuple[Union[sp.Basic, Label], ...]
    where: Phrase = ()


@dataclass(frozen=True)
class DisplayStep:
    """One step as every front end shows it: a title, its formulas, then remarks."""

    title: Phrase
    formulas: tuple[Formula, ...] = ()
    remarks: tuple[Phrase, ...] = ()
    bulleted: bool = False  # remarks are a list (notes), not sentences


@dataclass(frozen=True)
class LawSummary:
    """What a law shows as a result: ``label = pdf`` on ``support``, atoms and family.

    ``name`` is the random variable (Y, or (Y1, Y2)); ``where`` is the support as math
    (y ∈ [0, ∞) or a condition on the variables); ``kind`` is "density" or "pmf".
    """

    name: str
    label: Label
    pdf: sp.Basic | None
    support: sp.Basic
    where: sp.Basic
    atoms: tuple[tuple[sp.Basic, sp.Basic], ...]
    family: str | None
    kind: str
    numeric_method: str = "root-finding"


def shown_digits(expr: Any, digits: int = 10) -> Any:
    """``expr`` as a reader sees it: a float certified to 30 digits shows its first ``digits``
    (the record and its JSON keep them all).

    >>> shown_digits(sp.Float("-0.751791524693564457457904946780", 30) * sp.Symbol("x"))
    -0.7517915247*x
    """
    if not isinstance(expr, sp.Basic):
        return expr
    long = {f: sp.Float(f, digits) for f in expr.atoms(sp.Float) if f._prec > sp.Float(1.0, digits)._prec}
    return expr.xreplace(long) if long else expr


def letter(var: sp.Symbol) -> str:
    """The random variable's name for a variable: x -> X, y1 -> Y1."""
    return str(var).upper()


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def function_label(var: sp.Symbol, discrete: bool = False) -> Label:
    """f_X(x), or p_X(x) for a pmf.

    >>> function_label(sp.Symbol("y"), discrete=True)
    Label(text='p_Y(y)', tex='p_{Y}(y)')
    """
    f, name = ("p" if discrete else "f"), letter(var)
    return Label(f"{f}_{name}({var})", f"{f}_{{{name}}}({sp.latex(var)})")


#: A note for the reader: prose strings with math objects inline, typeset by each front end,
#: e.g. ``("The support is cut at ", FiniteSet(0, 1), ", where g turns.")``.
Note = Phrase


def note_words(note: Note) -> str:
    """A note's prose alone (its math left out), for matching notes by their wording.

    >>> note_words(("g is constant = ", sp.Integer(1), " on ", sp.Interval(0, 1), "."))
    'g is constant =  on .'
    """
    return "".join(part for part in note if isinstance(part, str))


def _notes_step(notes: tuple[Note, ...]) -> tuple[DisplayStep, ...]:
    return (DisplayStep(("Notes:",), remarks=notes, bulleted=True),) if notes else ()


def law_phrase(law: Any, name: str) -> Phrase:
    """'X ~ family' or 'X has density f on S' (from the law's own summary)."""
    s = law.summary()
    if s.family:
        return (f"{name} ~ {s.family}",)
    if s.pdf is None:
        return (f"{name} has a numeric-only {s.kind} on ", s.support)
    return (f"{name} has {s.kind} ", s.pdf, " on ", s.support)


# ---- the records ----------------------------------------------------------------------------

class Record:
    """What every record offers: its kind, notes, the previous step, and display steps.

    Subclasses are frozen dataclasses; ``kind`` names them in JSON.
    """

    kind: ClassVar[str] = ""
    notes: tuple[Note, ...]

    @property
    def previous(self) -> "Record | None":
        """The record of this step's input, when the input was itself derived."""
        return None

    @property
    def steps(self) -> tuple["Record", ...]:
        """Every record from the first map to this one, oldest first."""
        chain: list[Record] = []
        d: Record | None = self
        while d is not None:
            chain.append(d)
            d = d.previous
        return tuple(reversed(chain))

    def heading(self) -> Phrase:
        """This step in one line (a composition titles each map with it)."""
        raise NotImplementedError

    def headline(self) -> Phrase:
        """The whole result in one line: the map(s) and the law they started from."""
        return self.heading()

    def display(self) -> tuple[DisplayStep, ...]:
        """This step's own display steps (the input's record has its own)."""
        raise NotImplementedError

    def with_notes(self, notes: tuple[Note, ...]) -> "Record":
        return replace(self, notes=notes)  # type: ignore[type-var]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: the steps as text, LaTeX and HTML with MathML."""
        from covar.render.notebook import record_mimebundle

        return record_mimebundle(self)

    def text(self) -> str:
        """Plain text of every step, oldest first (covar.render.text)."""
        from covar.render.text import render_record

        return render_record(self)


@dataclass(frozen=True)
class Piece:
    """One piece of the support of X on which g is smooth and monotone (or constant).

    ``kind`` is "increasing", "decreasing" or "constant". For monotone pieces ``inverse`` is
    h(y) with g(h(y)) = y, ``jacobian`` is |h'(y)| (written without Abs: the sign is known from
    the direction), ``image`` is g(piece) and ``contribution`` is f_X(h(y))·|h'(y)|. For constant
    pieces ``value`` is the constant and ``mass`` = ∫ f_X over the piece.
    """

    interval: sp.Interval
    g: sp.Expr
    kind: str
    inverse: sp.Expr | None = None
    jacobian: sp.Expr | None = None
    image: sp.Interval | None = None
    contribution: sp.Expr | None = None
    value: sp.Expr | None = None
    mass: sp.Expr | None = None
    rejected: tuple[sp.Expr, ...] = ()


@dataclass(frozen=True)
class Cell:
    """One interval of the y-line with the pieces that cover it and the summed density."""

    interval: sp.Interval
    pieces: tuple[int, ...]
    raw: sp.Expr
    simplified: sp.Expr


@dataclass(frozen=True)
class Derivation(Record):
    """How Y = g(X) was derived for a univariate X: input, map, breakpoints, pieces, cells, result.

    ``input`` is the Density of X; when X was itself derived, ``previous`` is its record, so a
    composition keeps each step. ``notes`` are sentences for the reader (why a branch
    contributes nothing, which candidate inverse was rejected and why). A pmf keeps its
    evaluable law (points and an infinite tail) in ``law``.
    """

    kind: ClassVar[str] = "map"
    input: "Density"
    x: sp.Symbol
    y: sp.Symbol
    g: sp.Expr
    breakpoints: tuple[sp.Expr, ...]
    pieces: tuple[Piece, ...]
    cells: tuple[Cell, ...]
    pdf: sp.Expr | None
    support: sp.Set
    atoms: dict
    family: "NamedLaw | None" = None
    discrete: bool = False
    closed_form: bool = True
    notes: tuple[Note, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    law: "DiscreteLaw | None" = None

    @property
    def previous(self) -> Record | None:
        return self.input.derivation

    @property
    def input_pdf(self) -> sp.Expr | None:
        return self.input.pdf

    @property
    def input_support(self) -> sp.Set:
        return self.input.support

    def heading(self) -> Phrase:
        return (sp.Eq(sp.Symbol(letter(self.y)), self.g.xreplace({self.x: sp.Symbol(letter(self.x))}),
                      evaluate=False),)

    def headline(self) -> Phrase:
        g, first = self.g, self
        while isinstance(first.previous, Derivation):  # a composition: g in the first variable
            first = first.previous
            g = g.xreplace({first.y: first.g})
        x = first.x
        return (f"{letter(self.y)} = g({letter(x)}) with g({x}) = ", g, ", ",
                *law_phrase(first.input, letter(x)))

    def display(self) -> tuple[DisplayStep, ...]:
        x, y, X = self.x, self.y, self.input
        s = X.summary()
        first = DisplayStep(("Input: ", *law_phrase(X, letter(x))),
                            (Formula(s.label, (s.pdf,), ("for ", s.where)),) if s.pdf is not None else ())
        if self.discrete and not self.pieces:
            pieces_step = DisplayStep((f"Map: {y} = ", self.g, f"; each value of {letter(x)} is sent through g "
                                       "and the masses of equal images add up.",))
        else:
            inner = [b for b in self.breakpoints if b.is_finite is not False]
            where: Phrase = (f"split at {x} = ", *_commas(inner)) if inner else ("not split",)
            pieces_step = DisplayStep((f"Map: {y} = g({x}) = ", self.g, ". The support is ", *where,
                                       f": {_count(len(self.pieces), 'piece')} on which g is monotone or constant.",))
        steps = [first, pieces_step]
        steps += [self._piece_step(k, p) for k, p in enumerate(self.pieces, start=1)]
        if self.cells:
            steps.append(self._sum_step())
        elif not self.closed_form and not self.discrete:
            steps.append(self._implicit_sum_step())
        return (*steps, *_notes_step(self.notes))

    def _implicit_sum_step(self) -> DisplayStep:
        """The change-of-variables formula of a numeric-only result, each h_k defined implicitly."""
        x, y, fy, fx, yt = self.x, self.y, letter(self.y), letter(self.x), sp.latex(self.y)
        rule = Label(f"f_{fy}({y}) = Σₖ f_{fx}(hₖ({y}))/|g'(hₖ({y}))|",
                     rf"f_{{{fy}}}({yt}) = \sum_k f_{{{fx}}}(h_k({yt}))/\left|g'(h_k({yt}))\right|")
        formulas = [Formula(Label(f"g'({x})", f"g'({sp.latex(x)})"), (sp.diff(self.g, x),))]
        for k, p in enumerate(self.pieces, start=1):
            if p.kind == "constant" or p.image is None:
                continue
            h = sp.Function(f"h_{k}")(y)
            formulas.append(Formula(Label(f"g(h{_sub(k)}({y}))", f"g(h_{{{k}}}({yt}))"), (y,),
                                    ("with ", sp.Contains(h, p.interval, evaluate=False), " for ",
                                     sp.Contains(y, p.image, evaluate=False))))
        return DisplayStep(("Change of variables, evaluated numerically: ", rule, ", where each hₖ(", y,
                            ") is the solution of g(hₖ(", y, ")) = ", y, " on piece k (found by root-finding)"),
                           tuple(formulas))

    def _h(self, k: int) -> Label:
        return Label(f"h{_sub(k)}({self.y})", f"h_{{{k}}}({sp.latex(self.y)})")

    def _term(self, k: int) -> Label:
        h, fx = self._h(k), letter(self.x)
        return Label(f"f_{fx}({h.text})·|h{_sub(k)}'({self.y})|",
                     rf"f_{{{fx}}}({h.tex})\left|h_{{{k}}}'({sp.latex(self.y)})\right|")

    def _piece_step(self, k: int, p: Piece) -> DisplayStep:
        x, y = self.x, self.y
        title: Phrase = (f"Piece {k}: on ", sp.Contains(x, p.interval, evaluate=False), f", g is {p.kind}")
        if p.kind == "constant":
            return DisplayStep(title, remarks=((
                "g = ", p.value, f" there, so the probability P({letter(x)} ∈ ", p.interval, ") = ", p.mass,
                " becomes an atom at ", sp.Eq(y, p.value, evaluate=False), "."),))
        image: Phrase = ("image g(", p.interval, ") = ", p.image) if p.image is not None else ()
        if p.inverse is None:
            return DisplayStep(title, remarks=(image, (
                "g(x) = y has no closed-form solution: ", x, " is solved numerically on this piece."),))
        h = self._h(k)
        formulas = [Formula(Label(f"inverse  {x} = {h.text}", f"{sp.latex(x)} = {h.tex}"), (p.inverse,))]
        if p.jacobian is not None:
            formulas.append(Formula(Label(f"|h{_sub(k)}'({y})|", rf"\left|h_{{{k}}}'({sp.latex(y)})\right|"),
                                    (p.jacobian,)))
        if p.contribution is not None:
            formulas.append(Formula(self._term(k), (p.contribution,)))
        remarks = [image] if image else []
        if p.rejected:
            many = len(p.rejected) > 1
            remarks.append((f"The other root{'s' if many else ''} ", *_commas(p.rejected),
                            f" of g({x}) = {y} {'lie' if many else 'lies'} outside the piece and "
                            f"{'are' if many else 'is'} rejected.",))
        return DisplayStep(title, tuple(formulas), tuple(remarks))

    def _sum_step(self) -> DisplayStep:
        y = self.y
        label = function_label(y)
        formulas = []
        for cell in self.cells:
            terms = [self._term(i + 1) for i in cell.pieces]
            values: list[sp.Basic | Label] = [Label(" + ".join(t.text for t in terms),
                                                    " + ".join(t.tex for t in terms))]
            if len(cell.pieces) > 1:  # the branch sum written out term by term, before sympy merges it
                values.append(sp.Add(*[self.pieces[i].contribution for i in cell.pieces], evaluate=False))
            values.append(cell.raw)
            if cell.simplified != cell.raw:
                values.append(cell.simplified)
            formulas.append(Formula(label, tuple(values), ("on ", sp.Contains(y, cell.interval, evaluate=False))))
        fy, fx, yt = letter(y), letter(self.x), sp.latex(y)
        rule = Label(f"f_{fy}({y}) = Σₖ f_{fx}(hₖ({y}))·|hₖ'({y})|",
                     rf"f_{{{fy}}}({yt}) = \sum_k f_{{{fx}}}(h_k({yt}))\left|h_k'({yt})\right|")
        return DisplayStep(("Change of variables: ", rule, ", summed over the pieces whose image contains ", y),
                           tuple(formulas))


def _count(n: int, word: str, plural: str = "") -> str:
    """'1 piece', '2 pieces' (``plural`` when adding "s" is wrong)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def joined(items: Any, word: str = ", ") -> Phrase:
    """Math items joined by words: ``(a, ", ", b)``, or ``(a, " and ", b)``.

    >>> joined([sp.Integer(1), sp.Integer(2)], " and ")
    (1, ' and ', 2)
    """
    out: list[str | sp.Basic] = []
    for i, item in enumerate(items):
        out += ([word] if i else []) + [item]
    return tuple(out)


def _commas(items: Any) -> Phrase:
    return joined(items)


def sentence(text: str) -> str:
    """``text`` ending with a full stop (an error message quoted in a note).

    >>> sentence("no inverse")
    'no inverse.'
    """
    return text if text.rstrip().endswith((".", "!", "?")) else text.rstrip() + "."


@dataclass(frozen=True)
class InversePiece:
    """One branch x = h(y) of g^{-1}, valid where ``condition`` (a condition in y) holds."""

    inverse: tuple[sp.Expr, ...]
    jacobian: sp.ImmutableMatrix
    det: sp.Expr
    abs_det: sp.Expr
    condition: sp.Basic
    contribution: sp.Expr


@dataclass(frozen=True)
class MapRecord(Record):
    """How f_Y was derived from f_X and y = g(x) for a random vector: branches, Jacobians, result.

    ``previous`` is the record of X itself when X was already derived, so a composition keeps
    each step (see :attr:`steps`).
    """

    kind: ClassVar[str] = "joint-map"
    x: tuple[sp.Symbol, ...]
    y: tuple[sp.Symbol, ...]
    input_pdf: sp.Expr
    input_support: sp.Basic
    g: tuple[sp.Expr, ...]
    pieces: tuple[InversePiece, ...]
    pdf: sp.Expr
    support: sp.Basic
    notes: tuple[Note, ...] = ()
    previous: "Record | None" = None
    timings: dict[str, float] = field(default_factory=dict)

    def _single(self) -> InversePiece:
        if len(self.pieces) != 1:
            from covar.errors import CovarError

            raise CovarError(f"the map has {len(self.pieces)} inverse branches; see .pieces")
        return self.pieces[0]

    @property
    def inverse(self) -> tuple[sp.Expr, ...]:
        return self._single().inverse

    @property
    def jacobian(self) -> sp.ImmutableMatrix:
        return self._single().jacobian

    @property
    def det(self) -> sp.Expr:
        return self._single().det

    @property
    def abs_det(self) -> sp.Expr:
        return self._single().abs_det

    def heading(self) -> Phrase:
        return (sp.Tuple(*self.y), " = ", sp.Tuple(*self.g))

    def headline(self) -> Phrase:
        first = self
        while isinstance(first.previous, MapRecord):
            first = first.previous
        return (f"{_names(self.y)} = g({_names(self.x)}) with g = ", sp.Tuple(*self.g),
                f", {_names(first.x)} with a joint density")

    def display(self) -> tuple[DisplayStep, ...]:
        xs, ys = sp.Tuple(*self.x), sp.Tuple(*self.y)
        steps = [_joint_input_step(self.x, self.input_pdf, self.input_support),
                 DisplayStep(("Map: ", ys, " = ", sp.Tuple(*self.g),
                              f"; {_count(len(self.pieces), 'inverse branch', 'inverse branches')}.",))]
        for k, p in enumerate(self.pieces, start=1):
            fx = "f_X"
            steps.append(DisplayStep(
                (f"Branch {k}: where ", support_shown(self.y, p.condition)),
                (Formula(Label(f"{sp.sstr(xs)} = h{_sub(k)}{sp.sstr(ys)}", rf"{sp.latex(xs)} = h_{{{k}}}{sp.latex(ys)}"),
                         (sp.Tuple(*p.inverse),)),
                 Formula(Label(f"J_h{_sub(k)}", rf"J_{{h_{{{k}}}}}"), (p.jacobian,)),
                 Formula(Label(f"det J_h{_sub(k)}", rf"\det J_{{h_{{{k}}}}}"), (p.det,)),
                 Formula(Label(f"|det J_h{_sub(k)}|", rf"\left|\det J_{{h_{{{k}}}}}\right|"), (p.abs_det,)),
                 Formula(Label(f"{fx}(h{_sub(k)}(y))·|det J_h{_sub(k)}|",
                               rf"f_{{X}}(h_{{{k}}}(y))\left|\det J_{{h_{{{k}}}}}\right|"), (p.contribution,)))))
        if len(self.pieces) > 1:
            steps.append(DisplayStep(("Sum over the branches whose condition holds:",),
                                     (Formula(Label(f"f{sp.sstr(ys)}", rf"f{sp.latex(ys)}"), (self.pdf,)),)))
        return (*steps, *_notes_step(self.notes))


def _names(xs: tuple[sp.Symbol, ...]) -> str:
    """(X1, X2) for (x1, x2)."""
    return sp.sstr(sp.Tuple(*(sp.Symbol(letter(x)) for x in xs)))


def support_shown(xs: tuple[sp.Symbol, ...], condition: sp.Basic) -> sp.Basic:
    """A joint support condition as a reader sees it: (x1, x2) ∈ ℝ² when it holds everywhere.

    >>> x1, x2 = sp.symbols("x1 x2", real=True)
    >>> support_shown((x1, x2), sp.true)
    Contains((x1, x2), ProductSet(Reals, Reals))
    >>> support_shown((x1, x2), x1 > 0)
    x1 > 0
    """
    if condition is sp.true:
        return sp.Contains(sp.Tuple(*xs), sp.ProductSet(*(sp.Reals,) * len(xs)), evaluate=False)
    return condition


def _joint_input_step(xs: tuple[sp.Symbol, ...], pdf: sp.Expr, support: sp.Basic) -> DisplayStep:
    v = sp.Tuple(*xs)
    return DisplayStep((f"Input: {_names(xs)} has a joint density",),
                       (Formula(Label(f"f{sp.sstr(v)}", rf"f{sp.latex(v)}"), (pdf,),
                                ("where ", support_shown(xs, support))),))


@dataclass(frozen=True)
class Integral:
    """One interval lo < s < hi of the kept variable: its integrals and the marginal there.

    ``pieces`` are ``(integrand, lower, upper)`` in the integrated variable; ``result`` is None
    when the cell has no checked closed form (the marginal is then numeric-only).
    """

    lo: sp.Expr
    hi: sp.Expr
    pieces: tuple[tuple[sp.Expr, sp.Expr, sp.Expr], ...]
    result: sp.Expr | None


@dataclass(frozen=True)
class MarginalRecord(Record):
    """How the marginal of ``kept`` arose: ``integrated`` is integrated out of ``joint`` cell by cell."""

    kind: ClassVar[str] = "marginal"
    joint: "JointDensity"
    kept: sp.Symbol
    integrated: sp.Symbol
    integrals: tuple[Integral, ...]
    notes: tuple[Note, ...] = ()

    @property
    def previous(self) -> Record | None:
        return self.joint.derivation

    def heading(self) -> Phrase:
        return (f"the marginal of {letter(self.kept)}: {self.integrated} integrated out",)

    def headline(self) -> Phrase:
        return (f"{letter(self.kept)}, the marginal of the joint law of {_names(self.joint.vars)}",)

    def display(self) -> tuple[DisplayStep, ...]:
        s, t = self.kept, self.integrated
        formulas = []
        for c in self.integrals:
            if not c.pieces:
                continue
            integral = sp.Add(*[sp.Integral(e, (t, lo, hi)) for e, lo, hi in c.pieces], evaluate=False)
            values = (integral,) if c.result is None else (integral, c.result)
            formulas.append(Formula(function_label(s), values, ("on ", sp.Contains(s, sp.Interval(c.lo, c.hi),
                                                                               evaluate=False))))
        return (_joint_input_step(self.joint.vars, self.joint.pdf, self.joint.support),
                DisplayStep((f"Marginal: {t} is integrated out over exact limits on each interval of {s}",),
                            tuple(formulas)),
                *_notes_step(self.notes))


@dataclass(frozen=True)
class LayerStep:
    """One layer of a flow stack: ``outputs = forward(inputs)``, ``inputs = inverse(outputs)``."""

    name: str
    inputs: tuple[sp.Symbol, ...]
    outputs: tuple[sp.Symbol, ...]
    forward: tuple[sp.Expr, ...]
    inverse: tuple[sp.Expr, ...]
    log_det: sp.Expr


@dataclass(frozen=True)
class FlowRecord(Record):
    """How the density of a flow's output arose: the base law and each layer's step.

    A flow builds it with ``FlowRecord(base.vars, base.pdf, base.support, tuple(LayerStep(...)
    for each step), pdf, support, previous=base.derivation)``.
    """

    kind: ClassVar[str] = "flow"
    x: tuple[sp.Symbol, ...]
    input_pdf: sp.Expr
    input_support: sp.Basic
    layers: tuple[LayerStep, ...]
    pdf: sp.Expr
    support: sp.Basic
    notes: tuple[Note, ...] = ()
    previous: "Record | None" = None

    def heading(self) -> Phrase:
        return (f"a flow of {_count(len(self.layers), 'layer')}: " + ", ".join(layer.name for layer in self.layers),)

    def headline(self) -> Phrase:
        ys = self.layers[-1].outputs if self.layers else self.x
        return (f"{_names(ys)} = {self.heading()[0]} applied to {_names(self.x)} with a joint density",)

    def display(self) -> tuple[DisplayStep, ...]:
        steps = [_joint_input_step(self.x, self.input_pdf, self.input_support)]
        for k, layer in enumerate(self.layers, start=1):
            zin, zout = sp.Tuple(*layer.inputs), sp.Tuple(*layer.outputs)
            steps.append(DisplayStep((f"Layer {k}: {layer.name}",), (
                Formula(Label(sp.sstr(zout), sp.latex(zout)), (sp.Tuple(*layer.forward),)),
                Formula(Label(sp.sstr(zin), sp.latex(zin)), (sp.Tuple(*layer.inverse),)),
                Formula(Label("log|det J|", r"\log\left|\det J\right|"), (layer.log_det,)))))
        ys = sp.Tuple(*self.layers[-1].outputs) if self.layers else sp.Tuple(*self.x)
        steps.append(DisplayStep(("Density of the output: the base at the inverse times exp(-sum of log|det J|)",),
                                 (Formula(Label(f"f{sp.sstr(ys)}", rf"f{sp.latex(ys)}"), (self.pdf,),
                                          ("where ", self.support)),)))
        return (*steps, *_notes_step(self.notes))


@dataclass(frozen=True)
class CdfRecord(Record):
    """How the distribution function F(y) = P(Y <= y) of a law arose (:mod:`covar.univariate.cdf`).

    ``law`` is the law whose CDF this is; ``cdf`` the verified closed form (None when only the
    numeric CDF is available: ``notes`` say why); ``shown`` the display steps the CDF stage
    wrote (the distribution function of the input, one term per piece, the sum per interval).
    ``previous`` is the law's own record, so text and LaTeX show the density's derivation first.
    """

    kind: ClassVar[str] = "cdf"
    law: "Density"
    cdf: sp.Expr | None
    shown: tuple[DisplayStep, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def previous(self) -> Record | None:
        return self.law.derivation

    def heading(self) -> Phrase:
        return (f"the distribution function of {letter(self.law.var)}",)

    def display(self) -> tuple[DisplayStep, ...]:
        return (*self.shown, *_notes_step(self.notes))


@dataclass(frozen=True)
class Case:
    """One case of a parameter case split: the relations between parameters that define it, the
    substitution that lets sympy decide under them (``(b, a + t)`` with ``t`` positive for
    a < b, ``(c, c)`` with c declared positive for c > 0), and the law derived there (in the
    substituted symbols, with its own record)."""

    conditions: tuple[sp.Basic, ...]
    substitution: tuple[tuple[sp.Expr, sp.Expr], ...]
    law: "Density"


@dataclass(frozen=True)
class CaseSplit(Derivation):
    """Y = g(X) when the answer depends on signs or orders of parameters that the assumptions
    leave open: one :class:`Case` per possibility, each derived on its own, and the result a
    Piecewise over the cases' conditions. ``cells`` are the cases' cells, each empty outside its
    case (their ends are Piecewise in the parameters); ``pieces`` is empty."""

    kind: ClassVar[str] = "cases"
    cases: tuple[Case, ...] = ()

    def display(self) -> tuple[DisplayStep, ...]:
        x, y, X = self.x, self.y, self.input
        s = X.summary()
        steps = [DisplayStep(("Input: ", *law_phrase(X, letter(x))),
                             (Formula(s.label, (s.pdf,), ("for ", s.where)),) if s.pdf is not None else ()),
                 DisplayStep((f"Map: {y} = g({x}) = ", self.g, f". The answer depends on signs or orders of "
                              f"parameters that the assumptions leave open: {_count(len(self.cases), 'case')}, "
                              "each derived on its own.",))]
        steps += [_case_step(k, case, y) for k, case in enumerate(self.cases, start=1)]
        steps.append(DisplayStep(("Together: f_Y is a Piecewise over the cases' conditions",),
                                 (Formula(function_label(y), (self.pdf,), ("on ", self.support)),),
                                 tuple(("atom at ", sp.Eq(y, point, evaluate=False), " of mass ", mass)
                                       for point, mass in self.atoms.items())))
        return (*steps, *_notes_step(self.notes))


def _case_step(k: int, case: Case, y: sp.Symbol) -> DisplayStep:
    """One case: its conditions, the substitution used, the inverses and the case's law."""
    title: Phrase = (f"Case {k}: ", *(_commas(case.conditions) if case.conditions else ("no condition",)))
    remarks: list[Phrase] = []
    written = [(old, new) for old, new in case.substitution if not (isinstance(new, sp.Symbol) and new.name == old.name)]
    signed = [(old, new) for old, new in case.substitution if isinstance(new, sp.Symbol) and new.name == old.name]
    if signed:
        remarks.append(("Here ", *_commas([sp.StrictGreaterThan(new, 0, evaluate=False) if new.is_positive
                                           else sp.StrictLessThan(new, 0, evaluate=False) for _, new in signed]),
                        ": the parameter is declared so, and every sign below is decided."))
    if written:
        fresh = sorted({s for _, new in written for s in new.free_symbols if s.is_positive and
                        s not in {old for old, _ in case.substitution}}, key=lambda s: s.name)
        remarks.append(("Write ", *_commas([sp.Eq(old, new, evaluate=False) for old, new in written]),
                        *((" with ", *_commas([sp.StrictGreaterThan(t, 0, evaluate=False) for t in fresh]))
                          if fresh else ()),
                        ", so that the order is known."))
    formulas: list[Formula] = []
    record = case.law.derivation
    if isinstance(record, Derivation):
        for j, p in enumerate(record.pieces, start=1):
            if p.inverse is not None and p.contribution is not None:
                formulas.append(Formula(Label(f"{record.x} = {record._h(j).text}", f"{sp.latex(record.x)} = {record._h(j).tex}"),
                                        (p.inverse,)))
                formulas.append(Formula(record._term(j), (p.contribution,)))
            elif p.kind == "constant":
                remarks.append(("g = ", p.value, " on ", p.interval, ": an atom of mass ", p.mass, "."))
    law = case.law.summary()
    if law.pdf is not None:
        formulas.append(Formula(law.label, (law.pdf,), ("on ", law.support)))
    remarks += [("atom at ", sp.Eq(y, point, evaluate=False), " of mass ", mass) for point, mass in law.atoms]
    return DisplayStep(title, tuple(formulas), tuple(remarks))


#: Every record kind by its JSON name.
RECORD_KINDS: dict[str, type[Record]] = {cls.kind: cls for cls in (Derivation, MapRecord, MarginalRecord, FlowRecord,
                                                                    CaseSplit, CdfRecord)}
