"""Jupyter notebooks (docs/notebooks.md): code cells joined in order, IPython syntax
neutralised line for line, findings reported at `nb.ipynb:cell N:line:col`."""
from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from evalguard.engine import check_source
from evalguard.notebook import NotebookError, neutralise, read_notebook
from test_cli import FAKE, FakeRule, fake_rule, invoke, write  # noqa: F401  (fake_rule is a fixture)


def code(source: str | list[str]) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def notebook(*cells: dict[str, Any], language: str = "python") -> str:
    meta = {"kernelspec": {"display_name": "K", "language": language, "name": "k"}, "language_info": {"name": language}}
    return json.dumps({"cells": list(cells), "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1)


#: a notebook whose bug is in its third code cell, line 3 (the forward call at column 12)
BUGGY = notebook(
    markdown("# Demo\n\nSome prose."),
    code(["%matplotlib inline\n", "import torch\n", "import torch.nn as nn"]),
    code(["!pip install -q torchvision\n", "model = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.5))\n", "x = torch.randn(8, 4)"]),
    markdown("## Predict"),
    code(["%%time\n", "def predict(batch):\n", "    return model(batch)\n", "\n", "preds = predict(x)\n"]),
)
#: joined code: cell 1 is lines 1-3, cell 2 lines 4-6, cell 3 lines 7-11; `model(batch)` is at line 9
BUG_LINE, BUG_CELL_LINE, BUG_COLUMN = 9, 3, 12


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# reading


def test_code_cells_are_joined_in_order_each_on_a_new_line() -> None:
    nb = read_notebook(BUGGY)
    assert [c.index for c in nb.cells] == [1, 2, 3]
    assert [c.start_line for c in nb.cells] == [1, 4, 7]
    assert nb.original_lines[8] == "    return model(batch)"
    assert len(nb.source.splitlines()) == len(nb.original_lines) == 11
    assert nb.locate(9) == (3, 3)
    assert nb.locate(4) == (2, 1)
    assert nb.locate(3) == (1, 3)
    ast.parse(nb.source)


def test_empty_cells_and_string_sources() -> None:
    nb = read_notebook(notebook(code(""), code("a = 1\nb = 2\n"), code([]), code("c = 3")))
    assert [(c.index, c.start_line, len(c.lines)) for c in nb.cells] == [(1, 1, 0), (2, 1, 2), (3, 3, 0), (4, 3, 1)]
    assert nb.source == "a = 1\nb = 2\nc = 3\n"
    assert nb.locate(1) == (2, 1) and nb.locate(3) == (4, 1)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["%matplotlib inline", "x = 1"], ["pass", "x = 1"]),
        (["!pip install torch", "x = 1"], ["pass", "x = 1"]),
        (["?model", "model??", "model.forward?"], ["pass", "pass", "pass"]),
        (["for i in range(3):", "    %time f(i)"], ["for i in range(3):", "    pass"]),
        (["files = !ls", "t = %timeit -o f()"], ["files = None", "t = None"]),
        (["%%bash", "echo hi", "rm -rf /tmp/x"], ["", "", ""]),
        (["%%writefile train.py", "import torch", "model.train()"], ["", "", ""]),
        (["", "%%time", "y = model(x)"], ["", "", "y = model(x)"]),
        (["%%capture out", "y = model(x)"], ["", "y = model(x)"]),
        (["%pip install \\", "   torch", "x = 1"], ["pass", "", "x = 1"]),
        (["x = 5 % 3", "y = x != 2", "s = '%d' % 3"], ["x = 5 % 3", "y = x != 2", "s = '%d' % 3"]),
    ],
)
def test_magics_are_neutralised_line_for_line(lines: list[str], expected: list[str]) -> None:
    assert neutralise(lines) == expected


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not a valid notebook: invalid JSON at line 1, column 2"),
        ("[1, 2]", "the top level is a JSON array, not an object"),
        ('{"metadata": {}}', "no `cells` list"),
        ('{"cells": {"a": 1}}', "`cells` is a JSON object, not a list"),
        ('{"cells": [3]}', "cell 1 is a JSON number, not an object"),
        ('{"cells": [{"cell_type": "code"}]}', "code cell 1 has no `source`"),
        ('{"cells": [{"cell_type": "code", "source": 7}]}', "the `source` of code cell 1 is a JSON number"),
        ('{"cells": [{"cell_type": "code", "source": ["a", 1]}]}', "not a string or a list of strings"),
    ],
)
def test_malformed_notebooks_are_file_errors(content: str, reason: str) -> None:
    with pytest.raises(NotebookError, match="not a valid notebook"):
        read_notebook(content)
    result = check_source(content, "bad.ipynb", [FAKE])
    assert result.diagnostics == [] and result.error is not None
    assert reason in result.error.reason and result.error.path == "bad.ipynb"


def test_nbformat_3_worksheets_are_read() -> None:
    doc = {"worksheets": [{"cells": [{"cell_type": "code", "input": ["x = predict(1)\n"]}]}], "nbformat": 3}
    assert [d.line for d in check_source(json.dumps(doc), "old.ipynb", [FAKE]).diagnostics] == [1]


def test_non_python_notebooks_are_skipped() -> None:
    result = check_source(notebook(code("predict(1)"), language="R"), "r.ipynb", [FAKE])
    assert (result.diagnostics, result.error) == ([], None)


# checking


def test_analysis_runs_across_cells_and_reports_cell_and_line() -> None:
    nb = notebook(code("import torch"), markdown("text"), code("def f():\n    return 1\n"), code("y = 1\nz = predict(y)\n"))
    (d,) = check_source(nb, "nb.ipynb", [FAKE]).diagnostics
    assert (d.line, d.column, d.cell, d.cell_line) == (5, 5, 3, 2)
    assert d.location() == "nb.ipynb:cell 3:2:5"
    assert [(r.cell, r.cell_line) for r in d.related] == [(3, 2)]


def test_syntax_error_names_the_cell() -> None:
    nb = notebook(code("x = 1"), code("y = 2\ndef f(:\n"))
    result = check_source(nb, "nb.ipynb", [FAKE])
    assert result.error is not None and result.error.reason.startswith("syntax error")
    assert (result.error.line, result.error.cell, result.error.cell_line) == (3, 2, 2)
    assert result.error.to_json()["cell"] == 2


def test_suppression_comments_work_in_cells() -> None:
    nb = notebook(code("a = predict(1)  # noqa: EG900"), code("b = predict(2)"), code("c = predict(3)  # evalguard: ignore"))
    result = check_source(nb, "nb.ipynb", [FAKE])
    assert [(d.cell, d.cell_line) for d in result.diagnostics] == [(2, 1)]
    assert [(d.cell, d.cell_line) for d in result.suppressed] == [(1, 1), (3, 1)]
    assert check_source(notebook(code("predict(1)"), code("# evalguard: skip-file")), "nb.ipynb", [FAKE]).diagnostics == []


def test_cell_magic_bodies_are_not_analysed() -> None:
    nb = notebook(code("%%bash\npredict(1)\n"), code("%%time\npredict(2)\n"))
    assert [(d.cell, d.cell_line) for d in check_source(nb, "nb.ipynb", [FAKE]).diagnostics] == [(2, 2)]


@pytest.mark.usefixtures("fake_rule")
def test_large_outputs_do_not_make_the_notebook_too_large(cwd: Path) -> None:
    cell = code("predict(1)")
    cell["outputs"] = [{"output_type": "display_data", "data": {"image/png": "A" * (9 * 1024 * 1024)}, "metadata": {}}]
    write(cwd / "big.ipynb", notebook(cell))
    result = invoke("check", "-j1", "--output-format", "concise", "big.ipynb")
    assert result.stdout == "big.ipynb:cell 1:1:1: EG900 `predict` called\n"


# every output format points at the cell (the acceptance test of issue #3)


@pytest.fixture
def buggy(cwd: Path) -> Path:
    return write(cwd / "nb.ipynb", BUGGY)


def run_format(fmt: str) -> str:
    result = invoke("check", "-j1", "--select", "EG001", "--output-format", fmt, "nb.ipynb")
    assert result.exit_code == 1, result.output
    return result.stdout


def test_text_output_gives_cell_and_line(buggy: Path) -> None:
    out = run_format("text")
    assert out.startswith(f"nb.ipynb:cell 3:{BUG_CELL_LINE}:{BUG_COLUMN}: EG001 [missing-eval] ")
    assert f"{BUG_CELL_LINE} |     return model(batch)\n" in out  # the cell's own line number and text
    assert "  = note: nb.ipynb:cell 2:2:" in out  # where the model was made: cell 2, line 2


def test_concise_output_gives_cell_and_line(buggy: Path) -> None:
    assert run_format("concise").startswith(f"nb.ipynb:cell 3:{BUG_CELL_LINE}:{BUG_COLUMN}: EG001 ")


def test_json_output_gives_joined_line_and_cell(buggy: Path) -> None:
    (d,) = json.loads(run_format("json"))["diagnostics"]
    assert (d["path"], d["line"], d["column"], d["cell"], d["cell_line"]) == ("nb.ipynb", BUG_LINE, BUG_COLUMN, 3, BUG_CELL_LINE)
    made = [r for r in d["related"] if r["cell"] == 2]
    assert made and made[0]["cell_line"] == 2 and made[0]["line"] == 5


@pytest.mark.usefixtures("fake_rule")
def test_json_of_plain_files_has_no_cell_keys(cwd: Path) -> None:
    write(cwd / "f.py", "predict(1)\n")
    (d,) = json.loads(invoke("check", "-j1", "--output-format", "json", "f.py").stdout)["diagnostics"]
    assert "cell" not in d and "cell_line" not in d


def test_github_output_points_at_the_notebook(buggy: Path) -> None:
    (line,) = [x for x in run_format("github").splitlines() if "EG001" in x]
    assert line.startswith("::error ")
    assert "file=nb.ipynb" in line and f"line={BUG_LINE}" in line
    assert f"cell 3, line {BUG_CELL_LINE}" in line


def test_sarif_output_points_at_the_notebook(buggy: Path) -> None:
    sarif = json.loads(run_format("sarif"))
    (result,) = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("nb.ipynb")
    assert location["region"]["startLine"] == BUG_LINE
    assert f"cell 3, line {BUG_CELL_LINE}" in result["message"]["text"]
    assert (result["properties"]["cell"], result["properties"]["cellLine"]) == (3, BUG_CELL_LINE)


# discovery and stdin


@pytest.mark.usefixtures("fake_rule")
def test_directories_pick_up_notebooks_but_not_checkpoints(cwd: Path) -> None:
    write(cwd / "nbs" / "a.ipynb", notebook(code("predict(1)")))
    write(cwd / "nbs" / ".ipynb_checkpoints" / "a-checkpoint.ipynb", notebook(code("predict(1)")))
    write(cwd / "nbs" / "b.py", "predict(2)\n")
    out = invoke("check", "-j1", "--output-format", "concise", ".").stdout
    assert out.splitlines() == ["nbs/a.ipynb:cell 1:1:1: EG900 `predict` called", "nbs/b.py:1:1: EG900 `predict` called"]


@pytest.mark.usefixtures("fake_rule")
def test_malformed_notebook_is_an_errors_entry_and_the_rest_is_checked(cwd: Path) -> None:
    write(cwd / "bad.ipynb", '{"cells": [{"cell_type": "code", "source": 3}]}')
    write(cwd / "good.ipynb", notebook(code("predict(1)")))
    result = invoke("check", "-j1", "--output-format", "json", ".")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["files_checked"] == 2
    assert [e["path"] for e in data["errors"]] == ["bad.ipynb"]
    assert "not a valid notebook" in data["errors"][0]["reason"]
    assert [d["path"] for d in data["diagnostics"]] == ["good.ipynb"]
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("fake_rule")
def test_notebook_from_stdin(cwd: Path) -> None:
    nb = notebook(code("x = 1"), code("y = predict(x)"))
    result = invoke("check", "-j1", "-", "--stdin-filename", "piped.ipynb", input=nb)
    assert result.stdout.startswith("piped.ipynb:cell 2:1:5: EG900 [fake-predict] `predict` called\n  |\n1 | y = predict(x)\n")
