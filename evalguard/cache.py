"""The result cache: an unchanged file is never parsed twice.

An entry is keyed by everything its result depends on: the file's bytes, the path it is
reported under, evalguard's version and code (so an edited or reinstalled checkout never
serves results of the old code), the rules run on it and the analysis settings.
(The analysis is per file — a function's behaviour is taken from the same file only —
so no entry depends on another file and nothing needs invalidating when one changes.)
Entries are small JSON files, written to a temporary name and renamed into place, so
concurrent runs never see half an entry; a run that finds the cache larger than
`MAX_ENTRIES` deletes the least recently used entries.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from evalguard import __version__
from evalguard.diagnostics import Diagnostic, FileError, FileResult, Related

DEFAULT_DIR = ".evalguard_cache"
MAX_ENTRIES = 20_000
_FORMAT = 1


_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=4)
def code_fingerprint(package: Path = _PACKAGE) -> str:
    """Size and modification time of every module of the installed package: a change
    to the analysis without a version bump (a development checkout) still misses."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


class Cache:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.root = Path(directory)
        self.hits = 0
        self.misses = 0

    # keys -----------------------------------------------------------------------------------
    @staticmethod
    def key(data: bytes, display: str, codes: tuple[str, ...], settings: Any) -> str:
        digest = hashlib.sha256()
        for part in (f"v{_FORMAT}", __version__, code_fingerprint(), display, ",".join(codes), repr(settings)):
            digest.update(part.encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.json"

    # entries --------------------------------------------------------------------------------
    def get(self, key: str) -> Optional[FileResult]:
        path = self._path(key)
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            os.utime(path)  # recently used: kept when the cache is pruned
        except (OSError, ValueError):
            self.misses += 1
            return None
        try:
            result = _result_from_json(data)
        except (KeyError, TypeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._mark_root()
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(_result_to_json(result), fh)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def _mark_root(self) -> None:
        """Like ruff's: the cache directory ignores itself in git and tags itself as a cache."""
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# created by evalguard\n")
            (self.root / ".gitignore").write_text("*\n")

    def prune(self, limit: int = MAX_ENTRIES) -> int:
        """Delete the least recently used entries beyond `limit`; returns how many."""
        try:
            entries = [p for p in self.root.glob("??/*.json")]
        except OSError:
            return 0
        if len(entries) <= limit:
            return 0
        entries.sort(key=lambda p: _mtime(p))
        removed = 0
        for path in entries[: len(entries) - limit]:
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
        return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _result_to_json(result: FileResult) -> dict[str, Any]:
    return {
        "path": result.path,
        "diagnostics": [_diag_to_json(d) for d in result.diagnostics],
        "suppressed": [_diag_to_json(d) for d in result.suppressed],
        "error": None if result.error is None else result.error.to_json(),
    }


def _diag_to_json(d: Diagnostic) -> dict[str, Any]:
    data = d.to_json()
    data["related"] = [vars(r).copy() for r in d.related]
    return data


def _result_from_json(data: dict[str, Any]) -> FileResult:
    error = data["error"]
    return FileResult(
        data["path"],
        [_diag_from_json(d) for d in data["diagnostics"]],
        error=None if error is None else FileError(**error),
        suppressed=[_diag_from_json(d) for d in data["suppressed"]],
    )


def _diag_from_json(data: dict[str, Any]) -> Diagnostic:
    fields = dict(data)
    fields["related"] = [Related(**r) for r in data["related"]]
    return Diagnostic(**fields)
