"""Suppression comments (docs/suppression.md): `# noqa`, `# evalguard: ignore[...]`,
`# evalguard: skip-file`, and `--show-suppressed`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalguard.diagnostics import Diagnostic
from evalguard.engine import check_source
from evalguard.suppression import directives_in, scan, skips_file, split_suppressed
from test_cli import FAKE, FakeRule, fake_rule, invoke, needs_fork, write  # noqa: F401  (fake_rule is a fixture)


def lines_found(source: str) -> list[int]:
    return [d.line for d in check_source(source, "f.py", [FAKE]).diagnostics]


def lines_suppressed(source: str) -> list[int]:
    return [d.line for d in check_source(source, "f.py", [FAKE]).suppressed]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "#noqa",
        "# NOQA",
        "# noqa: EG900",
        "# noqa:EG900",
        "# noqa: EG001,EG900",
        "# noqa: EG001, EG900",
        "# noqa: E501 EG900",
        "# evalguard: ignore",
        "# evalguard: ignore[EG900]",
        "# evalguard: ignore[EG001, EG900]",
        "# evalguard: ignore[fake-predict]",
        "# evalguard:ignore[eg900]",
        "# type: ignore  # noqa: EG900",
        "# pylint: disable=foo # noqa",
    ],
)
def test_comment_on_the_reported_line_suppresses(comment: str) -> None:
    source = f"a = predict(1)  {comment}\nb = predict(2)\n"
    assert lines_found(source) == [2]
    assert lines_suppressed(source) == [1]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: E501",
        "# noqa: EG001",
        "# noqa: EG9000",
        "# evalguard: ignore[EG001]",
        "# evalguard: ignore[missing-eval]",
        "# noqa-like comment",
        "# evalguard: ignored",
        "# not a noqa: EG900 directive",  # `noqa` must follow the `#`
    ],
)
def test_other_codes_and_lookalikes_do_not_suppress(comment: str) -> None:
    assert lines_found(f"a = predict(1)  {comment}\n") == [1]


def test_noqa_inside_a_string_does_not_count() -> None:
    assert lines_found("a = predict('# noqa')\n") == [1]
    assert lines_found('a = predict("""\n# noqa\n""")\n') == [1]


def test_comment_on_another_line_does_not_suppress() -> None:
    assert lines_found("# noqa: EG900\na = predict(1)\nb = 2  # noqa\n") == [2]


def test_multi_line_statement_first_or_last_line() -> None:
    first = "result = (  # noqa: EG900\n    1 +\n    predict(2)\n)\n"
    assert lines_found(first) == [] and lines_suppressed(first) == [3]
    last = "result = (\n    1 +\n    predict(2)\n)  # evalguard: ignore[EG900]\n"
    assert lines_found(last) == []
    middle = "result = (\n    1,  # noqa: EG900\n    predict(2),\n)\n"
    assert lines_found(middle) == [3]  # another line of the statement: not its first, last or the reported one


def test_compound_statement_header_does_not_cover_its_body() -> None:
    source = "with ctx():  # noqa: EG900\n    x = predict(1)\n"
    assert lines_found(source) == [2]


@pytest.mark.parametrize(
    "source",
    [
        "# evalguard: skip-file\npredict(1)\n",
        "import os\n\n#evalguard:skip-file\npredict(1)\n",
        "predict(1)\n\n    # evalguard: skip-file -- generated\n",
        "predict(1)\ndef f(:\n# evalguard: skip-file\n",  # even a file that does not parse
    ],
)
def test_skip_file_anywhere_on_its_own_line(source: str) -> None:
    result = check_source(source, "f.py", [FAKE])
    assert (result.diagnostics, result.error, result.suppressed) == ([], None, [])


@pytest.mark.parametrize(
    "source",
    ["predict(1)  # evalguard: skip-file\n", "predict(1)\nx = '# evalguard: skip-files'\n", "predict(1)\n# evalguard: skip-filex\n"],
)
def test_skip_file_must_stand_alone(source: str) -> None:
    assert lines_found(source) == [1]


def test_directives_parse() -> None:
    assert directives_in("# noqa") == [None]
    assert directives_in("# noqa: EG001,eg002") == [frozenset({"EG001", "EG002"})]
    assert directives_in("# evalguard: ignore[EG001, missing-no-grad]") == [frozenset({"EG001", "missing-no-grad"})]
    assert directives_in("# evalguard: ignore") == [None]
    assert directives_in("# nothing here") == []
    assert skips_file("x = 1\n# evalguard: skip-file\n")
    assert not skips_file("x = 1  # evalguard: skip-file\n")


def test_scan_finds_statement_ranges() -> None:
    found = scan("a = f(\n  1,\n)  # noqa\nif x:\n    y = 2\n")
    assert found.statement_of(2) == (1, 3)
    assert found.statement_of(4) == (4, 4)
    assert found.statement_of(5) == (5, 5)
    assert found.by_line == {3: [None]}


def test_untokenizable_source_falls_back_to_lines() -> None:
    d = Diagnostic("f.py", 1, 1, 1, 2, "EG900", "fake-predict", "error", "m")
    kept, suppressed = split_suppressed("x = '''  # noqa\n", [d])  # unterminated string: the tokenizer gives up
    assert (kept, suppressed) == ([], [d])


# through the command line


@pytest.fixture
def noqa_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write(tmp_path / "f.py", "a = predict(1)  # noqa: EG900\nb = predict(2)\n")


@pytest.mark.usefixtures("fake_rule")
def test_suppressed_findings_do_not_count_for_the_exit_status(noqa_file: Path) -> None:
    write(noqa_file, "a = predict(1)  # noqa: EG900\n")
    assert invoke("check", "-j1", "f.py").exit_code == 0


@pytest.mark.usefixtures("fake_rule")
def test_show_suppressed_text_and_concise(noqa_file: Path) -> None:
    plain = invoke("check", "-j1", "f.py").stdout
    assert "(suppressed)" not in plain and "f.py:1:" not in plain
    shown = invoke("check", "-j1", "--show-suppressed", "f.py").stdout
    assert "f.py:1:5: EG900 [fake-predict] `predict` called (suppressed)" in shown
    assert shown.rstrip().endswith("Found 1 finding (1 error, 0 warnings) in 1 file; 1 suppressed.")
    concise = invoke("check", "-j1", "--show-suppressed", "--output-format", "concise", "f.py").stdout
    assert concise.splitlines() == ["f.py:2:5: EG900 `predict` called", "f.py:1:5: EG900 `predict` called (suppressed)"]


@pytest.mark.usefixtures("fake_rule")
def test_show_suppressed_json_adds_a_top_level_list(noqa_file: Path) -> None:
    data = json.loads(invoke("check", "-j1", "--output-format", "json", "f.py").stdout)
    assert set(data) == {"version", "files_checked", "diagnostics", "errors"}
    data = json.loads(invoke("check", "-j1", "--output-format", "json", "--show-suppressed", "f.py").stdout)
    assert set(data) == {"version", "files_checked", "diagnostics", "errors", "suppressed"}
    assert [d["line"] for d in data["diagnostics"]] == [2]
    assert [(d["line"], d["code"]) for d in data["suppressed"]] == [(1, "EG900")]
    assert set(data["suppressed"][0]) == set(data["diagnostics"][0])


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=needs_fork)])
@pytest.mark.usefixtures("fake_rule")
def test_suppression_in_worker_processes(noqa_file: Path, jobs: str) -> None:
    write(noqa_file.parent / "g.py", "predict(3)  # evalguard: ignore\n")
    data = json.loads(invoke("check", "-j", jobs, "--output-format", "json", "--show-suppressed", ".").stdout)
    assert [(d["path"], d["line"]) for d in data["diagnostics"]] == [("f.py", 2)]
    assert [(d["path"], d["line"]) for d in data["suppressed"]] == [("f.py", 1), ("g.py", 1)]
