"""``python -m gallery [OUTDIR] [--frames N] [--jobs J] [--no-html] [--only NAME]...``

Builds every example into OUTDIR (default gallery/_build) with a progress bar on stderr (shown
on a terminal only). A full build into the default OUTDIR rewrites gallery/README.md (the
committed index); any other build writes OUTDIR/README.md.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from gallery import DEFAULT_FRAMES, DEFAULT_OUTDIR, GIF_LIMIT, HERE, build, examples, units_of


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("outdir", required=False, default=str(DEFAULT_OUTDIR),
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--frames", type=click.IntRange(min=2), default=DEFAULT_FRAMES, show_default=True,
              help="Frames per animation (t = 0 and t = 1 at least).")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Worker processes.")
@click.option("--html/--no-html", default=True, show_default=True, help="Write the HTML frame players.")
@click.option("--only", multiple=True, type=click.Choice(examples.NAMES),
              help="Build only this example (repeatable).")
def main(outdir: Path, frames: int, jobs: int, html: bool, only: tuple[str, ...]) -> None:
    """Build the covar gallery: still figures, GIF animations, HTML players and a Markdown index."""
    from covar.cli.progress import progress_bar, stepper

    outdir = outdir.resolve()
    names = list(only or examples.NAMES)
    # Only a full build into the default directory may rewrite the committed index.
    full = outdir == DEFAULT_OUTDIR and names == list(examples.NAMES)
    index = HERE / "README.md" if full else outdir / "README.md"
    started = time.perf_counter()
    with progress_bar(sum(units_of(n, frames) for n in names), "gallery") as bar:
        say = stepper(bar)
        results = build(outdir, frames, jobs=jobs, html=html, names=names, index=index,
                        progress=lambda name, message: say(f"{name}: {message}"))
    status = 0
    for r in results:
        sizes = ", ".join(f"{f} {(outdir / f).stat().st_size / 1e3:.0f} kB" for f in r.files.values())
        click.echo(f"{r.name:12s} {r.seconds:5.1f} s  {r.note or sizes}", err=True)
        for t, why in r.skipped_frames:
            click.echo(f"{'':12s} frame t = {t:.2f} without density: {why[:90]}", err=True)
        gif = r.files.get("gif")
        if gif and (outdir / gif).stat().st_size > GIF_LIMIT:
            click.echo(f"{'':12s} {gif} is larger than {GIF_LIMIT / 1e6:.0f} MB", err=True)
            status = 1
    click.echo(f"built {len(results)} examples in {time.perf_counter() - started:.1f} s; index: {index}", err=True)
    sys.exit(status)


if __name__ == "__main__":
    main(prog_name="python -m gallery")
