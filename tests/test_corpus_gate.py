"""The accuracy gate on the shared labeled corpus (SPEC §6, issue 2 acceptance).

A ratchet: the floors below are the levels reached, never to be lowered. The corpus
lives outside this repository (`../shared`), so the test skips where it is absent.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
SCORER = SHARED / "tools" / "score.py"

# per-rule floors reached so far (precision, recall); the SPEC asks for >= 0.95 / 0.90
FLOORS = {f"EG00{i}": (1.0, 1.0) for i in range(1, 9)}

pytestmark = pytest.mark.skipif(
    not (CORPUS / "labels.jsonl").exists() or not SCORER.exists(),
    reason="the shared labeled corpus (../shared/corpus) is not beside this checkout",
)


def _scores() -> dict:
    sys.path.insert(0, str(SCORER.parent))
    try:
        import score  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    proc = subprocess.run(
        [sys.executable, "-m", "evalguard", "check", "--output-format", "json", "."],
        cwd=CORPUS, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    labels = score.load_labels(CORPUS)
    return {"report": report, "stats": score.score(labels, report, list(FLOORS))}


@pytest.fixture(scope="module")
def scored() -> dict:
    return _scores()


def test_no_corpus_file_is_an_error(scored: dict) -> None:
    assert scored["report"]["errors"] == []


@pytest.mark.parametrize("rule", sorted(FLOORS))
def test_rule_meets_its_floor(scored: dict, rule: str) -> None:
    s = scored["stats"][rule]
    precision = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
    recall = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
    floor_p, floor_r = FLOORS[rule]
    assert precision >= floor_p, f"{rule} precision {precision:.3f} < {floor_p}: {s['fp_items']}"
    assert recall >= floor_r, f"{rule} recall {recall:.3f} < {floor_r}: {s['fn_items']}"
