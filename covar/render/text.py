"""Terminal text of a result: its headline, the result block, then the numbered display steps.

Everything shown comes from the law's summary and its record's display steps (covar.record);
nothing is re-derived and no kind of result is special-cased here. Formulas use sympy's
unicode pretty-printer.
"""
from __future__ import annotations

from typing import Any, Sequence

import sympy as sp
from sympy.printing.str import StrPrinter

from covar.record import DisplayStep, Formula, Label, Phrase, Record, law_phrase, shown_digits


def _pretty(expr: Any) -> str:
    try:
        return sp.pretty(shown_digits(expr), use_unicode=True)
    except TypeError:  # sympy cannot pretty-print a Range with a symbolic end (Range(0, n + 1))
        return _LinePrinter().doprint(shown_digits(expr))


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class _LinePrinter(StrPrinter):
    """Math on one line in the notation people write: y², √y, ∞, x ≤ 1, (0, ∞) ∪ {2}, 2⋅x."""

    def _print_Infinity(self, e: Any) -> str:
        return "∞"

    def _print_NegativeInfinity(self, e: Any) -> str:
        return "-∞"

    def _print_Pi(self, e: Any) -> str:
        return "π"

    def _print_ImaginaryUnit(self, e: Any) -> str:
        return "i"

    def _print_Exp1(self, e: Any) -> str:
        return "e"

    def _print_Pow(self, e: Any, rational: bool = False) -> str:
        base, power = e.as_base_exp()
        shown = self._operand(base)
        if power == sp.S.Half:
            return "√" + shown
        if power == sp.Rational(1, 3):
            return "∛" + shown
        if power == sp.Rational(1, 4):
            return "∜" + shown
        if power.is_Integer:
            if power.is_negative:
                return "1/" + (shown + str(-power).translate(_SUPERSCRIPT) if power != -1 else shown)
            return shown + str(power).translate(_SUPERSCRIPT)
        if power.is_Rational and power.q == 2 and power.is_negative:
            return "1/√" + (shown if power == -sp.S.Half else self._operand(base ** (-2 * power)))
        return shown + "^" + self._operand(power)

    def _operand(self, e: Any) -> str:
        """``e`` as the base of a power: a symbol, a positive number or a call as it is, else in parentheses."""
        plain = (e.is_Symbol or (e.is_Number and e.is_nonnegative and e.is_Integer)
                 or (isinstance(e, sp.Function) and not e.is_Pow))
        return self._print(e) if plain else f"({self._print(e)})"

    def _print_Mul(self, e: Any) -> str:
        return super()._print_Mul(e).replace("*", "⋅")

    def _print_Relational(self, e: Any) -> str:
        op = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥"}.get(e.rel_op, e.rel_op)
        return f"{self._print(e.lhs)} {op} {self._print(e.rhs)}"

    def _print_And(self, e: Any) -> str:
        return " and ".join(self._print(a) for a in e.args)

    def _print_Or(self, e: Any) -> str:
        return " or ".join(self._print(a) for a in e.args)

    def _print_Abs(self, e: Any) -> str:
        return f"|{self._print(e.args[0])}|"

    def _print_Tuple(self, e: Any) -> str:
        return "(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Interval(self, e: Any) -> str:
        left = "(" if e.left_open or e.start == -sp.oo else "["
        right = ")" if e.right_open or e.end == sp.oo else "]"
        return f"{left}{self._print(e.start)}, {self._print(e.end)}{right}"

    def _print_Union(self, e: Any) -> str:
        return " ∪ ".join(self._print(a) for a in e.args)

    def _print_FiniteSet(self, e: Any) -> str:
        return "{" + ", ".join(self._print(a) for a in e.args) + "}"

    def _print_Contains(self, e: Any) -> str:
        return f"{self._print(e.args[0])} ∈ {self._print(e.args[1])}"

    def _print_Reals(self, e: Any) -> str:
        return "ℝ"

    def _print_ProductSet(self, e: Any) -> str:
        shown = [self._print(a) if not a.args else f"({self._print(a)})" for a in e.args]
        if len(set(shown)) == 1:  # ℝ², not ℝ × ℝ
            return shown[0] + str(len(shown)).translate(_SUPERSCRIPT)
        return " × ".join(shown)


_LINE = _LinePrinter()


def line_math(expr: Any) -> str:
    """Math on one line: pretty unicode when sympy's pretty-printer fits it on one, else the
    one-line notation of :class:`_LinePrinter` (never sympy syntax such as ``sqrt(`` or ``oo``).

    >>> y = sp.Symbol("y")
    >>> line_math(sp.Eq(sp.Symbol("x"), y**2, evaluate=False)), line_math(sp.Interval(0, sp.oo))
    ('x = y²', '[0, ∞)')
    """
    pretty = _pretty(expr)
    return pretty if "\n" not in pretty else _LINE.doprint(shown_digits(expr))


def _inline(part: Any) -> str:
    """A part of a phrase on one line: words as they are, math in one-line unicode."""
    if isinstance(part, str):
        return part
    if isinstance(part, Label):
        return part.text
    return line_math(part)


def phrase(parts: Phrase) -> str:
    """A phrase (words and math) as one line of text.

    >>> phrase(("the root ", sp.sqrt(sp.Symbol("y")), " on ", sp.Interval(0, sp.oo), "."))
    'the root √y on [0, ∞).'
    """
    return "".join(_inline(p) for p in parts)


def _value(value: Any) -> Any:
    return sp.Symbol(value.text) if isinstance(value, Label) else value


def _eq(lhs: str, expr: Any) -> str:
    """``lhs = expr`` pretty-printed; a tall expr keeps ``lhs =`` on its baseline."""
    # a Symbol named by the whole left side prints verbatim and keeps the baseline alignment
    return _pretty(sp.Eq(sp.Symbol(lhs), _value(expr), evaluate=False))


def _formula(f: Formula) -> list[str]:
    out = [phrase(f.where) + ":"] if f.where else []
    indent = "  " if f.where else ""
    out.append(_indent(_eq(f.label.text, f.values[0]), indent))
    out += [_indent(_eq(" " * len(f.label.text), v), indent) for v in f.values[1:]]
    return out


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def headline(law: Any) -> str:
    """'Y = g(X) with g(x) = ..., X ~ ...' for a derived law; its law in one line otherwise."""
    d = law.derivation
    if d is None:
        return phrase(law_phrase(law, law.summary().name))
    return phrase(d.headline())


def render_result(law: Any) -> str:
    """The result block: the pdf (or pmf), support, atoms, family."""
    s = law.summary()
    if s.pdf is None:
        body = (f"{s.label.text} has no closed form: it is evaluated numerically "
                f"({s.numeric_method})")
    else:
        body = _eq(s.label.text, s.pdf)
    atoms = "none" if not s.atoms else ", ".join(
        f"P({s.name} = {sp.sstr(k)}) = {sp.sstr(v)}" for k, v in s.atoms)
    from covar.univariate.cases import support_by_case

    by_case = support_by_case(law)  # a case split: each case's own support, not Piecewise ends
    support = [f"support  {line_math(s.support)}"]
    if by_case:
        support = ["support  by case:"]
        for cond, where in by_case:
            support += [f"  if {_pretty(cond)}:", _indent(_pretty(where), "    ")]
    rows = [body, "", *support, f"atoms    {atoms}", f"family   {s.family or 'not recognised'}"]
    return "\n".join(rows)


def _numbered(steps: Sequence[DisplayStep], start: int) -> list[str]:
    out = []
    for n, step in enumerate(steps, start=start):
        out.append(f"{n:>2}. {phrase(step.title)}")
        for f in step.formulas:
            out += [_indent(line, "    ") for line in _formula(f)]
        out += [_indent(("- " if step.bulleted else "") + phrase(r), "    ") for r in step.remarks]
    return out


def render_record(record: Record) -> str:
    """The numbered steps of every record that led to this one (oldest first)."""
    chain = record.steps
    out, n = [], 1
    for i, d in enumerate(chain, start=1):
        if len(chain) > 1:
            out.append(f"── Step {i} of {len(chain)}: {phrase(d.heading())} ──")
        shown = d.display()
        out += _numbered(shown, n)
        n += len(shown)
    return "\n".join(out)


def render_steps(law: Any) -> str:
    """The numbered steps of every map that led to ``law`` (oldest first)."""
    return render_record(law.derivation)


def render(law: Any, steps: bool = True) -> str:
    """The full terminal text of a result (a Density or a JointDensity).

    >>> import covar
    >>> print(render(covar.transform(covar.parse_density("Uniform(0, 1)"), "2*x"), steps=False))
    Y = g(X) with g(x) = 2⋅x, X ~ Uniform(0, 1)
    ...
    support  [0, 2]
    atoms    none
    family   Uniform(0, 2)
    """
    parts = [headline(law), "", render_result(law)]
    if steps and law.derivation is not None:
        parts += ["", "Derivation", render_steps(law)]
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
