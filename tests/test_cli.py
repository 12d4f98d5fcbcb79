"""The command line and the runner behind it.

The real rules are written elsewhere; most tests here use `FakeRule` (EG900), added to
the registry by the `fake_rule` fixture, so that they exercise the plumbing whatever the
rules find; the rules' own behaviour is tested by the fixtures (tests/test_fixtures.py).
"""
from __future__ import annotations

import io
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import libcst as cst
import pytest
from typer.testing import CliRunner

import evalguard
from evalguard import rules as registry
from evalguard.cli import app
from evalguard.diagnostics import FileError
from evalguard.rules.base import WARNING, Finding, Rule
from evalguard.runner import run

PARENT_PID = os.getpid()
needs_fork = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="worker processes must inherit the test-only rule"
)


class FakeRule(Rule):
    """Test-only: flags calls to `predict` (`warn` ones as warnings), raises on a call to
    `explode`, and kills its worker process (never the test process) on `crash`."""

    code = "EG900"
    name = "fake-predict"
    summary = "Test-only rule."
    docs = "# EG900 fake-predict\n\nTest-only rule.\n"  # type: ignore[assignment]  (no docs page on disk)

    def check(self, analysis) -> Iterator[Finding]:
        calls: list[cst.Call] = []

        class Calls(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                if isinstance(node.func, cst.Name):
                    calls.append(node)

        analysis.module.visit(Calls())
        for call in calls:
            name = call.func.value
            if name == "explode":
                raise RuntimeError("kaboom")
            if name == "crash" and os.getpid() != PARENT_PID:
                os._exit(3)
            if name in ("predict", "warn"):
                severity = WARNING if name == "warn" else "error"
                yield Finding(call, f"`{name}` called", severity, related=[(call.func, "callee")])


FAKE = FakeRule()


@pytest.fixture
def fake_rule(monkeypatch: pytest.MonkeyPatch) -> FakeRule:
    real = registry.all_rules()
    monkeypatch.setattr(registry, "all_rules", lambda: (*real, FAKE))
    return FAKE


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def invoke(*args: str, env: dict[str, str] | None = None, input: str | bytes | None = None):
    return CliRunner().invoke(app, list(args), env=env, input=input)


def as_json(*args: str) -> dict:
    result = invoke("check", "--output-format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


# --version, rules, rule


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"evalguard {evalguard.__version__}\n"


def test_python_dash_m_version_does_not_import_libcst() -> None:
    code = (
        "import sys\n"
        "from evalguard.cli import main\n"
        "sys.argv = ['evalguard', '--version']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "heavy = sorted(m for m in ('libcst', 'torch', 'evalguard.rules', 'evalguard.engine') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"evalguard {evalguard.__version__}\n"
    proc = subprocess.run([sys.executable, "-m", "evalguard", "--version"], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, f"evalguard {evalguard.__version__}\n")


def test_rules_lists_every_rule() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [f"EG00{i}" for i in range(1, 9)] + [f"EG10{i}" for i in range(1, 5)]
    assert lines[0].split()[1] == "missing-eval"
    assert "\x1b[" not in result.stdout


def test_rules_json() -> None:
    result = invoke("rules", "--output-format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["code"] for r in rows] == [f"EG00{i}" for i in range(1, 9)] + [f"EG10{i}" for i in range(1, 5)]
    assert all(set(r) == {"code", "name", "summary"} and r["summary"] for r in rows)


@pytest.mark.parametrize("key", ["EG001", "eg001", "missing-eval"])
def test_rule_prints_raw_markdown_docs_when_piped(key: str) -> None:
    result = invoke("rule", key)
    assert result.exit_code == 0
    assert result.stdout == registry.get_rule("EG001").docs.rstrip("\n") + "\n"
    assert result.stdout.startswith("# EG001")


def test_unknown_rule_is_a_usage_error_listing_codes() -> None:
    result = invoke("rule", "nope")
    assert result.exit_code == 2
    assert "unknown rule 'nope'" in result.stderr
    assert "EG001" in result.stderr and "EG008" in result.stderr
    assert "Traceback" not in result.output


# check: exit codes and selection


def test_clean_file_exits_0_with_summary(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "ok.py", "x = 1\n")
    result = invoke("check", "-j1", "ok.py")
    assert (result.exit_code, result.stdout) == (0, "All checks passed (1 file checked).\n")


def test_findings_exit_1_unless_exit_zero(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "y = predict(x)\n")
    assert invoke("check", "-j1", "f.py").exit_code == 1
    assert invoke("check", "-j1", "--exit-zero", "f.py").exit_code == 0


def test_file_errors_exit_1_unless_exit_zero(cwd: Path) -> None:
    write(cwd / "bad.py", "def f(:\n")
    result = invoke("check", "-j1", "bad.py")
    assert result.exit_code == 1
    assert "bad.py:1:7: error: syntax error" in result.stdout
    assert invoke("check", "-j1", "--exit-zero", "bad.py").exit_code == 0


def test_default_path_is_the_current_directory(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "cases" / "x.py", "predict(1)\n")
    result = invoke("check", "-j1", "--output-format", "concise")
    assert result.stdout == "cases/x.py:1:1: EG900 `predict` called\n"


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_selector_is_a_usage_error(cwd: Path, flag: str) -> None:
    result = invoke("check", flag, "EG001,EG9", ".")
    assert result.exit_code == 2
    assert "'EG9' matches no rule" in result.stderr
    assert flag in result.stderr
    assert "Traceback" not in result.output


def test_selection_by_code_prefix_name_and_comma_lists(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "predict(1)\n")
    assert invoke("check", "-j1", "--ignore", "EG900", "f.py").exit_code == 0
    assert invoke("check", "-j1", "--ignore", "fake-predict", "f.py").exit_code == 0
    assert invoke("check", "-j1", "--select", "EG001", "f.py").exit_code == 0
    assert invoke("check", "-j1", "--select", "EG001,EG9", "f.py").exit_code == 1
    assert invoke("check", "-j1", "--select", "EG001", "--extend-select", "EG90", "f.py").exit_code == 1
    assert invoke("check", "-j1", "--select", "EG0", "--select", "fake-predict", "f.py").exit_code == 1


def test_internal_error_exits_2(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("evalguard.runner.run", broken)
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert "internal error" in result.stderr


def test_missing_path_is_reported_and_the_rest_checked(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "predict(1)\n")
    result = invoke("check", "-j1", "--output-format", "json", "nope.py", "f.py")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["errors"] == [{"path": "nope.py", "reason": "no such file or directory"}]
    assert data["files_checked"] == 1
    assert [d["path"] for d in data["diagnostics"]] == ["f.py"]


# check: output formats


def test_json_schema(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "a = predict(1)\nb = warn(2)\n")
    write(cwd / "bad.py", "def f(:\n")
    data = as_json("-j1", ".")
    assert set(data) == {"version", "files_checked", "diagnostics", "errors"}
    assert (data["version"], data["files_checked"]) == (1, 2)
    keys = {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message", "related", "status", "fix"}
    first, second = data["diagnostics"]
    for d in data["diagnostics"]:
        assert set(d) == keys
        assert all(isinstance(d[k], int) for k in ("line", "column", "end_line", "end_column"))
        assert all(isinstance(d[k], str) for k in ("path", "code", "name", "severity", "message"))
        assert d["status"] is None and d["fix"] is None
        for r in d["related"]:
            assert set(r) == {"path", "line", "column", "message"}
    assert (first["path"], first["line"], first["column"], first["end_line"], first["end_column"]) == ("f.py", 1, 5, 1, 15)
    assert (first["code"], first["name"], first["severity"]) == ("EG900", "fake-predict", "error")
    assert second["severity"] == "warning"
    assert first["related"] == [{"path": "f.py", "line": 1, "column": 5, "message": "callee"}]
    (error,) = data["errors"]
    assert error["path"] == "bad.py" and error["reason"].startswith("syntax error")
    assert (error["line"], error["column"]) == (1, 7)


def test_concise_format(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "a = predict(1)\n")
    write(cwd / "bad.py", b"# ok\n# ok\nx = '\xff'\n")
    result = invoke("check", "-j1", "--output-format", "concise", ".")
    assert result.stdout.splitlines() == [
        "f.py:1:5: EG900 `predict` called",
        "bad.py:3:6: error: not valid utf-8 (byte 0xff at line 3, column 6)",
    ]


def test_text_format_is_plain_when_piped(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "a = predict(1)\n")
    result = invoke("check", "-j1", "f.py")
    assert "\x1b" not in result.stdout
    assert result.stdout == (
        "f.py:1:5: EG900 [fake-predict] `predict` called\n"
        "  |\n"
        "1 | a = predict(1)\n"
        "  |     ^^^^^^^^^^\n"
        "  = note: f.py:1:5: callee\n"
        "\n"
        "Found 1 finding (1 error, 0 warnings) in 1 file.\n"
    )
    assert invoke("check", "-j1", "-q", "f.py").stdout.endswith("  = note: f.py:1:5: callee\n\n")


def test_colour_is_forced_or_suppressed(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "a = predict(1)\n")
    forced = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": ""}
    assert "\x1b[" in invoke("check", "-j1", "f.py", env=forced).stdout
    assert "\x1b" not in invoke("check", "-j1", "--no-color", "f.py", env=forced).stdout
    assert "\x1b" not in invoke("check", "-j1", "f.py", env={**forced, "NO_COLOR": "1"}).stdout


# check: robustness and determinism


@pytest.fixture
def messy(cwd: Path) -> Path:
    d = cwd / "messy"
    write(d / "good.py", "import torch\nout = predict(x)\n")
    write(d / "syntax.py", "def f(:\n    pass\n")
    write(d / "latin.py", b"x = 1\ny = 2\nz = '\xe9\xff'\n")
    write(d / "nul.py", b"x = 1\n\x00\n")
    write(d / "empty.py", "")
    write(d / "deep.py", "x = " + "(" * 300 + "1" + ")" * 300 + "\n")
    write(d / "sub" / "warn.py", "warn(1)\npredict(2)\n")
    write(d / "sub" / "clean.py", "y = 2\n")
    return d


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=needs_fork)])
def test_bad_files_are_reported_and_good_results_kept(messy: Path, fake_rule: FakeRule, jobs: str) -> None:
    result = invoke("check", "-j", jobs, "--output-format", "json", "messy")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["files_checked"] == 8
    assert sorted((d["path"], d["line"]) for d in data["diagnostics"]) == [
        ("messy/good.py", 2),
        ("messy/sub/warn.py", 1),
        ("messy/sub/warn.py", 2),
    ]
    reasons = {e["path"]: e["reason"] for e in data["errors"]}
    assert set(reasons) == {"messy/deep.py", "messy/latin.py", "messy/nul.py", "messy/syntax.py"}
    assert "nested" in reasons["messy/deep.py"]
    assert "NUL" in reasons["messy/nul.py"]
    assert "utf-8" in reasons["messy/latin.py"]
    assert reasons["messy/syntax.py"].startswith("syntax error")


@needs_fork
@pytest.mark.parametrize("fmt", ["json", "text", "concise"])
def test_output_is_identical_across_job_counts(messy: Path, fake_rule: FakeRule, fmt: str) -> None:
    outputs = {invoke("check", "-j", jobs, "--output-format", fmt, "messy", ".").stdout for jobs in ("1", "2", "3")}
    assert len(outputs) == 1


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=needs_fork)])
def test_a_rule_that_raises_is_an_internal_error_for_that_file_only(cwd: Path, fake_rule: FakeRule, jobs: int) -> None:
    write(cwd / "a.py", "predict(1)\n")
    write(cwd / "b.py", "explode()\n")
    write(cwd / "c.py", "predict(3)\n")
    report = run(["."], [FAKE], jobs)
    assert [d.path for d in report.diagnostics] == ["a.py", "c.py"]
    assert report.errors == [FileError("b.py", "internal error: RuntimeError: kaboom")]
    assert report.files_checked == 3


@needs_fork
@pytest.mark.parametrize(("count", "crashing"), [(6, [3]), (30, [0, 7, 8, 29])])
def test_a_crashing_worker_costs_only_its_file(cwd: Path, fake_rule: FakeRule, count: int, crashing: list[int]) -> None:
    for i in range(count):
        write(cwd / f"f{i:02}.py", "crash()\n" if i in crashing else "predict(1)\n")
    report = run(["."], [FAKE], jobs=3)
    assert [d.path for d in report.diagnostics] == [f"f{i:02}.py" for i in range(count) if i not in crashing]
    reason = "internal error: the worker process checking this file crashed"
    assert report.errors == [FileError(f"f{i:02}.py", reason) for i in crashing]
    assert report.files_checked == count


def test_check_never_imports_torch(tmp_path: Path) -> None:
    """Even with an importable `torch` on the path, checking a torch script must not import it."""
    write(tmp_path / "site" / "torch" / "__init__.py", "")
    script = write(tmp_path / "train.py", "import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n")
    code = (
        "import sys\n"
        "from evalguard.cli import main\n"
        f"sys.argv = ['evalguard', 'check', '-j1', '-q', {str(script)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'libcst' in sys.modules  # the check really ran\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


def test_python_dash_m_check_end_to_end(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "ok.py", "x = 1\n")
    write(tmp_path / "cases" / "bad.py", "def f(:\n")
    proc = subprocess.run(
        [sys.executable, "-m", "evalguard", "check", "--output-format", "concise", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "cases/bad.py:1:7: error: syntax error: invalid syntax\n"
    assert proc.stderr == ""


@pytest.mark.parametrize("fmt", ["text", "concise", "json"])
def test_a_closed_pipe_is_not_an_error(tmp_path: Path, fmt: str) -> None:
    for i in range(1000):  # about 75 kB of output: more than a pipe holds
        write(tmp_path / f"bad_{i:04}.py", "def f(:\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalguard", "check", "-j1", "--output-format", fmt, "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=60) == 1
    assert proc.stderr.read() == b""


# real rules (extend once the rules exist)


def test_real_rule_bare_model_eval_exits_1(cwd: Path) -> None:
    write(cwd / "t.py", "import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n")
    result = invoke("check", "-j1", "--select", "EG006", "--output-format", "concise", "t.py")
    assert result.exit_code == 1
    assert result.stdout.startswith("t.py:3:1: EG006 ")


# check: statistics, output file, stdin, CI formats (issue #3)


def test_statistics_text_and_json(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "predict(1)\npredict(2)\nwarn(3)\n")
    write(cwd / "g.py", "predict(4)\n")
    write(cwd / "bad.py", "def f(:\n")
    result = invoke("check", "-j1", "--statistics", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["EG900  4  fake-predict", "bad.py:1:7: error: syntax error: invalid syntax"]
    result = invoke("check", "-j1", "--statistics", "--output-format", "json", "f.py")
    assert json.loads(result.stdout) == [{"code": "EG900", "name": "fake-predict", "count": 3}]
    assert invoke("check", "-j1", "--statistics", "--select", "EG001", "f.py").stdout == ""


def test_statistics_orders_by_count(cwd: Path) -> None:
    from evalguard.diagnostics import Diagnostic, Report
    from evalguard.reporters import statistics

    def d(code: str, name: str) -> Diagnostic:
        return Diagnostic("f.py", 1, 1, 1, 2, code, name, "error", "m")

    report = Report(diagnostics=[d("EG002", "b"), d("EG001", "a"), d("EG002", "b"), d("EG010", "long-name")] * 5)
    buf = io.StringIO()
    statistics.render(report, buf)
    assert buf.getvalue().splitlines() == ["EG002  10  b", "EG001   5  a", "EG010   5  long-name"]


@pytest.mark.parametrize("fmt", ["text", "concise", "json"])
def test_output_file(cwd: Path, fake_rule: FakeRule, fmt: str) -> None:
    write(cwd / "f.py", "a = predict(1)\n")
    expected = invoke("check", "-j1", "--output-format", fmt, "f.py").stdout
    result = invoke("check", "-j1", "--output-format", fmt, "--output-file", "out/report.txt", "f.py")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (cwd / "out" / "report.txt").read_text() == expected


def test_output_file_is_plain_even_when_colour_is_forced(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "a = predict(1)\n")
    env = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    invoke("check", "-j1", "-o", "r.txt", "f.py", env=env)
    assert "\x1b" not in (cwd / "r.txt").read_text()


def test_unwritable_output_file_is_a_usage_error(cwd: Path) -> None:
    write(cwd / "f.py", "x = 1\n")
    write(cwd / "blocker", "")
    result = invoke("check", "-j1", "--output-file", "blocker/r.txt", "f.py")
    assert result.exit_code == 2 and "cannot write the output file" in result.stderr
    assert "Traceback" not in result.output


def test_stdin_with_a_filename(cwd: Path, fake_rule: FakeRule) -> None:
    result = invoke("check", "-j1", "-", "--stdin-filename", "pkg/mod.py", input="x = 1\ny = predict(x)\n")
    assert result.exit_code == 1
    assert result.stdout == (
        "pkg/mod.py:2:5: EG900 [fake-predict] `predict` called\n"
        "  |\n"
        "2 | y = predict(x)\n"
        "  |     ^^^^^^^^^^\n"
        "  = note: pkg/mod.py:2:5: callee\n"
        "\n"
        "Found 1 finding (1 error, 0 warnings) in 1 file.\n"
    )


def test_stdin_without_a_filename_and_filename_alone(cwd: Path, fake_rule: FakeRule) -> None:
    concise = ("check", "-j1", "--output-format", "concise")
    assert invoke(*concise, "-", input="predict(1)\n").stdout == "-:1:1: EG900 `predict` called\n"
    assert invoke(*concise, "--stdin-filename", "x.py", input="predict(1)\n").stdout == "x.py:1:1: EG900 `predict` called\n"
    result = invoke(*concise, "-", input=b"x = '\xff'\n")
    assert result.stdout.startswith("-:1:6: error: not valid utf-8")


def test_stdin_alongside_files(cwd: Path, fake_rule: FakeRule) -> None:
    write(cwd / "f.py", "predict(1)\n")
    data = json.loads(invoke("check", "-j1", "--output-format", "json", "f.py", "-", "--stdin-filename", "s.py",
                             input="predict(2)\n").stdout)
    assert data["files_checked"] == 2
    assert [d["path"] for d in data["diagnostics"]] == ["f.py", "s.py"]


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_ci_formats_are_wired(cwd: Path, fake_rule: FakeRule, fmt: str) -> None:
    write(cwd / "f.py", "a = predict(1)\n")
    result = invoke("check", "-j1", "--output-format", fmt, "f.py")
    assert result.exit_code == 1, result.output
    if fmt == "github":
        assert result.stdout.startswith("::error ") and "file=f.py" in result.stdout
    else:
        assert json.loads(result.stdout)["runs"][0]["results"][0]["ruleId"] == "EG900"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "-"], "can be given only once"),
        (["--baseline", "a", "--write-baseline", "b", "."], "cannot be used together"),
    ],
)
def test_usage_errors_have_no_traceback(cwd: Path, args: list[str], message: str) -> None:
    result = invoke("check", *args, input="")
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_version_does_not_import_configuration_or_discovery() -> None:
    code = (
        "import sys\n"
        "from evalguard.cli import main\n"
        "sys.argv = ['evalguard', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('pathspec', 'tomllib', 'evalguard.config', 'evalguard.discovery',"
        " 'evalguard.notebook') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_file_timeout_default_is_the_runners() -> None:
    """The CLI states the default literally (importing the runner would pull in libcst at
    start-up); keep the two in step."""
    import inspect

    from evalguard import cli, runner

    assert inspect.signature(cli.check).parameters["file_timeout"].default == runner.DEFAULT_FILE_BUDGET
