"""`--statistics`: the number of findings per rule instead of the findings (as ruff's
`--statistics`), most frequent first:

    EG001  12  missing-eval
    EG002   3  missing-no-grad

then the files that could not be checked, one `path: error: reason` line each. With
`--output-format json`: a list of `{"code", "name", "count"}` objects.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from evalguard.diagnostics import Report
from evalguard.reporters.concise import error_location


def rows(report: Report) -> list[dict[str, Any]]:
    counts = Counter((d.code, d.name) for d in report.diagnostics)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return [{"code": code, "name": name, "count": count} for (code, name), count in ordered]


def render(report: Report, stream: TextIO, *, as_json: bool = False) -> None:
    table = rows(report)
    if as_json:
        json.dump(table, stream, indent=2)
        stream.write("\n")
        return
    if table:
        code_width = max(len(r["code"]) for r in table)
        count_width = max(len(str(r["count"])) for r in table)
        for r in table:
            stream.write(f"{r['code'].ljust(code_width)}  {str(r['count']).rjust(count_width)}  {r['name']}\n")
    for e in report.errors:
        stream.write(f"{error_location(e)}: error: {e.reason}\n")
