"""Notebooks: every kind of object displays richly, and docs/tutorial.ipynb runs clean under nbclient."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sympy as sp

import covar
from covar import flows
from covar.render.plot.animation import animate_transform

TUTORIAL = Path(__file__).parent.parent / "docs" / "tutorial.ipynb"


def test_law_record_joint_and_layer_bundles_carry_mathml() -> None:
    Y = covar.transform("ChiSquared(1)", "sqrt(x)")
    for shown in (Y, Y.derivation):
        bundle = shown._repr_mimebundle_()
        assert "<math" in bundle["text/html"] and bundle["text/plain"] and bundle["text/latex"]
    notes = Y.derivation._repr_mimebundle_()["text/html"]
    assert "<li>" in notes and "sqrt(" not in notes and "oo)" not in notes
    x1, x2 = sp.symbols("x1 x2", real=True)
    J = covar.JointDensity(sp.exp(-(x1**2 + x2**2) / 2) / (2 * sp.pi), (x1, x2), True)
    assert "<math" in J._repr_mimebundle_()["text/html"]
    z1, z2 = sp.symbols("z1 z2", real=True)
    layer = flows.AffineCoupling((1, 0), (z1 / 2,), (z1**2,), inputs=(z1, z2))
    bundle = layer._repr_mimebundle_()
    assert "<math" in bundle["text/html"] and "AffineCoupling" in bundle["text/plain"]


def test_plot_and_animation_display_by_themselves() -> None:
    Y = covar.transform("Exponential(1)", "sqrt(x)")
    assert Y.plot()._repr_png_()[1:4] == b"PNG"
    player = animate_transform(covar.parse_density("Exponential(1)"), "sqrt(x)", frames=2)._repr_html_()
    assert "<script" in player and "data:image/png;base64" in player


def test_tutorial_notebook_runs_clean() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(TUTORIAL, as_version=4)
    root = str(TUTORIAL.parent.parent)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = root + (os.pathsep + env_path if env_path else "")
    try:
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": root}}).execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    data = [o.get("data", {}) for o in outputs]
    assert any("<math" in d.get("text/html", "") for d in data)
    assert any("image/png" in d for d in data)
    assert any("<script" in d.get("text/html", "") for d in data)  # the animation's player
