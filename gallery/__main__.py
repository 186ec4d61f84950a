"""``python -m gallery [OUTDIR] [--frames N] [--jobs J] [--no-html] [--only NAME ...]``

Builds every example into OUTDIR (default gallery/_build) with a progress bar on stderr.
A full build into the default OUTDIR rewrites gallery/README.md (the committed index);
any other build writes OUTDIR/README.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from gallery import DEFAULT_FRAMES, DEFAULT_OUTDIR, GIF_LIMIT, HERE, build, units_of
from gallery import examples


class ProgressBar:
    """A one-line text bar: ``[#####.....]  52%  41/80  square: stage 1, t = 0.53  12 s``."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        # sys.stderr is looked up now, not at import, so that redirections (pytest) apply
        self.total, self.done, self.width = max(total, 1), 0, width
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()

    def step(self, name: str, message: str) -> None:
        self.done = min(self.done + 1, self.total)
        filled = self.width * self.done // self.total
        line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {100 * self.done // self.total:3d}%  "
                f"{self.done}/{self.total}  {name}: {message}")[:110]
        self.stream.write(f"{line:<110} {time.perf_counter() - self.started:4.0f} s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gallery",
        description="Build the covar gallery: still figures, GIF animations, HTML players and a Markdown index.")
    parser.add_argument("outdir", nargs="?", default=str(DEFAULT_OUTDIR), help="where the images go")
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help="frames per animation (>= 2)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML frame players")
    parser.add_argument("--only", nargs="+", choices=examples.NAMES, help="build only these examples")
    args = parser.parse_args(argv)
    if args.frames < 2:
        parser.error("--frames must be at least 2 (t = 0 and t = 1)")
    outdir = Path(args.outdir).resolve()
    names = args.only or list(examples.NAMES)
    # Only a full build into the default directory may rewrite the committed index.
    full = outdir == DEFAULT_OUTDIR and list(names) == list(examples.NAMES)
    index = HERE / "README.md" if full else outdir / "README.md"
    bar = ProgressBar(sum(units_of(n, args.frames) for n in names))
    started = time.perf_counter()
    results = build(outdir, args.frames, jobs=args.jobs, html=not args.no_html, names=names,
                    index=index, progress=bar.step)
    bar.close()
    status = 0
    for r in results:
        sizes = ", ".join(f"{f} {(outdir / f).stat().st_size / 1e3:.0f} kB" for f in r.files.values())
        print(f"{r.name:12s} {r.seconds:5.1f} s  {r.note or sizes}", file=sys.stderr)
        for t, why in r.skipped_frames:
            print(f"{'':12s} frame t = {t:.2f} without density: {why[:90]}", file=sys.stderr)
        gif = r.files.get("gif")
        if gif and (outdir / gif).stat().st_size > GIF_LIMIT:
            print(f"{'':12s} {gif} is larger than {GIF_LIMIT / 1e6:.0f} MB", file=sys.stderr)
            status = 1
    print(f"built {len(results)} examples in {time.perf_counter() - started:.1f} s; index: {index}",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
