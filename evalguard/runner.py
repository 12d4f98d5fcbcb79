"""Check many files, in parallel, into one deterministic `Report`.

Workers receive rule *codes*, not rule objects: codes pickle trivially and each worker
builds its own rules from the registry. (This module imports the engine, and so libcst,
before any pool starts, so that forked workers start with it loaded.) Nothing a single file does may cost the others
their results: an exception in a worker becomes an "internal error" for that file, and
a worker process that dies outright (which breaks the whole pool) is handled by
re-checking the files it took down on fresh pools, so only the culprit is lost.
"""
from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Sequence

from evalguard.diagnostics import FileError, FileResult, Report
from evalguard.discovery import SourceFile, discover
from evalguard.engine import check_file
from evalguard.rules import Rule, get_rule


def default_jobs() -> int:
    """The CPUs this process may run on (not merely the CPUs the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(paths: Sequence[str], rules: Sequence[Rule], jobs: int | None = None) -> Report:
    """Discover the files under `paths` and check them with `rules` on `jobs` processes."""
    found = discover(paths)
    codes = tuple(rule.code for rule in rules)
    results = check_files(found.files, codes, jobs or default_jobs())
    report = Report()
    for result in results:
        report.add(result)
    report.errors.extend(found.errors)  # paths that were never files: not counted as checked
    report.sort()
    return report


def check_files(files: Sequence[SourceFile], codes: tuple[str, ...], jobs: int) -> list[FileResult]:
    """One result per file, in the order of `files`."""
    if jobs <= 1 or len(files) <= 1:
        return [check_one(f.path, f.display, codes) for f in files]
    workers = min(jobs, len(files))
    results: dict[int, FileResult] = {}
    lost = _pool_pass(files, range(len(files)), codes, workers, results)
    # A worker died and broke the pool: re-check what it took down in small waves, then
    # alone, so that only the file that kills its process goes without a result.
    for start in range(0, len(lost), workers):
        for index in _pool_pass(files, lost[start : start + workers], codes, workers, results):
            if _pool_pass(files, [index], codes, 1, results):
                results[index] = _internal_error(files[index].display, "the worker process checking this file crashed")
    return [results[i] for i in range(len(files))]


def _pool_pass(
    files: Sequence[SourceFile], indices: Iterable[int], codes: tuple[str, ...], workers: int, results: dict[int, FileResult]
) -> list[int]:
    """Check `files[i]` for each index on a fresh pool into `results`; return the indices
    whose result was lost because a worker process died."""
    lost: list[int] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {i: pool.submit(check_one, files[i].path, files[i].display, codes) for i in indices}
        for index, future in futures.items():
            result = _result(future, files[index].display)
            if result is None:
                lost.append(index)
            else:
                results[index] = result
    return lost


def check_one(path: str, display: str, codes: tuple[str, ...]) -> FileResult:
    """Check one file; runs in a worker process. Never raises."""
    try:
        return check_file(path, [get_rule(code) for code in codes], display)
    except Exception as exc:  # a bug in evalguard must not cost the other files their results
        return _internal_error(display, f"{type(exc).__name__}: {exc}")


def _result(future: Future[FileResult], display: str) -> FileResult | None:
    """The future's result, or None when its worker process died."""
    try:
        return future.result()
    except BrokenProcessPool:
        return None
    except Exception as exc:  # e.g. a result that failed to pickle on its way back
        return _internal_error(display, f"{type(exc).__name__}: {exc}")


def _internal_error(display: str, detail: str) -> FileResult:
    return FileResult(display, error=FileError(display, f"internal error: {detail}"))
