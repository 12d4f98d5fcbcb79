"""Check many files, in parallel, into one deterministic `Report`.

Workers receive rule *codes*, not rule objects: codes pickle trivially and each worker
builds its own rules from the registry. Each file gets its own codes (the run's, less
what `per-file-ignores` takes away for it) and the run's `AnalysisSettings`. (The engine, and so libcst, is imported before a pool
starts, so that forked workers start with it loaded; a single file answered from the
cache never imports it.) Nothing a single file does may cost the others
their results: an exception in a worker becomes an "internal error" for that file, and
a worker process that dies outright (which breaks the whole pool) is handled by
re-checking the files it took down on fresh pools, so only the culprit is lost.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Optional, Sequence

from evalguard.config import AnalysisSettings
from evalguard.diagnostics import FileError, FileResult, Report
from evalguard.discovery import Exclusions, SourceFile, discover
from evalguard.cache import Cache
from evalguard.reading import FileTimeout, SourceError, read_file, time_limit
from evalguard.rules import Rule, get_rule
from evalguard.sources import decode

#: seconds one file may take before it is reported and skipped (a guard against hangs; the
#: slowest real file seen, torch's 27,820-line common_methods_invocations.py, takes 9.6-10.3 s
#: on a 2-core machine, most of it libcst's parse: `--file-timeout` raises the limit)
DEFAULT_FILE_BUDGET = 10.0

#: the path argument that means "read the source from stdin"
STDIN = "-"


@dataclass(frozen=True)
class Task:
    """One file to check, as it travels to a worker."""

    path: str
    display: str
    codes: tuple[str, ...]
    settings: Optional[AnalysisSettings] = None
    cache_dir: Optional[str] = None  # None: no cache
    budget: Optional[float] = DEFAULT_FILE_BUDGET  # seconds one file may take (None: no limit)
    lookup: bool = True  # False: the parent already found no cache entry (only store the result)


def default_jobs() -> int:
    """The CPUs this process may run on (not merely the CPUs the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(
    paths: Sequence[str],
    rules: Sequence[Rule],
    jobs: int | None = None,
    *,
    exclusions: Optional[Exclusions] = None,
    settings: Optional[AnalysisSettings] = None,
    ignored_codes: Optional[Callable[[str], frozenset[str]]] = None,
    stdin_filename: Optional[str] = None,
    show_suppressed: bool = False,
    cache_dir: Optional[str] = None,
    budget: Optional[float] = DEFAULT_FILE_BUDGET,
) -> Report:
    """Discover the files under `paths` and check them with `rules` on `jobs` processes.

    `-` among `paths` (or no path at all with a `stdin_filename`) reads source from stdin,
    reported as `stdin_filename` (default `-`). `ignored_codes(display_path)` gives the
    codes `per-file-ignores` removes for a file."""
    codes = tuple(rule.code for rule in rules)
    read_stdin = STDIN in paths
    found = discover([p for p in paths if p != STDIN], exclusions)
    report = Report(suppressed=[] if show_suppressed else None)

    def codes_for(display: str) -> tuple[str, ...]:
        if ignored_codes is None:
            return codes
        drop = ignored_codes(display)
        return tuple(c for c in codes if c not in drop) if drop else codes

    tasks = [Task(f.path, f.display, codes_for(f.display), settings, cache_dir, budget) for f in found.files]
    # answer what the cache holds here, in the parent: no pool, no parser for a warm run
    cached = [cached_result(t) for t in tasks] if cache_dir is not None else [None] * len(tasks)
    misses = [replace(t, lookup=False) if cache_dir is not None else t
              for t, hit in zip(tasks, cached) if hit is None]
    checked = iter(check_tasks(misses, jobs or default_jobs()))
    results = []
    for hit in cached:
        result = hit if hit is not None else next(checked, None)
        if result is None:  # interrupted
            report.interrupted = True
            break
        results.append(result)
    if cache_dir is not None:
        Cache(cache_dir).prune()
    if read_stdin:
        name = stdin_filename or STDIN
        if not (exclusions and exclusions.force and stdin_filename and exclusions.excludes_explicit(stdin_filename)):
            text = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
            result = check_stdin(text, name, codes_for(name), settings)
            results.append(result)
            report.sources[name] = decode(text) if isinstance(text, bytes) else text
    for result in results:
        report.add(result)
    report.errors.extend(found.errors)  # paths that were never files: not counted as checked
    report.sort()
    return report


def check_stdin(data: bytes | str, name: str, codes: tuple[str, ...], settings: Optional[AnalysisSettings]) -> FileResult:
    try:
        from evalguard.engine import check_source

        return check_source(data, name, [get_rule(code) for code in codes], settings)
    except Exception as exc:
        return _internal_error(name, f"{type(exc).__name__}: {exc}")


def check_files(files: Sequence[SourceFile], codes: tuple[str, ...], jobs: int) -> list[FileResult]:
    """One result per file, in the order of `files` (every file with the same codes)."""
    return check_tasks([Task(f.path, f.display, codes) for f in files], jobs)


def check_tasks(tasks: Sequence[Task], jobs: int) -> list[FileResult]:
    """One result per task, in the order of `tasks`."""
    results: dict[int, FileResult] = {}
    try:
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                results[i] = check_task(task)
            return [results[i] for i in range(len(tasks))]
        return _check_in_pool(tasks, jobs, results)
    except KeyboardInterrupt:
        # Ctrl-C: stop cleanly with what was checked so far (the caller marks it partial)
        return [results[i] for i in sorted(results)]


def _check_in_pool(tasks: Sequence[Task], jobs: int, results: dict[int, FileResult]) -> list[FileResult]:
    import evalguard.engine  # noqa: F401  (loaded before forking, so workers start with libcst)

    workers = min(jobs, len(tasks))
    lost = _pool_pass(tasks, range(len(tasks)), workers, results)
    # A worker died and broke the pool: re-check what it took down in small waves, then
    # alone, so that only the file that kills its process goes without a result.
    for start in range(0, len(lost), workers):
        for index in _pool_pass(tasks, lost[start : start + workers], workers, results):
            if _pool_pass(tasks, [index], 1, results):
                results[index] = _internal_error(tasks[index].display, "the worker process checking this file crashed")
    return [results[i] for i in range(len(tasks))]


def _pool_pass(tasks: Sequence[Task], indices: Iterable[int], workers: int, results: dict[int, FileResult]) -> list[int]:
    """Check `tasks[i]` for each index on a fresh pool into `results`; return the indices
    whose result was lost because a worker process died."""
    lost: list[int] = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    try:
        futures = {i: pool.submit(check_task, tasks[i]) for i in indices}
        for index, future in futures.items():
            result = _result(future, tasks[index].display)
            if result is None:
                lost.append(index)
            else:
                results[index] = result
    except KeyboardInterrupt:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()  # workers ignore SIGINT: the parent decides when they stop
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return lost


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and reports what it has."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def cached_result(task: Task) -> Optional[FileResult]:
    """The cached result of a task, if the cache holds one for the file as it is now."""
    try:
        data = read_file(task.path)
    except SourceError:
        return None
    cache = Cache(task.cache_dir)
    return cache.get(cache.key(data, task.display, task.codes, task.settings))


def check_task(task: Task) -> FileResult:
    """Check one file (in a worker), through the cache, within the time budget. Never raises."""
    try:
        if task.cache_dir is None:
            with time_limit(task.budget):
                return check_one(task.path, task.display, task.codes, task.settings)
        try:
            data = read_file(task.path)
        except SourceError as exc:
            return FileResult(task.display, error=FileError(task.display, exc.reason))
        cache = Cache(task.cache_dir)
        key = cache.key(data, task.display, task.codes, task.settings)
        cached = cache.get(key) if task.lookup else None
        if cached is not None:
            return cached
        from evalguard.engine import check_source  # imported on a cache miss only (libcst)

        with time_limit(task.budget):
            result = check_source(data, task.display, [get_rule(code) for code in task.codes], task.settings)
        if not (result.error and result.error.reason.startswith("internal error")):
            cache.put(key, result)
        return result
    except FileTimeout:
        return FileResult(task.display, error=FileError(
            task.display, f"took longer than {task.budget:g} s to check; skipped (raise the limit with --file-timeout)"))
    except Exception as exc:  # a bug in evalguard must not cost the other files their results
        return _internal_error(task.display, f"{type(exc).__name__}: {exc}")


def check_one(path: str, display: str, codes: tuple[str, ...], settings: Optional[AnalysisSettings] = None) -> FileResult:
    """Check one file; runs in a worker process. Never raises."""
    try:
        from evalguard.engine import check_file

        return check_file(path, [get_rule(code) for code in codes], display, settings)
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
