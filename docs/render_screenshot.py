#!/usr/bin/env python
"""Render the README's picture of `evalguard check` from the examples, so it stays true.

    python docs/render_screenshot.py          # writes docs/images/evalguard-check.svg
    python docs/render_screenshot.py --check  # exit 1 when the picture is out of date

It checks two of the buggy examples with the real rules and records what the text
reporter prints on a 100-column colour terminal (rich's `Console(record=True)`).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images" / "evalguard-check.svg"
EXAMPLES = ["examples/buggy/train_classifier.py", "examples/buggy/inference_script.py"]


def render() -> str:
    from rich.console import Console

    from evalguard.reporters import text
    from evalguard.rules import all_rules
    from evalguard.runner import run

    os.chdir(ROOT)
    report = run(EXAMPLES, list(all_rules()), jobs=1)
    console = Console(record=True, width=100, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print("$ evalguard check " + " ".join(EXAMPLES), style="bold")
    text.render(report, console)
    return console.export_svg(title="evalguard check")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    svg = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != svg:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python docs/render_screenshot.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(svg)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
