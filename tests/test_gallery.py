"""The gallery build: every artefact valid, every frame normalised, every link resolvable.

The gallery is built once per test session (3 frames, half-size images, one process) and
shared by the pytest-xdist workers through a lock file, so the suite pays for it once. The
engine's time budgets are wall-clock time, so the build gets BUDGET times its usual ones: a
loaded machine does not skip frames, and a frame that hangs still runs out of time.
"""
from __future__ import annotations

import fcntl
import io
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner
from PIL import Image

import covar
import gallery
from gallery import examples
from gallery.__main__ import main

FRAMES = 3
SCALE = 0.5
BUDGET = 4.0
LINK = re.compile(r"\]\(([^)]+)\)")


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id):
    """(output folder, {name: Result}) of one build shared by every xdist worker."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each worker has its own basetemp below one shared folder
        root = root.parent
    out, record = root / "gallery", root / "gallery.json"
    with open(root / "gallery.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait and read
        if not record.exists():
            results = gallery.build(out, frames=FRAMES, jobs=1, scale=SCALE, budget=BUDGET)
            record.write_text(json.dumps([asdict(r) for r in results]))
    results = [gallery.Result(**r) for r in json.loads(record.read_text())]
    return out, {r.name: r for r in results}


def _stages(name: str) -> int:
    return examples.by_name(name).stages


def _px(inches: float, dpi: int) -> int:
    return int(inches * round(dpi * SCALE))


def test_every_example_is_built(built):
    _out, results = built
    assert list(results) == list(examples.NAMES)
    # the multivariate API has landed: polar and RealNVP must build, not be skipped
    assert {n: r.note for n, r in results.items() if r.note} == {}


def test_images_are_valid_and_of_the_expected_size(built):
    out, results = built
    for name, r in results.items():
        with Image.open(out / r.files["png"]) as im:
            im.verify()
        with Image.open(out / r.files["png"]) as im:
            assert im.format == "PNG"
            if name in ("polar", "realnvp"):
                assert im.size == (_px(15, gallery.FIGURE_DPI), _px(4.8, gallery.FIGURE_DPI))
            else:
                assert im.size == (_px(14, gallery.FIGURE_DPI), _px(4.3 * _stages(name) + 0.5, gallery.FIGURE_DPI))
        if "gif" not in r.files:
            continue
        path = out / r.files["gif"]
        assert path.stat().st_size <= gallery.GIF_LIMIT
        with Image.open(path) as im:
            assert im.format == "GIF"
            assert im.size == (_px(10, gallery.ANIMATION_DPI), _px(4, gallery.ANIMATION_DPI))
            assert im.n_frames == FRAMES * _stages(name) == r.frames


def test_every_frame_integrates_to_one_minus_atoms(built):
    _out, results = built
    for name, r in results.items():
        if name in ("polar", "realnvp", "wishart_sqrt"):  # no 1-D morph (the matrix frames are slices)
            continue
        assert r.skipped_frames == []
        assert len(r.frame_masses) == r.frames
        for t, integral, expected in r.frame_masses:
            assert integral == pytest.approx(expected, abs=1e-5), (name, t)
    relu = results["relu"].frame_masses
    assert relu[-1][2] == pytest.approx(0.5)  # the atom at 0 carries half the mass at t = 1
    assert relu[0][2] == 1.0


def test_index_links_only_to_files_that_exist(built):
    out, results = built
    index = out / "README.md"
    text = index.read_text()
    links = LINK.findall(text)
    assert links, "the index links to nothing"
    for link in links:
        assert (index.parent / link).is_file(), link
    for name, r in results.items():
        for f in r.files.values():
            assert f in links
        assert f"## {examples.NAMES.index(name) + 1}. " in text
    # the LaTeX of each result sits in a display block
    assert text.count("$$\n") == 2 * len(results)
    assert r"P(Y = 0) = \frac{1}{2}" in text


def test_committed_index_points_at_what_the_build_makes(built):
    """gallery/README.md links into gallery/_build/ with exactly the files a build writes."""
    _out, results = built
    committed = Path(gallery.__file__).parent / "README.md"
    links = set(LINK.findall(committed.read_text()))
    made = {f"_build/{f}" for r in results.values() for f in r.files.values()}
    assert links == made


def test_sqrt_of_chi2_is_the_half_normal_not_the_normal():
    ex = examples.by_name("sqrt_chi2")
    problem = ex.problem()
    Y = covar.transform(problem.X, problem.g)
    assert Y.support == sp.Interval(0, sp.oo)
    assert Y.pdf.subs(Y.var, -1) == 0
    assert sp.simplify(Y.pdf.subs(Y.var, 1) - sp.sqrt(2 / sp.pi) * sp.exp(-sp.Rational(1, 2))) == 0
    assert "half-normal" in ex.explanation and "outside the support" in ex.explanation


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_command_line_build_with_progress_bar(tmp_path, monkeypatch):
    args = [str(tmp_path / "quiet"), "--frames", "2", "--only", "shift", "--no-html", "--jobs", "1"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    # off a terminal only the summary is written: no bar, no carriage returns
    assert "built 1 examples" in done.output and "\r" not in done.output and "3/3" not in done.output
    assert sorted(p.name for p in (tmp_path / "quiet").iterdir()) == ["README.md", "shift.gif", "shift.png"]
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with pytest.raises(SystemExit) as exit_status:
        main.main([str(tmp_path / "shown"), *args[1:]], prog_name="python -m gallery")
    assert exit_status.value.code == 0
    shown = terminal.getvalue()
    assert "gallery: 100%" in shown and "3/3" in shown and "shift: " in shown and "built 1 examples" in shown


def test_command_line_rejects_bad_options():
    done = CliRunner().invoke(main, ["--frames", "1"])
    assert done.exit_code == 2 and "--frames" in done.output
    done = CliRunner().invoke(main, ["--only", "nosuch"])
    assert done.exit_code == 2 and "nosuch" in done.output


def test_builds_are_reproducible(built, tmp_path):
    out, _results = built
    again = gallery.build_example("relu", tmp_path, frames=FRAMES, html=False, scale=SCALE, budget=BUDGET)
    assert sorted(again.files.values()) == ["relu.gif", "relu.png"]
    for name in again.files.values():
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_the_table_names_each_example_once_and_says_how_to_draw_it():
    assert len(set(examples.NAMES)) == len(examples.EXAMPLES) == 11
    with pytest.raises(KeyError):
        examples.by_name("nosuch")
    for ex in examples.EXAMPLES:
        problem = ex.problem()
        if ex.kind == "joint":
            assert len(problem.y) == len(problem.g) == 2 and not ex.animated
        else:
            assert ex.animated and problem.y == ()
            assert ex.stages == (len(problem.g) if isinstance(problem.g, list) else 1)
    coupling = examples.by_name("realnvp").problem()
    z1 = coupling.X.vars[0]
    assert coupling.log_det == sp.tanh(z1)  # read off the layer, not a determinant
