"""Baselines (docs/baseline.md): record today's findings, later report only new ones.

A finding is identified by its *fingerprint*, never by its line number, so that edits
elsewhere in the file (which move it up or down) do not make it new:

- `code` — the rule;
- `path` — relative to the baseline file's directory (so the baseline works whatever
  directory evalguard is run from), with forward slashes;
- `source` — the text of the reported line, whitespace-normalised (runs of spaces
  collapsed, ends stripped);
- `scope` — the headers of the enclosing `def`s and `class`es, outermost first, joined
  with ` > ` (`class Trainer: > def validate(self, loader):`; empty at module level),
  which tells apart the same line in two functions.

Fingerprints are counted (a multiset): a baseline that holds two `out = model(x)` in
`validate` hides two such findings there, and a third one is new. Editing the reported
line itself, or renaming its function, makes the finding new: that is the point at which
the finding deserves another look.

The file is JSON: `{"version": 1, "tool": "evalguard", "findings": [{path, code, name,
line, source, scope}, ...]}`; `name` and `line` are informational (they help a reviewer
and are not used for matching).
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from evalguard.diagnostics import Diagnostic
from evalguard.sources import SourceLines

BASELINE_VERSION = 1
_HEADER = re.compile(r"^([ \t]*)(?:async[ \t]+def|def|class)[ \t]+\w")


class BaselineError(Exception):
    """The baseline file cannot be used; the message says why."""


@dataclass(frozen=True)
class Fingerprint:
    code: str
    path: str
    source: str
    scope: str


def normalize(text: str) -> str:
    return " ".join(text.split())


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def scope_of(lines: list[str], line: int) -> str:
    """The enclosing `def`/`class` headers of 1-based `line`, outermost first."""
    if not 1 <= line <= len(lines):
        return ""
    level = _indent(lines[line - 1])
    headers: list[str] = []
    for i in range(line - 2, -1, -1):
        if level == 0:
            break
        text = lines[i]
        if not text.strip():
            continue
        m = _HEADER.match(text)
        if m and _indent(text) < level:
            headers.append(normalize(text))
            level = _indent(text)
    return " > ".join(reversed(headers))


def relative_path(path: str, base_dir: str) -> str:
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, base_dir)
    except ValueError:  # another drive (Windows)
        rel = absolute
    return rel.replace(os.sep, "/")


def fingerprint(d: Diagnostic, lines: Optional[list[str]], base_dir: str) -> Fingerprint:
    source = normalize(lines[d.line - 1]) if lines and 1 <= d.line <= len(lines) else ""
    scope = scope_of(lines, d.line) if lines else ""
    return Fingerprint(d.code, relative_path(d.path, base_dir), source, scope)


def write_baseline(path: str, diagnostics: Iterable[Diagnostic], sources: SourceLines) -> int:
    """Write the baseline file; returns the number of findings recorded."""
    base_dir = os.path.dirname(os.path.abspath(path))
    entries: list[dict[str, Any]] = []
    for d in diagnostics:
        fp = fingerprint(d, sources.get(d.path), base_dir)
        entries.append(
            {"path": fp.path, "code": fp.code, "name": d.name, "line": d.line, "source": fp.source, "scope": fp.scope}
        )
    entries.sort(key=lambda e: (e["path"], e["line"], e["code"], e["source"]))
    doc = {"version": BASELINE_VERSION, "tool": "evalguard", "findings": entries}
    try:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(doc, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    except OSError as exc:
        raise BaselineError(f"cannot write the baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def load_baseline(path: str) -> Counter[Fingerprint]:
    """The fingerprints recorded in a baseline file, counted."""
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read())
    except FileNotFoundError:
        raise BaselineError(f"baseline file {path} not found (create it with --write-baseline {path})") from None
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or "findings" not in doc or "version" not in doc:
        raise BaselineError(f"baseline {path} is not an evalguard baseline (expected an object with `version` and `findings`)")
    if doc["version"] != BASELINE_VERSION:
        raise BaselineError(
            f"baseline {path} has version {doc['version']!r}; this evalguard reads version {BASELINE_VERSION}"
        )
    findings = doc["findings"]
    if not isinstance(findings, list):
        raise BaselineError(f"baseline {path}: `findings` must be a list")
    counted: Counter[Fingerprint] = Counter()
    for i, entry in enumerate(findings):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("path", "code", "source")):
            raise BaselineError(f"baseline {path}: finding {i + 1} needs string `path`, `code` and `source`")
        scope = entry.get("scope", "")
        if not isinstance(scope, str):
            raise BaselineError(f"baseline {path}: finding {i + 1}: `scope` must be a string")
        counted[Fingerprint(entry["code"], entry["path"], normalize(entry["source"]), scope)] += 1
    return counted


def filter_new(
    diagnostics: list[Diagnostic], baseline: Counter[Fingerprint], baseline_path: str, sources: SourceLines
) -> tuple[list[Diagnostic], int]:
    """(the diagnostics the baseline does not hold, how many it held)."""
    base_dir = os.path.dirname(os.path.abspath(baseline_path))
    remaining = Counter(baseline)
    new: list[Diagnostic] = []
    hidden = 0
    for d in diagnostics:
        fp = fingerprint(d, sources.get(d.path), base_dir)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            hidden += 1
        else:
            new.append(d)
    return new, hidden
