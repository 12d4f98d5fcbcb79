"""Jupyter notebooks (`.ipynb`): their code cells as one Python source, and the way back
from a line of that source to a cell and a line within it.

The code cells are joined in order, each starting on a new line, markdown and raw cells
left out (SPEC §4); the analysis then sees the notebook as the kernel runs it, top to
bottom. IPython syntax that is not Python is neutralised *line for line*, so that every
line number still points at the same line of the same cell:

- a line magic, shell escape or help request (`%matplotlib inline`, `!pip install x`,
  `?obj`, `obj??`) becomes `pass` at the same indentation (`x = !ls` becomes `x = None`);
- a cell magic that runs the cell's body as Python (`%%time`, `%%timeit`, `%%capture`,
  ...) has only its first line replaced; any other cell magic (`%%bash`,
  `%%writefile f.py`, `%%html`, ...) blanks the whole cell, whose body is not Python.

Only the standard library is used here (json, re), so reporters can read notebooks
cheaply for their source snippets.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Optional

#: the line breaks Python's tokenizer counts (so line numbers agree with the parser's)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: cell magics whose body is Python that runs in the kernel
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "tensorboard"})

_ASSIGN_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]")
_HELP_SUFFIX = re.compile(r"^[\w.\[\]()'\"]+\?\??$")


class NotebookError(Exception):
    """The file is not a notebook evalguard can read; the message says why."""


@dataclass
class Cell:
    """One code cell: its 1-based index among the code cells, the line of the joined
    source it starts at, and its lines as written."""

    index: int
    start_line: int
    lines: list[str]


@dataclass
class Notebook:
    cells: list[Cell] = field(default_factory=list)
    #: the code cells as written, joined (for snippets and baselines)
    original_lines: list[str] = field(default_factory=list)
    #: what is parsed: the joined code with IPython syntax neutralised (same line count)
    source: str = ""
    #: False for a notebook whose kernel is not Python (it is skipped)
    is_python: bool = True

    def locate(self, line: int) -> tuple[Optional[int], Optional[int]]:
        """(cell index, line within the cell) of a line of the joined source."""
        if not self.cells or line < 1:
            return None, None
        starts = [c.start_line for c in self.cells]
        i = bisect_right(starts, line) - 1
        # cells of no lines share their start with the next cell: take the last cell
        # that starts at or before `line` and actually holds it
        while i > 0 and not self.cells[i].lines:
            i -= 1
        cell = self.cells[max(i, 0)]
        return cell.index, line - cell.start_line + 1


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them; a final line break does not start another line."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_notebook(data: bytes | str) -> Notebook:
    """Parse notebook JSON (nbformat 4, or 3 with worksheets). Raises `NotebookError`
    for anything that is not a readable notebook."""
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a valid notebook: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a valid notebook: not valid UTF-8 ({exc.reason})") from None
    except RecursionError:
        raise NotebookError("not a valid notebook: JSON nested too deeply") from None
    except ValueError as exc:
        raise NotebookError(f"not a valid notebook: {exc}") from None
    if not isinstance(doc, dict):
        raise NotebookError(f"not a valid notebook: the top level is a JSON {_kind(doc)}, not an object")
    raw_cells = _cells(doc)
    nb = Notebook(is_python=_is_python(doc))
    line = 1
    code_index = 0
    for position, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"not a valid notebook: cell {position} is a JSON {_kind(cell)}, not an object")
        if cell.get("cell_type") != "code":
            continue
        code_index += 1
        key = "source" if "source" in cell else "input" if "input" in cell else None
        if key is None:
            raise NotebookError(f"not a valid notebook: code cell {code_index} has no `source`")
        text = _source_text(cell[key], code_index, key)
        lines = split_lines(text)
        nb.cells.append(Cell(code_index, line, lines))
        nb.original_lines.extend(lines)
        line += len(lines)
    nb.source = "".join(f"{x}\n" for c in nb.cells for x in neutralise(c.lines))
    return nb


def _cells(doc: dict[str, Any]) -> list[Any]:
    if "cells" in doc:
        cells = doc["cells"]
        if not isinstance(cells, list):
            raise NotebookError(f"not a valid notebook: `cells` is a JSON {_kind(cells)}, not a list")
        return cells
    worksheets = doc.get("worksheets")  # nbformat 3
    if isinstance(worksheets, list):
        out: list[Any] = []
        for sheet in worksheets:
            cells = sheet.get("cells") if isinstance(sheet, dict) else None
            if not isinstance(cells, list):
                raise NotebookError("not a valid notebook: a worksheet has no list of `cells`")
            out.extend(cells)
        return out
    raise NotebookError("not a valid notebook: no `cells` list")


def _source_text(source: Any, index: int, key: str) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    raise NotebookError(
        f"not a valid notebook: the `{key}` of code cell {index} is a JSON {_kind(source)}, "
        "not a string or a list of strings"
    )


def _is_python(doc: dict[str, Any]) -> bool:
    """False only when the metadata says the kernel's language is something else."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return True
    for table, key in (("language_info", "name"), ("kernelspec", "language")):
        value = meta.get(table, {}).get(key) if isinstance(meta.get(table), dict) else None
        if isinstance(value, str) and value:
            return value.lower() in ("python", "python3", "python2", "ipython", "ipython3")
    return True


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def neutralise(lines: list[str]) -> list[str]:
    """The cell's lines with IPython-only syntax replaced, one output line per input line."""
    first = next((i for i, x in enumerate(lines) if x.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(None, 1)[0] if lines[first].lstrip()[2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)
        lines = [*lines[:first], "", *lines[first + 1 :]]
    out: list[str] = []
    continued = False
    for x in lines:
        if continued:  # the rest of a magic continued with a backslash
            out.append("")
            continued = x.rstrip().endswith("\\")
            continue
        replaced = _neutralise_line(x)
        if replaced is not None:
            out.append(replaced)
            continued = x.rstrip().endswith("\\")
        else:
            out.append(x)
    return out


def _neutralise_line(line: str) -> Optional[str]:
    stripped = line.strip()
    if not stripped:
        return None
    indent = line[: len(line) - len(line.lstrip())]
    if stripped[0] in "%!?":
        return f"{indent}pass"
    if stripped.endswith("?") and not stripped.startswith("#") and _HELP_SUFFIX.match(stripped):
        return f"{indent}pass"
    m = _ASSIGN_MAGIC.match(line)
    if m:
        return f"{m.group(1)}{m.group(2)} = None"
    return None
