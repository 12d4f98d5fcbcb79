"""Run the bootstrap in a child process — never in the linter's own — and always clean up.

The child leads a new session (process group), so that the time limit and the clean-up
reach everything the script started: SIGTERM to the group first (the child writes what it
recorded), SIGKILL after a grace period, and a final SIGKILL to the group when the child
has exited on its own, so no DataLoader worker or stray subprocess outlives the check.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Optional

#: seconds the child gets after SIGTERM to write its record before SIGKILL
GRACE_S = 5.0
OUTPUT_TAIL_LINES = 30
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


@dataclass
class ChildResult:
    returncode: Optional[int]
    timed_out: bool
    duration_s: float
    record: Optional[dict[str, Any]]
    output_tail: str


def run_child(config: dict[str, Any], *, timeout: float, cwd: Optional[str], device: str) -> ChildResult:
    """Run `python -m evalguard.dynamic.bootstrap` on `config` (the record path is added)."""
    with tempfile.TemporaryDirectory(prefix="evalguard-confirm-") as tmp:
        record_path = os.path.join(tmp, "record.json")
        config_path = os.path.join(tmp, "config.json")
        log_path = os.path.join(tmp, "output.log")
        with open(config_path, "w", encoding="utf-8") as fh:
            json.dump(dict(config, record=record_path), fh)
        timed_out = False
        with open(log_path, "wb") as log:
            start = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "evalguard.dynamic.bootstrap", config_path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=cwd, env=child_env(device), start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _stop(proc)
            except BaseException:  # Ctrl-C in the linter: take the script down with it
                _stop(proc)
                raise
            finally:
                _kill_group(proc.pid)
            duration = time.monotonic() - start
        return ChildResult(proc.returncode, timed_out, duration, _read_record(record_path), _tail(log_path))


def child_env(device: str) -> dict[str, str]:
    """The script's environment: evalguard importable, output unbuffered (so the tail is
    complete after a kill), plots never opening a window, GPUs hidden for `--device cpu`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["MPLBACKEND"] = "Agg"
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def _stop(proc: subprocess.Popen) -> None:
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()


def _kill_group(pgid: int) -> None:
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def _read_record(path: str) -> Optional[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _tail(path: str, max_bytes: int = 64 * 1024) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(fh.tell() - max_bytes, 0))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-OUTPUT_TAIL_LINES:])
