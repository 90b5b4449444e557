"""Lazy re-exports: a package's name is imported from its module on first use, never before."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lean_local.lazy import lazy_exports


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package ``lazypkg`` whose ``heavy`` module records that it was imported."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(textwrap.dedent('''
        from lean_local.lazy import lazy_exports
        __getattr__, __dir__, __all__ = lazy_exports(__name__, {"heavy": ["value", "double"], "light": ["name"]})
    '''))
    (root / "heavy.py").write_text("import sys\nsys.heavy_imported = True\nvalue = 21\ndef double(x):\n    return 2 * x\n")
    (root / "light.py").write_text("name = 'light'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delattr(sys, "heavy_imported", raising=False)
    yield "lazypkg"
    for module in [m for m in sys.modules if m == "lazypkg" or m.startswith("lazypkg.")]:
        del sys.modules[module]


def test_a_name_is_imported_from_its_module_on_first_use(package):
    import lazypkg

    assert not hasattr(sys, "heavy_imported")
    assert lazypkg.__all__ == ["double", "name", "value"]
    assert lazypkg.name == "light" and not hasattr(sys, "heavy_imported")
    from lazypkg import double, value

    assert (value, double(value)) == (21, 42) and sys.heavy_imported
    assert "value" in vars(lazypkg)  # cached: the next read is a plain attribute
    assert {"double", "name", "value"} <= set(dir(lazypkg))


def test_an_unknown_name_is_an_attribute_error(package):
    import lazypkg

    with pytest.raises(AttributeError, match="'lazypkg' has no attribute 'missing'"):
        lazypkg.missing  # noqa: B018


@pytest.mark.parametrize("modules, message", [
    ({"a": ["x"], "b": ["x"]}, r"x is exported by both \.a and \.b"),
    ({"walk": ["walk"]}, r"\['walk'\] name both a module and an exported name"),
])
def test_ambiguous_exports_are_refused(modules, message):
    with pytest.raises(ValueError, match=message):
        lazy_exports("lean_local", modules)


def test_importing_a_lazy_package_loads_none_of_its_modules():
    """``lean_local.optimize``, ``data.synthetic``, ``data.facts`` and ``training`` import no numpy."""
    code = ("import sys, lean_local.optimize, lean_local.data.synthetic, lean_local.data.facts, workspace_jobs.training\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules))")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                          env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"}, check=True)
    assert done.stdout.strip() == "[]"
