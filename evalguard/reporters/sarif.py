"""`--output-format sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run: `tool.driver` describes evalguard and every rule it was given (id, name, short
and full description, the rule's documentation as help, a link to its page, its default
level and tags); `results` holds one result per finding; `invocations` says the run
completed and lists the files that could not be checked as error notifications.

Choices worth knowing:

- Locations are relative URIs (forward slashes, percent-encoded) against `%SRCROOT%`,
  which `originalUriBaseIds` binds to the directory evalguard ran in; run it from the
  repository root, as code scanning expects. Paths outside that directory become
  absolute `file:` URIs.
- Columns count Unicode code points (`columnKind`), as evalguard's do; `endColumn` is
  exclusive in both.
- Message texts are SARIF plain text: related places are embedded links
  (`… (see [line 38](1): eval mode set here)`) to `relatedLocations` with those ids, which
  is how code scanning shows them; literal `\\`, `[` and `]` are backslash-escaped, as
  the format requires for messages that may hold links.
- `partialFingerprints` carries a hash of the rule, the path and the reported source line
  with its whitespace normalised (the message with its numbers masked when the line
  cannot be read), plus an occurrence count, so an alert survives edits that only move
  it.

Like every reporter, this module depends only on `evalguard.diagnostics`: rules are
taken duck-typed (`code`, `name`, `summary`, `docs`).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import tokenize
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, TextIO
from urllib.parse import quote, urljoin

from evalguard import __version__
from evalguard.diagnostics import ERROR, WARNING, Diagnostic, FileError, Related, Report

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "evalguard"
INFORMATION_URI = "https://github.com/evalguard/evalguard"
RULE_HELP_URI = INFORMATION_URI + "/blob/main/docs/rules/{code}.md"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "evalguard/v1"
DEFAULT_TAGS = ("correctness", "pytorch")
_LEVELS = {ERROR: "error", WARNING: "warning"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def render(report: Report, stream: TextIO, rules: Sequence[Any]) -> None:
    json.dump(to_sarif(report, rules), stream, indent=2)
    stream.write("\n")


def to_sarif(report: Report, rules: Sequence[Any], *, root: Optional[str] = None) -> dict[str, Any]:
    """The SARIF log as a dict. `root` is the directory relative paths are relative to
    (default: the current directory)."""
    root_dir = Path(root if root is not None else os.getcwd()).resolve()
    rules = list(rules)
    index = {rule.code: i for i, rule in enumerate(rules)}
    sources = _Sources(getattr(report, "sources", None) or {})
    results = [_result(d, index.get(d.code), root_dir, sources) for d in report.diagnostics]
    # findings silenced by `# noqa` / `# evalguard: ignore`, when the run kept them
    # (`--show-suppressed`): results with an in-source suppression, as SARIF has them
    for d in getattr(report, "suppressed", None) or []:
        result = _result(d, index.get(d.code), root_dir, sources)
        result["suppressions"] = [{"kind": "inSource"}]
        results.append(result)
    _number_fingerprints(results)
    notifications = [_notification(e, root_dir) for e in report.errors]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root_dir.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "invocations": [
                    {
                        # The run completed: files that could not be read or parsed are
                        # reported below and never abort it (SPEC §4).
                        "executionSuccessful": True,
                        "toolExecutionNotifications": notifications,
                    }
                ],
            }
        ],
    }


# rules


def rule_descriptor(rule: Any) -> dict[str, Any]:
    docs = getattr(rule, "docs", "") or ""
    summary = rule.summary
    tags = list(getattr(rule, "tags", None) or DEFAULT_TAGS)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full_description(docs) or summary},
        "help": {"text": docs or summary, "markdown": absolute_links(docs) or summary},
        "helpUri": RULE_HELP_URI.format(code=rule.code),
        "defaultConfiguration": {"level": default_level(rule)},
        "properties": {"tags": tags},
    }


def default_level(rule: Any) -> str:
    """The rule's declared default severity if it has one, else the first word of its
    documentation's `## Severity` section (`Error when …` / `Warning.`); EG001–EG005 are
    errors when the module provably has mode-sensitive layers, so their default is error."""
    for attr in ("default_severity", "severity"):
        value = getattr(rule, attr, None)
        if isinstance(value, str) and value.lower() in _LEVELS:
            return _LEVELS[value.lower()]
    section = _section(getattr(rule, "docs", "") or "", "Severity")
    first = re.match(r"\s*(\w+)", section or "")
    if first and first.group(1).lower() in _LEVELS:
        return _LEVELS[first.group(1).lower()]
    return "warning"


def full_description(docs: str) -> str:
    """The first paragraph of the docs' `## What it does` (with the list after it when it
    ends in a colon), unwrapped."""
    section = _section(docs, "What it does")
    if not section:
        return ""
    paragraphs = [p for p in section.strip().split("\n\n") if p.strip()]
    taken = paragraphs[:1]
    while taken and taken[-1].rstrip().endswith(":") and len(taken) < len(paragraphs):
        taken.append(paragraphs[len(taken)])
    return " ".join(" ".join(taken).split())


def absolute_links(markdown: str) -> str:
    """Relative links between rule pages (`[EG002](EG002.md)`) made absolute, so they work
    wherever the help is shown."""
    base = RULE_HELP_URI.rsplit("/", 1)[0] + "/"
    return re.sub(
        r"\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:|#|/)([^)\s]+)\)",
        lambda m: f"]({urljoin(base, m.group(1))})",
        markdown,
    )


def _section(docs: str, title: str) -> Optional[str]:
    match = re.search(rf"^##\s+{re.escape(title)}\s*$(.*?)(?=^##\s|\Z)", docs, re.M | re.S)
    return match.group(1) if match else None


# results


def _result(d: Diagnostic, rule_index: Optional[int], root: Path, sources: "_Sources") -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": d.code}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result["level"] = _LEVELS.get(d.severity, "warning")
    result["message"] = {"text": result_message(d)}
    result["locations"] = [{"physicalLocation": physical_location(d.path, root, region(d))}]
    if d.related:
        result["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": physical_location(r.path, root, _point(r.line, r.column)),
                "message": {"text": escape_message(r.message)},
            }
            for i, r in enumerate(d.related, start=1)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(d, sources)}
    properties: dict[str, Any] = {"name": d.name}
    for key, value in (
        ("status", d.status),
        ("cell", getattr(d, "cell", None)),
        ("cellLine", getattr(d, "cell_line", None)),
    ):
        if value is not None:
            properties[key] = value
    result["properties"] = properties
    return result


def result_message(d: Diagnostic) -> str:
    """The message as SARIF plain text, the notebook cell in front when there is one, and
    the related places after it as embedded links to `relatedLocations`."""
    text = escape_message(_in_cell(d, d.message))
    links = [_related_link(i, d.path, r) for i, r in enumerate(d.related, start=1)]
    return f"{text} (see {'; '.join(links)})" if links else text


def _in_cell(place: object, message: str) -> str:
    """`cell 3, line 2: message` for a place in a notebook (which has `cell`/`cell_line`)."""
    cell, cell_line = getattr(place, "cell", None), getattr(place, "cell_line", None)
    if cell is None:
        return message
    return f"cell {cell}" + (f", line {cell_line}" if cell_line is not None else "") + f": {message}"


def _related_link(i: int, path: str, r: Related) -> str:
    place = related_place(path, r)
    link = f"[{escape_message(place)}]({i})"
    return f"{link}: {escape_message(r.message)}" if r.message else link


def related_place(path: str, r: Related) -> str:
    """`line 38`, `cell 2, line 3` in a notebook, or `other.py:38` in another file."""
    cell, cell_line = getattr(r, "cell", None), getattr(r, "cell_line", None)
    where = f"cell {cell}, line {cell_line}" if cell is not None and cell_line is not None else f"line {r.line}"
    return where if r.path == path else f"{r.path.replace(os.sep, '/')}:{where.removeprefix('line ')}"


def escape_message(text: str) -> str:
    """SARIF plain-text messages may embed links `[text](id)`; literal `\\`, `[` and `]`
    are escaped with a backslash."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def region(d: Diagnostic) -> dict[str, int]:
    start_line = max(d.line, 1)
    start_column = max(d.column, 1)
    end_line = max(d.end_line, start_line)
    end_column = max(d.end_column, start_column if end_line == start_line else 1)
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _point(line: Optional[int], column: Optional[int]) -> Optional[dict[str, int]]:
    if line is None or line < 1:
        return None
    out = {"startLine": line}
    if column is not None and column >= 1:
        out["startColumn"] = column
    return out


def physical_location(path: str, root: Path, region: Optional[dict[str, int]]) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": artifact_location(path, root)}
    if region:
        location["region"] = region
    return location


def artifact_location(path: str, root: Path) -> dict[str, str]:
    """A relative URI against %SRCROOT% for a path inside the run's directory, else an
    absolute `file:` URI."""
    native = Path(path)
    if native.is_absolute():
        try:
            path = native.resolve().relative_to(root).as_posix()
        except ValueError:
            return {"uri": native.resolve().as_uri()}
    posix = posixpath.normpath(path.replace(os.sep, "/"))
    if posix == ".." or posix.startswith("../"):
        return {"uri": (root / posix).resolve().as_uri()}
    return {"uri": quote(posix, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


# fingerprints


def fingerprint(d: Diagnostic, sources: "_Sources") -> str:
    line = sources.line(d)
    if line is not None and line.strip():
        anchor = " ".join(line.split())
    else:  # the message, without the line numbers it mentions
        anchor = "message:" + re.sub(r"\d+", "#", d.message)
    key = "\0".join((d.code, d.path.replace(os.sep, "/"), anchor))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _number_fingerprints(results: Iterable[dict[str, Any]]) -> None:
    """`hash:N`, N counting results with the same hash, so two identical findings on two
    identical lines stay two alerts."""
    seen: dict[str, int] = {}
    for result in results:
        prints = result["partialFingerprints"]
        value = prints[FINGERPRINT_KEY]
        seen[value] = seen.get(value, 0) + 1
        prints[FINGERPRINT_KEY] = f"{value}:{seen[value]}"


class _Sources:
    """The reported source lines, each file read once; None where unreadable."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts  # inputs that are not files on disk (stdin), by display path
        self._files: dict[str, Optional[list[str]]] = {}
        self._notebooks: dict[str, Optional[list[list[str]]]] = {}

    def line(self, d: Diagnostic) -> Optional[str]:
        cell, cell_line = getattr(d, "cell", None), getattr(d, "cell_line", None)
        if d.path.endswith(".ipynb"):
            if cell is None or cell_line is None:
                return None
            if d.path not in self._notebooks:
                self._notebooks[d.path] = _notebook_cells(d.path)
            cells = self._notebooks[d.path]
            return _nth(_nth(cells, cell), cell_line) if cells is not None else None
        if d.path not in self._files:
            text = self._texts.get(d.path)
            self._files[d.path] = _LINE_BREAK.split(text) if text is not None else _read_lines(d.path)
        return _nth(self._files[d.path], d.line)


def _nth(items: Optional[list[Any]], n: Optional[int]) -> Any:
    if items is None or n is None or not 1 <= n <= len(items):
        return None
    return items[n - 1]


def _read_lines(path: str) -> Optional[list[str]]:
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError):
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = data.decode("utf-8", errors="replace")
    return _LINE_BREAK.split(text.removeprefix("\ufeff"))


def _notebook_cells(path: str) -> Optional[list[list[str]]]:
    """The lines of each code cell of a notebook, in order."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else str(c["source"]) for c in cells]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    return [_LINE_BREAK.split(s) for s in sources]


# file errors


def _notification(e: FileError, root: Path) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": escape_message(_in_cell(e, f"cannot check {e.path}: {e.reason}"))},
        "locations": [{"physicalLocation": physical_location(e.path, root, _point(e.line, e.column))}],
    }
