"""covar.render.plot: figures and animations drawn from the engine's derivations."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from PIL import Image
from scipy import integrate, stats

import covar
from covar import plot

X = covar.Density.from_stats(st.Normal("X", 0, 1))
x = X.var


def _quad_mass(Y: covar.Density) -> float:
    """∫ Y.numpy() over its support with scipy's quad, independent of covar.numeric.validation."""
    f = Y.numpy()
    total = 0.0
    support = Y.support.args if isinstance(Y.support, sp.Union) else (Y.support,)
    for iv in support:
        lo, hi = float(iv.start), float(iv.end)
        for a, b in ((lo, min(hi, 0.0)), (max(lo, 0.0), hi)):  # split at 0, where kinks sit
            if b > a:
                total += integrate.quad(lambda t: float(np.nan_to_num(f(np.array([t]))[0])), a, b,
                                        limit=200)[0]
    return total


def test_interpolated_map_runs_from_identity_to_g():
    assert plot.interpolated_map(x ** 2, x, 0) == x
    assert plot.interpolated_map(x ** 2, x, 1) == x ** 2
    assert plot.interpolated_map(x ** 2, x, sp.Rational(1, 3)) == 2 * x / 3 + x ** 2 / 3


def test_mathtext_falls_back_to_plain_text():
    assert plot.mathtext(r"\frac{1}{2}") == r"$\frac{1}{2}$"
    assert plot.mathtext(r"\begin{cases}1\end{cases}") == r"\begin{cases}1\end{cases}"


def test_plot_range_covers_the_mass():
    lo, hi = plot.plot_range(covar.Density.from_stats(st.Exponential("E", 1)))
    assert lo == pytest.approx(0.001, abs=2e-3)
    assert hi == pytest.approx(-np.log(1e-3), rel=1e-2)


def test_plot_transform_square_colours_two_branches(tmp_path):
    fig = plot.plot_transform(X, x ** 2, title=r"$Y = X^2$")
    ax_map, ax_in, ax_out = fig.axes
    assert [a.get_xlabel() for a in fig.axes] == ["$x$", "$x$", "$y$"]
    assert ax_map.get_ylabel() == "$y = g(x)$"
    # one filled area per branch in the input panel, stacked contributions in the output panel
    in_labels = [t.get_text() for t in ax_in.get_legend().get_texts()]
    assert any("decreasing" in t and r"- \sqrt{y}" in t for t in in_labels)
    assert any("increasing" in t and r"\sqrt{y}" in t for t in in_labels)
    fills = [c for c in ax_out.collections if type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection")]
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in fills}
    assert len(colours) >= 2
    # the stacked contributions add up to the engine's f_Y
    Y = covar.transform(X, x ** 2)
    ys = np.linspace(0.5, 5, 7)
    tops = []
    for y0 in ys:  # the highest filled edge above each y is the sum of the contributions
        v = np.concatenate([c.get_paths()[0].vertices for c in fills])
        near = np.abs(v[:, 0] - y0) < 0.02
        tops.append(v[near, 1].max())
    assert np.allclose(tops, Y.numpy()(ys), rtol=2e-2)
    out = tmp_path / "square.png"
    fig.savefig(out, dpi=50)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (700, 240)


def test_plot_transform_draws_the_atom_as_a_stem():
    fig = plot.plot_transform(X, sp.Max(0, x))
    ax_out = fig.axes[2]
    stems = [c for c in ax_out.collections if type(c).__name__ == "LineCollection"]
    segs = [s for c in stems for s in c.get_segments()]
    assert any(np.allclose(s, [[0, 0], [0, 0.5]]) for s in segs)
    labels = [t.get_text() for t in ax_out.get_legend().get_texts()]
    assert any(r"P(Y = 0) = \frac{1}{2}" in t for t in labels)


def test_plot_transform_composition_has_one_row_per_step():
    fig = plot.plot_transform(X, [lambda v: v ** 2, lambda v: sp.sqrt(v)])
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title().startswith("step 1")
    assert fig.axes[3].get_title().startswith("step 2")
    assert fig.axes[5].get_xlabel() == "$z$"


def test_every_frame_integrates_to_one_minus_atoms():
    frames = plot.derive_frames(X, sp.Max(0, x), 4)
    assert [f.t for f in frames] == [0, sp.Rational(1, 3), sp.Rational(2, 3), 1]
    for f in frames:
        assert f.error is None
        atoms = sum(float(m) for m in f.density.atoms.values())
        assert _quad_mass(f.density) == pytest.approx(1 - atoms, abs=1e-6)
        assert f.mass.integral == pytest.approx(f.mass.expected, abs=1e-6)
    assert frames[-1].density.atoms == {0: sp.Rational(1, 2)}
    # at t = 2/3 the left half is squeezed by 1 - t = 1/3: its density triples
    mid = frames[2].density.numpy()
    assert mid(np.array([-0.1]))[0] == pytest.approx(3 * float(sp.exp(-0.3 ** 2 / 2) / sp.sqrt(2 * sp.pi)))


def test_non_monotone_intermediate_maps_are_derived():
    frames = plot.derive_frames(X, x ** 2, 3)
    middle = frames[1].density  # g = x/2 + x**2/2 has a minimum at x = -1/2
    kinds = [p.kind for p in middle.derivation.pieces]
    assert kinds == ["decreasing", "increasing"]
    assert float(middle.support.inf) == pytest.approx(-1 / 8)
    assert _quad_mass(middle) == pytest.approx(1, abs=1e-6)


def test_animation_writes_gif_and_html(tmp_path):
    gif, html = tmp_path / "a.gif", tmp_path / "a.html"
    anim = plot.animate_transform(X, 2 * x, frames=4, gif=gif, html=html, dpi=50)
    assert anim.failed == () and len(anim.frames) == 4
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 4 and im.size == (500, 200)
    text = html.read_text()
    assert "<script" in text and text.count("data:image/png;base64") == 4


def test_a_failing_frame_is_annotated_not_faked(tmp_path, monkeypatch):
    import covar.derive as pf

    real = pf.transform
    target = sp.Abs(x)

    def flaky(D, g, *args, **kwargs):
        if g not in (x, target):
            raise covar.NoClosedFormInverse("no inverse in this test")
        return real(D, g, *args, **kwargs)

    monkeypatch.setattr(pf, "transform", flaky)
    anim = plot.animate_transform(X, target, frames=3, gif=tmp_path / "f.gif", dpi=40)
    assert [float(f.t) for f in anim.failed] == [0.5]
    assert "no inverse in this test" in anim.failed[0].error
    with Image.open(tmp_path / "f.gif") as im:
        assert im.n_frames == 3


def test_joint_plot_of_a_coupling_layer_uses_the_engine():
    from covar import flows

    J = covar.independent(st.Normal("Z1", 0, 1), st.Normal("Z2", 0, 1))
    z1, z2 = J.vars
    layer = flows.AffineCoupling((1, 0), s=(sp.tanh(z1),), t=(z1 ** 2 / 2,), inputs=J.vars)
    K = covar.transform(J, layer.forward, layer.outputs)
    fig = plot.plot_joint_transform(J, layer.forward, layer.outputs, K=K, log_det=layer.log_det_jacobian,
                                    ylim=((-3, 3), (-3.5, 7)))
    assert [a.get_xlabel() for a in fig.axes[:3:2]] == ["$z_{1}$", "$z_{1}$"]
    assert fig.axes[2].get_title() == r"$\log|\det J_g| = \tanh{\left(z_{1} \right)}$"
    # change of variables: f_Y(f(z)) = f_Z(z) exp(-log|det J(z)|)
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(50, 2))
    Yp = layer.numpy_forward()(Z)
    lhs = K.numpy()(Yp[:, 0], Yp[:, 1])
    rhs = J.numpy()(Z[:, 0], Z[:, 1]) * np.exp(-np.tanh(Z[:, 0]))
    assert np.allclose(lhs, rhs, rtol=1e-10)
    assert plot.joint_mass(K, ((-7, 7), (-8, 30)), n=500) == pytest.approx(1, abs=2e-3)


def test_polar_density_integrates_to_one():
    J = covar.independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    x1, x2 = J.vars
    K = covar.transform(J, (sp.sqrt(x1 ** 2 + x2 ** 2), sp.atan2(x2, x1)), ("r", "theta"))
    # the density jumps to 0 at theta = ±pi: the trapezoid rule is only first-order there
    assert plot.joint_mass(K, ((0, 9), (-3.3, 3.3)), n=800) == pytest.approx(1, abs=1e-3)
    fig = plot.plot_joint_transform(J, (sp.sqrt(x1 ** 2 + x2 ** 2), sp.atan2(x2, x1)), ("r", "theta"),
                                    K=K, ylim=((0, 3.5), (-np.pi, np.pi)))
    assert fig.axes[2].get_title() == r"$\log|\det J_g| = - \frac{\log{\left(x_{1}^{2} + x_{2}^{2} \right)}}{2}$"
    assert fig.axes[1].get_ylabel() == r"$\theta$"


def _fresh_python(lines: list[str]) -> subprocess.CompletedProcess:
    """Run the lines in a new interpreter (a clean sys.modules); they must succeed."""
    done = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_matplotlib_stays_out_of_covar_and_pyplot_out_of_plot():
    _fresh_python([
        "import sys, covar, sympy.stats as st",
        "X = covar.Density.from_stats(st.Normal('X', 0, 1))",
        "covar.transform(X, X.var**2)",
        "assert 'matplotlib' not in sys.modules, 'covar imported matplotlib'",
        # read the rcParam raw: matplotlib.get_backend() would itself import pyplot
        "import matplotlib; before = dict.__getitem__(matplotlib.rcParams, 'backend')",
        "covar.plot.plot_transform(X, X.var + 1).savefig(__import__('io').BytesIO())",
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'",
        "assert dict.__getitem__(matplotlib.rcParams, 'backend') == before",
    ])


def test_a_discrete_law_is_drawn_as_stems_with_sample_frequencies():
    P = covar.parse_density("Poisson(3)")
    fig = plot.plot_transform(P, "(x - 2)**2", samples=4000, seed=1)
    ax_in, ax_out = fig.axes[1], fig.axes[2]
    assert ax_in.get_ylabel() == ax_out.get_ylabel() == "probability"
    stems = [s for c in ax_out.collections if type(c).__name__ == "LineCollection" for s in c.get_segments()]
    heights = {round(float(s[0][0]), 6): float(s[1][1]) for s in stems}
    # P(Y = 1) = P(X = 1) + P(X = 3) = 3e^-3 + 9e^-3/2; P(Y = 0) = P(X = 2) = 9e^-3/2
    assert heights[1.0] == pytest.approx(7.5 * np.exp(-3), rel=1e-9)
    assert heights[0.0] == pytest.approx(4.5 * np.exp(-3), rel=1e-9)
    marks = [ln for ln in ax_out.get_lines() if "frequencies" in ln.get_label()]
    xs, freq = marks[0].get_data()
    assert freq[list(xs).index(1.0)] == pytest.approx(7.5 * np.exp(-3), abs=0.03)


def test_parameter_values_and_a_sample_histogram():
    N = covar.parse_density("Normal(mu, sigma)")
    Y = covar.transform(N, "exp(x)")
    fig = plot.plot_transform(N, None, results=[Y], values={"mu": 0.0, "sigma": 0.5}, samples=20000, seed=2)
    ax_out = fig.axes[2]
    curve = next(ln for ln in ax_out.get_lines() if ln.get_label() == "$f_{Y}(y)$")
    ys, fy = curve.get_data()
    assert np.allclose(fy, stats.lognorm(0.5).pdf(ys), rtol=1e-8, equal_nan=True)
    bars = next(p for p in ax_out.patches if "samples" in str(p.get_label()))
    heights, edges, _baseline = bars.get_data()
    middle = 0.5 * (edges[1:] + edges[:-1])
    busy = heights > 0.3
    assert np.allclose(heights[busy], stats.lognorm(0.5).pdf(middle[busy]), rtol=0.15)


def test_without_matplotlib_plotting_names_the_extra():
    done = _fresh_python([
        "import sys",
        "sys.modules['matplotlib'] = None  # as if covar[plot] were not installed",
        "import covar",
        "Y = covar.transform(covar.parse_density('Normal(0, 1)'), 'x**2')",
        "assert str(Y.family) == 'ChiSquared(1)'",
        "try:",
        "    covar.plot.plot_transform",
        "except covar.CovarError as exc:",
        "    print(type(exc).__name__, isinstance(exc, ImportError), exc)",
    ])
    assert done.stdout.startswith("MissingExtra True plotting needs matplotlib")
    assert 'pip install "covar[plot]"' in done.stdout
