"""`--output-format json`: the stable schema of SPEC §4, exactly `Report.to_json()`."""
from __future__ import annotations

import json
from typing import TextIO

from evalguard.diagnostics import Report


def render(report: Report, stream: TextIO) -> None:
    json.dump(report.to_json(), stream, indent=2)
    stream.write("\n")
