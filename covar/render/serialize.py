"""JSON of any law (Density, JointDensity or a matrix law) and its record chain, and back (schema ``covar/2``).

Every expression, set and condition is a string in sympy syntax (``sympy.sstr``); the
assumptions of the symbols, which that syntax cannot carry, are listed once in ``symbols``.
Each record kind is written field by field from one declarative table (:data:`_FIELDS`), and
read back through the same table with covar.text.expressions' whitelist reader (never ``eval``),
so a JSON file from elsewhere cannot run code. The fast evaluator is rebuilt on load and the
result passes the verification gate. docs/json-schema.md describes every key.
"""
from __future__ import annotations

import json
import keyword
from dataclasses import dataclass, replace
from typing import Any, Callable

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

from covar.errors import CovarError, ParseError
from covar.laws.families import NamedLaw
from covar.matrix.recognize import MatrixFamily
from covar.matrix.record import Jacobian, MatrixRecord, SignBranch
from covar.record import (RECORD_KINDS, Case, CaseSplit, CdfRecord, Cell, Derivation, DisplayStep, FlowRecord, Formula,
                          Integral, InversePiece, Label, LayerStep, MapRecord, MarginalRecord, Piece)
from covar.text.values import as_sympy
from covar.univariate.discrete import DiscreteLaw, Tail

SCHEMA = "covar/2"
_MAX_RANGE_POINTS = 10 ** 6  # a finite discrete support read from JSON has at most this many points
_ASSUMPTION_KEYS = ("integer", "positive", "negative", "nonnegative", "nonpositive", "nonzero", "real", "finite")


def _assumptions(sym: sp.Symbol) -> dict[str, bool]:
    """The fewest assumptions that recreate ``sym`` exactly (its full set as a fallback)."""
    given = {k: v for k, v in sym.assumptions0.items() if k in _ASSUMPTION_KEYS and v}
    for key in reversed(_ASSUMPTION_KEYS):  # drop the weakest facts first: the strong ones imply them
        trial = {k: v for k, v in given.items() if k != key}
        if key in given and sp.Symbol(sym.name, **trial) == sym:
            given = trial
    if sp.Symbol(sym.name, **given) != sym:
        given = {k: v for k, v in sym.assumptions0.items() if k != "commutative"}
    return given


@dataclass(frozen=True)
class _Codec:
    """How one field is written to JSON and read back."""

    write: Callable[["_Writer", Any], Any]
    read: Callable[["_Reader", Any], Any]


def _many(codec: _Codec) -> _Codec:
    return _Codec(lambda w, v: [codec.write(w, e) for e in v], lambda r, d: tuple(codec.read(r, e) for e in d))


def _nested(cls: type) -> _Codec:
    return _Codec(lambda w, v: None if v is None else w.fields(v), lambda r, d: None if d is None else r.fields(cls, d))


_EXPR = _Codec(lambda w, v: w.expr(v), lambda r, d: r(d))
_SET = _Codec(lambda w, v: w.expr(v), lambda r, d: r.set(d))
_EXPRS = _many(_EXPR)
_TEXT = _Codec(lambda w, v: str(v), lambda r, d: str(d))
_BOOL = _Codec(lambda w, v: bool(v), lambda r, d: bool(d))
_INTS = _Codec(lambda w, v: [int(k) for k in v], lambda r, d: tuple(int(k) for k in d))
_TIMINGS = _Codec(lambda w, v: {k: float(t) for k, t in v.items()} if w.with_timings else {},
                  lambda r, d: {str(k): float(t) for k, t in d.items()})
_POINTS = _Codec(lambda w, v: [[w.expr(k), w.expr(m)] for k, m in v.items()],
                 lambda r, d: {r(k): r(m) for k, m in d})
_MATRIX = _Codec(lambda w, v: [[w.expr(e) for e in row] for row in v.tolist()],
                 lambda r, d: sp.ImmutableMatrix([[r(e) for e in row] for row in d]))
_FAMILY = _Codec(lambda w, v: None if v is None else v.to_dict(w.expr),
                 lambda r, d: None if d is None else NamedLaw.from_dict(d, r.symbols))
_LAW = _Codec(lambda w, v: w.law(v), lambda r, d: r.law(d))
_INT = _Codec(lambda w, v: int(v), lambda r, d: int(d))
_PAIRS = _many(_Codec(lambda w, v: [w.expr(a) for a in v], lambda r, d: (r(d[0]), r(d[1]))))
_LABEL = _Codec(lambda w, v: {"text": v.text, "tex": v.tex}, lambda r, d: Label(str(d["text"]), str(d["tex"])))
# a matrix law's entry form is its det/trace form with the matrices written out: too long for the
# reader (covar.text.limits.MAX_TEXT) it is stored as null and written out again on reading
_ENTRY_FORM = _Codec(lambda w, v: _short(w.expr(v)), lambda r, d: r(d))
_MATRIX_FAMILY = _Codec(lambda w, v: None if v is None else {"name": v.name, "args": [w.expr(a) for a in v.args]},
                        lambda r, d: None if d is None else MatrixFamily(str(d["name"]), tuple(r(a) for a in d["args"])))
_NOTES = _Codec(lambda w, v: [[w.note_part(p) for p in note] for note in v],
                lambda r, d: tuple(tuple(r.note_part(p) for p in note) for note in d))
_RECORD = _Codec(lambda w, v: None if v is None else w.record(v), lambda r, d: None if d is None else r.record(d))
_PART = _Codec(lambda w, v: w.note_part(v), lambda r, d: r.note_part(d))
_PHRASE = _many(_PART)

#: Every record class, field by field (docs/json-schema.md lists the same keys).
_FIELDS: dict[type, dict[str, _Codec]] = {
    Piece: {"interval": _SET, "g": _EXPR, "kind": _TEXT, "inverse": _EXPR, "jacobian": _EXPR, "image": _SET,
            "contribution": _EXPR, "value": _EXPR, "mass": _EXPR, "rejected": _EXPRS},
    Cell: {"interval": _SET, "pieces": _INTS, "raw": _EXPR, "simplified": _EXPR},
    Tail: {"first": _EXPR, "last": _EXPR, "inverse": _EXPR, "pmf": _EXPR},
    DiscreteLaw: {"points": _POINTS, "tail": _nested(Tail), "y": _EXPR, "x": _EXPR, "x_pmf": _EXPR},
    Derivation: {"input": _LAW, "x": _EXPR, "y": _EXPR, "g": _EXPR, "breakpoints": _EXPRS,
                 "pieces": _many(_nested(Piece)), "cells": _many(_nested(Cell)), "pdf": _EXPR, "support": _SET,
                 "atoms": _POINTS, "family": _FAMILY, "discrete": _BOOL, "closed_form": _BOOL, "notes": _NOTES,
                 "timings": _TIMINGS, "law": _nested(DiscreteLaw)},
    Case: {"conditions": _EXPRS, "substitution": _many(_EXPRS), "law": _LAW},
    InversePiece: {"inverse": _EXPRS, "jacobian": _MATRIX, "det": _EXPR, "abs_det": _EXPR, "condition": _EXPR,
                   "contribution": _EXPR},
    MapRecord: {"x": _EXPRS, "y": _EXPRS, "input_pdf": _EXPR, "input_support": _EXPR, "g": _EXPRS,
                "pieces": _many(_nested(InversePiece)), "pdf": _EXPR, "support": _EXPR, "notes": _NOTES,
                "previous": _RECORD, "timings": _TIMINGS},
    Integral: {"lo": _EXPR, "hi": _EXPR, "pieces": _many(_EXPRS), "result": _EXPR},
    MarginalRecord: {"joint": _LAW, "kept": _EXPR, "integrated": _EXPR, "integrals": _many(_nested(Integral)),
                     "notes": _NOTES},
    LayerStep: {"name": _TEXT, "inputs": _EXPRS, "outputs": _EXPRS, "forward": _EXPRS, "inverse": _EXPRS,
                "log_det": _EXPR},
    FlowRecord: {"x": _EXPRS, "input_pdf": _EXPR, "input_support": _EXPR, "layers": _many(_nested(LayerStep)),
                 "pdf": _EXPR, "support": _EXPR, "notes": _NOTES, "previous": _RECORD},
    Jacobian: {"rule": _LABEL, "value": _EXPR, "reason": _TEXT},
    SignBranch: {"signs": _INTS, "region": _TEXT, "in_image": _BOOL, "contribution": _EXPR},
    MatrixRecord: {"input": _LAW, "g": _TEXT, "y": _EXPR, "entries": _EXPRS, "inverse": _EXPR,
                   "jacobian": _nested(Jacobian), "jacobian_explicit": _ENTRY_FORM, "identities": _PAIRS,
                   "branches": _many(_nested(SignBranch)), "pdf_matrix": _EXPR, "pdf": _ENTRY_FORM, "support_text": _TEXT,
                   "family": _MATRIX_FAMILY, "weight": _EXPR, "lower": _BOOL, "notes": _NOTES, "map": _TEXT,
                   "matrix": _Codec(lambda w, v: None if v is None else _MATRIX.write(w, v),
                                    lambda r, d: None if d is None else _MATRIX.read(r, d))},
}
_FIELDS[CaseSplit] = {**_FIELDS[Derivation], "cases": _many(_nested(Case))}  # a Derivation split into cases
_FIELDS[Formula] = {"label": _LABEL, "values": _PHRASE, "where": _PHRASE}
_FIELDS[DisplayStep] = {"title": _PHRASE, "formulas": _many(_nested(Formula)), "remarks": _many(_PHRASE),
                        "bulleted": _BOOL}
_FIELDS[CdfRecord] = {"law": _LAW, "cdf": _EXPR, "shown": _many(_nested(DisplayStep)), "notes": _NOTES}

#: Every record kind by its JSON name: covar.record's kinds and the matrix map record (covar/matrix/record.py).
_RECORD_KINDS = {**RECORD_KINDS, MatrixRecord.kind: MatrixRecord}


class _RecordPrinter(StrPrinter):
    """sympy syntax that covar's reader reads back: sets by their constructors, never ``{...}``
    or ``Interval.open`` (which only the interval reader knows)."""

    def _print_FiniteSet(self, s: sp.FiniteSet) -> str:
        return "FiniteSet(" + ", ".join(self._print(a) for a in s.args) + ")"

    def _print_Interval(self, i: sp.Interval) -> str:
        ends = f"{self._print(i.start)}, {self._print(i.end)}"
        if (i.left_open and i.start != -sp.oo) or (i.right_open and i.end != sp.oo):
            return f"Interval({ends}, {i.left_open}, {i.right_open})"
        return f"Interval({ends})"


    def _print_MatrixBase(self, m: sp.MatrixBase) -> str:
        return self._call("Matrix", (*m.shape, *m))

    _print_ImmutableDenseMatrix = _print_MatrixBase
    _print_MutableDenseMatrix = _print_MatrixBase

    def _call(self, name: str, args: Any) -> str:
        return f"{name}(" + ", ".join(self._print(a) for a in args) + ")"

    def _print_Inverse(self, e: sp.Inverse) -> str:
        return self._call("Inverse", (e.arg,))

    def _matrix_call(self, e: sp.Basic) -> str:
        """A matrix expression as its constructor call (the reader has no matrix arithmetic)."""
        return self._call(type(e).__name__, e.args)


#: the matrix constructors, written as calls and read back by _RECORD_FUNCTIONS
_MATRIX_CALLS = ("MatMul", "MatAdd", "MatPow", "Transpose", "Determinant", "Trace", "MatrixElement")
for _name in _MATRIX_CALLS:
    setattr(_RecordPrinter, f"_print_{_name}", _RecordPrinter._matrix_call)

_PRINTER = _RecordPrinter()

# Records may hold complex intermediate values (the rejected roots of a cubic, a root at
# complex infinity); covar's reader works over the reals, so these constants travel as names
# and are put back after reading. The stand-ins have no assumptions: never equal to a user symbol.
_STANDINS = {sp.I: sp.Symbol("imaginary_unit"), sp.zoo: sp.Symbol("complex_infinity"),
             sp.nan: sp.Symbol("undefined")}
_CONSTANTS = {v: k for k, v in _STANDINS.items()}
_RESERVED = {s.name for s in _CONSTANTS}


class _Writer:
    """Collects every symbol while turning a law and its records into JSON-ready values."""

    def __init__(self, timings: bool = False) -> None:
        self.with_timings: bool = timings  # wall-clock timings vary run to run: written only on request
        self.symbols: dict[str, sp.Symbol] = {}  # by the name written in the document
        self.aliases: dict[str, str] = {}  # written name -> real name, for names the reader refuses
        self.matrices: dict[str, sp.MatrixSymbol] = {}  # matrix symbols (Sigma, X) by name

    def _written(self, sym: sp.Symbol) -> str:
        """The name ``sym`` goes by in the document (an alias such as z2_1 for z2^(1))."""
        name = sym.name
        # a same-named symbol with other assumptions (c, and c declared positive in one case of a
        # case split) is written under an alias too
        if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_") \
                and name not in _RESERVED and self.symbols.get(name, sym) == sym:
            return name
        for alias, real in self.aliases.items():
            if real == name and self.symbols.get(alias, sym) == sym:
                return alias
        base = "v" + "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")
        alias, k = base, 1
        while alias in self.symbols or alias in self.aliases:
            alias, k = f"{base}_{k}", k + 1
        self.aliases[alias] = name
        return alias

    def expr(self, e: Any) -> str | None:
        if e is None:
            return None
        e = as_sympy(e)
        if e.has(*_STANDINS):
            e = e.xreplace(_STANDINS)
        for m in e.atoms(sp.MatrixSymbol):
            if self.matrices.setdefault(m.name, m) != m or m.name in self.symbols or not m.name.isidentifier():
                raise CovarError(f"cannot write JSON: the matrix symbol {m.name} clashes with another symbol")
        rename = {}
        for s in e.atoms(sp.Symbol) - set(_CONSTANTS):
            name = self._written(s)
            if self.symbols.setdefault(name, s) != s or name in self.matrices:
                raise CovarError(f"cannot write JSON: two different symbols are named {s.name}")
            if name != s.name:
                rename[s] = sp.Symbol(name)
        return _PRINTER.doprint(e.xreplace(rename) if rename else e)

    def note_part(self, part: Any) -> Any:
        """A note's words as a string; its math as ``{"math": ..., "functions": [...]}``; a label
        as ``{"text": ..., "tex": ...}``."""
        if isinstance(part, str):
            return part
        if isinstance(part, Label):
            return {"text": part.text, "tex": part.tex}
        names = sorted({type(f).__name__ for f in part.atoms(AppliedUndef)})
        return {"math": self.expr(part), **({"functions": names} if names else {})}

    def fields(self, value: Any) -> dict:
        return {name: codec.write(self, getattr(value, name)) for name, codec in _FIELDS[type(value)].items()}

    def record(self, record: Any) -> dict:
        return {"kind": record.kind, **self.fields(record)}

    def law(self, law: Any) -> dict:
        return {"law": law.kind, **_LAWS[law.kind][0](self, law)}


def _write_density(w: _Writer, d: Any) -> dict:
    out = {
        "var": w.expr(d.var), "pdf": w.expr(d.pdf), "support": w.expr(d.support),
        "atoms": _POINTS.write(w, d.atoms), "discrete": bool(d.discrete), "family": _FAMILY.write(w, d.family),
        "closed_form": bool(d.closed_form), "derivation": _RECORD.write(w, d.derivation),
    }
    from covar.univariate.cases import support_by_case

    by_case = support_by_case(d)
    if by_case:  # for display: the support of each case (the reader rebuilds it from the record)
        out["support_by_case"] = [[w.expr(cond), w.expr(where)] for cond, where in by_case]
    evaluator = d.numeric.record(w.expr) if d.numeric is not None else None
    if evaluator is not None:  # a marginal: how to evaluate it by quadrature
        out["marginal"] = evaluator
    return out


def _write_joint(w: _Writer, J: Any) -> dict:
    return {"vars": _EXPRS.write(w, J.vars), "pdf": w.expr(J.pdf), "support": w.expr(J.support),
            "terms": [[w.expr(e), w.expr(c)] for e, c in J.terms], "closed_form": bool(J.closed_form),
            "derivation": _RECORD.write(w, J.derivation)}


def to_dict(law: Any, timings: bool = False, steps: bool = True) -> dict:
    """The JSON-ready dict of ``law`` (see docs/json-schema.md), or of a law's ``cdf_record``
    (under the key ``record``, the law inside it): the same text on every run
    unless ``timings`` adds the wall-clock time of each stage; ``steps=False`` leaves out the
    record chain (``"derivation": null``) of a closed form without atoms (a numeric-only or mixed law
    needs it to be evaluated or checked when read back)."""
    w = _Writer(timings)
    if isinstance(law, CdfRecord):  # a question about a law: the record, which holds the law
        body: dict = {"record": w.record(law)}
    else:
        body = w.law(law)
    # a closed form needs no record to be evaluated; a mixed law keeps it (read back, the gate
    # samples a law with atoms through its derivation)
    if not steps and body.get("pdf") is not None and not body.get("atoms"):
        body["derivation"] = None
        body.pop("marginal", None)
    names: dict[str, dict] = {"names": dict(sorted(w.aliases.items()))} if w.aliases else {}
    if w.matrices:
        names["matrices"] = {n: [int(k) for k in m.shape] for n, m in sorted(w.matrices.items())}
    return {"schema": SCHEMA, "symbols": {n: _assumptions(s) for n, s in sorted(w.symbols.items())}, **names, **body}


def to_json(law: Any, indent: int | None = 2, timings: bool = False, steps: bool = True) -> str:
    """A law (Density or JointDensity) and its whole record chain as JSON text (reproducible:
    timings only with ``timings=True``; ``steps=False`` as in :func:`to_dict`).

    >>> import covar
    >>> text = to_json(covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)"))
    >>> data = json.loads(text)
    >>> data["schema"], data["law"], data["atoms"], data["derivation"]["kind"], data["derivation"]["g"]
    ('covar/2', 'density', [['0', '1/2']], 'map', 'Max(0, x)')
    """
    return json.dumps(to_dict(law, timings, steps), indent=indent, ensure_ascii=False)


# ---- reading back ------------------------------------------------------------------------
# covar's whitelist reader (covar.text.expressions) reads the strings; these are the extra sympy
# constructors a record contains beyond user input (conditions of a pmf, discrete supports).
_RECORD_FUNCTIONS = {"Eq": sp.Eq, "Ne": sp.Ne, "Contains": sp.Contains, "Range": sp.Range,
                     "ImageSet": sp.ImageSet, "Lambda": sp.Lambda, "Interval": sp.Interval,
                     "Union": sp.Union, "FiniteSet": sp.FiniteSet, "Complement": sp.Complement,
                     "MatMul": sp.MatMul, "MatAdd": sp.MatAdd, "MatPow": sp.MatPow, "Inverse": sp.Inverse,
                     "Transpose": sp.Transpose, "Determinant": sp.Determinant, "Trace": sp.Trace,
                     "MatrixElement": lambda m, i, j: m[int(i), int(j)],
                     "Matrix": lambda rows, cols, *entries: sp.ImmutableMatrix(int(rows), int(cols), entries),
                     # special functions of closed-form CDFs and moments (never typed by users)
                     **{f.__name__: f for f in (sp.lowergamma, sp.uppergamma, sp.betainc, sp.betainc_regularized,
                                                sp.expint, sp.Ei, sp.Si, sp.Ci, sp.erfi, sp.besseli, sp.besselj,
                                                sp.besselk, sp.polylog, sp.zeta, sp.polygamma, sp.digamma)}}


class _Reader:
    """Reads the strings of one document with its own symbol table."""

    def __init__(self, symbols: dict[str, sp.Symbol]) -> None:
        self.symbols: dict[str, sp.Symbol] = {**symbols, **{s.name: s for s in _CONSTANTS}}
        # one object per distinct string: the record's pdf *is* the law's pdf again, as when derived
        self.seen: dict[tuple[str, bool], Any] = {}

    def __call__(self, text: str | None) -> Any:
        from covar.text.expressions import parse_expr

        if text is None:
            return None
        if (text, False) not in self.seen:
            value = parse_expr(text, self.symbols, functions=_RECORD_FUNCTIONS)
            self.seen[text, False] = value.xreplace(_CONSTANTS) if value.has(*_CONSTANTS) else value
        return self.seen[text, False]

    def set(self, text: str | None) -> Any:
        """A set: interval notation first (it alone knows Interval.open), then constructors."""
        from covar.text.sets import parse_set

        if text is None:
            return None
        if (text, True) not in self.seen:
            try:
                value = parse_set(text, self.symbols)
            except ParseError:
                value = self(text)
            # the reader names the whole line Reals; covar's records write it as an interval
            self.seen[text, True] = sp.Interval(-sp.oo, sp.oo) if value == sp.Reals else value
        return self.seen[text, True]

    def note_part(self, data: Any) -> Any:
        """One part of a note (see :meth:`_Writer.note_part`)."""
        if isinstance(data, str):
            return data
        if not isinstance(data, dict):
            raise ParseError("malformed covar JSON: a note part must be a string or an object")
        if "math" not in data:
            return Label(str(data.get("text", "")), str(data.get("tex", "")))
        from covar.text.expressions import parse_expr

        names = [str(n) for n in data.get("functions", ())]
        if not all(n.isidentifier() and not n.startswith("_") for n in names):
            raise ParseError("malformed covar JSON: a note names a function that is not an identifier")
        # a note's equations are statements to show (x = I*y**(1/4) of a rejected root), not to decide
        functions = {**_RECORD_FUNCTIONS, "Eq": lambda a, b: sp.Eq(a, b, evaluate=False),
                     "Intersection": sp.Intersection,
                     **{n: sp.Function(n) for n in names}}
        value = parse_expr(str(data["math"]), self.symbols, functions=functions)
        return value.xreplace(_CONSTANTS) if value.has(*_CONSTANTS) else value

    def fields(self, cls: type, data: dict) -> Any:
        table = _FIELDS[cls]
        unknown = set(data) - set(table) - {"kind"}
        if unknown:
            raise ParseError(f"malformed covar JSON: unknown key {sorted(unknown)[0]!r} in {cls.__name__}")
        return cls(**{name: codec.read(self, data[name]) for name, codec in table.items()})

    def record(self, data: dict) -> Any:
        cls = _RECORD_KINDS.get(str(data.get("kind")))
        if cls is None:
            raise ParseError(f"malformed covar JSON: unknown record kind {data.get('kind')!r}; "
                             f"known: {', '.join(_RECORD_KINDS)}")
        return self.fields(cls, data)

    def law(self, data: dict) -> Any:
        entry = _LAWS.get(str(data.get("law")))
        if entry is None:
            raise ParseError(f"malformed covar JSON: \"law\" must be one of {', '.join(_LAWS)}")
        return entry[1](self, data)


def _read_density(read: _Reader, data: dict) -> Any:
    from covar.laws.density import Density

    pdf = read(data["pdf"])
    derivation = read.record(data["derivation"]) if data["derivation"] is not None else None
    numeric = None
    if data.get("marginal") is not None:  # a marginal: quadrature of the joint it came from
        from covar.multivariate.marginal import evaluator_from_record

        numeric = evaluator_from_record(data["marginal"], read, derivation)
    elif pdf is None:
        numeric = _numeric_evaluator(derivation)
    return Density(pdf, read(data["var"]), read.set(data["support"]), _POINTS.read(read, data["atoms"]),
                   discrete=bool(data["discrete"]), family=_FAMILY.read(read, data["family"]),
                   derivation=derivation, numeric=numeric, validate=False)


def _read_joint(read: _Reader, data: dict) -> Any:
    from covar.laws.joint import JointDensity

    derivation = read.record(data["derivation"]) if data["derivation"] is not None else None
    return JointDensity(read(data["pdf"]), _EXPRS.read(read, data["vars"]), read(data["support"]), derivation,
                        tuple((read(e), read(c)) for e, c in data["terms"]), None, bool(data["closed_form"]))


def _write_matrix(w: _Writer, M: Any) -> dict:
    return {"p": int(M.p), "symbol": w.expr(M.symbol), "matrix": _MATRIX.write(w, M.matrix),
            "entries": _EXPRS.write(w, M.entries), "pdf_matrix": w.expr(M.pdf_matrix), "pdf": _ENTRY_FORM.write(w, M.pdf),
            "support": w.expr(M.support), "support_text": M.support_text, "params": _EXPRS.write(w, M.params),
            "parameters": _PAIRS.write(w, M.parameters), "family": _MATRIX_FAMILY.write(w, M.family),
            "lower": bool(M.lower), "conditions": _EXPRS.write(w, M.conditions),
            "closed_form": bool(M.closed_form), "derivation": _RECORD.write(w, M.derivation)}


def _short(text: str | None) -> str | None:
    from covar.text.limits import MAX_TEXT

    return None if text is None or len(text) > MAX_TEXT else text


def _read_matrix(read: _Reader, data: dict) -> Any:
    """A matrix law: a derived one samples through its record's map; an input law must be the
    Wishart or inverse Wishart its family names (checked against scipy at sampled points)."""
    from covar.matrix.maps import pushed_sampler
    from covar.matrix.recognize import recognize
    from covar.matrix.variates import MatrixDensity, scipy_sampler

    derivation = read.record(data["derivation"]) if data["derivation"] is not None else None
    family = _MATRIX_FAMILY.read(read, data["family"])
    parameters = _PAIRS.read(read, data["parameters"])
    if derivation is not None:
        if not isinstance(derivation, MatrixRecord) or derivation.forward is None:
            raise ParseError("malformed covar JSON: a derived matrix law needs a matrix-map record with its map")
        sampler = pushed_sampler(derivation.input, derivation.forward, derivation.weight != 1)
    elif family is not None and family.name in ("Wishart", "InverseWishart") and len(family.args) == 2:
        scale = sp.ImmutableMatrix(family.args[1].xreplace(dict(parameters)).doit())
        sampler = scipy_sampler(family.name, family.args[0], scale)
    else:
        raise ParseError("malformed covar JSON: an input matrix law must be a Wishart or InverseWishart")
    law = MatrixDensity(int(data["p"]), read(data["symbol"]), _MATRIX.read(read, data["matrix"]),
                        _EXPRS.read(read, data["entries"]), read(data["pdf_matrix"]), read(data["pdf"]),
                        read(data["support"]), str(data["support_text"]), _EXPRS.read(read, data["params"]),
                        parameters, sampler, family, derivation, bool(data["lower"]),
                        _EXPRS.read(read, data["conditions"]), bool(data["closed_form"]))
    if law.pdf is None:
        law = replace(law, pdf=law.explicit(law.pdf_matrix))
    if derivation is not None and (derivation.pdf is None or derivation.jacobian_explicit is None):
        law = replace(law, derivation=replace(derivation, pdf=law.pdf,
                                              jacobian_explicit=law.explicit(derivation.jacobian.value)))
    if derivation is None and family is not None and recognize(law, family.name, *family.args) is None:
        raise ParseError(f"the matrix law read from JSON is not the {family} it names")
    return law


#: Each law kind: (writer, reader).
_LAWS: dict[str, tuple[Callable[[_Writer, Any], dict], Callable[[_Reader, dict], Any]]] = {
    "density": (_write_density, _read_density), "joint": (_write_joint, _read_joint),
    "matrix": (_write_matrix, _read_matrix)}


def _numeric_evaluator(d: Any) -> Any:
    """Rebuild the root-finding evaluator of a numeric-only univariate result from its pieces."""
    from covar.numeric.evaluate import numeric_pdf
    from covar.univariate.pieces import RawPiece

    fx = d.input.pdf if isinstance(d, Derivation) else None
    if d is None or fx is None:
        raise ParseError("malformed covar JSON: a numeric-only law needs its map record (from a closed-form "
                         "input) or its quadrature")
    raw = [RawPiece(p.interval.start, p.interval.end, p.g, fx, p.kind) for p in d.pieces if p.kind != "constant"]
    params = sorted((d.g.free_symbols | fx.free_symbols) - {d.x}, key=lambda s: s.name)
    return numeric_pdf(d.x, raw, params)


def from_dict(data: dict) -> Any:
    """The law (with its record chain) described by a ``covar/2`` dict."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ParseError(f"not a covar JSON document (expected \"schema\": \"{SCHEMA}\")")
    symbols = _read_symbols(data.get("symbols", {}), data.get("names", {}))
    symbols.update(_read_matrices(data.get("matrices", {}), symbols))
    try:
        if "record" in data:
            return _read_cdf_record(_Reader(symbols).record(data["record"]))
        law = _Reader(symbols).law(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, CovarError):
            raise
        raise ParseError(f"malformed covar JSON: {type(exc).__name__}: {exc}") from None
    _check_read(law)
    from covar.numeric.verify import verify

    return verify(law, "law read from JSON")


def _read_cdf_record(record: Any) -> CdfRecord:
    """A CDF record read back: its law passes the gate, and its closed form is checked against
    the atoms plus quadrature of that law's density (VerificationFailed when it disagrees)."""
    from covar.numeric.verify import VerificationFailed, verify
    from covar.univariate.cdf import confirm

    if not isinstance(record, CdfRecord):
        raise ParseError(f"malformed covar JSON: a top-level \"record\" must be a CDF record, not {record.kind!r}")
    _check_read(record.law)
    law = verify(record.law, "law read from JSON")
    why = None if record.cdf is None else confirm(law, record.cdf)
    if why is not None:
        raise VerificationFailed(f"the distribution function read from JSON failed verification: {why}")
    out = replace(record, law=law)
    object.__setattr__(law, "_cdf_record", out)  # law.cdf is the one read, not derived again
    return out


def _read_symbols(table: Any, names: Any) -> dict[str, sp.Symbol]:
    """The ``symbols`` table: names (checked like user names) to known assumption flags; a name
    listed in ``names`` stands for a symbol whose own name the reader would refuse."""
    from covar.text.assumptions import make_symbols

    if not isinstance(table, dict):
        raise ParseError(f"malformed covar JSON: \"symbols\" must be an object of "
                         f"NAME: {{ASSUMPTION: bool}}, got {type(table).__name__}")
    for name, facts in table.items():
        if not isinstance(facts, dict) or not all(isinstance(v, bool) for v in facts.values()):
            raise ParseError(f"malformed covar JSON: the assumptions of {name!r} must be an "
                             "object of ASSUMPTION: true/false")
        unknown = set(facts) - set(_ASSUMPTION_KEYS) - {"zero", "rational", "even", "odd"}
        if unknown:
            raise ParseError(f"malformed covar JSON: unknown assumption {sorted(unknown)[0]!r} "
                             f"for {name!r}; known: {', '.join(_ASSUMPTION_KEYS)}")
    if not (isinstance(names, dict) and all(isinstance(v, str) and k in table for k, v in names.items())):
        raise ParseError('malformed covar JSON: "names" must map names of "symbols" to strings')
    # make_symbols checks every name and refuses non-real or conflicting assumptions
    symbols = make_symbols(list(table), {n: {k: v for k, v in f.items() if v} for n, f in table.items()})
    for alias, real in names.items():  # the symbol keeps its own name; the text uses the alias
        symbols[alias] = sp.Symbol(real, **symbols[alias].assumptions0)
    return symbols


def _read_matrices(table: Any, symbols: dict[str, sp.Symbol]) -> dict[str, sp.MatrixSymbol]:
    """The ``matrices`` table: matrix symbol names (checked like user names) to their shapes."""
    from covar.matrix.variates import SIZES

    if not isinstance(table, dict):
        raise ParseError('malformed covar JSON: "matrices" must be an object of NAME: [rows, columns]')
    out = {}
    for name, shape in table.items():
        if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
                and not name.startswith("_") and name not in symbols):
            raise ParseError(f"malformed covar JSON: bad matrix symbol name {name!r}")
        if not (isinstance(shape, list) and len(shape) == 2 and all(type(k) is int and k in SIZES for k in shape)):
            raise ParseError(f"malformed covar JSON: the shape of {name!r} must be [p, p] with p in {SIZES}")
        out[name] = sp.MatrixSymbol(name, *shape)
    return out


def _check_read(law: Any) -> None:
    """A document read back is checked like any input: every law a chain starts from has a
    bounded discrete support (or an infinite one) and must be a probability density."""
    from covar.laws.density import Density
    from covar.numeric.validation import validate_density

    chain = law.derivation.steps if law.derivation is not None else ()
    for d in (law, *(rec.input for rec in chain if isinstance(rec, Derivation))):
        if not isinstance(d, Density) or d.derivation is not None:  # derived laws are checked by the gate
            continue
        support = d.support
        if isinstance(support, sp.Range) and support.size.is_finite is True \
                and (support.size > _MAX_RANGE_POINTS) == sp.true:  # Range(0, n + 1): undecided, read
            raise ParseError(f"the support {support} has more than {_MAX_RANGE_POINTS} points; "
                             "covar reads discrete supports up to that size (or infinite ones)")
        validate_density(d)


def from_json(text: str) -> Any:
    """The law written by :func:`to_json` (a Density or a JointDensity), verified.

    >>> import covar
    >>> Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    >>> Z = from_json(to_json(Y))
    >>> Z.pdf == Y.pdf, Z.support == Y.support, len(Z.derivation.pieces)
    (True, True, 1)
    """
    if not isinstance(text, (str, bytes, bytearray)):
        raise ParseError(f"from_json reads JSON text, got {type(text).__name__}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    except RecursionError:
        raise ParseError("not a covar JSON document: nested too deeply") from None
    return from_dict(data)
