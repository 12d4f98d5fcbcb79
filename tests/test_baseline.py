"""`--baseline` / `--write-baseline` and `--changed-since` (docs/baseline.md): report only
new findings, robust to edits that move old ones."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from evalguard.baseline import scope_of
from evalguard.changes import parse_diff
from test_cli import FakeRule, fake_rule, invoke, write  # noqa: F401  (fake_rule is a fixture)

ORIGINAL = """\
import torch


def validate(model, loader):
    for x in loader:
        out = predict(x)


class Runner:
    def score(self, x):
        return predict(x)
"""


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new_findings(*args: str) -> list[tuple[str, int]]:
    result = invoke("check", "-j1", "--output-format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return [(d["path"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]]


@pytest.fixture
def baselined(cwd: Path, request: pytest.FixtureRequest) -> Path:
    request.getfixturevalue("fake_rule")
    write(cwd / "src" / "train.py", ORIGINAL)
    result = invoke("check", "-j1", "--write-baseline", "evalguard-baseline.json", "src")
    assert result.exit_code == 0, result.output
    assert "wrote 2 findings to the baseline evalguard-baseline.json" in result.stderr
    return cwd / "evalguard-baseline.json"


def test_baseline_file_format(baselined: Path) -> None:
    doc = json.loads(baselined.read_text())
    assert doc["version"] == 1 and doc["tool"] == "evalguard"
    assert doc["findings"] == [
        {"path": "src/train.py", "code": "EG900", "name": "fake-predict", "line": 6, "source": "out = predict(x)",
         "scope": "def validate(model, loader):"},
        {"path": "src/train.py", "code": "EG900", "name": "fake-predict", "line": 11, "source": "return predict(x)",
         "scope": "class Runner: > def score(self, x):"},
    ]


def test_baselined_findings_are_not_reported(baselined: Path) -> None:
    result = invoke("check", "-j1", "--baseline", "evalguard-baseline.json", "src")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed (1 file checked; not reported: 2 in the baseline).\n"


def test_line_shifts_and_unrelated_edits_do_not_make_findings_new(baselined: Path) -> None:
    moved = "# a header comment\n\n" + ORIGINAL.replace("import torch\n", "import torch\nimport os\n\nX = 1\n")
    moved = moved.replace("    for x in loader:\n", "    model.eval()\n    for x in loader:\n        x = x.cuda()\n")
    write(baselined.parent / "src" / "train.py", moved)
    assert new_findings("--baseline", "evalguard-baseline.json", "src") == []


def test_a_new_finding_is_reported_even_on_an_identical_line(baselined: Path) -> None:
    src = baselined.parent / "src" / "train.py"
    write(src, ORIGINAL.replace("        out = predict(x)\n", "        out = predict(x)\n        out = predict(x)\n"))
    assert new_findings("--baseline", "evalguard-baseline.json", "src") == [("src/train.py", 7)]  # a multiset: 1 of 2 is new


def test_the_same_line_in_another_function_is_new(baselined: Path) -> None:
    write(baselined.parent / "src" / "train.py", ORIGINAL + "\n\ndef test(x):\n    out = predict(x)\n")
    assert new_findings("--baseline", "evalguard-baseline.json", "src") == [("src/train.py", 15)]


def test_editing_the_reported_line_makes_it_new(baselined: Path) -> None:
    write(baselined.parent / "src" / "train.py", ORIGINAL.replace("out = predict(x)", "out = predict(x * 2)"))
    assert new_findings("--baseline", "evalguard-baseline.json", "src") == [("src/train.py", 6)]


def test_baseline_paths_are_relative_to_the_baseline_file(baselined: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(baselined.parent / "src")
    assert new_findings("--baseline", "../evalguard-baseline.json", "train.py") == []


def test_whitespace_changes_on_the_line_do_not_matter(baselined: Path) -> None:
    write(baselined.parent / "src" / "train.py", ORIGINAL.replace("out = predict(x)", "out  =  predict(x)  "))
    assert new_findings("--baseline", "evalguard-baseline.json", "src") == []


def test_write_baseline_then_baseline_with_other_formats(baselined: Path) -> None:
    result = invoke("check", "-j1", "--baseline", "evalguard-baseline.json", "--output-format", "concise", "src")
    assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file missing.json not found"),
        ("{oops", "is not valid JSON"),
        ('{"version": 99, "findings": []}', "has version 99; this evalguard reads version 1"),
        ('{"findings": []}', "is not an evalguard baseline"),
        ('{"version": 1, "findings": [{"path": 1}]}', "finding 1 needs string `path`, `code` and `source`"),
    ],
)
def test_bad_baseline_files_are_usage_errors(cwd: Path, content: str | None, message: str) -> None:
    if content is not None:
        write(cwd / "missing.json", content)
    write(cwd / "f.py", "x = 1\n")
    result = invoke("check", "-j1", "--baseline", "missing.json", "f.py")
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_baseline_and_write_baseline_together_is_a_usage_error(cwd: Path) -> None:
    result = invoke("check", "--baseline", "a.json", "--write-baseline", "b.json", ".")
    assert result.exit_code == 2 and "cannot be used together" in result.stderr


def test_scope_of() -> None:
    lines = ORIGINAL.splitlines()
    assert scope_of(lines, 6) == "def validate(model, loader):"
    assert scope_of(lines, 11) == "class Runner: > def score(self, x):"
    assert scope_of(lines, 1) == ""
    assert scope_of(lines, 99) == ""


@pytest.mark.usefixtures("fake_rule")
def test_notebook_findings_can_be_baselined(cwd: Path) -> None:
    def nb(*sources: str) -> str:
        cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": s} for s in sources]
        return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    write(cwd / "a.ipynb", nb("x = 1", "y = predict(x)"))
    assert invoke("check", "-j1", "--write-baseline", "b.json", "a.ipynb").exit_code == 0
    write(cwd / "a.ipynb", nb("import os", "x = 1\nz = 2", "y = predict(x)", "w = predict(z)"))
    assert new_findings("--baseline", "b.json", "a.ipynb") == [("a.ipynb", 5)]


# --changed-since

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
    proc = subprocess.run(["git", *env_args, *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout


@pytest.fixture
def repo(cwd: Path, request: pytest.FixtureRequest) -> Path:
    request.getfixturevalue("fake_rule")
    git(cwd, "init", "-q")
    write(cwd / "src" / "train.py", ORIGINAL)
    git(cwd, "add", ".")
    git(cwd, "commit", "-q", "-m", "one")
    return cwd


@needs_git
def test_changed_since_reports_only_new_or_changed_lines(repo: Path) -> None:
    assert new_findings("--changed-since", "HEAD", "src") == []
    changed = "# moved down\n" + ORIGINAL.replace("return predict(x)", "return predict(x) + 1") + "\n\ndef f(x):\n    predict(x)\n"
    write(repo / "src" / "train.py", changed)
    assert new_findings("--changed-since", "HEAD", "src") == [("src/train.py", 12), ("src/train.py", 16)]
    assert len(new_findings("src")) == 3
    result = invoke("check", "-j1", "--changed-since", "HEAD", "src")
    assert "not reported: 1 on unchanged lines" in result.stdout


@needs_git
def test_changed_since_an_older_commit_includes_committed_changes(repo: Path) -> None:
    write(repo / "src" / "train.py", ORIGINAL + "\npredict(0)\n")
    git(repo, "commit", "-q", "-am", "two")
    assert new_findings("--changed-since", "HEAD", "src") == []
    assert new_findings("--changed-since", "HEAD~1", "src") == [("src/train.py", 13)]


@needs_git
def test_untracked_and_ignored_files_count_as_changed(repo: Path) -> None:
    write(repo / "src" / "new.py", "predict(1)\npredict(2)\n")
    write(repo / ".gitignore", "scratch.py\n")
    write(repo / "scratch.py", "predict(3)\n")
    assert new_findings("--changed-since", "HEAD", "src", "scratch.py") == [
        ("scratch.py", 1), ("src/new.py", 1), ("src/new.py", 2)
    ]


@needs_git
def test_changed_since_works_from_a_subdirectory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "src" / "train.py", ORIGINAL + "predict(9)\n")
    monkeypatch.chdir(repo / "src")
    assert new_findings("--changed-since", "HEAD", "train.py") == [("train.py", 12)]


@needs_git
def test_changed_notebook_cells(repo: Path) -> None:
    def nb(*sources: str) -> str:
        cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": s} for s in sources]
        return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)

    write(repo / "a.ipynb", nb("x = predict(1)", "y = 2"))
    git(repo, "add", "a.ipynb")
    git(repo, "commit", "-q", "-m", "nb")
    write(repo / "a.ipynb", nb("import os", "x = predict(1)", "y = predict(2)"))
    assert new_findings("--changed-since", "HEAD", "a.ipynb") == [("a.ipynb", 3)]


@needs_git
def test_bad_ref_and_no_repository_are_usage_errors(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    write(repo / "src" / "train.py", ORIGINAL + "predict(9)\n")
    result = invoke("check", "-j1", "--changed-since", "no-such-ref", "src")
    assert result.exit_code == 2 and "'no-such-ref' is not a known git revision" in result.stderr
    outside = write(tmp_path_factory.mktemp("norepo") / "x.py", "predict(1)\n")
    result = invoke("check", "-j1", "--changed-since", "HEAD", str(outside))
    assert result.exit_code == 2 and "not inside a git repository" in result.stderr
    assert "Traceback" not in result.output
    result = invoke("check", "--changed-since", "HEAD", "-", "--stdin-filename", "x.py", input="x = 1\n")
    assert result.exit_code == 2 and "cannot be used with stdin" in result.stderr


def test_parse_diff() -> None:
    diff = (
        "diff --git a/src/a.py b/src/a.py\n"
        "--- a/src/a.py\n"
        "+++ b/src/a.py\n"
        "@@ -3,0 +4,2 @@ def f():\n"
        "+x\n+y\n"
        "@@ -10 +12 @@\n"
        "-old\n+new\n"
        "@@ -20,3 +22,0 @@\n"
        "-gone\n"
        "diff --git a/b c.py b/b c.py\n"
        "--- /dev/null\n"
        "+++ b/b c.py\t\n"
        "@@ -0,0 +1 @@\n"
        "+z\n"
        '+++ "b/caf\\303\\251.py"\n'
        "@@ -1 +1 @@\n"
    )
    assert parse_diff(diff) == {"src/a.py": {4, 5, 12}, "b c.py": {1}, "café.py": {1}}


@needs_git
def test_file_names_are_not_git_globs(repo: Path) -> None:
    write(repo / "w[1].py", "x = 1\n")
    git(repo, "add", "--", "w[1].py")
    git(repo, "commit", "-q", "-m", "odd name")
    write(repo / "w[1].py", "x = 1\npredict(x)\n")
    assert new_findings("--changed-since", "HEAD", "w[1].py") == [("w[1].py", 2)]
