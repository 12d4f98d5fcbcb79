"""The output formats, on hand-built reports (no rules or parsing involved)."""
from __future__ import annotations

import io
import json as jsonlib
from pathlib import Path

import pytest
from rich.console import Console

from evalguard.diagnostics import Diagnostic, FileError, Related, Report
from evalguard.reporters import concise, json, text

SOURCE = "import torch\nwith torch.no_grad():\n    out = model(x)\n    y = predict(a,\n                b)\n"


def diag(path: str, line: int, column: int, end_line: int, end_column: int, **kw) -> Diagnostic:
    fields = dict(code="EG001", name="missing-eval", severity="error", message="`model` may be in training mode")
    fields.update(kw)
    return Diagnostic(path, line, column, end_line, end_column, **fields)


@pytest.fixture
def src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    Path("train.py").write_text(SOURCE)
    return "train.py"


@pytest.fixture
def report(src: str) -> Report:
    r = Report(files_checked=3)
    r.diagnostics = [
        diag(src, 3, 11, 3, 19, related=[Related(src, 1, 1, "no `.eval()` after this")]),
        diag(src, 4, 9, 5, 19, code="EG002", name="missing-no-grad", severity="warning", message="autograd on"),
    ]
    r.errors = [FileError("bad.py", "syntax error: invalid syntax", 2, 7), FileError("gone.py", "no such file")]
    return r


def render_text(report: Report, **kw) -> str:
    buf = io.StringIO()
    text.render(report, Console(file=buf, width=40), **kw)
    return buf.getvalue()


# json


def test_json_is_exactly_report_to_json(report: Report) -> None:
    buf = io.StringIO()
    json.render(report, buf)
    assert buf.getvalue().endswith("}\n")
    assert jsonlib.loads(buf.getvalue()) == report.to_json()
    assert '\n  "version": 1,' in buf.getvalue()  # indent=2


# concise


def test_concise_one_line_per_finding_then_errors(report: Report) -> None:
    buf = io.StringIO()
    concise.render(report, buf)
    assert buf.getvalue().splitlines() == [
        "train.py:3:11: EG001 `model` may be in training mode",
        "train.py:4:9: EG002 autograd on",
        "bad.py:2:7: error: syntax error: invalid syntax",
        "gone.py: error: no such file",
    ]


def test_concise_empty_report_prints_nothing() -> None:
    buf = io.StringIO()
    concise.render(Report(files_checked=2), buf)
    assert buf.getvalue() == ""


# text


def test_text_layout(report: Report) -> None:
    out = render_text(report)
    assert out == (
        "train.py:3:11: EG001 [missing-eval] `model` may be in training mode\n"
        "  |\n"
        "3 |     out = model(x)\n"
        "  |           ^^^^^^^^\n"
        "  = note: train.py:1:1: no `.eval()` after this\n"
        "\n"
        "train.py:4:9: EG002 [missing-no-grad] autograd on\n"
        "  |\n"
        "4 |     y = predict(a,\n"
        "  |         ^^^^^^^^^^\n"  # a multi-line range is underlined to the end of its first line
        "\n"
        "bad.py:2:7: error: syntax error: invalid syntax\n"
        "gone.py: error: no such file\n"
        "Found 2 findings (1 error, 1 warning) in 3 files; 2 files could not be checked.\n"
    )


def test_text_is_plain_unless_the_console_is_a_terminal(report: Report) -> None:
    assert "\x1b[" not in render_text(report)
    buf = io.StringIO()
    text.render(report, Console(file=buf, force_terminal=True, color_system="standard"))
    coloured = buf.getvalue()
    assert "\x1b[1;31mEG001" in coloured  # errors red
    assert "\x1b[1;33mEG002" in coloured  # warnings yellow
    buf = io.StringIO()
    text.render(report, Console(file=buf, force_terminal=True, color_system=None))
    assert "\x1b[" not in buf.getvalue()


def test_text_quiet_has_no_summary(report: Report) -> None:
    out = render_text(report, quiet=True)
    assert "Found" not in out
    assert "gone.py: error: no such file" in out


@pytest.mark.parametrize(
    ("files", "diags", "errors", "expected"),
    [
        (4, [], [], "All checks passed (4 files checked)."),
        (1, [], [], "All checks passed (1 file checked)."),
        (0, [], [], "All checks passed (0 files checked)."),
        (2, [], ["x.py"], "No findings in 2 files; 1 file could not be checked."),
        (1, ["warning"], [], "Found 1 finding (0 errors, 1 warning) in 1 file."),
        (5, ["error", "error", "warning"], ["a", "b"], "Found 3 findings (2 errors, 1 warning) in 5 files; 2 files could not be checked."),
    ],
)
def test_summary_line(files: int, diags: list[str], errors: list[str], expected: str) -> None:
    r = Report(files_checked=files)
    r.diagnostics = [diag("gone.py", 1, 1, 1, 2, severity=s) for s in diags]
    r.errors = [FileError(p, "boom") for p in errors]
    assert render_text(r).splitlines()[-1] == expected


def test_text_does_not_wrap_long_lines(src: str) -> None:
    r = Report(files_checked=1, diagnostics=[diag(src, 1, 1, 1, 6, message="m" * 200)])
    assert render_text(r).splitlines()[0] == "train.py:1:1: EG001 [missing-eval] " + "m" * 200


def test_text_without_readable_source_omits_the_snippet(src: str) -> None:
    r = Report(files_checked=2, diagnostics=[diag("gone.py", 3, 1, 3, 2), diag(src, 99, 1, 99, 2)])
    lines = render_text(r).splitlines()
    assert lines[:4] == [
        "gone.py:3:1: EG001 [missing-eval] `model` may be in training mode",
        "",
        "train.py:99:1: EG001 [missing-eval] `model` may be in training mode",
        "",
    ]


def test_text_caret_alignment_with_tabs_wide_chars_and_zero_width(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.py").write_text('if x:\n\ty = "日本" + model(x)\n')
    r = Report(files_checked=1, diagnostics=[diag("t.py", 2, 13, 2, 21), diag("t.py", 2, 2, 2, 2, code="EG002")])
    lines = render_text(r).splitlines()
    assert lines[2] == '2 |     y = "日本" + model(x)'
    assert lines[3] == "  |                  ^^^^^^^^"
    assert lines[8] == "  |     ^"  # an empty range still gets one caret


def test_text_source_decoding_and_line_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("latin.py").write_bytes(b"# -*- coding: latin-1 -*-\r\nx = '\xe9' + model(\x1b[31m)\r\n")
    Path("bad.py").write_bytes(b"a = 1\rx = '\xff\xfe' + model(q)\n")
    r = Report(files_checked=2, diagnostics=[diag("bad.py", 2, 12, 2, 20), diag("latin.py", 2, 11, 2, 19)])
    out = render_text(r)
    assert "2 | x = '\ufffd\ufffd' + model(q)\n  |            ^^^^^^^^\n" in out
    assert "2 | x = 'é' + model(\ufffd[31m)\n  |           ^^^^^^^^\n" in out  # no raw escape reaches the terminal
    assert "\x1b" not in out
