"""The covar gallery: worked change-of-variables examples turned into figures and animations.

:mod:`gallery.examples` is the table of examples (the input law, the map, a title and an
explanation per row). :func:`build` derives every example with covar, draws it with
:mod:`covar.plot` and writes a Markdown index. ``python -m gallery`` is the command (the
gallery is a folder of the repository, not an installed package).

>>> from gallery import examples
>>> examples.NAMES[:2]
('shift', 'scale')
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from gallery.examples import NAMES, Example, by_name

HERE = Path(__file__).resolve().parent
DEFAULT_OUTDIR = HERE / "_build"
DEFAULT_FRAMES = 13  # t = k/12; every log-Gamma frame then derives in under 10 s on an idle core
#: every GIF must stay below this many bytes
GIF_LIMIT = 2_000_000
#: resolution of the still figures and of the animations at scale 1
FIGURE_DPI, ANIMATION_DPI = 80, 72
#: README.md shows every image at its own width, scaled down to fit GitHub's column of about
#: this many pixels; the smallest text (a legend) must then still be this many pixels tall
SHOWN_WIDTH_PX, SMALLEST_TEXT_PX = 880, 10.5


def smallest_text_pt(width_in: float, dpi: float) -> float:
    """The point size of a text that is SMALLEST_TEXT_PX tall once an image ``width_in`` inches
    wide at ``dpi`` is shown at most SHOWN_WIDTH_PX wide.

    >>> round(smallest_text_pt(14, 80), 1), round(smallest_text_pt(10, 72), 1)
    (12.0, 10.5)
    """
    shown = min(1.0, SHOWN_WIDTH_PX / (width_in * dpi))
    return SMALLEST_TEXT_PX / shown * 72 / dpi


@dataclass
class Result:
    """What the build made of one example (plain data: it crosses process boundaries)."""

    name: str
    title: str = ""
    explanation: str = ""
    files: dict[str, str] = field(default_factory=dict)  # kind ("png", "gif", "html") -> file name
    latex: str = ""
    frames: int = 0
    frame_masses: list[tuple[float, float, float]] = field(default_factory=list)  # (t, integral, expected)
    skipped_frames: list[tuple[float, str]] = field(default_factory=list)  # (t, reason)
    note: str = ""  # why the example was skipped, if it was
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# one example


def _latex_of(Y: Any) -> str:
    """The result as LaTeX; a JointDensity has no result_latex, so its pdf is written directly."""
    import sympy as sp

    if hasattr(Y, "pdf_matrix"):  # a random matrix: its density in det/trace form
        return rf"f_{{{Y.symbol}}}({Y.symbol}) = {sp.latex(Y.pdf_matrix)}"
    if hasattr(Y, "vars"):
        names = ", ".join(sp.latex(v) for v in Y.vars)
        return rf"f({names}) = {sp.latex(Y.pdf)}"
    from covar.render.latex import result_latex

    return result_latex(Y)


def build_example(name: str, outdir: Path, frames: int, html: bool = True,
                  progress: Callable[[str], None] | None = None, scale: float = 1.0,
                  budget: float = 1.0) -> Result:
    """Derive, draw and animate the example ``name`` into ``outdir``.

    ``scale`` multiplies the resolution of every image (the tests draw small ones); ``budget``
    multiplies every time budget of the engine, which is wall-clock time (a loaded machine
    needs more, and the tests give it).

    Engine errors (covar.CovarError) and a missing optional dependency (ImportError) turn into
    a skipped example with the reason in ``note``; anything else is a bug and propagates.
    """
    import covar
    from covar import plot
    from covar.render.plot.canvas import enlarge_text

    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    result = Result(name)
    try:
        ex: Example = by_name(name)
        result.title, result.explanation = ex.title, ex.explanation
        p = ex.problem()
        if ex.kind == "matrix":
            from covar.render.plot.matrix import animate_matrix_transform, plot_matrix_transform

            K = covar.transform(p.X, p.g, timeout=60 * budget)
            fig = plot_matrix_transform(p.X, K, title=ex.title)
            result.latex = _latex_of(K)
        elif ex.kind == "joint":
            K = covar.transform(p.X, p.g, p.y, timeout=60 * budget)
            fig = plot.plot_joint_transform(p.X, p.g, p.y, K=K, xlim=ex.xlim, ylim=ex.ylim,
                                            log_det=p.log_det, title=ex.title)
            result.latex = _latex_of(K)
        else:
            steps = plot.derive_steps(p.X, p.g, timeout=60 * budget)
            fig = plot.plot_transform(p.X, p.g, title=ex.title, xlim=ex.xlim, ylim=ex.ylim,
                                      extra_maps=p.extra_maps, results=steps)
            result.latex = _latex_of(steps[-1])
        enlarge_text(fig, smallest_text_pt(fig.get_figwidth(), FIGURE_DPI))
        fig.savefig(outdir / f"{name}.png", dpi=round(FIGURE_DPI * scale))
        result.files["png"] = f"{name}.png"
        say("figure")
        if ex.kind == "matrix":
            result.frames = animate_matrix_transform(
                p.X, K, frames, gif=outdir / f"{name}.gif", html=outdir / f"{name}.html" if html else None,
                title=ex.title, dpi=round(ANIMATION_DPI * scale))
            result.files.update({"gif": f"{name}.gif", **({"html": f"{name}.html"} if html else {})})
        elif ex.animated:
            anim = plot.animate_transform(
                p.X, p.g, frames, gif=outdir / f"{name}.gif", html=outdir / f"{name}.html" if html else None,
                timeout=ex.frame_timeout * budget, title=ex.title, xlim=ex.xlim, progress=say,
                dpi=round(ANIMATION_DPI * scale), smallest_pt=smallest_text_pt(10, ANIMATION_DPI))
            result.files["gif"] = f"{name}.gif"
            if html:
                result.files["html"] = f"{name}.html"
            result.frames = len(anim.frames)
            result.frame_masses = [(float(f.t), f.mass.integral, f.mass.expected)
                                   for f in anim.frames if f.mass is not None]
            result.skipped_frames = [(float(f.t), f.error or "") for f in anim.failed]
    except (covar.CovarError, ImportError) as exc:
        result.note = f"skipped: {type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    return result


def units_of(name: str, frames: int) -> int:
    """Progress units of one example: its figure plus one per animation frame."""
    ex = by_name(name)
    return 1 + (frames * ex.stages if ex.animated else 0)


# ---------------------------------------------------------------------------------------------
# the whole gallery


def _worker(name: str, outdir: str, frames: int, html: bool, scale: float, budget: float,
            queue: Any) -> Result:
    return build_example(name, Path(outdir), frames, html, progress=lambda msg: queue.put((name, msg)),
                         scale=scale, budget=budget)


def build(outdir: str | Path = DEFAULT_OUTDIR, frames: int = DEFAULT_FRAMES, *, jobs: int = 2,
          html: bool = True, names: Sequence[str] | None = None, index: str | Path | None = None,
          progress: Callable[[str, str], None] | None = None, scale: float = 1.0,
          budget: float = 1.0) -> list[Result]:
    """Build the examples ``names`` (default: all) into ``outdir`` and write the Markdown index.

    ``jobs`` > 1 derives examples in that many worker processes (each has its own main
    thread, so covar's time budgets still apply). ``index`` is the Markdown file (default
    ``outdir/README.md``); its links are relative to it. ``progress(name, message)`` is
    called after each figure and each animation frame. ``scale`` multiplies the resolution,
    ``budget`` the engine's time budgets.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    todo = list(names or NAMES)
    say = progress or (lambda _n, _m: None)
    if jobs <= 1:
        results = [build_example(n, out, frames, html, progress=lambda m, n=n: say(n, m), scale=scale,
                                 budget=budget) for n in todo]
    else:
        results = _build_parallel(todo, out, frames, html, jobs, scale, budget, say)
    write_index(results, Path(index) if index else out / "README.md", out, frames)
    return results


def _build_parallel(todo: list[str], out: Path, frames: int, html: bool, jobs: int, scale: float,
                    budget: float, say: Callable[[str, str], None]) -> list[Result]:
    import multiprocessing as mp
    import queue as queue_module
    from concurrent.futures import ProcessPoolExecutor

    # Slowest first, so that two workers finish together (the order of the index is kept).
    slow_first = sorted(todo, key=lambda n: -by_name(n).cost)
    with mp.Manager() as manager, ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
        q = manager.Queue()
        futures = {n: pool.submit(_worker, n, str(out), frames, html, scale, budget, q) for n in slow_first}
        while not all(f.done() for f in futures.values()):
            try:
                say(*q.get(timeout=0.2))
            except queue_module.Empty:
                pass
        while not q.empty():
            say(*q.get())
        return [futures[n].result() for n in todo]


# ---------------------------------------------------------------------------------------------
# the index


def _link(target: Path, index: Path) -> str:
    return Path(os.path.relpath(target, index.parent)).as_posix()


def write_index(results: list[Result], index: Path, outdir: Path, frames: int) -> None:
    """The Markdown index: per example the still, the animation, the LaTeX and the explanation."""
    build_dir = _link(outdir, index)
    lines = [
        "# covar gallery",
        "",
        "Change of variables, seen. Every curve below is drawn from a covar derivation "
        "(`Y.numpy()`, `Y.atoms`, `Y.derivation.pieces`); no density is written by hand. The "
        "animations morph the identity into the map, g_t(x) = (1 − t)·x + t·g(x), and covar "
        "derives the density of g_t(X) afresh at every frame; each frame's density is integrated "
        "numerically and must give 1 minus the point masses.",
        "",
        "In the still figures each monotone piece of g and the mass it carries share a colour: "
        "the input panel fills f_X piece by piece, the output panel stacks the pieces' "
        "contributions f_X(h_k(y))·|h_k'(y)|, point masses are stems whose height is the mass, "
        "and hatching marks where a density is 0 because nothing lands there.",
        "",
        f"**Regenerate:** `python -m gallery` writes the images to `gallery/_build/` (ignored by "
        f"git) and rewrites this file; it shows a progress bar and prints how long it took "
        f"(about two minutes on two idle cores). Images are drawn to be read at their width in this page "
        f"(up to {SHOWN_WIDTH_PX} px): no text is smaller than {SMALLEST_TEXT_PX:g} px. No image is committed: every PNG, GIF and HTML player linked below is "
        f"rebuilt from the table of examples in `gallery/examples.py`, which uses no randomness. "
        f"`python -m gallery OUTDIR --frames N` builds elsewhere (with its own index in OUTDIR). "
        f"This index links into `{build_dir}/` and was built with {frames} frames per animation; "
        f"each animation has an HTML player to step through its frames.",
        "",
    ]
    for k, r in enumerate(results, 1):
        lines += [f"## {k}. {r.title or r.name}", ""]
        if r.note:
            lines += [f"> **Not built yet** — {r.note}", ""]
            if r.explanation:
                lines += [r.explanation, ""]
            continue
        for kind, alt in (("png", "still"), ("gif", "animation")):
            if kind in r.files:
                lines.append(f"![{r.name} {alt}]({_link(outdir / r.files[kind], index)})")
        lines.append("")
        if "html" in r.files:
            lines += [f"[Step through the frames]({_link(outdir / r.files['html'], index)})", ""]
        lines += ["$$", r.latex, "$$", "", r.explanation, ""]
        if r.frame_masses:  # frames whose density was derived and integrated (not the matrix slices)
            # No timings here: the index is committed, and must not change with the machine's load.
            # a verdict, not the round-off itself, so that rebuilding elsewhere gives the same file
            worst = max((abs(i - e) for _t, i, e in r.frame_masses), default=0.0)
            verdict = "within 1e-6" if worst < 1e-6 else f"only within {worst:.1e}"
            lines.append(f"- {r.frames} frames; {len(r.frame_masses)} densities derived, each integrating "
                         f"to 1 − (point masses) {verdict}")
            for t, why in r.skipped_frames:
                lines.append(f"- frame t = {t:.2f} shows no density: {why}")
            lines.append("")
    index.write_text("\n".join(lines))
