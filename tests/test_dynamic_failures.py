"""A script that fails — raises, exits with a status, hangs past the time limit, even
ignores SIGTERM — gives a clear run record, its recorded data is still used, and no
process it started survives."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")

from evalguard.diagnostics import Diagnostic  # noqa: E402
from evalguard.dynamic import confirm, launch  # noqa: E402

PROLOGUE = """
import os
import signal
import subprocess
import sys
import time

import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5))
with torch.no_grad():
    model(torch.randn(4, 4))  # <forward>
"""

RAISES = PROLOGUE + """

def fail():
    raise RuntimeError("boom")  # <raise>


fail()
"""

EXITS = PROLOGUE + """
print("giving up")
sys.exit(3)
"""

HANGS = PROLOGUE + """
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(sys.argv[1], "w") as fh:
    fh.write(f"{os.getpid()} {helper.pid}")
while True:
    time.sleep(0.05)  # <hang>
"""

STUBBORN = PROLOGUE.replace("import torch\n", "import torch\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n") + """
with open(sys.argv[1], "w") as fh:
    fh.write(f"{os.getpid()}")
while True:
    time.sleep(0.05)
"""


def write(tmp_path: Path, source: str) -> str:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return str(path)


def line(path: str, marker: str) -> int:
    lines = Path(path).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# <{marker}>"))


def eg001_at_forward(path: str) -> Diagnostic:
    at = line(path, "forward")
    return Diagnostic(path, at, 5, at, 29, "EG001", "missing-eval", "error", "static EG001")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_script_that_raises(tmp_path: Path) -> None:
    path = write(tmp_path, RAISES)
    finding = eg001_at_forward(path)
    result = confirm(path, [], [finding], timeout=60)

    run = result.run
    assert (run.ok, run.exit_code, run.timed_out) == (False, 1, False)
    assert run.error == "RuntimeError: boom"
    assert f'{path}", line {line(path, "raise")}, in fail' in run.traceback
    assert "bootstrap" not in run.traceback and "runpy" not in run.traceback
    assert "RuntimeError: boom" in run.details() and "the statuses use what was recorded" in run.summary()
    assert finding.status == "confirmed"  # recorded before the failure, still used


def test_script_that_exits_with_a_status(tmp_path: Path) -> None:
    path = write(tmp_path, EXITS)
    finding = eg001_at_forward(path)
    result = confirm(path, [], [finding], timeout=60)

    assert (result.run.exit_code, result.run.timed_out, result.run.error) == (3, False, "exited with status 3")
    assert "giving up" in result.run.output_tail
    assert finding.status == "confirmed"


def test_script_that_hangs_is_stopped_with_everything_it_started(tmp_path: Path) -> None:
    path = write(tmp_path, HANGS)
    pids = tmp_path / "pids"
    finding = eg001_at_forward(path)
    result = confirm(path, [str(pids)], [finding], timeout=6)

    run = result.run
    assert run.timed_out and run.exit_code is None and not run.ok
    assert run.error.startswith("timed out after 6 s")
    assert f'line {line(path, "hang")}, in <module>' in run.traceback  # where it was when stopped
    assert finding.status == "confirmed"  # written on SIGTERM
    child, grandchild = map(int, pids.read_text().split())
    assert not alive(child) and not alive(grandchild)


def test_script_that_ignores_sigterm_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "GRACE_S", 1.0)
    path = write(tmp_path, STUBBORN)
    pids = tmp_path / "pids"
    finding = eg001_at_forward(path)
    result = confirm(path, [str(pids)], [finding], timeout=5)

    assert result.run.timed_out and result.run.exit_code is None
    assert finding.status == "confirmed"  # from the record written every second
    assert not alive(int(pids.read_text()))
