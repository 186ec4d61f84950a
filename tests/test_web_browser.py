"""covar serve in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium).

A real server (``covar serve --no-browser`` under uvicorn, in its own process) is started on
127.0.0.1; the browser types the tutorial's examples, checks that the result and the numbered
steps appear with rendered <math> elements, that each piece's step wears its own tint, scrubs
the animation's slider, opens the CDF & moments tab, follows a permalink and triggers an inline
error; a random vector shows its panel with the warped-grid picture, a flow its log|det J| per
layer. One browser and one server serve the whole test: it is one test function so that pytest-xdist
never spreads it over two workers (two browsers and two servers). Screenshots go to build/screenshots/ (the test artefacts); with
COVAR_README_SCREENSHOT=1 the README's picture docs/screenshots/covar-serve.png is rewritten.
"""
from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
selenium = pytest.importorskip("selenium")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from covar.cli.main import cli  # noqa: E402
from covar.web.serve import server_process  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "build" / "screenshots"
README_SHOT = ROOT / "docs" / "screenshots" / "covar-serve.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 300.0  # seconds: the machine may be shared; each wait ends as soon as its condition holds

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
                                 reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")]


@pytest.fixture(scope="module")
def server():
    with server_process("--timeout", "60") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not start: {exc.msg}")
    yield driver
    driver.quit()


def wait_for(driver, condition, what: str, seconds: float = WAIT):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition(driver)
        if value:
            return value
        time.sleep(0.25)
    shot(driver, f"timeout-{what.replace(' ', '-')}")
    raise AssertionError(f"timed out waiting for {what}")


def shot(driver, name: str, full: bool = False) -> Path:
    """A screenshot in the artefacts folder: the window, or the whole page when ``full``
    (Chromium's own capture beyond the viewport, so nothing below the fold is cut)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    if not full:
        driver.save_screenshot(str(path))
        return path
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(data["data"]))
    return path


def fill(driver, mode: str = "univariate", **fields: str) -> None:
    """Choose the kind of problem, type its fields (the others left empty) and derive."""
    driver.find_element(By.ID, f"mode-{mode}").click()
    for box in driver.find_elements(By.CSS_SELECTOR, "#problem input, #problem textarea"):
        if box.is_displayed():
            box.clear()
            box.send_keys(fields.get(box.get_attribute("id"), ""))
    driver.find_element(By.ID, "derive").click()


def visible(driver, css: str):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found and found[0].is_displayed() else None


def loaded(driver, css: str):
    """The image at ``css`` once it is shown and decoded (its size is then final), else None."""
    img = visible(driver, css)
    ok = img is not None and driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
    return img if ok else None


def rendered_math(driver, css: str) -> int:
    """How many <math> elements under ``css`` the browser laid out with a visible size."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' math')]"
        ".filter(m => m.getBoundingClientRect().width > 2 && m.getBoundingClientRect().height > 2).length", css)


def test_the_page_in_chromium(server, browser):
    d = browser
    d.get(server)
    assert d.find_element(By.ID, "density").is_displayed()

    # log of a Gamma, with parameter values for the pictures
    fill(d, density="Gamma(alpha, beta)", map="log(x)", values="alpha=2, beta=1.5")
    wait_for(d, lambda d: d.find_element(By.ID, "family-out").text == "ExpGamma(alpha, beta)", "the result")
    assert rendered_math(d, "#formula") >= 1
    steps = d.find_elements(By.CSS_SELECTOR, "#steps ol.steps > li")
    assert len(steps) >= 4 and "Piece 1" in steps[2].text
    assert rendered_math(d, "#steps") >= 6
    wait_for(d, lambda d: loaded(d, "#figure"), "the figure")
    wait_for(d, lambda d: visible(d, "#player") and loaded(d, "#frame"), "the animation")

    # the slider scrubs the frames
    first, label = d.find_element(By.ID, "frame").get_attribute("src"), d.find_element(By.ID, "frame-label").text
    slider = d.find_element(By.ID, "slider")
    slider.send_keys(Keys.END)
    wait_for(d, lambda d: d.find_element(By.ID, "frame").get_attribute("src") != first, "another frame", 10)
    assert d.find_element(By.ID, "frame-label").text != label and "t = 1.00" in d.find_element(By.ID, "frame-label").text
    shot(d, "log-gamma", full=True)
    if os.environ.get("COVAR_README_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTEFACTS / "log-gamma.png", README_SHOT)

    # sqrt of a chi-squared(1): the half-normal, with its notes
    fill(d, density="ChiSquared(1)", map="sqrt(x)")
    wait_for(d, lambda d: d.find_element(By.ID, "family-out").text == "HalfNormal(1)", "the half-normal")
    assert "otherwise" in d.find_element(By.ID, "formula").text
    assert d.find_elements(By.CSS_SELECTOR, "#steps ul.notes li")
    assert rendered_math(d, "#steps") >= 6
    permalink = d.find_element(By.ID, "permalink").get_attribute("href")
    assert "density=ChiSquared" in permalink and "map=sqrt" in permalink

    # the permalink opens the same problem in a fresh page
    d.get("about:blank")
    d.get(permalink)
    wait_for(d, lambda d: d.find_element(By.ID, "family-out").text == "HalfNormal(1)", "the permalink's result")
    assert d.find_element(By.ID, "map").get_attribute("value") == "sqrt(x)"
    shot(d, "sqrt-chi2")

    # an inline error next to the field that caused it, with the CLI's words
    fill(d, density="Normal(0", map="x")
    error = wait_for(d, lambda d: visible(d, "#error-density"), "the inline error")
    expected = CliRunner().invoke(cli, ["derive", "Normal(0", "x"]).output.strip().removeprefix("Error: ")
    assert error.text == expected
    assert "invalid" in d.find_element(By.ID, "density").get_attribute("class")
    assert not visible(d, "#error-map")
    shot(d, "inline-error")

    check_pieces_wear_the_tints_of_the_plots(d)
    check_cdf_and_moments_tab(d)
    check_a_random_vector_has_its_panel(d)
    check_a_flow_shows_log_det_per_layer(d)


def check_pieces_wear_the_tints_of_the_plots(d) -> None:
    fill(d, density="Normal(0, 1)", map="x**2")
    wait_for(d, lambda d: d.find_element(By.ID, "family-out").text == "ChiSquared(1)", "the chi-squared(1)")
    pieces = d.find_elements(By.CSS_SELECTOR, "#steps li.piece")
    assert [p.text.split(":")[0] for p in pieces] == ["Piece 1", "Piece 2"]
    tints = [p.value_of_css_property("background-color") for p in pieces]
    plain = d.find_elements(By.CSS_SELECTOR, "#steps li.step:not(.piece)")[0].value_of_css_property("background-color")
    assert len({*tints, plain}) == 3, tints  # two tints, neither the plain steps' background
    wait_for(d, lambda d: loaded(d, "#figure"), "the figure with the pieces shaded")
    shot(d, "pieces", full=True)


def check_cdf_and_moments_tab(d) -> None:
    fill(d, density="ChiSquared(1)", map="sqrt(x)")
    wait_for(d, lambda d: d.find_element(By.ID, "family-out").text == "HalfNormal(1)", "the half-normal")
    d.find_element(By.ID, "tab-moments").click()
    wait_for(d, lambda d: visible(d, "#moments-out"), "the CDF and moments")
    assert not visible(d, "#steps")
    assert rendered_math(d, "#cdf-out") == 1 and rendered_math(d, "#mean-out") == 1
    assert d.find_element(By.ID, "cdf-out").text.replace("\n", "").startswith("F")
    assert "erf" in d.find_element(By.ID, "cdf-out").text
    assert "π" in d.find_element(By.ID, "mean-out").text  # sqrt(2/pi)
    shot(d, "cdf-moments", full=True)
    d.find_element(By.ID, "tab-steps").click()
    assert visible(d, "#steps") and not visible(d, "#moments")


def check_a_random_vector_has_its_panel(d) -> None:
    fill(d, "vector", density="Normal(0, 1) * Normal(0, 1)", map="sqrt(x1**2 + x2**2), atan2(x2, x1)", vars="r, theta")
    wait_for(d, lambda d: "THETA" in d.find_element(By.ID, "headline").text, "the polar coordinates' derivation")
    assert rendered_math(d, "#formula") >= 1 and rendered_math(d, "#steps") >= 6
    assert "Branch 1" in d.find_element(By.CSS_SELECTOR, "#steps li.piece").text
    assert not visible(d, "#layers-panel") and not visible(d, "#animation-panel")
    assert d.find_element(By.ID, "tab-moments").get_attribute("disabled")  # no marginal: a joint law
    figure = wait_for(d, lambda d: loaded(d, "#figure"), "the warped grid")
    assert "grid" in d.find_element(By.ID, "figure-title").text
    assert figure.get_attribute("src").startswith("data:image/png") and figure.size["width"] > 300
    assert "mode=vector" in d.find_element(By.ID, "permalink").get_attribute("href")
    shot(d, "polar", full=True)


def check_a_flow_shows_log_det_per_layer(d) -> None:
    fill(d, "flow", layers="coupling 10 | s: tanh(z1) | t: z1**2\npermute 1,0")
    rows = wait_for(d, lambda d: visible(d, "#layers-panel") and d.find_elements(By.CSS_SELECTOR, "#layers-out tr"),
                    "the layers")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == ["AffineCoupling", "Permutation"]
    assert rendered_math(d, "#layers-out") == 2 and "tanh" in rows[0].text
    wait_for(d, lambda d: loaded(d, "#figure"), "the flow's grid")
    shot(d, "flow", full=True)
