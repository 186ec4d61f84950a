"""JointDensity: the law of a random vector, as a pdf on a support condition."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

import numpy as np
import sympy as sp

from covar.laws.density import Shown, as_real_symbol
from covar.errors import CovarError, InvalidDensity
from covar.text.values import as_expression, as_sympy, check_parameter_values  # user text is read by the whitelist parser only

if TYPE_CHECKING:  # pragma: no cover
    from covar.laws.density import Density
    from covar.record import LawSummary, Record

#: A sampler draws ``size`` points of the random vector: ``(size, rng, params) -> (size, n) array``.
Sampler = Callable[[int, np.random.Generator, dict], np.ndarray]


def as_condition(support: Any) -> sp.Basic:
    """A sympy boolean from True/None/a boolean expression (True means all of R^n)."""
    if support is None or support is True:
        return sp.true
    if support is False:
        return sp.false
    cond = as_sympy(support, what="support condition")
    if not isinstance(cond, sp.logic.boolalg.Boolean):
        raise InvalidDensity(
            f"the support must be a sympy condition such as (x1 > 0) & (x2 > 0), got {support!r}"
        )
    return cond


@dataclass(frozen=True, eq=False)
class JointDensity(Shown):
    """The density of a random vector: ``pdf`` in ``vars``, nonzero only where ``support`` holds.

    ``support`` is a sympy boolean condition in the variables (True = all of R^n). Results of
    :func:`covar.transform` carry a ``derivation`` and ``terms`` (one ``(expr, condition)`` per
    inverse branch, the pdf being their sum).

    >>> from sympy import symbols, exp
    >>> x1, x2 = symbols("x1 x2", real=True)
    >>> J = JointDensity(exp(-x1 - x2), (x1, x2), (x1 > 0) & (x2 > 0))
    >>> J.marginal(x1).pdf
    Piecewise((0, x1 < 0), (exp(-x1), True))
    """

    kind: ClassVar[str] = "joint"  # its name in JSON
    pdf: sp.Expr
    vars: tuple[sp.Symbol, ...]
    support: Any = True
    derivation: "Record | None" = None
    terms: tuple[tuple[sp.Expr, sp.Basic], ...] = ()
    sampler: Sampler | None = field(default=None, repr=False)
    closed_form: bool = True

    def __post_init__(self) -> None:
        vars_ = tuple(self.vars)
        if not vars_ or not all(isinstance(v, sp.Symbol) for v in vars_):
            raise InvalidDensity("vars must be a non-empty tuple of sympy Symbols")
        if len(set(v.name for v in vars_)) != len(vars_):
            raise InvalidDensity(f"the variables {vars_} must have distinct names")
        real = tuple(as_real_symbol(v) for v in vars_)
        # Rules such as |det| and image conditions need real variables: every symbol named like
        # a variable (x1 with or without assumptions) is that variable.
        names = {r.name: r for r in real}

        def swap(e: sp.Basic) -> sp.Basic:
            return e.xreplace({f: names[f.name] for f in e.free_symbols if f.name in names})

        pdf = swap(as_expression(self.pdf, names, what="pdf"))
        cond = swap(as_condition(self.support))
        terms = tuple((swap(as_expression(e, names)), swap(as_condition(c))) for e, c in self.terms) \
            or ((pdf, cond),)
        object.__setattr__(self, "vars", real)
        object.__setattr__(self, "pdf", pdf)
        object.__setattr__(self, "support", cond)
        object.__setattr__(self, "terms", terms)

    @property
    def dim(self) -> int:
        return len(self.vars)

    @property
    def params(self) -> tuple[sp.Symbol, ...]:
        """Free parameters (every symbol but the variables), sorted by name."""
        syms = set(self.pdf.free_symbols) | set(self.support.free_symbols)
        return tuple(sorted(syms - set(self.vars), key=lambda s: s.name))

    def summary(self) -> "LawSummary":
        """What front ends show as the result: f(y1, ..., yn) on its support condition."""
        from covar.record import Label, LawSummary, letter, support_shown

        v = sp.Tuple(*self.vars)
        shown = support_shown(self.vars, self.support)
        return LawSummary(
            name=sp.sstr(sp.Tuple(*(sp.Symbol(letter(x)) for x in self.vars))),
            label=Label(f"f{sp.sstr(v)}", rf"f{sp.latex(v)}"), pdf=self.pdf if self.closed_form else None,
            support=shown, where=shown, atoms=(), family=None, kind="density")

    def __repr__(self) -> str:
        return f"JointDensity(pdf={sp.sstr(self.pdf)}, vars={self.vars}, support={self.support})"

    def marginal(self, var: sp.Symbol | str | Sequence, timeout: float = 60.0) -> "Density":
        """The univariate law of one variable, the others integrated out with exact limits.

        A cell whose integral sympy cannot do within the budget makes the result numeric-only
        (``closed_form`` False, ``pdf`` None, evaluated by quadrature through ``.numeric``).

        >>> from sympy import symbols
        >>> x1, x2 = symbols("x1 x2", real=True)
        >>> J = JointDensity(1, (x1, x2), (x1 > 0) & (x1 < 1) & (x2 > 0) & (x2 < 1))
        >>> J.marginal(x2).support
        Interval(0, 1)
        """
        from covar.multivariate.marginal import marginal_density

        if isinstance(var, (tuple, list)):
            if len(var) != 1:
                raise CovarError("marginal() returns the law of one variable; pass a single symbol")
            var = var[0]
        from covar.numeric.verify import verify

        return verify(marginal_density(self, self._resolve(var), timeout), f"marginal of {var}")

    def _resolve(self, var: sp.Symbol | str) -> sp.Symbol:
        name = var if isinstance(var, str) else getattr(var, "name", None)
        for v in self.vars:
            if v.name == name:
                return v
        raise CovarError(f"{var!r} is not one of the variables {self.vars}")

    def numpy(self) -> Callable[..., np.ndarray]:
        """Vectorised pdf ``f(*arrays, **params)``, one array per variable, 0 off the support.

        >>> from sympy import symbols, exp
        >>> x1, x2 = symbols("x1 x2", real=True)
        >>> f = JointDensity(exp(-x1 - x2), (x1, x2), (x1 > 0) & (x2 > 0)).numpy()
        >>> float(f(np.array([1.0]), np.array([-1.0]))[0])
        0.0
        """
        params = self.params
        fns = [(sp.lambdify(self.vars + params, e, ["numpy", "scipy"]),
                sp.lambdify(self.vars + params, c, "numpy")) for e, c in self.terms]

        def pdf(*arrays: np.ndarray, **values: float) -> np.ndarray:
            args: list[Any] = [np.asarray(a, dtype=float) for a in arrays]
            args += [values[p.name] for p in params]
            shape = np.broadcast(*args[: len(self.vars)]).shape
            total = np.zeros(shape)
            with np.errstate(all="ignore"):  # values off the support are discarded below
                for f, c in fns:
                    inside = np.broadcast_to(np.asarray(c(*args), dtype=bool), shape)
                    total += np.where(inside, np.broadcast_to(f(*args), shape), 0.0)
            return total

        return pdf

    def sample(self, size: int, rng: np.random.Generator | None = None, **params: float) -> np.ndarray:
        """``(size, n)`` samples: base samples pushed through the maps of the derivation."""
        if self.sampler is None:
            raise CovarError(
                "this JointDensity has no sampler; build it with covar.independent(...) from "
                "densities or sympy.stats variables so that samples can be pushed through the maps"
            )
        return self.sampler(size, rng if rng is not None else np.random.default_rng(),
                            dict(check_parameter_values(params)))
