"""Configuration: `[tool.evalguard]` in pyproject.toml (docs/configuration.md)."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from evalguard.config import (
    AnalysisSettings,
    Config,
    ConfigError,
    find_config,
    load_config,
    parse_table,
    select_codes,
)
from evalguard.runner import Task
from test_cli import FAKE, FakeRule, fake_rule, invoke, write  # noqa: F401  (fake_rule is a fixture)


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pyproject(directory: Path, body: str) -> Path:
    return write(directory / "pyproject.toml", f"[project]\nname = 'x'\n\n[tool.evalguard]\n{body}\n")


def found(*args: str) -> list[tuple[str, int, str]]:
    result = invoke("check", "-j1", "--output-format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return [(d["path"], d["line"], d["code"]) for d in json.loads(result.stdout)["diagnostics"]]


# finding the file


def test_nearest_pyproject_with_a_table_wins(tmp_path: Path) -> None:
    pyproject(tmp_path, 'select = ["EG001"]')
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'inner'\n")  # no table: skipped
    write(tmp_path / "pkg" / "sub" / "a.py", "x = 1\n")
    assert find_config(tmp_path / "pkg" / "sub" / "a.py") == tmp_path / "pyproject.toml"
    assert find_config(tmp_path / "pkg" / "sub") == tmp_path / "pyproject.toml"
    assert find_config(tmp_path / "pkg" / "missing" / "file.py") == tmp_path / "pyproject.toml"
    pyproject(tmp_path / "pkg", 'ignore = ["EG002"]')
    assert find_config(tmp_path / "pkg" / "sub" / "a.py") == tmp_path / "pkg" / "pyproject.toml"


def test_a_table_mentioned_only_elsewhere_does_not_count(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\ndescription = 'evalguard is used here'\n")
    assert find_config(tmp_path) is None


@pytest.mark.usefixtures("fake_rule")
def test_config_is_found_from_the_first_path_not_the_cwd(proj: Path) -> None:
    pyproject(proj / "project", 'ignore = ["EG900"]')
    write(proj / "project" / "f.py", "predict(1)\n")
    write(proj / "other" / "f.py", "predict(1)\n")
    assert found("project/f.py") == []
    assert found("other/f.py") == [("other/f.py", 1, "EG900")]


@pytest.mark.usefixtures("fake_rule")
def test_config_is_found_from_the_cwd_by_default(proj: Path) -> None:
    pyproject(proj, 'ignore = ["fake-predict"]')
    write(proj / "f.py", "predict(1)\n")
    assert found() == []
    assert found("--isolated") == [("f.py", 1, "EG900")]


@pytest.mark.usefixtures("fake_rule")
def test_explicit_config_file_overrides_discovery(proj: Path) -> None:
    pyproject(proj, 'ignore = ["EG900"]')
    write(proj / "f.py", "predict(1)\n")
    write(proj / "ci" / "evalguard.toml", 'select = ["EG9"]\n')  # not a pyproject: the top level is the table
    assert found("--config", "ci/evalguard.toml", "f.py") == [("f.py", 1, "EG900")]
    write(proj / "ci" / "pyproject.toml", "[tool.evalguard]\nselect = ['EG900']\n")
    assert found("--config", "ci/pyproject.toml", "f.py") == [("f.py", 1, "EG900")]


# selection: the file, then the command line on top


@pytest.mark.usefixtures("fake_rule")
def test_select_ignore_extend_select_from_the_file(proj: Path) -> None:
    write(proj / "f.py", "predict(1)\n")
    pyproject(proj, 'select = ["EG001"]')
    assert found("f.py") == []
    pyproject(proj, 'select = ["EG001"]\nextend-select = ["EG90"]')
    assert found("f.py") == [("f.py", 1, "EG900")]
    pyproject(proj, 'extend-select = ["EG90"]\nignore = ["EG900"]')
    assert found("f.py") == []


@pytest.mark.usefixtures("fake_rule")
def test_command_line_flags_win_over_the_file(proj: Path) -> None:
    write(proj / "f.py", "predict(1)\n")
    pyproject(proj, 'ignore = ["EG900"]')
    assert found("f.py") == []
    assert found("--select", "EG900", "f.py") == [("f.py", 1, "EG900")]  # --select replaces the file's choice
    assert found("--extend-select", "EG900", "f.py") == [("f.py", 1, "EG900")]
    pyproject(proj, 'select = ["EG900"]')
    assert found("--ignore", "EG900", "f.py") == []
    assert found("--select", "EG001", "f.py") == []


@pytest.mark.usefixtures("fake_rule")
def test_select_codes_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(select=["EG00"], ignore=["EG002"])
    assert "EG002" not in select_codes(cfg, [], [], []) and "EG900" not in select_codes(cfg, [], [], [])
    assert select_codes(cfg, [], [], ["EG900"])[-1] == "EG900"
    assert select_codes(cfg, ["EG002"], [], []) == ["EG002"]
    assert select_codes(cfg, ["EG002", "EG003"], ["EG003"], []) == ["EG002"]


# per-file-ignores


@pytest.mark.usefixtures("fake_rule")
def test_per_file_ignores(proj: Path) -> None:
    pyproject(proj, '[tool.evalguard.per-file-ignores]\n"tests/**" = ["EG900"]\n"*_scratch.py" = ["fake-predict"]\n"/top.py" = ["EG9"]')
    for name in ("tests/unit/t.py", "src/my_scratch.py", "top.py", "src/top.py", "src/keep.py"):
        write(proj / name, "predict(1)\n")
    assert sorted(p for p, _, _ in found(".")) == ["src/keep.py", "src/top.py"]


@pytest.mark.usefixtures("fake_rule")
def test_per_file_ignores_are_relative_to_the_config_file(proj: Path) -> None:
    pyproject(proj / "project", '[tool.evalguard.per-file-ignores]\n"legacy/*.py" = ["EG900"]')
    write(proj / "project" / "legacy" / "a.py", "predict(1)\n")
    write(proj / "project" / "new" / "a.py", "predict(1)\n")
    assert [p for p, _, _ in found("project")] == ["project/new/a.py"]


@pytest.mark.usefixtures("fake_rule")
def test_per_file_ignores_apply_to_the_stdin_filename(proj: Path) -> None:
    pyproject(proj, '[tool.evalguard.per-file-ignores]\n"scripts/*" = ["EG900"]')
    args = ("check", "-j1", "--output-format", "concise", "-", "--stdin-filename")
    assert invoke(*args, "scripts/x.py", input="predict(1)\n").stdout == ""
    assert invoke(*args, "src/x.py", input="predict(1)\n").stdout == "src/x.py:1:1: EG900 `predict` called\n"


# exclusion


@pytest.mark.usefixtures("fake_rule")
def test_exclude_and_extend_exclude(proj: Path) -> None:
    for name in ("src/a.py", "src/gen/b.py", "data/c.py", "build/d.py", "deep/data/e.py"):
        write(proj / name, "predict(1)\n")
    pyproject(proj, 'extend-exclude = ["/data", "gen/"]')  # anchored / any depth
    assert sorted(p for p, _, _ in found(".")) == ["deep/data/e.py", "src/a.py"]  # build/: default exclude kept
    pyproject(proj, 'exclude = ["src/"]')  # replaces the defaults
    assert sorted(p for p, _, _ in found(".")) == ["build/d.py", "data/c.py", "deep/data/e.py"]
    assert sorted(p for p, _, _ in found("--exclude", "data", ".")) == ["build/d.py", "src/a.py", "src/gen/b.py"]
    assert sorted(p for p, _, _ in found("--extend-exclude", "build,deep", ".")) == ["data/c.py"]


@pytest.mark.usefixtures("fake_rule")
def test_excludes_are_relative_to_the_config_file_not_the_cwd(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(proj / "repo", 'extend-exclude = ["/vendored"]')
    write(proj / "repo" / "vendored" / "v.py", "predict(1)\n")
    write(proj / "repo" / "src" / "vendored" / "ok.py", "predict(1)\n")
    assert [p for p, _, _ in found("repo")] == ["repo/src/vendored/ok.py"]
    monkeypatch.chdir(proj / "repo" / "src")
    assert [p for p, _, _ in found(".")] == ["vendored/ok.py"]


@pytest.mark.usefixtures("fake_rule")
def test_explicit_files_are_checked_unless_force_exclude(proj: Path) -> None:
    pyproject(proj, 'extend-exclude = ["legacy/"]')
    write(proj / "legacy" / "old.py", "predict(1)\n")
    assert found(".") == []
    assert found("legacy/old.py") == [("legacy/old.py", 1, "EG900")]
    assert found("--force-exclude", "legacy/old.py") == []


# bad configuration: a clear message naming the key, exit 2, never a traceback


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('selct = ["EG001"]', "unknown key 'selct'; did you mean 'select'?"),
        ('frobnicate = 1', "unknown key 'frobnicate'"),
        ('select = "EG001"', 'select: expected a list of strings, got a string ("EG001")'),
        ("ignore = [1]", "ignore: expected a list of strings"),
        ('select = ["EG9"]', "select: 'EG9' matches no rule code, prefix or name"),
        ('extend-select = ["nope"]', "extend-select: 'nope' matches no rule"),
        ("exclude = 3", "exclude: expected a list of strings, got an integer (3)"),
        ('extend-exclude = [""]', "extend-exclude: empty pattern"),
        ('per-file-ignores = ["a"]', "per-file-ignores: expected a table of glob = [codes]"),
        ('per-file-ignores = { "t/*" = "EG001" }', 'per-file-ignores."t/*": expected a list of strings'),
        ('per-file-ignores = { "t/*" = ["EG7777"] }', "per-file-ignores.\"t/*\": 'EG7777' matches no rule"),
        ('respect-gitignore = "yes"', "respect-gitignore: expected true or false"),
        ('inference-function-patterns = "run_*"', "inference-function-patterns: expected a list of strings"),
        ('inference-loader-patterns = [""]', "inference-loader-patterns: empty pattern"),
        ('model-constructors = ["a.b"]', "model-constructors: expected a table"),
        ('model-constructors = { "a.b" = "training" }', 'model-constructors."a.b": expected "train", "eval" or "unknown"'),
        ('model-constructors = { "a b" = "eval" }', "model-constructors: 'a b' is not a qualified name"),
    ],
)
def test_bad_values_are_usage_errors_naming_the_key(proj: Path, body: str, message: str) -> None:
    pyproject(proj, body)
    write(proj / "f.py", "x = 1\n")
    result = invoke("check", "-j1", "f.py")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "pyproject.toml: [tool.evalguard]" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[tool.evalguard\n", "not valid TOML"),
        (b"[tool.evalguard]\nselect = ['\xff']\n", "not valid"),
    ],
)
def test_unreadable_config_files_are_usage_errors(proj: Path, content: str | bytes, message: str) -> None:
    write(proj / "conf.toml", content)
    result = invoke("check", "--config", "conf.toml", ".")
    assert result.exit_code == 2
    assert message in result.stderr and "conf.toml" in result.stderr
    assert "Traceback" not in result.output


def test_missing_or_tableless_config_file(proj: Path) -> None:
    result = invoke("check", "--config", "nope.toml", ".")
    assert (result.exit_code, "nope.toml: no such file" in result.stderr) == (2, True)
    write(proj / "pyproject.toml", "[project]\nname = 'x'\n")
    result = invoke("check", "--config", "pyproject.toml", ".")
    assert result.exit_code == 2 and "no [tool.evalguard] table" in result.stderr


def test_a_broken_pyproject_on_the_way_up_is_reported(proj: Path) -> None:
    write(proj / "pyproject.toml", "[tool.evalguard]\nselect = [\n")
    result = invoke("check", ".")
    assert result.exit_code == 2 and "not valid TOML" in result.stderr and "Traceback" not in result.output


# the analysis settings: parsed, validated, and handed to the engine


def test_analysis_settings_are_parsed() -> None:
    cfg = parse_table(
        {
            "inference-function-patterns": ["run_holdout*", "score_*"],
            "inference-loader-patterns": ["*_holdout_dl"],
            "model-constructors": {"mylib.build_model": "train", "mylib.load": "eval", "x.y": "unknown"},
        },
        "test",
    )
    s = cfg.analysis
    assert s.inference_function_patterns == ("run_holdout*", "score_*")
    assert s.is_inference_function("run_holdout_eval") and not s.is_inference_function("train_step")
    assert s.is_inference_loader("self.val_holdout_dl") and not s.is_inference_loader("train_dl")
    assert s.constructor_mode("mylib.load") == "eval"
    assert s.constructor_mode("mylib.build_model") == "train"
    assert s.constructor_mode("other.thing") is None
    assert not s.is_default and AnalysisSettings().is_default
    assert pickle.loads(pickle.dumps(s)) == s and hash(s) == hash(pickle.loads(pickle.dumps(s)))


def test_analysis_settings_reach_the_engine(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(proj, 'inference-function-patterns = ["holdout_*"]\nmodel-constructors = { "lib.make" = "eval" }')
    write(proj / "f.py", "x = 1\n")
    seen = []

    def fake_check_file(path, rules, display=None, settings=None):
        seen.append(settings)
        from evalguard.diagnostics import FileResult

        return FileResult(display or path)

    monkeypatch.setattr("evalguard.engine.check_file", fake_check_file)
    assert invoke("check", "-j1", "--no-cache", "f.py").exit_code == 0
    assert seen == [AnalysisSettings(("holdout_*",), (), (("lib.make", "eval"),))]
    seen.clear()
    assert invoke("check", "-j1", "--no-cache", "--isolated", "f.py").exit_code == 0
    assert seen == [None]  # defaults: nothing to send


def test_tasks_for_workers_pickle_with_their_settings() -> None:
    task = Task("a.py", "a.py", ("EG001",), AnalysisSettings(("x*",), ("y*",), (("a.b", "eval"),)))
    assert pickle.loads(pickle.dumps(task)) == task


def test_load_config_reports_path_and_key(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.evalguard]\nignore = 'EG001'\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.evalguard\]: ignore: expected a list of strings"):
        load_config(path)


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    import re

    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    example = re.search(r"```toml\n(.*?)```", docs, re.S).group(1)
    cfg = load_config(write(tmp_path / "pyproject.toml", example))
    assert cfg.ignore == ["EG008"] and cfg.extend_exclude == ["third_party/", "notebooks/scratch_*.ipynb"]
    assert cfg.analysis.constructor_mode("mylib.hub.load_checkpoint") == "eval"
    assert cfg.analysis.inference_function_patterns == ("run_holdout*", "*_leaderboard")
    from evalguard.config import check_selectors

    check_selectors(cfg)
