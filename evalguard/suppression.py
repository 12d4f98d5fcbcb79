"""Suppression comments (docs/suppression.md).

- `# noqa` (every finding), `# noqa: EG001` or `# noqa: EG001,EG002` (those codes only;
  codes of other tools, e.g. `# noqa: E501`, leave evalguard's findings alone);
- `# evalguard: ignore` (every finding) or `# evalguard: ignore[EG001, missing-no-grad]`
  (codes or rule names);

each on the reported line, or on the first or last line of the statement that contains
it (so a comment after the closing parenthesis of a call spread over several lines
works, as does one on the line the statement starts on); and

- `# evalguard: skip-file` on a line of its own, anywhere in the file (in a notebook: in
  any code cell): the file is not analysed at all.

Comments are found with Python's tokenizer, so a `# noqa` inside a string does not
count. That costs a tokenizer pass, so it is done only for files that have findings.
"""
from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Optional, Sequence

from evalguard.diagnostics import Diagnostic

SKIP_FILE = re.compile(r"^[ \t]*#[ \t]*evalguard[ \t]*:[ \t]*skip-file(?![\w-])", re.MULTILINE)
_NOQA = re.compile(
    r"#\s*noqa(?![\w-])(?:\s*:\s*(?P<codes>[A-Za-z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Za-z]+[0-9]+)*))?", re.IGNORECASE
)
_IGNORE = re.compile(r"#\s*evalguard\s*:\s*ignore(?![\w-])(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_SPLIT = re.compile(r"[\s,]+")

#: a directive: None silences every finding, else the codes (upper case) or rule names (lower case)
Directive = Optional[frozenset]


def skips_file(text: str) -> bool:
    """Whether `# evalguard: skip-file` stands on a line of its own somewhere in `text`."""
    return "evalguard" in text and SKIP_FILE.search(text) is not None


def directives_in(comment: str) -> list[Directive]:
    """The suppression directives in one comment (a comment may hold several, e.g.
    `# type: ignore  # noqa: EG001`)."""
    out: list[Directive] = []
    for m in _NOQA.finditer(comment):
        codes = m.group("codes")
        out.append(None if codes is None else frozenset(c.upper() for c in _SPLIT.split(codes) if c))
    for m in _IGNORE.finditer(comment):
        codes = m.group("codes")
        keys = [c for c in _SPLIT.split(codes or "") if c]
        out.append(frozenset(k.upper() if k[:1].isalpha() and k[-1:].isdigit() else k.lower() for k in keys) or None)
    return out


@dataclass
class Suppressions:
    """The directives of one file, by line, and its statements' line ranges."""

    by_line: dict[int, list[Directive]] = field(default_factory=dict)
    #: (first line, last line) of each logical line (statement or compound-statement header), in order
    statements: list[tuple[int, int]] = field(default_factory=list)

    def statement_of(self, line: int) -> Optional[tuple[int, int]]:
        i = bisect_right(self.statements, (line, float("inf"))) - 1
        if i >= 0 and self.statements[i][0] <= line <= self.statements[i][1]:
            return self.statements[i]
        return None

    def silences(self, d: Diagnostic) -> bool:
        lines = {d.line}
        stmt = self.statement_of(d.line)
        if stmt is not None:
            lines.update(stmt)
        for line in lines:
            for directive in self.by_line.get(line, ()):
                if directive is None or d.code.upper() in directive or d.name.lower() in directive:
                    return True
        return False


def scan(text: str) -> Suppressions:
    """The suppression comments of `text` (tokenizer-exact; a line-based approximation
    where the tokenizer gives up)."""
    found = Suppressions()
    if "#" not in text:
        return found
    try:
        start: Optional[int] = None
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tok.type
            if kind == tokenize.COMMENT:
                directives = directives_in(tok.string)
                if directives:
                    found.by_line.setdefault(tok.start[0], []).extend(directives)
            elif kind == tokenize.NEWLINE:
                if start is not None:
                    found.statements.append((start, tok.start[0]))
                start = None
            elif kind in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            elif start is None:
                start = tok.start[0]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        found = Suppressions()
        for number, line in enumerate(text.splitlines(), start=1):
            if "#" in line:
                directives = directives_in(line[line.index("#") :])
                if directives:
                    found.by_line[number] = directives
    return found


def split_suppressed(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(kept, suppressed) — the diagnostics of the file whose source is `text`."""
    if not diagnostics or ("noqa" not in text.lower() and "evalguard" not in text.lower()):
        return list(diagnostics), []
    found = scan(text)
    if not found.by_line:
        return list(diagnostics), []
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    for d in diagnostics:
        (suppressed if found.silences(d) else kept).append(d)
    return kept, suppressed
