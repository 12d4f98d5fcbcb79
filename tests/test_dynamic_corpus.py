"""Acceptance on the shared corpus: `--confirm` on every file of RUNNABLE.txt finishes,
confirms each labeled finding (they all execute), and confirms nothing else — no
unlabeled static finding, and runtime findings only where a labeled bug is.

The corpus lives outside this repository (`../shared`): skipped where it is absent."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("torch")

from evalguard.dynamic import confirm  # noqa: E402
from evalguard.engine import check_file  # noqa: E402
from evalguard.rules import all_rules  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
RUNNABLE = CORPUS / "RUNNABLE.txt"

pytestmark = pytest.mark.skipif(
    not RUNNABLE.exists() or not (CORPUS / "labels.jsonl").exists(),
    reason=f"the shared corpus with RUNNABLE.txt is not beside this checkout ({CORPUS})",
)


def _labels() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for text in (CORPUS / "labels.jsonl").read_text().splitlines():
        if text.strip():
            label = json.loads(text)
            out.setdefault(label["file"], []).append(label)
    return out


def _labeled(labels: list[dict], code: str, line: int) -> bool:
    return any(lab["rule"] == code and lab["lines"][0] <= line <= lab["lines"][1] for lab in labels)


def test_confirm_on_every_runnable_corpus_file() -> None:
    files = [f for f in RUNNABLE.read_text().split() if f]
    labels = _labels()
    static = {f: check_file(str(CORPUS / f), all_rules(), display_path=str(CORPUS / f)).diagnostics for f in files}

    def run(f: str):
        return confirm(str(CORPUS / f), [], static[f], timeout=120, cwd=str(CORPUS))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(files, pool.map(run, files)))

    problems = []
    for f, result in results.items():
        if not result.run.ok:
            problems.append(f"{f}: {result.run.details()}")
        mine = labels.get(f, [])
        for lab in mine:
            hits = [d for d in static[f] if _labeled([lab], d.code, d.line)]
            if not hits or any(d.status != "confirmed" for d in hits):
                problems.append(f"{f}: labeled {lab['rule']} at {lab['lines']} not confirmed: "
                                f"{[(d.code, d.line, d.status) for d in hits]}")
        for d in static[f]:
            if d.status == "confirmed" and not _labeled(mine, d.code, d.line):
                problems.append(f"{f}: unlabeled {d.code} at line {d.line} confirmed")
        for d in result.added:
            if not any(lab["lines"][0] <= d.line <= lab["lines"][1] for lab in mine):
                problems.append(f"{f}: runtime {d.code} at line {d.line} where no bug is labeled: {d.message}")
    assert not problems, "\n".join(problems)
