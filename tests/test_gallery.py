"""The gallery build: every artefact valid, every frame normalised, every link resolvable."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp
from PIL import Image

import covar
import gallery
from gallery import examples
from gallery.__main__ import main

FRAMES = 3
LINK = re.compile(r"\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("gallery")
    results = gallery.build(out, frames=FRAMES, jobs=2)
    return out, {r.name: r for r in results}


def _stages(name: str) -> int:
    return getattr(__import__(f"gallery.examples.{name}", fromlist=["_"]), "STAGES", 1)


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
                assert im.size == (1200, 384)  # 15 x 4.8 inches at 80 dpi
            else:
                assert im.size == (1120, int(80 * (4.3 * _stages(name) + 0.5)))
        if "gif" not in r.files:
            continue
        path = out / r.files["gif"]
        assert path.stat().st_size <= gallery.GIF_LIMIT
        with Image.open(path) as im:
            assert im.format == "GIF"
            assert im.size == (720, 288)
            assert im.n_frames == FRAMES * _stages(name) == r.frames


def test_every_frame_integrates_to_one_minus_atoms(built):
    _out, results = built
    for name, r in results.items():
        if name in ("polar", "realnvp"):
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
    ex = __import__("gallery.examples.sqrt_chi2", fromlist=["_"]).example()
    Y = covar.transform(ex.X, ex.g)
    assert Y.support == sp.Interval(0, sp.oo)
    assert Y.pdf.subs(Y.var, -1) == 0
    assert sp.simplify(Y.pdf.subs(Y.var, 1) - sp.sqrt(2 / sp.pi) * sp.exp(-sp.Rational(1, 2))) == 0
    assert "half-normal" in ex.explanation and "outside the support" in ex.explanation


def test_command_line_build_with_progress_bar(tmp_path, capsys):
    assert main([str(tmp_path), "--frames", "2", "--only", "shift", "--no-html", "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "100%" in err and "3/3" in err and "built 1 examples" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "shift.gif", "shift.png"]


def test_builds_are_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        out.mkdir()
        gallery.build_example("relu", out, frames=2, html=False)
    for name in ("relu.png", "relu.gif"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
