"""`--fix` / `--diff`: apply the rules' fixes to a file until nothing fixable is left.

Each round re-parses and re-analyzes the text, applies every applicable fix of that
round at once (identical edits merge; overlapping ones leave the file untouched and are
reported), and re-parses the result before going on. Nothing is written that has not
been re-parsed; a file is written atomically (temporary file, then rename), keeping its
encoding and line endings.
"""
from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from typing import Optional, Sequence

from evalguard.analysis import analyze_module
from evalguard.engine import SourceError, decode_source, parse_source, read_source
from evalguard.fixes import SAFE, ConflictError, TextEdit, apply_edits, resolve
from evalguard.rules import Rule

MAX_ROUNDS = 24
#: one rule's fixes per round, root causes first: fixing a bare `model.eval` (EG006) or a
#: stray `.train()` (EG003) removes the consequences another rule would otherwise patch
PRIORITY = ("EG006", "EG008", "EG007", "EG003", "EG004", "EG005", "EG001", "EG002")


@dataclass
class FixResult:
    path: str
    original: str
    fixed: Optional[str] = None  # None: nothing to change (or a problem stopped it)
    applied: int = 0
    problem: Optional[str] = None
    by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.fixed is not None and self.fixed != self.original

    def diff(self) -> str:
        if not self.changed:
            return ""
        return "".join(difflib.unified_diff(
            self.original.splitlines(keepends=True), self.fixed.splitlines(keepends=True),
            fromfile=f"a/{self.path}", tofile=f"b/{self.path}",
        ))


def fix_text(text: str, path: str, rules: Sequence[Rule], unsafe: bool = False) -> FixResult:
    """The fixed text of `text` (never raises for bad input: `problem` says why)."""
    result = FixResult(path, text)
    current = text
    try:
        for _ in range(MAX_ROUNDS):
            module = parse_source(current)
            analysis = analyze_module(module, path)
            groups: list[tuple[str, frozenset[TextEdit]]] = []  # one rule's fixes, one group per finding
            lines = current.split("\n")
            for rule in sorted(rules, key=_priority):
                if groups:
                    break  # one rule per round
                for finding in rule.check(analysis):
                    fix = finding.fix
                    if fix is None or (fix.applicability != SAFE and not unsafe):
                        continue
                    resolved = resolve(fix, analysis.position, lines)
                    if resolved is not None:
                        groups.append((rule.code, frozenset(TextEdit.from_json(e) for e in resolved["edits"])))
            if not groups:
                break
            new, applied = _apply_round(current, groups)
            if new == current:
                break
            current = new
            result.applied += len(applied)
            for code in applied:
                result.by_rule[code] = result.by_rule.get(code, 0) + 1
        else:
            result.problem = f"fixes did not settle after {MAX_ROUNDS} rounds; file left unchanged"
            return result
    except ConflictError as exc:
        result.problem = f"fixes conflict ({exc}); file left unchanged"
        return result
    except SourceError as exc:
        result.problem = f"cannot fix: {exc.reason}"
        return result
    result.fixed = current
    return result


def _apply_round(text: str, groups: list[tuple[str, frozenset[TextEdit]]]) -> tuple[str, list[str]]:
    """Apply all of a round's fixes at once; if the result does not parse (two fixes
    that are fine alone but not together, e.g. deleting both statements of a block),
    apply the first fix alone and leave the rest to the next round."""
    edits = sorted(set().union(*(edits for _, edits in groups)))
    new = apply_edits(text, edits)
    try:
        parse_source(new)
        return new, [code for code, _ in groups]
    except SourceError:
        if len(groups) == 1:
            raise
    code, first = groups[0]
    new = apply_edits(text, sorted(first))
    parse_source(new)  # never keep text that does not parse
    return new, [code]


def _priority(rule: Rule) -> int:
    return PRIORITY.index(rule.code) if rule.code in PRIORITY else len(PRIORITY)


def fix_file(path: str, rules: Sequence[Rule], unsafe: bool = False, write: bool = True,
             display: Optional[str] = None) -> FixResult:
    """Fix one file on disk; with `write`, replace it atomically when it changed."""
    shown = display or path
    try:
        data = read_source(path)
        text = decode_source(data)
    except SourceError as exc:
        return FixResult(shown, "", problem=exc.reason)
    result = fix_text(text, shown, rules, unsafe)
    if write and result.changed:
        encoding = _encoding_of(data)
        write_atomically(path, result.fixed.encode(encoding), bom=data.startswith(b"\xef\xbb\xbf"))
    return result


def _encoding_of(data: bytes) -> str:
    import io
    import tokenize

    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:
        return "utf-8"


def write_atomically(path: str, data: bytes, bom: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename over it (keeping its mode)."""
    if bom and not data.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".evalguard-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_BOUNDARY = "# evalguard: cell boundary {}"


def fix_notebook_text(data: bytes | str, path: str, rules: Sequence[Rule], unsafe: bool = False
                      ) -> tuple[FixResult, Optional[str]]:
    """Fix a notebook's code cells (analysed together, in order, as the kernel runs them)
    and write each changed cell back in place; outputs, metadata and other cells stay as
    they are. Returns the result (its texts are the code cells, for the diff) and the new
    notebook JSON (None when nothing changed)."""
    import json

    from evalguard import notebook as nb

    try:
        parsed = nb.read_notebook(data)
        doc = json.loads(data)
    except (nb.NotebookError, ValueError) as exc:
        return FixResult(path, "", problem=str(exc)), None
    if not parsed.is_python:
        return FixResult(path, ""), None
    # cells joined with a comment line between them, so the fixed text splits back into cells
    joined = "".join(_BOUNDARY.format(c.index) + "\n" + "".join(f"{x}\n" for x in nb.neutralise(c.lines))
                     for c in parsed.cells)
    result = fix_text(joined, path, rules, unsafe)
    original_code = "".join(f"{x}\n" for x in parsed.original_lines)
    if not result.changed:
        return FixResult(path, original_code, problem=result.problem), None
    pieces = result.fixed.split("\n")
    new_cells: list[list[str]] = []
    for line in pieces:
        if line.startswith("# evalguard: cell boundary "):
            new_cells.append([])
        elif new_cells:
            new_cells[-1].append(line)
    if len(new_cells) != len(parsed.cells):
        return FixResult(path, original_code, problem="a fix crossed a cell boundary; notebook left unchanged"), None
    code_cells = [c for c in _doc_cells(doc) if isinstance(c, dict) and c.get("cell_type") == "code"]
    fixed_code: list[str] = []
    for cell, raw, new in zip(parsed.cells, code_cells, new_cells):
        if new and new[-1] == "":
            new.pop()
        restored = _restore_ipython(cell.lines, nb.neutralise(cell.lines), new)
        fixed_code.extend(restored)
        if restored != cell.lines:
            key = "source" if "source" in raw else "input"
            text = "\n".join(restored)
            # nbformat's list form: every line but the last keeps its newline
            raw[key] = text.splitlines(keepends=True) if isinstance(raw[key], list) else text
    fixed = FixResult(path, original_code, "".join(f"{x}\n" for x in fixed_code), result.applied, None, result.by_rule)
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    indent = _json_indent(text)
    return fixed, json.dumps(doc, indent=indent, ensure_ascii=False) + ("\n" if text.endswith("\n") else "")


def _doc_cells(doc: dict) -> list:
    if "cells" in doc:
        return doc["cells"]
    return [c for sheet in doc.get("worksheets", []) for c in sheet.get("cells", [])]


def _restore_ipython(original: list[str], neutralised: list[str], fixed: list[str]) -> list[str]:
    """The fixed cell with its magics and shell escapes back: lines the fixes left alone
    come from the cell as written."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=neutralised, b=fixed, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        out.extend(original[a0:a1] if op == "equal" else fixed[b0:b1])
    return out


def _json_indent(text: str) -> int:
    for line in text.splitlines()[1:3]:
        stripped = line.lstrip(" ")
        if stripped and len(line) != len(stripped):
            return len(line) - len(stripped)
    return 1


def fix_notebook_file(path: str, rules: Sequence[Rule], unsafe: bool = False, write: bool = True,
                      display: Optional[str] = None) -> FixResult:
    shown = display or path
    try:
        data = read_source(path, 64 * 1024 * 1024)
    except SourceError as exc:
        return FixResult(shown, "", problem=exc.reason)
    result, new_doc = fix_notebook_text(data, shown, rules, unsafe)
    if write and new_doc is not None:
        write_atomically(path, new_doc.encode("utf-8"))
    return result
