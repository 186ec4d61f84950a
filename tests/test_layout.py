"""The layout stays documented: every module says what it owns and docs/architecture.md names it."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p for p in (ROOT / "covar").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_has_a_docstring(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and doc.strip(), f"{path.relative_to(ROOT)} needs a one-line docstring saying what it owns"


def test_architecture_doc_names_every_module():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(p.relative_to(ROOT)) for p in MODULES
               if p.name != "__init__.py" and p.name not in doc and str(p.relative_to(ROOT)) not in doc]
    assert not missing, f"docs/architecture.md does not mention: {missing}"


def test_no_generic_module_names():
    generic = {"utils.py", "helpers.py", "misc.py", "common.py"}
    assert not [p for p in MODULES if p.name in generic]
