"""`evalguard check --confirm` and `evalguard probe` on the command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

SCRIPT = """\
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))
x = torch.randn(16, 4)
with torch.no_grad():
    preds = model(x).argmax(1)
print(preds.tolist())
"""


def evalguard(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalguard", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_confirm_marks_the_finding_confirmed_in_json(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text(SCRIPT)
    proc = evalguard("check", "s.py", "--confirm", "--no-cache", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    diags = json.loads(proc.stdout)["diagnostics"]
    assert [(d["code"], d["line"], d["status"]) for d in diags] == [("EG001", 7, "confirmed")]


def test_script_arguments_after_double_dash_reach_the_script(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text("import sys\nimport torch\nassert sys.argv[1:] == ['--epochs', '1'], sys.argv\n")
    proc = evalguard("check", "s.py", "--confirm", "--no-cache", "--", "--epochs", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_failing_script_is_reported(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text(SCRIPT + "raise SystemExit(3)\n")
    proc = evalguard("check", "s.py", "--confirm", "--no-cache", "--output-format", "concise", cwd=tmp_path)
    assert "[confirmed]" in proc.stdout
    assert "3" in proc.stderr


def test_confirm_needs_one_script(tmp_path: Path) -> None:
    proc = evalguard("check", ".", "--confirm", cwd=tmp_path)
    assert proc.returncode == 2 and "one script" in proc.stderr


def test_probe_a_factory_as_json(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.2))\n")
    proc = evalguard("probe", "models.py:build", "--input-shape", "8,4", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data


def test_rules_lists_the_runtime_rules(tmp_path: Path) -> None:
    proc = evalguard("rules", "--output-format", "json", cwd=tmp_path)
    codes = [r["code"] for r in json.loads(proc.stdout)]
    assert codes[-4:] == ["EG101", "EG102", "EG103", "EG104"]
    assert "EG101" in evalguard("rule", "EG101", cwd=tmp_path).stdout
