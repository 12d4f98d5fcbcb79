"""The examples are a contract: every buggy script states the findings it must produce
(`# expect: EG001 line 49`), and its fixed twin must produce none."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalguard.engine import check_file
from evalguard.rules import all_rules

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BUGGY = sorted((EXAMPLES / "buggy").glob("*.py"))
EXPECT = re.compile(r"#\s*expect:\s*(EG\d{3})\s+line\s+(\d+)")


def test_there_are_examples_for_every_static_rule() -> None:
    codes = {m.group(1) for path in BUGGY for m in EXPECT.finditer(path.read_text())}
    assert codes == {rule.code for rule in all_rules() if rule.code.startswith("EG0")}


@pytest.mark.parametrize("path", BUGGY, ids=lambda p: p.name)
def test_buggy_example_gives_exactly_its_expected_findings(path: Path) -> None:
    expected = {(m.group(1), int(m.group(2))) for m in EXPECT.finditer(path.read_text())}
    result = check_file(str(path), all_rules())
    assert result.error is None
    assert {(d.code, d.line) for d in result.diagnostics} == expected


@pytest.mark.parametrize("path", BUGGY, ids=lambda p: p.name)
def test_fixed_twin_is_clean(path: Path) -> None:
    twin = EXAMPLES / "fixed" / path.name
    result = check_file(str(twin), all_rules())
    assert result.error is None
    assert result.diagnostics == [], [(d.code, d.line, d.message) for d in result.diagnostics]


def test_rendered_rule_docs_are_up_to_date() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "docs" / "render_rules.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_picture_is_up_to_date() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "docs" / "render_screenshot.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
