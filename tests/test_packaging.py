"""What ``pip install covar`` puts on a machine: one top-level package, typed, no gallery."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _can_build_offline() -> bool:
    """setuptools can make a wheel in this environment (it has bdist_wheel built in from 70.1)."""
    import setuptools

    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    return importlib.util.find_spec("wheel") is not None or (major, minor) >= (70, 1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """A wheel built from a copy of the source tree (the build leaves nothing in the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "covar", src / "covar", ignore=shutil.ignore_patterns("__pycache__"))
    isolation = ["--no-build-isolation"] if _can_build_offline() else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation,
                           "-w", str(tmp / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (path,) = (tmp / "dist").glob("covar-*.whl")
    return zipfile.ZipFile(path)


def _metadata(wheel: zipfile.ZipFile, name: str) -> str:
    (member,) = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(member).decode()


def test_the_wheel_installs_only_the_covar_package(wheel):
    top = {name.split("/")[0] for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"covar"}  # no gallery, no covar_cli, no tests
    assert "covar/py.typed" in wheel.namelist()
    assert "covar/render/plot/__init__.py" in wheel.namelist()
    assert "covar = covar.cli.main:main" in _metadata(wheel, "entry_points.txt")


def test_plotting_is_an_extra_and_the_version_has_one_source(wheel):
    import covar

    meta = _metadata(wheel, "METADATA")
    required = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    core = [line for line in required if "extra ==" not in line]
    assert not any("matplotlib" in line or "pillow" in line for line in core), core
    assert any("tqdm" in line for line in core)
    assert 'Requires-Dist: matplotlib>=3.7; extra == "plot"' in required
    assert f"Version: {covar.__version__}\n" in meta
