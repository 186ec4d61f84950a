"""The ``covar`` command group: derive, latex, check, plot, families, batch, flow.

Only click is imported at start-up; covar (and with it sympy and numpy) is imported inside the
commands, so ``covar --help`` stays instant. Exit status: 0 on success, 2 for usage errors
(bad options, unreadable or invalid input text), 1 for derivation failures and failed checks.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import click

EPILOG_DERIVE = """\b
Examples:
  covar derive "ChiSquared(1)" "sqrt(x)"
  covar derive "exp(-x)" "x**2" --support "[0, oo)"
  covar derive "Normal(mu, sigma)" "exp(x)" --assume "sigma>0"
  covar derive "Normal(0, 1)" "Max(0, x)" --format json
"""


class UsageFailure(click.ClickException):
    """The user's input cannot be used (exit status 2), reported on one line."""

    exit_code = 2


class DerivationFailure(click.ClickException):
    """covar could not derive or verify the result (exit status 1)."""

    exit_code = 1


def _translate(exc: Exception) -> click.ClickException:
    """The one-line error for an exception raised by covar (imported only when one happens)."""
    from covar.errors import CovarError, MissingExtra, ParseError

    if isinstance(exc, (ParseError, MissingExtra)):
        return UsageFailure(str(exc))
    if isinstance(exc, CovarError):
        return DerivationFailure(str(exc))
    return DerivationFailure(f"internal error ({type(exc).__name__}: {exc}); run with --debug for the traceback")


class MapCommand(click.Command):
    """A command whose MAP may start with a minus: ``covar derive "Uniform(0, 1)" "-log(x)"``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # an argument that reads as a negated expression ("-log(x)", "-x**2", "-2*x", "-(x+1)")
        # is not an option: it is moved behind "--", where click reads only positional arguments
        import re

        takes_value = {name for p in self.params if isinstance(p, click.Option) and not p.is_flag
                       for name in p.opts}
        if "--" not in args:
            negated = [i for i, a in enumerate(args) if re.match(r"-(\d|\.|\(|[A-Za-z_]\w+\s*\(|x\b)", a)
                       and not (i and args[i - 1] in takes_value)]  # "--seed -1" stays an option value
            args = [a for i, a in enumerate(args) if i not in negated] + \
                (["--", *(args[i] for i in negated)] if negated else [])
        return super().parse_args(ctx, args)


class CovarGroup(click.Group):
    """A click group that turns covar's exceptions into one-line errors (tracebacks with --debug)."""

    command_class = MapCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `covar ... | head`: the reader left; stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:  # every other failure becomes a one-line message
            if ctx.params.get("debug"):
                raise
            raise _translate(exc) from exc


@click.group(cls=CovarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="covar", prog_name="covar", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error.")
def cli(debug: bool) -> None:
    """covar: the density of Y = g(X) in closed form, with its support and its derivation.

    \b
    DENSITY is a family such as "Gamma(alpha, beta)" (see `covar families`) or a pdf
    in x such as "exp(-x)" with --support "[0, oo)" (or "exp(-x) on [0, oo)").
    MAP is g as an expression in x, e.g. "sqrt(x)", "x**2", "Max(0, x)".

    \b
    Examples:
      covar derive "ChiSquared(1)" "sqrt(x)"
      covar latex "Normal(0, 1)" "x**2" --standalone -o square.tex
      covar check "Gamma(2, 1)" "log(x)" --samples 50000
      covar plot "Normal(0, 1)" "Max(0, x)" -o relu.png
      covar batch problems.jsonl -o results.jsonl --jobs 2

    \b
    Shell completion (click): add to ~/.bashrc (zsh: zsh_source, fish: fish_source)
      eval "$(_COVAR_COMPLETE=bash_source covar)"

    \b
    Exit status: 0 success, 1 derivation failure or failed check, 2 usage error.
    """


def _finite_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """--timeout: a finite number of seconds (click's FloatRange lets nan through)."""
    import math

    if not (0.1 <= value < math.inf):
        raise click.BadParameter(f"{value} is not a finite number of seconds >= 0.1; "
                                 "give e.g. --timeout 30")
    return value


class Count(click.ParamType):
    """A whole number within bounds; 1e6 and 200_000 are accepted spellings."""

    name = "integer"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip().replace("_", "")
            try:
                number = int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    self.fail(f"{value!r} is not a whole number", param, ctx)
                if not as_float.is_integer():
                    self.fail(f"{value!r} is not a whole number", param, ctx)
                number = int(as_float)
        if not (self.low <= number <= self.high):
            self.fail(f"{value} is not in the range {self.low}..{self.high}", param, ctx)
        return number


force_option = click.option("--force", is_flag=True, help="Overwrite an existing output file.")


def _check_new_target(output: str | None, force: bool) -> None:
    """An existing output file is overwritten only with --force (checked before deriving)."""
    import os

    if output is not None and os.path.exists(output) and not force:
        raise UsageFailure(f"{output} exists; pass --force to overwrite it or pick another path")


def _writable_target(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """-o: the folder must exist and be writable, checked before any derivation starts."""
    import os

    if value is None:
        return value
    folder = os.path.dirname(os.path.abspath(value))
    if not os.path.isdir(folder):
        raise click.BadParameter(f"the folder {folder} does not exist; create it or pick another path")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"the folder {folder} is not writable; pick another path")
    if os.path.isdir(value):
        raise click.BadParameter(f"{value} is a folder; give a file name")
    return value


MAX_SAMPLES = 10_000_000


def input_options(fn: Callable) -> Callable:
    """DENSITY and MAP arguments plus the options that qualify them (shared by every command)."""
    for deco in reversed([
        click.argument("density"),
        click.argument("map", metavar="MAP"),
        click.option("--support", "-s", default=None, metavar="SET",
                     help='Support of a raw pdf, e.g. "[0, oo)" or "(0, 1)". Default: the whole line.'),
        click.option("--assume", "-a", multiple=True, metavar="FACT",
                     help='Assumption on a parameter, e.g. "sigma>0" (repeatable).'),
        click.option("--timeout", type=float, default=30.0, show_default=True, callback=_finite_seconds,
                     help="Time budget in seconds of reading the input and deriving the result."),
    ]):
        fn = deco(fn)
    return fn


def derive(density: str, map: str, support: str | None, assume: tuple[str, ...], timeout: float):
    """(X, Y): the input read from text and the derived law. Input errors are usage errors."""
    import covar
    from covar.numeric.budget import time_budget

    # one budget covers reading and validating the input and the derivation
    with time_budget(timeout, "reading and deriving"):
        from covar.text.assumptions import parse_assumptions

        for fact in assume:  # an unreadable --assume is reported as such, not as the density's fault
            try:
                parse_assumptions(fact)
            except covar.ParseError as exc:
                raise UsageFailure(f"--assume {fact!r}: {exc}") from exc
        try:
            from covar.univariate.cases import read_relations  # "c < b" is for the derivation

            X = covar.parse_density(density, support=support, assume=read_relations(assume)[0])
        except covar.DerivationTimeout:
            raise
        except covar.CovarError as exc:  # an invalid input is the user's to fix: exit status 2
            raise UsageFailure(f"density {density!r}: {exc}") from exc
        _check_map_variable(map, X)
        try:
            # --assume also reaches symbols that appear only in the map (c>0 in "c*x")
            return X, covar.transform(X, map, assume=assume, timeout=timeout)
        except covar.ParseError as exc:  # unreadable map text: a usage error too
            raise UsageFailure(f"map {map!r}: {exc}") from exc


_CONSTANT_NAMES = {"pi", "E", "e", "oo", "I"}


def _check_map_variable(map: str, X: Any) -> None:
    """A MAP written in another variable than the density's ("y**2" for a density in x) is a
    usage error (exit status 2), found before any derivation starts."""
    import re

    # numbers go first, so "2y" and "1e5*y" leave the name y; ASCII word characters: "x²" is the
    # name x (unicode ² is a digit to \w)
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", " ", map)  # a string's words are not names (the parser refuses strings)
    spaced = re.sub(r"(?<![A-Za-z_\d.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", " 1 ", unquoted)
    names = set(re.findall(r"(?<![\w.])[A-Za-z_]\w*\b(?!\s*\()", spaced, flags=re.ASCII)) - _CONSTANT_NAMES
    others = names - {p.name for p in X.params}
    if X.var.name not in names and len(others) == 1:
        raise UsageFailure(f"map {map!r} is in {others.pop()}, not in the density's variable {X.var.name}; "
                           f"write the map in {X.var.name}")


def parameter_values(pairs: tuple[str, ...], density: Any) -> dict[str, float]:
    """``name=value`` options as floats, checked against the density's free parameters."""
    import math

    values: dict[str, float] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise UsageFailure(f"--param {pair!r}: write NAME=NUMBER, e.g. -p sigma=2") from None
        if not sep:
            raise UsageFailure(f"--param {pair!r}: write NAME=NUMBER, e.g. -p sigma=2")
        if not math.isfinite(values[name.strip()]):
            raise UsageFailure(f"--param {pair!r}: the value must be a finite number")
    needed = [p.name for p in density.params]
    missing = [n for n in needed if n not in values]
    unknown = [n for n in values if n not in needed]
    if missing or unknown:
        parts = [f"give a value to {', '.join(missing)} (e.g. -p {missing[0]}=1)"] if missing else []
        parts += [f"unknown parameter(s) {', '.join(unknown)}"] if unknown else []
        raise UsageFailure("; ".join(parts) + f" — the parameters are: {', '.join(needed) or 'none'}")
    _check_constraints(values, density)
    return values


def _check_constraints(values: dict[str, float], density: Any) -> None:
    """Each -p value must meet its parameter's constraint, as the catalog states it (p of a
    Binomial is a probability, sigma > 0) or, off the catalog, as its symbol assumes."""
    from covar.laws.families import parameter_constraints

    for name, constraint in parameter_constraints(density).items():
        if not constraint.admits(values[name]):
            raise UsageFailure(f"--param {name}={values[name]:g}: {name} must be {constraint.text}, "
                               f"got {values[name]:g}; give e.g. -p {name}={constraint.example:g}")


def exact_values(values: dict[str, float]) -> dict[str, Any]:
    """The -p values as exact sympy rationals (0.4 is 2/5), keyed by name."""
    import sympy as sp

    return {name: sp.nsimplify(v, rational=True) for name, v in values.items()}


def check_input_values(X: Any, values: dict[str, float]) -> None:
    """The input with the -p values substituted must still be a density: a family's parameter
    domain (Binomial p <= 1, Uniform a < b), or a raw pdf validated numerically."""
    import covar
    from covar.numeric.validation import validate_density

    exact = exact_values(values)
    try:
        if X.family is not None:
            X.family.subs(exact)  # the family's own parameter domain (check_args)
        else:
            validate_density(X.subs({p: exact[p.name] for p in X.params if p.name in exact}))
    except covar.DerivationTimeout:
        raise
    except covar.CovarError as exc:
        shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise UsageFailure(f"with {shown}: {exc}") from exc


param_option = click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
    help="Numeric value of a parameter, e.g. -p mu=0 -p sigma=2 (repeatable).")


@cli.command("derive", epilog=EPILOG_DERIVE)
@input_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "latex", "json"]), default="text",
              show_default=True, help="text for the terminal, latex (an align body), json (docs/json-schema.md).")
@click.option("--steps/--no-steps", default=True, show_default=True,
              help="Show the numbered derivation steps (json: include the record chain).")
@click.option("--vars", "vars_", default=None, metavar="NAMES",
              help="Names of the new variables of a vector map, e.g. --vars r,theta (default y1,y2,...).")
@click.option("--marginal", "-m", default=None, metavar="NAME",
              help="Keep the law of this one new variable of a vector map, e.g. --marginal r.")
@click.option("--cdf", is_flag=True, help="Also derive the CDF F(y) = P(Y <= y).")
@click.option("--moments", is_flag=True, help="Also derive the mean and the variance.")
@click.option("--timings", is_flag=True, help="json: include the time each stage took (not reproducible).")
def derive_cmd(density, map, support, assume, timeout, fmt, steps, vars_, marginal, cdf, moments, timings) -> None:
    """Derive the density of Y = MAP(X) for X with DENSITY.

    \b
    A random vector: independent families joined by *, a map with one component per new
    variable, separated by commas (variables x1, x2, ... in the order of the factors):
      covar derive "Normal(0,1) * Normal(0,1)" "sqrt(x1**2 + x2**2), atan2(x2, x1)" \\
                   --vars r,theta --marginal r
    """
    from covar.cli.problem import Problem, result_document, solve

    names = tuple(n.strip() for n in vars_.split(",")) if vars_ else ()
    Y = solve(Problem(density, map, support, tuple(assume), timeout, names, marginal))
    if (cdf or moments) and not hasattr(Y, "cdf"):
        raise UsageFailure("--cdf and --moments are for the law of one variable; add --marginal NAME")
    if fmt == "json":
        import json

        doc = result_document(Y, steps=steps, timings=timings, cdf=cdf, moments=moments)
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if fmt == "latex":
        from covar.render.latex import derivation_latex, result_latex

        click.echo(derivation_latex(Y) if steps else f"\\[ {result_latex(Y)} \\]")
    else:
        from covar.render.text import render

        click.echo(render(Y, steps=steps))
    if cdf or moments:
        click.echo(_extras_text(Y, cdf, moments, latex=fmt == "latex"))


def _extras_text(Y: Any, cdf: bool, moments: bool, latex: bool) -> str:
    """The CDF and the moments of Y, in the terminal's pretty print or as LaTeX."""
    import sympy as sp

    y = Y.var
    rows = []
    if cdf:
        rows.append((f"F_Y({y})", "F_Y(" + sp.latex(y) + ")", Y.cdf if Y.cdf is not None else sp.Symbol("numeric_only")))
    if moments:
        rows += [("E[Y]", r"\mathbb{E}[Y]", Y.mean), ("Var[Y]", r"\operatorname{Var}[Y]", Y.variance)]
    if latex:
        return "\n".join(f"\\[ {tex} = {sp.latex(value)} \\]" for _, tex, value in rows)
    out = []
    for name, _, value in rows:
        lines = sp.pretty(value).splitlines()
        middle = len(lines) // 2
        pad = " " * (len(name) + 3)
        out += [f"{name} = {ln}" if i == middle else pad + ln for i, ln in enumerate(lines)]
        out.append("")
    return "\n".join(out).rstrip()


@cli.command(epilog="""\b
Examples:
  covar latex "ChiSquared(1)" "sqrt(x)"
  covar latex "Normal(0, 1)" "x**2" --standalone -o square.tex && pdflatex square.tex
""")
@input_options
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              callback=_writable_target, help="Write to this file instead of standard output.")
@click.option("--standalone", is_flag=True, help="A complete document that compiles with pdflatex.")
@force_option
def latex(density, map, support, assume, timeout, output, standalone, force) -> None:
    """The derivation of Y = MAP(X) as LaTeX (align environments, cases for the result)."""
    _check_new_target(output, force)
    _, Y = derive(density, map, support, assume, timeout)
    text = Y.latex(document=standalone)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


@cli.command(epilog="""\b
Examples:
  covar check "ChiSquared(1)" "sqrt(x)"
  covar check "Normal(mu, sigma)" "exp(x)" -p mu=0.5 -p sigma=0.4 --samples 200000
  covar check "Normal(0, 1)" "Max(0, x)" --seed 7
""")
@input_options
@param_option
@click.option("--samples", "-n", type=Count(100, MAX_SAMPLES), default=100_000, show_default=True,
              help=f"Number of samples of g(X) (100 to {MAX_SAMPLES:.0e}).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random generator (a whole number >= 0).")
def check(density, map, support, assume, timeout, params, samples, seed) -> None:
    """Verify the derived density numerically against samples of g(X).

    The continuous part must integrate to 1 minus the atoms' masses, pass a Kolmogorov-Smirnov
    test against samples of g(X) drawn with X's own sampler, and each atom's frequency must
    match its mass. Exit status 1 when a check fails.
    """
    from covar.cli.progress import progress_bar, stepper
    from covar.numeric.checks import check as run_check

    from covar.render.text import render_check

    X, Y = derive(density, map, support, assume, timeout)
    values = parameter_values(params, Y)
    check_input_values(X, values)
    with progress_bar(None, "checking") as bar:
        report = run_check(Y, samples, seed, progress=stepper(bar), **values)
    click.echo(render_check(Y, report, seed, values))
    if not report.passed:
        sys.exit(1)


@cli.command(epilog="""\b
Examples:
  covar plot "ChiSquared(1)" "sqrt(x)" -o halfnormal.png
  covar plot "Normal(mu, sigma)" "exp(x)" -p mu=0 -p sigma=0.5
  covar plot "Poisson(3)" "(x - 2)**2" -o square.svg
""")
@input_options
@param_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default="covar.png",
              show_default=True, callback=_writable_target,
              help="Image file to write (format from the extension: png, svg, pdf).")
@click.option("--samples", "-n", type=Count(0, MAX_SAMPLES), default=50_000, show_default=True,
              help=f"Samples of g(X) in the histogram (0 for none, up to {MAX_SAMPLES:.0e}).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random generator (a whole number >= 0).")
@force_option
def plot(density, map, support, assume, timeout, params, output, samples, seed, force) -> None:
    """Plot the map g, f_X and f_Y (each monotone piece in its colour) over samples of g(X).

    Needs the plotting extra: pip install "covar[plot]".
    """
    from covar.render.plot.canvas import require_matplotlib

    require_matplotlib()  # before any derivation: a missing extra is the user's to fix
    _check_new_target(output, force)
    from covar.render.plot import plot_transform

    X, Y = derive(density, map, support, assume, timeout)
    values = parameter_values(params, Y)
    check_input_values(X, values)
    steps = Y.derivation.steps  # the input and the law after each map, as derived
    results = [step.input for step in steps[1:]] + [Y]
    fig = plot_transform(steps[0].input, None, results=results, samples=samples, seed=seed, values=values)
    fig.savefig(output, dpi=110)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: a free one).")
@click.option("--browser/--no-browser", default=True, show_default=True, help="Open the page in a browser.")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True, help="Worker processes.")
@click.option("--timeout", type=float, default=20.0, show_default=True, callback=_finite_seconds,
              help="Time budget in seconds of each derivation (the animation gets three times as much).")
@click.option("--memory-mb", type=click.IntRange(256, None), default=3072, show_default=True,
              help="Address space of each worker process in MiB; a job that needs more is answered "
                   "with an out-of-memory message and its worker replaced.")
def serve(port, browser, workers, timeout, memory_mb) -> None:
    """Serve the calculator page on 127.0.0.1 (needs pip install "covar[web]")."""
    from covar.web.serve import serve as run_server

    run_server(port or None, browser, workers, timeout, memory_mb=memory_mb,
               say=lambda line: click.echo(line, err=True))


@cli.command(epilog="""\b
Examples:
  covar families
  covar families Gamma
""")
@click.argument("name", required=False)
def families(name: str | None) -> None:
    """List the input families, or show one: pdf, support, parameters, scipy equivalent."""
    from covar.laws.families import FAMILIES

    from sympy import sstr

    if name is not None:
        click.echo(_family_sheet(name))
        return
    rows = [(f"{name}({', '.join(fam.params)})", "pmf" if fam.discrete else "pdf",
             sstr(fam.support(*fam.symbols()))) for name, fam in FAMILIES.items()]
    width = max(len(r[0]) for r in rows)
    for call, kind, support in rows:
        click.echo(f"{call:<{width}}  {kind}  on {support}")


def _family_sheet(name: str) -> str:
    """One family's pdf (pretty-printed), support, parameter constraints and scipy equivalent."""
    import difflib

    import sympy as sp

    from covar.laws.families import FAMILIES

    fam = FAMILIES.get(name) or {k.lower(): f for k, f in FAMILIES.items()}.get(name.lower())
    if fam is None:
        near = difflib.get_close_matches(name, list(FAMILIES), n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise UsageFailure(f"no family {name!r}; {hint}`covar families` lists them")
    symbols = fam.symbols()
    var = sp.Symbol("k" if fam.discrete else "x", real=True)
    kind = "pmf" if fam.discrete else "pdf"
    call = f"{fam.name}({', '.join(fam.params)})"
    pdf = sp.pretty(sp.Eq(sp.Function("f")(var), fam.pdf(var, *symbols)), use_unicode=True)
    example = fam.example_args()
    frozen = fam.scipy(*example)
    shown = ", ".join(f"{v:g}" for v in example)
    args = ", ".join([*(f"{a:g}" for a in frozen.args), *(f"{k}={v:g}" for k, v in frozen.kwds.items())])
    lines = [f"{call}  ({kind})", "", pdf, "", f"support    {sp.sstr(fam.support(*symbols))}", "parameters"]
    lines += [f"  {p:<8} {fam.constraint(p).text}" for p in fam.params]
    lines += ["", f"scipy      {fam.name}({shown}) is scipy.stats.{frozen.dist.name}({args})"]
    return "\n".join(lines)


@cli.command(epilog="""\b
Examples:
  covar batch problems.jsonl -o results.jsonl --jobs 2
  covar batch problems.yaml -o results.jsonl --scheduler tcp://10.0.0.5:8786
A problem line: {"id": "sq", "density": "Normal(0, 1)", "map": "x**2"}; optional keys
support, assume (list), timeout (seconds), vars (list) and marginal, as in `covar derive`.
""")
@click.argument("problems", type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "-o", required=True, callback=_writable_target,
              help="JSON-lines file of results; ids already in it are skipped (resume).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes deriving problems in parallel.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help='A Dask distributed scheduler to send the problems to (pip install "covar[dask]").')
@click.option("--timeout", type=float, default=30.0, show_default=True, callback=_finite_seconds,
              help="Time budget in seconds of each problem without its own \"timeout\".")
@click.option("--force", is_flag=True, help="Start the output file afresh instead of resuming it.")
def batch(problems, output, jobs, scheduler, timeout, force) -> None:
    """Derive a file of problems (JSON lines, or YAML) into JSON lines of results.

    Each output line holds the problem's id, its status (ok, refused, timeout or error), a
    message, and the result as `covar derive -f json` prints it (no timings: reproducible).
    Exit status 1 when any problem did not end ok.
    """
    import os

    from covar.cli.batch import read_problems, run_batch
    from covar.cli.progress import progress_bar

    entries = read_problems(problems, timeout)
    if force and os.path.exists(output):
        os.remove(output)
    with progress_bar(len(entries), "deriving") as bar:
        counts = run_batch(entries, output, jobs=jobs, scheduler=scheduler, progress=bar.update)
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no problems", err=True)
    if any(counts[k] for k in ("refused", "timeout", "error")):
        sys.exit(1)


@cli.command(epilog="""\b
Layer specs (each layer's inputs are z1..zd, applied in the order given):
  coupling MASK | s: S1, ... | t: T1, ...   RealNVP affine coupling, MASK like 1100
                                            (1 passes through; s, t in those inputs)
  permute P                                 y_i = z_P[i], P like 1,0 (0-based)
  exp | tanh | sigmoid | leaky_relu         elementwise; options | mask: 10, | slope: 1/10
  realnvp                                   the worked 4-D RealNVP example
\b
Examples:
  covar flow --layer realnvp --no-steps
  covar flow --layer "coupling 10 | s: tanh(z1) | t: z1**2" --layer "permute 1,0"
  covar flow --base "Exponential(1) * Normal(0, 1)" --layer "coupling 10 | s: z1/2 | t: z1" -f json
""")
@click.option("--layer", "-l", "layers", multiple=True, metavar="SPEC", help="A layer (repeatable, in order).")
@click.option("--base", "-b", default=None, metavar="DENSITY",
              help='Independent families joined by *, e.g. "Normal(0,1) * Normal(0,1)" (default: standard normals).')
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "latex", "json"]), default="text",
              show_default=True, help="text for the terminal, latex, or json (docs/json-schema.md).")
@click.option("--steps/--no-steps", default=True, show_default=True, help="Show the layer-by-layer derivation.")
@click.option("--timeout", type=float, default=30.0, show_default=True, callback=_finite_seconds,
              help="Time budget in seconds of the derivation.")
def flow(layers, base, fmt, steps, timeout) -> None:
    """The density of a normalizing flow's output y = f(z), z ~ BASE, from its layers."""
    from covar.cli.flow import flow_law

    law = flow_law(tuple(layers), base, timeout)
    if fmt == "json":
        from covar.render.serialize import to_json

        click.echo(to_json(law, steps=steps))
    elif fmt == "latex":
        from covar.render.latex import derivation_latex, result_latex

        click.echo(derivation_latex(law) if steps else f"\\[ {result_latex(law)} \\]")
    else:
        from covar.render.text import render

        click.echo(render(law, steps=steps))


def main() -> None:
    """Console entry point of ``covar``: run the command, then leave without interpreter teardown.

    Tearing down sympy's and scipy's modules costs about a fifth of a short command's time and
    does nothing a finished command needs: every file covar writes is closed by then and no atexit
    handler of covar's exists. Output streams are flushed first, so nothing printed is lost.
    """
    import os

    try:
        cli.main(prog_name="covar")
        code = 0
    except SystemExit as exc:  # click ends every command this way; a non-int code is a message
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if code == 1 and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left (`covar ... | head`), or closed
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
