"""MatrixRecord: how the law of a matrix map g(X) was derived (branches, Jacobian, change of variables).

It subclasses :class:`covar.record.Record`, so every front end shows it through
:meth:`display` like the other records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np
import sympy as sp

from covar.record import DisplayStep, Formula, Label, Note, Phrase, Record, _notes_step

if TYPE_CHECKING:  # pragma: no cover
    from covar.matrix.recognize import MatrixFamily
    from covar.matrix.variates import MatrixDensity

#: the numpy map of a record: (matrices (N, p, p), signs (N, p) or None, parameter values) -> images
NumpyMap = Callable[[np.ndarray, "np.ndarray | None", dict], np.ndarray]


@dataclass(frozen=True)
class SignBranch:
    """One sign choice s of Y = Q diag(s·√λ) Qᵀ for X = Q diag(λ) Qᵀ, and what it contributes."""

    signs: tuple[int, ...]
    region: str
    in_image: bool
    contribution: sp.Expr


@dataclass(frozen=True)
class Jacobian:
    """|∂X/∂Y| of the inverse map X = h(Y): a rule (in words), its structural value and the reason."""

    rule: Label
    value: sp.Expr
    reason: str


@dataclass(frozen=True)
class MatrixRecord(Record):
    """How Y = g(X) was derived for a matrix variate X.

    ``inverse`` is X = h(Y) as a matrix expression in ``y``; ``identities`` rewrite det(h(Y))
    (shown as steps); ``branches`` are the 2^p sign branches of Y ↦ Y² for square roots;
    ``weight`` is the probability of each branch (1, or 2^-p for a random square root);
    ``map`` names the map (sqrtm, random sqrt, inv, congruence, chol) and ``matrix`` is the explicit
    matrix of a congruence; :attr:`forward` is the numpy map the gate and the sampler push X through.
    """

    kind: ClassVar[str] = "matrix-map"
    input: "MatrixDensity"
    g: str
    y: sp.MatrixSymbol
    entries: tuple[sp.Symbol, ...]
    inverse: sp.Basic
    jacobian: Jacobian
    jacobian_explicit: sp.Expr
    identities: tuple[tuple[sp.Basic, sp.Basic], ...]
    branches: tuple[SignBranch, ...]
    pdf_matrix: sp.Expr
    pdf: sp.Expr
    support_text: str
    family: "MatrixFamily | None" = None
    weight: sp.Expr = sp.S.One
    lower: bool = False
    notes: tuple[Note, ...] = ()
    map: str = ""
    matrix: sp.ImmutableMatrix | None = None

    @property
    def forward(self) -> NumpyMap | None:
        """The numpy map of ``map`` (with the congruence matrix ``matrix``), for the gate and sampler."""
        if not self.map:
            return None
        from covar.matrix.maps import numpy_map

        return numpy_map(self.map, self.matrix)

    @property
    def previous(self) -> Record | None:
        return self.input.derivation

    def heading(self) -> Phrase:
        return (f"{self.y} = {self.g}",)

    def headline(self) -> Phrase:
        X = self.input
        law: Phrase = (f"{X.symbol} ~ {X.family}",) if X.family else (f"{X.symbol} with a matrix density",)
        return (f"{self.y} = {self.g}, ", *law)

    def display(self) -> tuple[DisplayStep, ...]:
        X, Y = self.input, self.y
        fx = X.summary().label
        steps = [DisplayStep(("Input: ", *((f"{X.symbol} ~ {X.family}",) if X.family else
                                            (f"{X.symbol} has a matrix density",))),
                             (Formula(fx, (X.pdf_matrix,), (f"on {X.support_text}, w.r.t. the free entries ",
                                                             sp.Tuple(*X.entries))),)),
                 DisplayStep((f"Map: {Y} = {self.g}; inverse ", sp.Symbol(X.symbol.name), " = ", self.inverse,),
                             remarks=((f"{Y} lives on {self.support_text}.",),))]
        if self.branches:
            steps.append(self._branch_step())
        jac = self.jacobian
        steps.append(DisplayStep(("Jacobian from the structure of the map",),
                                 (Formula(jac.rule, (jac.value, self.jacobian_explicit)),), ((jac.reason,),)))
        if self.identities:
            steps.append(DisplayStep(("Determinant identities used",),
                                     tuple(Formula(Label(sp.sstr(a), sp.latex(a)), (b,)) for a, b in self.identities)))
        fy = Label(f"f_{Y}({Y})", f"f_{{{Y}}}({Y})")
        rule = self._rule()
        steps.append(DisplayStep(("Change of variables on the free entries ", sp.Tuple(*self.entries)),
                                 (Formula(fy, (rule, self.pdf_matrix, self.pdf), (f"on {self.support_text}",)),)))
        if self.family is not None:
            steps.append(DisplayStep((f"Recognised: {Y} ~ {self.family}",),
                                     remarks=(("the family's density equals the derived one at sampled points "
                                               "for several parameter draws.",),)))
        return (*steps, *_notes_step(self.notes))

    def _rule(self) -> Label:
        """f_X(h(Y))·|∂X/∂Y| (times the branch probability of a random square root)."""
        X, Y = self.input.symbol, self.y
        return Label(f"f_{X}(h({Y}))·|∂{X}/∂{Y}|" + ("" if self.weight == 1 else f"·{self.weight}"),
                     rf"f_{{{X}}}(h({Y}))\left|\partial {X}/\partial {Y}\right|"
                     + ("" if self.weight == 1 else rf"\cdot {sp.latex(self.weight)}"))

    def _branch_step(self) -> DisplayStep:
        n = len(self.branches)
        remarks: list[Phrase] = []
        for b in self.branches:
            s = "(" + ", ".join("+" if v > 0 else "−" for v in b.signs) + ")"
            if b.in_image:
                remarks.append((f"signs {s}: {b.region}; contributes ", self._rule(),
                                " (the change of variables below)"))
            else:
                remarks.append((f"signs {s}: {b.region}; not in the image of this map, contributes 0",))
        p = self.y.shape[0]
        title = (f"Branches: X = Q diag(λ) Qᵀ has {n} = 2^{p} symmetric square roots Q diag(s·√λ) Qᵀ, "
                 "one per sign vector s (eigenvalues ordered by size)",)
        return DisplayStep(title, remarks=tuple(remarks), bulleted=True)
