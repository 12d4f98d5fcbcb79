"""`confirm()`: run a script under the tracer in a child process and mark its static
findings confirmed / not-observed / not-reached. Runs in the linter's process and never
imports torch (the child does)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from evalguard.diagnostics import Diagnostic, Related
from evalguard.dynamic import launch, matching
from evalguard.dynamic.errors import ConfirmError, TorchMissing, require_torch
from evalguard.dynamic.observed import Observed

DEVICES = ("cpu", "cuda")


@dataclass
class RunRecord:
    """How the script's run went. `exit_code` is the script's own status (`sys.exit(3)`
    gives 3, an uncaught exception 1) and None when it did not finish (killed at the time
    limit, or it ended the process itself)."""

    script: str
    args: list[str]
    exit_code: Optional[int]
    timed_out: bool
    duration_s: float
    timeout_s: float
    max_batches: int
    error: Optional[str]  # one line: the exception, the exit status, the time limit
    traceback: str  # the tail of the traceback, or where the script was when the time limit hit
    output_tail: str  # the last lines of the script's stdout and stderr
    forward_calls: int
    loaders_cut: int
    tracer_errors: list[str] = field(default_factory=list)  # evalguard's own failures while tracing

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def summary(self) -> str:
        cut = f", {self.loaders_cut} DataLoader loop(s) cut to {self.max_batches} batches" if self.loaders_cut else ""
        recorded = f"{self.forward_calls} forward call(s) recorded{cut}"
        if self.ok:
            return f"{self.script} ran to completion in {self.duration_s:.1f} s ({recorded})"
        return (f"{self.script} failed after {self.duration_s:.1f} s: {self.error} ({recorded} until then; "
                "the statuses use what was recorded)")

    def details(self) -> str:
        """The summary, then the traceback tail (or the output tail when there is none)."""
        parts = [self.summary()]
        if not self.ok:
            tail = self.traceback or self.output_tail
            if tail:
                parts.append(tail)
        if self.tracer_errors:
            parts.append("evalguard's tracer hit an internal error (the script was not affected; what it could not "
                         "record is missing from the statuses):")
            parts.extend(self.tracer_errors)
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "script": self.script, "args": self.args, "exit_code": self.exit_code, "timed_out": self.timed_out,
            "duration_s": round(self.duration_s, 3), "timeout_s": self.timeout_s, "max_batches": self.max_batches,
            "error": self.error, "traceback": self.traceback, "output_tail": self.output_tail,
            "forward_calls": self.forward_calls, "loaders_cut": self.loaders_cut, "tracer_errors": self.tracer_errors,
        }


@dataclass
class Outcome:
    """What the run said about one static finding (status None: nothing to observe)."""

    diagnostic: Diagnostic
    status: Optional[str]
    note: Optional[str] = None
    impact: Optional[dict[str, Any]] = None

    def to_json(self) -> dict[str, Any]:
        d = self.diagnostic
        return {"path": d.path, "line": d.line, "code": d.code, "status": self.status, "note": self.note,
                "impact": self.impact}


@dataclass
class ConfirmResult:
    run: RunRecord
    outcomes: list[Outcome] = field(default_factory=list)
    added: list[Diagnostic] = field(default_factory=list)  # EG101–EG104, status "confirmed"

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run.to_json(), "outcomes": [o.to_json() for o in self.outcomes],
                "added": [d.to_json() for d in self.added]}


def confirm(
    script: str,
    args: Sequence[str] = (),
    diagnostics: Sequence[Diagnostic] = (),
    *,
    max_batches: int = 2,
    timeout: float = 60.0,
    device: str = "cpu",
    cwd: Optional[str] = None,
) -> ConfirmResult:
    """Run `script` with `args` in a child process under the tracer and match the run
    against `diagnostics` (those whose path is not this script are left alone). Sets
    `status` on each matched diagnostic and appends a related note with the evidence;
    returns the run record and the runtime-only findings. Raises TorchMissing without
    torch, ConfirmError for arguments that cannot run."""
    if script.endswith(".ipynb"):
        raise ConfirmError(f"{script}: --confirm runs Python scripts; notebooks are not supported")
    if not os.path.isfile(script):
        raise ConfirmError(f"{script}: no such file")
    if max_batches < 1 or timeout <= 0:
        raise ConfirmError("--max-batches must be at least 1 and --timeout positive")
    if device not in DEVICES:
        raise ConfirmError(f"--device must be one of {', '.join(DEVICES)}, not {device!r}")
    require_torch()
    real = os.path.realpath(script)
    mine = [d for d in diagnostics if os.path.realpath(d.path) == real]
    config = {"script": real, "args": list(args), "max_batches": max_batches, "device": device,
              "impact": _impact_paths(mine)}
    child = launch.run_child(config, timeout=timeout, cwd=cwd, device=device)
    record = child.record or {}
    if record.get("fatal") == "torch":
        raise TorchMissing(record.get("detail", ""))
    if record.get("fatal") == "internal":
        raise ConfirmError(f"internal error in evalguard's tracer (not in the script):\n{record.get('detail', '')}")
    if record.get("fatal"):
        raise ConfirmError(record.get("detail", record["fatal"]))
    observed = Observed.parse(record)
    run = _run_record(script, list(args), child, record, observed, timeout, max_batches)
    verdicts = {id(d): matching.judge(d, real, observed) for d in mine}
    outcomes = [_apply(d, verdicts[id(d)], real, script) for d in mine]
    covered = matching.covered((d, verdicts[id(d)]) for d in mine)
    added = matching.runtime_findings(observed, lambda p: _show(p, real, script), covered)
    return ConfirmResult(run, outcomes, added)


def _impact_paths(diagnostics: Sequence[Diagnostic]) -> list[list[tuple[str, int]]]:
    """The call paths whose first training-mode forward gets an eval-mode replay: each
    EG001 forward line, and each EG003's inference forward with the calls leading to it."""
    paths: list[list[tuple[str, int]]] = []
    for d in diagnostics:
        if d.code == "EG001":
            paths += [[(os.path.realpath(d.path), line)] for line in range(d.line, d.end_line + 1)]
        elif d.code == "EG003" and d.related:
            paths.append(sorted(matching.path_places(d)))
    return paths


def _apply(d: Diagnostic, verdict: Optional[matching.Verdict], real: str, script: str) -> Outcome:
    """Set the finding's status and add the evidence as a related note."""
    if verdict is None:
        return Outcome(d, None)
    d.status = verdict.status
    if verdict.note and verdict.at:
        path, line, column = verdict.at
        d.related.append(Related(d.path if path == real else _show(path, real, script), line, column, verdict.note))
    measured = d.code in ("EG001", "EG003") and verdict.status == matching.CONFIRMED and verdict.evidence
    return Outcome(d, verdict.status, verdict.note, verdict.evidence[0].impact if measured else None)


def _show(path: str, real: str, script: str) -> str:
    """A file as the report shows it: the script as given, others relative when below the
    working directory."""
    if path == real:
        return script
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _run_record(script: str, args: list[str], child: launch.ChildResult, record: dict[str, Any],
                observed: Observed, timeout: float, max_batches: int) -> RunRecord:
    run = record.get("run", {})
    finished = bool(run.get("finished"))
    exit_code = run.get("exit_code") if finished else None
    if child.timed_out:
        error = f"timed out after {timeout:g} s (--timeout) and was stopped"
    elif run.get("error"):
        error = run["error"]
    elif finished and exit_code:
        error = f"exited with status {exit_code}"
    elif not finished:
        rc = child.returncode
        how = f"was killed by signal {-rc}" if rc is not None and rc < 0 else f"ended the process with status {rc}"
        error = f"{how} before the script finished"
    else:
        error = None
    return RunRecord(
        script=script, args=args, exit_code=exit_code, timed_out=child.timed_out, duration_s=child.duration_s,
        timeout_s=timeout, max_batches=max_batches, error=error,
        traceback=run.get("traceback") or run.get("where") or "", output_tail=child.output_tail,
        forward_calls=observed.forward_calls, loaders_cut=observed.loaders.get("cut", 0),
        tracer_errors=list(observed.internal_errors.get("first", [])),
    )
