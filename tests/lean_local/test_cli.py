"""The ``lean-local`` command: lazy imports behind help, --version, real examples, one project form."""

from __future__ import annotations

import gc
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import lean_local
from lean_local import cli
from lean_local.workspace import ProjectNotFoundError, resolve_project
from tests.lean_local.basic_template_daily import BASIC_TEMPLATE_DAILY, LEAN_STATISTICS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "matplotlib")
# Every command and sub-command registers without the scientific stack (its module imports it when it runs).
LIGHT = ("backtest", "research", "report", "demo", "conformance", "data", "train", "optimize")
DATA_COMMANDS = ("ecb-fx", "vix", "csv", "check", "lean-sample", "coarse", "facts", "synthetic")


def _imports_after(argv: list[str]) -> tuple[int, str, list[str]]:
    """Run ``lean-local *argv`` in a fresh interpreter; its exit code, output and the heavy modules loaded."""
    code = ("import sys\nfrom lean_local.cli import main\n"
            f"try:\n    code = main({argv!r})\nexcept SystemExit as exit:\n    code = exit.code\n"
            f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    out, _, loaded = done.stdout.rpartition("LOADED ")
    return done.returncode, out + done.stderr, eval(loaded)  # noqa: S307 - our own printed list


@pytest.mark.parametrize("argv", [["--help"], ["--version"], *([name, "--help"] for name in LIGHT),
                                  *(["data", name, "--help"] for name in DATA_COMMANDS)])
def test_help_and_version_load_no_scientific_module(argv):
    code, out, loaded = _imports_after(argv)
    assert code == 0, out
    assert loaded == []


def test_version():
    code, out, _ = _imports_after(["--version"])
    assert out.strip() == f"lean-local {lean_local.__version__} (Python {'.'.join(map(str, sys.version_info[:3]))})"


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name, (_, summary) in cli.COMMANDS.items():
        assert re.search(rf"^\s+{name}\s+{re.escape(summary[:30])}", out, re.MULTILINE), name


def _examples(text: str) -> list[list[str]]:
    """The example command lines after a help text's ``examples:`` (or ``example:``) line (a
    description follows after two spaces; a line ending in a backslash goes on)."""
    parts = re.split(r"^examples?:", text, maxsplit=1, flags=re.MULTILINE)
    block = parts[1] if len(parts) == 2 else ""
    joined = re.sub(r"\s*\\\n\s*", " ", block)
    lines = [line.strip() for line in joined.splitlines() if line.strip().startswith("lean-local ")]
    return [shlex.split(re.split(r"\s{2,}", line)[0])[1:] for line in lines]


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_every_example_parses_and_names_real_projects_and_parameters(name, capsys):
    parser = cli.build_parser([name])
    with pytest.raises(SystemExit):
        parser.parse_args([name, "--help"])
    examples = _examples(capsys.readouterr().out) + [e for e in _examples(cli.EXAMPLES) if e[0] == name]
    assert examples, f"{name} --help shows no example"
    for argv in examples:
        args = parser.parse_args(argv)  # every example is accepted as written
        project = getattr(args, "project", None)
        if not project:
            continue
        folder = resolve_project(project, ROOT)
        declared = json.loads((folder / "config.json").read_text())["parameters"]
        for parameter in getattr(args, "parameter", None) or []:
            assert parameter[0] in declared, f"{argv}: {parameter[0]} is not a parameter of {folder.name}"


def test_demo_help_has_no_rst_markup(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    assert "``" not in capsys.readouterr().out


def test_a_project_is_its_name_or_its_path(tmp_path):
    (tmp_path / "lean.json").write_text("{}")
    project = tmp_path / "algorithms" / "alpha"
    project.mkdir(parents=True)
    (project / "main.py").write_text("")
    assert resolve_project("alpha", tmp_path) == project
    assert resolve_project("algorithms/alpha", tmp_path) == project
    assert resolve_project(str(project), tmp_path / "algorithms") == project
    assert resolve_project("alpha", project) == project  # from inside the workspace
    with pytest.raises(ProjectNotFoundError, match=r"no project 'beta'.*projects: alpha"):
        resolve_project("beta", tmp_path)


@pytest.mark.parametrize("argv, expected", [
    (["backtest", "kalman_mean_reversion"], "algorithms/kalman_mean_reversion"),
    (["backtest", "algorithms/kalman_mean_reversion"], "algorithms/kalman_mean_reversion"),
    (["report", "--project", "kalman_mean_reversion"], "algorithms/kalman_mean_reversion"),
    (["optimize", "kalman_mean_reversion", "--parameter", "entry_z", "1", "2", "0.5"],
     "algorithms/kalman_mean_reversion"),
    (["train", "algorithms/ml_mean_reversion"], "ml_mean_reversion"),
    (["train", "ml_mean_reversion"], "ml_mean_reversion"),
])
def test_every_command_takes_the_same_project_forms(argv, expected, monkeypatch):
    """train gets the project's name, the others its folder, whichever form the user typed."""
    monkeypatch.chdir(ROOT)
    args = cli.build_parser(argv).parse_args(argv)
    cli.resolve_project_argument(args)
    assert args.project == (expected if argv[0] == "train" else str(ROOT / expected))


def test_an_unknown_project_lists_the_projects(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert cli.main(["backtest", "no_such_project"]) == 2
    err = capsys.readouterr().err
    assert "no project 'no_such_project'" in err and "kalman_mean_reversion" in err


def test_the_script_is_run_which_exits_with_the_commands_code_after_freezing(monkeypatch):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["lean-local"] == "lean_local.cli:run"
    monkeypatch.setattr(cli, "main", lambda: 3)
    try:
        with pytest.raises(SystemExit) as exit:
            cli.run()
        assert exit.value.code == 3
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_backtest_through_the_script_leaves_complete_result_files(tmp_path, lean_data_folder):
    """The shutdown skips the final collection (``gc.freeze``): every result file is still whole."""
    project = tmp_path / "BasicTemplateDaily"
    project.mkdir()
    (project / "main.py").write_text(BASIC_TEMPLATE_DAILY)
    output = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "lean_local.cli", "backtest", str(project), "--data-folder",
                           str(lean_data_folder), "--output", str(output)], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    (summary,) = output.glob("*-summary.json")
    statistics = json.loads(summary.read_text())["statistics"]
    assert {name: statistics[name] for name in LEAN_STATISTICS} == LEAN_STATISTICS
    for path in output.glob("*.json"):
        json.loads(path.read_text())
