"""covar serve's API: results, downloads, cache, inline errors, limits, hostile input, timeouts.

The application runs with its real worker processes (Starlette's TestClient drives it in
process); the browser itself is tested in test_web_browser.py.
"""
from __future__ import annotations

import asyncio
import json
import re
import warnings

import numpy as np
import pytest
import sympy as sp
from scipy import stats

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

import covar  # noqa: E402
from covar.cli.main import cli  # noqa: E402
from covar.record import Label  # noqa: E402
from covar.render import mathml  # noqa: E402
from covar.web.app import STATIC, Settings, create_app  # noqa: E402
from covar.web.problem import MAX_FIELD, ProblemError, problem_from  # noqa: E402
from covar.web.workers import WorkerPool  # noqa: E402

SQRT_CHI2 = {"density": "ChiSquared(1)", "map": "sqrt(x)"}
# seven parameter cases, each derived and checked: about 3 s of CPU on an idle machine, twice the budget below
SLOW = {"density": "Uniform(-1, 1)", "map": "(x - c)**2", "assume": ["c real"]}


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with TestClient(create_app(Settings(workers=2, timeout=20.0, animation_timeout=60.0))) as c:
            yield c


def cli_message(*args: str) -> str:
    """The one-line error the CLI prints for these arguments (without 'Error: ')."""
    out = CliRunner().invoke(cli, ["derive", *args])
    assert out.exit_code != 0
    return out.output.strip().removeprefix("Error: ")


def _untimed(doc):
    """A JSON document without its timings (the only part that differs between two runs)."""
    if isinstance(doc, dict):
        return {k: _untimed(v) for k, v in doc.items() if k != "timings"}
    return [_untimed(v) for v in doc] if isinstance(doc, list) else doc


# ---- results --------------------------------------------------------------------------------

def test_page_and_files_need_no_network(client):
    page = client.get("/")
    assert page.status_code == 200 and "<form" in page.text
    for name in ("index.html", "app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), f"{name} loads something from the network"


def test_sqrt_chi2_result_steps_and_download(client):
    r = client.post("/api/derive", json=SQRT_CHI2)
    assert r.status_code == 200, r.text
    view = r.json()["view"]
    assert view["result"]["family"] == "HalfNormal(1)"
    assert view["result"]["formula"].startswith('<math display="block">') and "otherwise" in view["result"]["formula"]
    steps = [s for record in view["steps"] for s in record["steps"]]
    assert [s["n"] for s in steps] == list(range(1, len(steps) + 1))
    assert any("Piece 1" in s["title"] for s in steps)
    assert sum(f["math"].count("<math") for s in steps for f in s["formulas"]) >= 4
    assert steps[-1]["bulleted"] and any("y**2" in r or "outside" in r for r in steps[-1]["remarks"])
    # the JSON document the page offers is the CLI's: read back, its pdf is the half-normal's
    doc = client.get("/download/json", params=SQRT_CHI2)
    assert doc.status_code == 200 and "attachment" in doc.headers["content-disposition"]
    from_cli = CliRunner().invoke(cli, ["derive", *SQRT_CHI2.values(), "--format", "json"]).output
    assert _untimed(json.loads(doc.text)) == _untimed(json.loads(from_cli))
    Y = covar.from_json(doc.text)
    ys = np.array([0.1, 0.7, 1.5, 3.0])
    assert np.allclose([float(Y.pdf.subs(Y.var, v)) for v in ys], stats.halfnorm.pdf(ys), rtol=1e-12)
    assert float(Y.pdf.subs(Y.var, -0.5)) == 0.0
    tex = client.get("/download/latex", params=SQRT_CHI2)
    assert tex.status_code == 200 and tex.text.startswith(r"\documentclass") and r"\end{document}" in tex.text


def test_figure_and_animation_are_images(client):
    problem = {"density": "Gamma(alpha, beta)", "map": "log(x)", "values": "alpha=2, beta=1.5"}
    fig = client.post("/api/figure", json=problem)
    assert fig.status_code == 200, fig.text
    assert fig.json()["png"].startswith("data:image/png;base64,")
    anim = client.post("/api/animation", json=problem)
    assert anim.status_code == 200, anim.text
    body = anim.json()
    assert len(body["frames"]) == len(body["t"]) >= 2 and body["t"][0] == 0 and body["t"][-1] == 1
    assert len(set(body["frames"])) > 1  # the frames differ


def test_cache_answers_the_same_problem_again(client):
    first = client.post("/api/derive", json={"density": "Normal(0, 1)", "map": "x**2"}).json()
    hits = client.get("/health").json()["cache_hits"]
    again = client.post("/api/derive", json={"density": " Normal( 0,1 )", "map": "x ** 2 "}).json()
    assert again == first
    assert client.get("/health").json()["cache_hits"] == hits + 1


# ---- errors next to their field, with the CLI's messages ----------------------------------------

@pytest.mark.parametrize("problem, field, args", [
    ({"density": "Normal(0", "map": "x"}, "density", ["Normal(0", "x"]),
    ({"density": "Normal(0, 1)", "map": "__import__('os')"}, "map", ["Normal(0, 1)", "__import__('os')"]),
    ({"density": "Normal(mu, sigma)", "map": "x", "assume": "sigma >> 0"}, "assume",
     ["Normal(mu, sigma)", "x", "--assume", "sigma >> 0"]),
    ({"density": "exp(-x)", "map": "x", "support": "[0, oo"}, "support", ["exp(-x)", "x", "--support", "[0, oo"]),
])
def test_inline_errors_name_the_field_with_the_cli_message(client, problem, field, args):
    r = client.post("/api/derive", json=problem)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["field"] == field
    assert error["message"] == cli_message(*args)


def test_parameter_values_are_checked_like_the_cli(client):
    bad = client.post("/api/figure", json={"density": "Gamma(alpha, beta)", "map": "log(x)", "values": "alpha=-1, beta=1"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "values"
    assert "alpha must be > 0" in bad.json()["error"]["message"]
    huge = client.post("/api/figure", json={"density": "Normal(mu, 1)", "map": "x", "values": "mu=1e300"})
    assert huge.status_code == 422 and huge.json()["error"]["field"] == "values"
    missing = client.post("/api/figure", json={"density": "Normal(mu, 1)", "map": "x"})
    assert missing.status_code == 422 and "give a value to mu" in missing.json()["error"]["message"]


# ---- limits and hostile input ---------------------------------------------------------------------

@pytest.mark.parametrize("body, status", [
    (b"x" * 20_000, 413),
    (b"not json", 400),
    (b"[1, 2]", 400),
    (json.dumps({"density": "Normal(0, 1)", "map": "x", "extra": 1}).encode(), 400),
    (json.dumps({"density": "Normal(0, 1)", "map": "x" * (MAX_FIELD + 1)}).encode(), 400),
    (json.dumps({"density": {"a": 1}, "map": "x"}).encode(), 400),
    (json.dumps({"density": "Normal(0, 1)", "map": "x", "assume": ["a>0"] * 13}).encode(), 400),
    (json.dumps({"density": "", "map": "x"}).encode(), 400),
])
def test_malformed_requests_are_refused(client, body, status):
    r = client.post("/api/derive", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["ok"] is False and r.json()["error"]["message"]


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hacked')", "().__class__.__bases__[0]", "lambda: 1", "open('/etc/passwd')",
    "9**9**9**9", "x" + "+x" * 300, "x.__class__", "exec('1')", "<script>alert(1)</script>",
])
def test_hostile_maps_are_refused_by_the_parser(client, text):
    r = client.post("/api/derive", json={"density": "Normal(0, 1)", "map": text})
    assert r.status_code in (400, 422), r.text
    error = r.json()["error"]
    assert error["field"] == "map"
    assert "<script>" not in json.dumps(r.json().get("view", ""))


def test_unknown_job_and_long_query(client):
    from covar.web import app, jobs

    assert set(app.JOBS) == set(jobs.JOBS)  # the server's list of jobs is the workers'
    assert client.post("/api/eval", json=SQRT_CHI2).status_code == 404
    assert client.get("/download/latex", params={"density": "N" * 5000, "map": "x"}).status_code == 400


def test_a_slow_problem_times_out_and_the_server_goes_on():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with TestClient(create_app(Settings(workers=1, timeout=1.5, grace=20.0))) as c:
            r = c.post("/api/derive", json=SLOW)
            assert r.status_code == 422 and r.json()["error"]["kind"] == "timeout", r.text
            assert "time budget" in r.json()["error"]["message"]
            assert c.post("/api/derive", json={"density": "Uniform(0, 1)", "map": "2*x"}).status_code == 200
            # a timeout is not cached: it depends on the load of the moment
            assert c.post("/api/derive", json=SLOW).json()["error"]["kind"] == "timeout"


def test_the_pool_replaces_a_crashed_or_stuck_worker():
    pool = WorkerPool(1, grace=0.5)
    try:
        crashed = asyncio.run(pool.run("crash", {}, 5))
        assert crashed["error"]["kind"] == "crash" and pool.restarts == 1
        stuck = asyncio.run(pool.run("sleep", {"seconds": 60}, 0.5))
        assert stuck["error"]["kind"] == "timeout" and pool.restarts == 2
        assert asyncio.run(pool.run("echo", {"density": "d"}, 30))["fields"] == {"density": "d"}
    finally:
        pool.close()


# ---- pieces ----------------------------------------------------------------------------------------

def test_gallery_lists_examples_that_open_in_the_calculator(client):
    page = client.get("/gallery").text
    links = re.findall(r'href="(/\?[^"]+)"', page)
    assert len(links) >= 5 and any("ChiSquared" in link for link in links)
    assert any("mode=vector" in link and "atan2" in link for link in links)  # polar coordinates, a random vector


def test_mathml_pieces():
    y = sp.Symbol("y", real=True)
    pw = mathml.expression(sp.Piecewise((sp.exp(-y), y > 0), (0, True)))
    assert "<mtable" in pw and "otherwise" in pw and "piecewise" not in pw
    # e^{-y^2/2} stays in the numerator with its minus sign, as the text and LaTeX write it
    half = mathml.expression(sp.sqrt(2) * sp.exp(-y ** 2 / 2) / sp.sqrt(sp.pi))
    assert re.search(r"<mfrac><mrow><msqrt><mn>2</mn></msqrt><mo>.{1,8}</mo><msup><mi>&ExponentialE;</mi>"
                     r"<mfrac><mrow><mo>-</mo><msup><mi>y</mi><mn>2</mn></msup></mrow><mn>2</mn></mfrac>", half), half
    assert mathml.label(Label("f_Y(y)", "f_{Y}(y)")).startswith("<mrow><msub><mi>f</mi>")
    assert mathml.label(Label("weird", r"\unknowncommand{x}")) == "<mtext>weird</mtext>"
    assert mathml.phrase(("<b>", y)) .startswith("&lt;b&gt;<math")


def test_problem_keys_normalise_spacing_only():
    a = problem_from({"density": "Normal(0,1)", "map": "x**2"})
    assert a.key("derive") == problem_from({"density": "Normal( 0 , 1 )", "map": " x ** 2"}).key("derive")
    assert a.key("derive") != a.key("figure")
    assert problem_from({"density": "x y", "map": "x"}).key("derive") != problem_from({"density": "xy", "map": "x"}).key("derive")
    with pytest.raises(ProblemError):
        problem_from({"density": "Normal(0, 1)"})


# ---- random vectors, flows, the CDF & moments tab, memory and frame budgets ------------------------

POLAR = {"density": "Normal(0, 1) * Normal(0, 1)", "map": "sqrt(x1**2 + x2**2), atan2(x2, x1)", "vars": "r, theta"}
COUPLING = ["coupling 10 | s: tanh(z1) | t: z1**2", "permute 1,0"]


def _pdf_at(law, point):
    """A law's symbolic pdf (read back from the page's JSON download) at a point, as a float."""
    return float(law.pdf.subs(dict(zip(law.vars, point))))


def test_a_random_vector_has_its_result_steps_and_grid(client):
    r = client.post("/api/derive", json=POLAR)
    assert r.status_code == 200, r.text
    view = r.json()["view"]
    assert view["kind"] == "vector" and view["grid"] and view["layers"] == []
    steps = [s for record in view["steps"] for s in record["steps"]]
    assert [s["piece"] for s in steps if s["piece"] is not None] == [0] and "Branch 1" in steps[2]["title"]
    assert view["result"]["formula"].count("<math") == 1 and "<mi>&#952;</mi>" in view["result"]["formula"]
    # the download is the CLI's document, and its pdf is r e^(-r^2/2) / (2 pi) on r > 0, |theta| < pi
    doc = client.get("/download/json", params=POLAR)
    cli_doc = CliRunner().invoke(cli, ["derive", POLAR["density"], POLAR["map"], "--vars", "r,theta", "-f", "json"]).output
    assert _untimed(json.loads(doc.text)) == _untimed(json.loads(cli_doc))
    law = covar.from_json(doc.text)
    for rr, th in [(0.3, 0.1), (1.0, -2.0), (2.5, 3.0), (-0.5, 1.0), (1.0, 3.5)]:
        want = rr * np.exp(-rr ** 2 / 2) / (2 * np.pi) if rr > 0 and abs(th) < np.pi else 0.0
        assert not (abs(_pdf_at(law, (rr, th)) - want) > 1e-12)
    fig = client.post("/api/figure", json=POLAR)
    assert fig.status_code == 200 and fig.json()["png"].startswith("data:image/png;base64,")


def test_a_marginal_has_the_cdf_and_moments_of_its_samples(client):
    problem = {**POLAR, "marginal": "r"}
    view = client.post("/api/derive", json=problem).json()["view"]
    assert view["kind"] == "univariate" and view["grid"] and view["result"]["family"] == "Rayleigh(1)"
    r = client.post("/api/moments", json=problem)
    assert r.status_code == 200, r.text
    text = r.json()["text"]
    from covar.text.expressions import parse_expr

    radius = np.hypot(*np.random.default_rng(1).standard_normal((2, 200_000)))
    mean, variance = float(parse_expr(text["mean"])), float(parse_expr(text["variance"]))
    assert not (abs(mean - radius.mean()) > 4 * radius.std() / np.sqrt(radius.size))
    assert not (abs(variance - stats.rayleigh.var()) > 1e-12) and not (abs(mean - stats.rayleigh.mean()) > 1e-12)
    F = parse_expr(text["cdf"], {"r": sp.Symbol("r", real=True)})
    for v in (0.2, 1.0, 2.7):
        assert not (abs(float(F.subs(sp.Symbol("r", real=True), v)) - np.mean(radius <= v)) > 0.005)
    assert r.json()["cdf"].startswith('<math display="block">') and "<msub><mi>F</mi>" in r.json()["cdf"]


def test_moments_say_what_is_undefined_and_need_one_variable(client):
    cauchy = client.post("/api/moments", json={"density": "Cauchy(0, 1)", "map": "2*x"}).json()
    assert cauchy["text"]["mean"] == "nan" and cauchy["mean"].startswith("undefined")
    assert cauchy["variance"].startswith("undefined")
    from_cli = json.loads(CliRunner().invoke(cli, ["derive", "Cauchy(0, 1)", "2*x", "--moments", "--cdf", "-f", "json"]).output)
    assert from_cli["moments"] == {"mean": cauchy["text"]["mean"], "variance": cauchy["text"]["variance"]}
    assert from_cli["cdf"] == cauchy["text"]["cdf"]
    joint = client.post("/api/moments", json=POLAR)
    assert joint.status_code == 422 and joint.json()["error"]["field"] == "marginal"


def test_a_flow_shows_log_det_per_layer_and_its_density(client):
    r = client.post("/api/derive", json={"layers": COUPLING})
    assert r.status_code == 200, r.text
    view = r.json()["view"]
    assert view["kind"] == "flow" and [layer["name"] for layer in view["layers"]] == ["AffineCoupling", "Permutation"]
    assert "<mi>tanh</mi>" in view["layers"][0]["log_det"] and "<mn>0</mn>" in view["layers"][1]["log_det"]
    doc = client.get("/download/json", params={"layers": "\n".join(COUPLING)})
    flags = [a for spec in COUPLING for a in ("--layer", spec)]
    assert _untimed(json.loads(doc.text)) == _untimed(json.loads(CliRunner().invoke(cli, ["flow", *flags, "-f", "json"]).output))
    # y = (z1**2 + z2 e^tanh(z1), z1) for standard normal z: the density, by hand
    law = covar.from_json(doc.text)
    for y1, y2 in [(0.0, 0.0), (1.5, -0.7), (-2.0, 1.2)]:
        z1, z2 = y2, (y1 - y2 ** 2) * np.exp(-np.tanh(y2))
        want = stats.norm.pdf(z1) * stats.norm.pdf(z2) * np.exp(-np.tanh(y2))
        assert not (abs(_pdf_at(law, (y1, y2)) - want) > 1e-12)
    fig = client.post("/api/figure", json={"layers": "\n".join(COUPLING)})
    assert fig.status_code == 200 and fig.json()["png"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("problem, field, args", [
    ({**POLAR, "marginal": "q"}, "marginal", ["derive", POLAR["density"], POLAR["map"], "--vars", "r,theta", "--marginal", "q"]),
    ({**POLAR, "vars": "r"}, "vars", ["derive", POLAR["density"], POLAR["map"], "--vars", "r"]),
    ({"layers": "bogus"}, "layers", ["flow", "--layer", "bogus"]),
    ({"layers": "permute 1,0", "density": "Normal(0, 1) * Nope(1)"}, "density",
     ["flow", "--layer", "permute 1,0", "--base", "Normal(0, 1) * Nope(1)"]),
])
def test_vector_and_flow_errors_name_their_field(client, problem, field, args):
    r = client.post("/api/derive", json=problem)
    assert r.status_code == 422, r.text
    out = CliRunner().invoke(cli, args)
    assert out.exit_code != 0
    assert r.json()["error"] == {"field": field, "message": out.output.strip().removeprefix("Error: "), "kind": "input"}


def test_a_flow_takes_layers_not_a_map(client):
    r = client.post("/api/derive", json={"layers": COUPLING, "map": "x"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "map"
    assert client.post("/api/derive", json={"layers": ["permute 1,0"] * 9}).status_code == 400


def test_a_job_past_the_memory_limit_is_answered_and_its_worker_replaced():
    pool = WorkerPool(1, grace=5.0, memory_mb=1024)
    try:
        blown = asyncio.run(pool.run("allocate", {"bytes": 2 * 2 ** 30}, 30))
        assert blown["ok"] is False and blown["error"]["kind"] == "memory" and pool.restarts == 1
        assert "1024 MiB" in blown["error"]["message"] and "replaced" in blown["error"]["message"]
        assert asyncio.run(pool.run("allocate", {"bytes": 2 ** 20}, 30))["ok"] is True  # the new worker works
        assert asyncio.run(pool.run("echo", {"density": "d"}, 30))["fields"] == {"density": "d"}
    finally:
        pool.close()


def test_a_slow_frame_is_skipped_not_the_animation():
    """x**3 morphs through cubics that take longer than a frame's share: with 4 s for the animation each
    frame may take 0.25 s, so those frames are drawn without a density and the animation is answered."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # 0.25 s a frame: the cubic morphs need more on any machine, the identity far less
        with TestClient(create_app(Settings(workers=1, timeout=20.0, animation_timeout=4.0, grace=30.0))) as c:
            # the worker's imports (sympy, matplotlib, PIL) and caches first: on a loaded machine
            # they alone took the 4 s, and the test is about the frames' share of the budget
            warm = c.post("/api/figure", json={"density": "Normal(0, 1)", "map": "x**3"})
            assert warm.status_code == 200, warm.text
            r = c.post("/api/animation", json={"density": "Normal(0, 1)", "map": "x**3"})
            assert r.status_code == 200, r.text
            body = r.json()
            assert len(body["frames"]) == len(body["failed"]) == 8 and body["frame_seconds"] == 0.25
            assert body["failed"][0] is None
            assert any(e and "DerivationTimeout" in e for e in body["failed"]), body["failed"]
            assert c.get("/health").json()["restarts"] == 0


def test_serve_takes_a_memory_limit_per_worker(monkeypatch):
    import covar.web.serve as web_serve

    seen = {}
    monkeypatch.setattr(web_serve, "serve", lambda *args, **kw: seen.update(kw))
    done = CliRunner().invoke(cli, ["serve", "--no-browser", "--memory-mb", "512"])
    assert done.exit_code == 0, done.output
    assert seen["memory_mb"] == 512
    small = CliRunner().invoke(cli, ["serve", "--no-browser", "--memory-mb", "10"])
    assert small.exit_code == 2 and "--memory-mb" in small.output
