"""Rule fixtures: every `tests/fixtures/**/*.py` is checked with all rules, in process.

Each fixture states what it expects as trailing comments on the reported line:

    logits = model(x)  # expect: EG001
    preds = model(x)   # expect: EG001, EG002

The set of `(line, code)` findings must equal the set of expectations exactly; a
fixture without any `# expect:` comment must produce no finding at all. Fixtures are
never executed (they only need to parse), so they may import torch & co. freely.

A fixture whose expectation is right but which the analyzer gets wrong is marked with a
comment line `# xfail: <reason>` in its leading comment block; it then runs as a strict
xfail, so it turns into a failure as soon as the analyzer is fixed.
"""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from evalguard.engine import check_source
from evalguard.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures"

_EXPECT_RE = re.compile(r"#\s*expect:\s*(EG\d{3}(?:\s*,\s*EG\d{3})*)")
_XFAIL_RE = re.compile(r"^#\s*xfail:\s*(.+?)\s*$")


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.rglob("*.py"))


def _expectations(text: str) -> set[tuple[int, str]]:
    """`(line, code)` pairs from `# expect:` comments (real comments only, found with
    the tokenizer, so `# expect:` inside a string does not count)."""
    expected: set[tuple[int, str]] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type != tokenize.COMMENT:
            continue
        m = _EXPECT_RE.search(tok.string)
        if m:
            for code in m.group(1).split(","):
                expected.add((tok.start[0], code.strip()))
    return expected


def _xfail_reason(text: str) -> str | None:
    """The reason of a `# xfail:` line in the leading block of comments/blank lines."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return None
        m = _XFAIL_RE.match(stripped)
        if m:
            return m.group(1)
    return None


def _params():
    params = []
    for path in _fixture_files():
        rel = path.relative_to(FIXTURES).as_posix()
        reason = _xfail_reason(path.read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=rel, marks=marks))
    return params


def test_fixtures_exist():
    assert _fixture_files(), f"no fixtures under {FIXTURES}"


def test_fixture_names_not_collected_by_pytest():
    """pytest would import a fixture named `test_*.py`, `*_test.py` or `conftest.py`
    as a test module (and fail the whole run on `import torch`)."""
    bad = [
        p.relative_to(FIXTURES).as_posix()
        for p in _fixture_files()
        if p.name.startswith("test_") or p.name.endswith("_test.py") or p.name == "conftest.py"
    ]
    assert not bad, f"rename these fixtures, pytest collects them as tests: {bad}"


@pytest.mark.parametrize("path", _params())
def test_fixture(path: Path):
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(FIXTURES).as_posix()
    known = {rule.code for rule in all_rules()}
    expected = _expectations(text)
    unknown = sorted({code for _, code in expected if code not in known})
    assert not unknown, f"{rel}: `# expect:` names unknown rule code(s) {unknown}"

    result = check_source(text, rel, all_rules())
    assert result.error is None, f"{rel}: could not be checked: {result.error}"

    found: dict[tuple[int, str], list[str]] = {}
    for d in result.diagnostics:
        found.setdefault((d.line, d.code), []).append(f"col {d.column}: {d.message}")
    actual = set(found)
    if actual == expected:
        return

    lines = text.splitlines()

    def src(line: int) -> str:
        return lines[line - 1].strip() if 0 < line <= len(lines) else "?"

    report = [f"{rel}: findings differ from the `# expect:` comments"]
    missing = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    if missing:
        report.append("  missing (expected, not reported):")
        report += [f"    line {line} {code}: {src(line)}" for line, code in missing]
    if unexpected:
        report.append("  unexpected (reported, not expected):")
        for line, code in unexpected:
            report.append(f"    line {line} {code}: {src(line)}")
            report += [f"      {msg}" for msg in found[(line, code)]]
    pytest.fail("\n".join(report), pytrace=False)
