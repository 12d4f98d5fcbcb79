#!/usr/bin/env python
"""Real-world robustness sweep: run evalguard over every `*.py` file of a large tree, file by
file, and report what happened.

    python benchmarks/sweep.py                         # the real-world corpus + the installed torch
    python benchmarks/sweep.py --corpus DIR --no-torch --json out.json
    python benchmarks/sweep.py PATH [PATH ...]         # any trees (or files)

Default targets: the real-world corpus (`--corpus`, default $EVALGUARD_RW_CORPUS or
/work/rw/corpus; fetch it with `bash ../shared/tools/fetch_corpus.sh /work/rw/corpus`) and
the Python sources of the installed torch package (`--no-torch` leaves them out).

Every file goes to a worker process (`--jobs`, default: the CPUs) that calls
`evalguard.engine.check_file` directly, with a per-file wall-clock budget (`--timeout`):
a file over the budget is a *hang* (its worker is killed and replaced, the sweep goes on);
an exception out of `check_file` or a worker that dies (segfault, out of memory) is a
*crash*. Both must be 0. The report: files, lines, parse/read errors by cause, crashes,
hangs, findings per rule (and, with `--findings`, every finding), the slowest files (and those over the CLI's default
`--file-timeout`), peak memory (the largest worker's `ru_maxrss`, and the files during which a worker's peak grew
the most), total time and lines/s. `--json OUT` writes all of it.

Exit status: 0 when there were no crashes and no hangs, 1 otherwise, 2 on bad usage.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import re
import resource
import sys
import time
import traceback
from collections import Counter, defaultdict
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

DEFAULT_CORPUS = os.environ.get("EVALGUARD_RW_CORPUS", "/work/rw/corpus")
FETCH_HINT = "fetch it with:  bash ../shared/tools/fetch_corpus.sh /work/rw/corpus   (from the repository root)"
SKIP_DIRS = {".git", "__pycache__", ".hg", ".svn"}

#: (cause, pattern over the error reason), first match wins
CAUSES = [
    ("python 2 syntax", re.compile(r"Missing parentheses in call to '(print|exec)'|leading zeros in decimal")),
    ("syntax error", re.compile(r"^syntax error")),
    ("too deeply nested", re.compile(r"nested")),
    ("encoding", re.compile(r"not valid|encoding")),
    ("NUL byte", re.compile(r"NUL byte")),
    ("too large", re.compile(r"larger than")),
    ("evalguard time budget", re.compile(r"took longer than")),
    ("unreadable", re.compile(r"permission denied|no such file|cannot read|is a directory")),
    ("internal error", re.compile(r"^internal error")),
]


def cause_of(reason: str) -> str:
    for cause, pattern in CAUSES:
        if pattern.search(reason):
            return cause
    return "other"


# ---------------------------------------------------------------------------- the worker


def _worker(conn: Connection) -> None:
    """Receive (path, display) pairs; answer one dict per file; exit on None."""
    from evalguard.engine import check_file
    from evalguard.rules import all_rules

    rules = all_rules()
    while True:
        job = conn.recv()
        if job is None:
            return
        path, display = job
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out: dict[str, Any] = {"path": display}
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            out["bytes"] = len(data)
            out["lines"] = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            result = check_file(path, rules, display)
            out["error"] = result.error.reason if result.error else None
            out["diagnostics"] = [
                {"code": d.code, "line": d.line, "column": d.column, "severity": d.severity, "message": d.message}
                for d in result.diagnostics
            ]
            out["suppressed"] = len(result.suppressed)
        except BaseException as exc:  # a crash: check_file must never raise
            out["crash"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-8)}"
        out["seconds"] = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["maxrss_kb"] = after
        out["rss_growth_kb"] = after - before
        conn.send(out)


class Worker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.job: Optional[tuple[str, str]] = None
        self.started = 0.0

    def send(self, job: tuple[str, str]) -> None:
        self.job = job
        self.started = time.perf_counter()
        self.conn.send(job)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()


def sweep(files: list[tuple[str, str]], jobs: int, timeout: float, progress: bool) -> tuple[list[dict], int]:
    """Check every (path, display) file; returns the per-file records and the largest
    worker's peak RSS (KB) as the workers reported it (a killed worker cannot report)."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    todo = list(reversed(files))
    workers = [Worker(ctx) for _ in range(min(jobs, len(files)) or 1)]
    records: list[dict] = []
    peak_kb = 0
    done = 0
    try:
        for w in workers:
            if todo:
                w.send(todo.pop())
        while any(w.job for w in workers):
            busy = [w for w in workers if w.job]
            now = time.perf_counter()
            soonest = min(w.started + timeout for w in busy)
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], max(0.0, soonest - now))
            for i, w in enumerate(workers):
                if not w.job:
                    continue
                path, display = w.job
                record: Optional[dict] = None
                if w.conn in ready:
                    try:
                        record = w.conn.recv()
                        peak_kb = max(peak_kb, record.get("maxrss_kb", 0))
                    except (EOFError, OSError):
                        record = None
                    if record is None:
                        code = w.proc.exitcode
                        w.kill()
                        record = {"path": display, "crash": f"worker process died (exit code {code})",
                                  "seconds": time.perf_counter() - w.started}
                        workers[i] = w = Worker(ctx)
                elif w.proc.sentinel in ready or not w.proc.is_alive():
                    w.proc.join()
                    code = w.proc.exitcode
                    w.kill()
                    record = {"path": display, "crash": f"worker process died (exit code {code})",
                              "seconds": time.perf_counter() - w.started}
                    workers[i] = w = Worker(ctx)
                elif time.perf_counter() - w.started >= timeout:
                    w.kill()
                    record = {"path": display, "hang": True, "seconds": time.perf_counter() - w.started}
                    workers[i] = w = Worker(ctx)
                if record is None:
                    continue
                if "lines" not in record:
                    try:
                        data = Path(path).read_bytes()
                        record["bytes"] = len(data)
                        record["lines"] = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
                    except OSError:
                        record.setdefault("lines", 0)
                records.append(record)
                w.job = None
                done += 1
                if progress and done % 500 == 0:
                    print(f"  ... {done}/{len(files)} files", file=sys.stderr, flush=True)
                if todo:
                    w.send(todo.pop())
    finally:
        for w in workers:
            w.stop()
    return records, peak_kb


# ------------------------------------------------------------------------------ the report


def python_files(roots: list[Path]) -> list[tuple[str, str]]:
    """(path, display) for every *.py file under the roots (symlinked directories are not
    followed), sorted; display paths are relative to the root's parent."""
    out = []
    for root in roots:
        if root.is_file():
            out.append((str(root), root.name))
            continue
        base = root.parent
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(".py"):
                    full = os.path.join(dirpath, name)
                    if os.path.isfile(full):
                        out.append((full, os.path.relpath(full, base)))
    return out


def cli_budget() -> Optional[float]:
    """The CLI's default per-file budget (`--file-timeout`), if this evalguard has one."""
    try:
        from evalguard.runner import DEFAULT_FILE_BUDGET
    except ImportError:
        return None
    return DEFAULT_FILE_BUDGET


def summarize(label: str, records: list[dict], wall: float, peak_kb: int, jobs: int, timeout: float) -> dict:
    lines = sum(r.get("lines", 0) for r in records)
    errors = [r for r in records if r.get("error")]
    by_cause: dict[str, list[dict]] = defaultdict(list)
    for r in errors:
        by_cause[cause_of(r["error"])].append({"path": r["path"], "reason": r["error"]})
    findings = [dict(path=r["path"], **d) for r in records for d in r.get("diagnostics", [])]
    per_rule = Counter(f["code"] for f in findings)
    per_rule_files = {code: len({f["path"] for f in findings if f["code"] == code}) for code in per_rule}
    slowest = sorted(records, key=lambda r: -r.get("seconds", 0))[:10]
    memory = sorted(records, key=lambda r: -r.get("rss_growth_kb", 0))[:5]
    cpu = sum(r.get("seconds", 0) for r in records)
    budget = cli_budget()
    over_budget = [{"path": r["path"], "seconds": round(r["seconds"], 1)} for r in records
                   if budget and r.get("seconds", 0) > budget and not r.get("crash")]
    return {
        "target": label,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "jobs": jobs,
        "timeout_s": timeout,
        "files": len(records),
        "lines": lines,
        "bytes": sum(r.get("bytes", 0) for r in records),
        "errors": len(errors),
        "errors_by_cause": {cause: items for cause, items in sorted(by_cause.items())},
        "crashes": [{"path": r["path"], "detail": r["crash"]} for r in records if r.get("crash")],
        "hangs": [{"path": r["path"], "seconds": round(r["seconds"], 1)} for r in records if r.get("hang")],
        "cli_file_budget_s": budget,
        "over_cli_budget": over_budget,
        "findings": len(findings),
        "findings_per_rule": dict(sorted(per_rule.items())),
        "files_with_findings_per_rule": dict(sorted(per_rule_files.items())),
        "suppressed": sum(r.get("suppressed", 0) for r in records),
        "finding_list": sorted(findings, key=lambda f: (f["path"], f["line"], f["column"], f["code"])),
        "slowest": [{"path": r["path"], "seconds": round(r.get("seconds", 0), 3), "lines": r.get("lines", 0)}
                    for r in slowest],
        "largest_memory_growth": [{"path": r["path"], "rss_growth_mb": round(r.get("rss_growth_kb", 0) / 1024, 1),
                                   "lines": r.get("lines", 0)} for r in memory if r.get("rss_growth_kb")],
        "peak_worker_rss_mb": round(peak_kb / 1024, 1),
        "parent_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "wall_s": round(wall, 2),
        "cpu_s_in_check_file": round(cpu, 2),
        "lines_per_s": round(lines / wall) if wall else None,
        "lines_per_s_per_worker": round(lines / cpu) if cpu else None,
    }


def print_summary(s: dict, show_findings: bool) -> None:
    print(f"\n== {s['target']}")
    print(f"files {s['files']}   lines {s['lines']:,}   bytes {s['bytes']:,}   ({s['machine']}, {s['jobs']} workers, "
          f"{s['timeout_s']:g} s per-file budget)")
    print(f"errors (files evalguard could not check): {s['errors']}")
    for cause, items in s["errors_by_cause"].items():
        print(f"  {cause:<24} {len(items):>5}")
        for item in items[:3]:
            print(f"      {item['path']}: {item['reason'][:110]}")
        if len(items) > 3:
            print(f"      ... and {len(items) - 3} more")
    print(f"crashes: {len(s['crashes'])}")
    for c in s["crashes"]:
        print(f"  {c['path']}: {c['detail'].splitlines()[0]}")
    print(f"hangs (over {s['timeout_s']:g} s): {len(s['hangs'])}")
    for h in s["hangs"]:
        print(f"  {h['path']} ({h['seconds']} s)")
    if s["cli_file_budget_s"]:
        print(f"over the CLI's default per-file budget ({s['cli_file_budget_s']:g} s; `evalguard check` would report "
              f"them as errors): {len(s['over_cli_budget'])}")
        for h in s["over_cli_budget"]:
            print(f"  {h['path']} ({h['seconds']} s)")
    rules = ", ".join(f"{code} {n} ({s['files_with_findings_per_rule'][code]} files)"
                      for code, n in s["findings_per_rule"].items()) or "none"
    print(f"findings: {s['findings']}   per rule: {rules}   (+{s['suppressed']} suppressed)")
    if show_findings:
        for f in s["finding_list"]:
            print(f"  {f['path']}:{f['line']}:{f['column']}: {f['code']} [{f['severity']}] {f['message'][:160]}")
    print("slowest files:")
    for r in s["slowest"]:
        print(f"  {r['seconds']:>8.2f} s  {r['lines']:>7,} lines  {r['path']}")
    print(f"peak memory: largest worker {s['peak_worker_rss_mb']} MB (ru_maxrss), sweep process {s['parent_rss_mb']} MB")
    for r in s["largest_memory_growth"]:
        print(f"  +{r['rss_growth_mb']:>7.1f} MB  {r['lines']:>7,} lines  {r['path']}")
    print(f"time: {s['wall_s']} s wall, {s['cpu_s_in_check_file']} s in check_file; "
          f"{s['lines_per_s']:,} lines/s ({s['lines_per_s_per_worker']:,} lines/s per worker)")


def torch_dir() -> Optional[Path]:
    try:
        import importlib.util

        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, help="trees to sweep instead of the defaults")
    ap.add_argument("--corpus", type=Path, default=None, help=f"real-world corpus (default {DEFAULT_CORPUS})")
    ap.add_argument("--no-corpus", action="store_true", help="leave the real-world corpus out")
    ap.add_argument("--no-torch", action="store_true", help="leave the installed torch package out")
    ap.add_argument("--jobs", "-j", type=int, default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                    else (os.cpu_count() or 1))
    ap.add_argument("--timeout", type=float, default=60.0, help="per-file budget in seconds (default 60)")
    ap.add_argument("--findings", action="store_true", help="print every finding")
    ap.add_argument("--json", type=Path, help="write the numbers (and every finding and error) here")
    ap.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)

    targets: list[tuple[str, list[Path]]] = []
    if args.paths:
        missing = [p for p in args.paths if not p.exists()]
        if missing:
            ap.error(f"no such path: {missing[0]}")
        targets.append((" ".join(str(p) for p in args.paths), args.paths))
    else:
        if not args.no_corpus:
            corpus = args.corpus or Path(DEFAULT_CORPUS)
            if corpus.is_dir():
                targets.append((f"real-world corpus {corpus}", [corpus]))
            else:
                print(f"sweep: the real-world corpus is not at {corpus}; {FETCH_HINT}", file=sys.stderr)
                if args.corpus:
                    return 2
        if not args.no_torch:
            tdir = torch_dir()
            if tdir is None:
                print("sweep: torch is not installed here; leaving it out (--no-torch to silence)", file=sys.stderr)
            else:
                import importlib.metadata

                try:
                    version = importlib.metadata.version("torch")
                except importlib.metadata.PackageNotFoundError:
                    version = "?"
                targets.append((f"installed torch {version} ({tdir})", [tdir]))
    if not targets:
        print("sweep: nothing to sweep", file=sys.stderr)
        return 2

    summaries = []
    for label, roots in targets:
        files = python_files(roots)
        if not args.quiet:
            print(f"sweeping {label}: {len(files)} files, {args.jobs} workers ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        records, peak_kb = sweep(files, args.jobs, args.timeout, progress=not args.quiet)
        wall = time.perf_counter() - started
        summary = summarize(label, records, wall, peak_kb, args.jobs, args.timeout)
        print_summary(summary, args.findings)
        summaries.append(summary)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"version": 1, "sweeps": summaries}, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    bad = sum(len(s["crashes"]) + len(s["hangs"]) for s in summaries)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
