"""Turn the paths a user gave into the files to check.

Display paths are what the user typed, normalised (forward slashes, no `./`), so that
`evalguard check .` reports `cases/x.py` and output is stable across runs and machines.
Directory symlinks are not followed while walking, so a symlink loop cannot hang a run.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Iterable

from evalguard.diagnostics import FileError

#: directory names never walked into (an explicit argument naming one is still checked)
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".evalguard_cache",
)

SOURCE_SUFFIXES = (".py",)


@dataclass(frozen=True, order=True)
class SourceFile:
    """A file to check: `display` is what reports show, `path` is what is opened."""

    display: str
    path: str


@dataclass
class Discovered:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def display_path(path: str) -> str:
    """`./a//b/` -> `a/b`, with forward slashes on every platform."""
    return os.path.normpath(path).replace(os.sep, "/")


def is_excluded(name: str, excludes: Iterable[str] = DEFAULT_EXCLUDES) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in excludes)


def discover(paths: Iterable[str], excludes: Iterable[str] = DEFAULT_EXCLUDES) -> Discovered:
    """Files under `paths`, sorted by display path, each path once (a symlinked file is
    checked under each name it was found by, as the user would see it).

    Explicit file arguments are kept whatever their name or suffix; directories
    contribute their `*.py` files outside excluded directories. Missing paths and
    unreadable directories become `FileError`s instead of exceptions.
    """
    excludes = tuple(excludes)
    out = Discovered()
    candidates: list[SourceFile] = []
    for raw in paths:
        shown = display_path(raw)
        if os.path.isdir(raw):
            candidates.extend(_walk(raw, shown, excludes, out.errors))
        elif os.path.isfile(raw):
            candidates.append(SourceFile(shown, raw))
        elif os.path.lexists(raw) and not os.path.exists(raw):
            out.errors.append(FileError(shown, "broken symbolic link"))
        elif os.path.exists(raw):
            out.errors.append(FileError(shown, "not a regular file or directory"))
        else:
            out.errors.append(FileError(shown, "no such file or directory"))
    seen: set[str] = set()
    for candidate in sorted(candidates):
        key = os.path.abspath(candidate.path)
        if key not in seen:
            seen.add(key)
            out.files.append(candidate)
    out.errors.sort(key=lambda e: e.path)
    return out


def _walk(root: str, shown_root: str, excludes: tuple[str, ...], errors: list[FileError]) -> list[SourceFile]:
    found: list[SourceFile] = []

    def on_error(exc: OSError) -> None:
        where = display_path(exc.filename) if exc.filename else shown_root
        errors.append(FileError(where, f"cannot read directory: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not is_excluded(d, excludes))
        for name in filenames:
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            if os.path.isfile(path):  # skips broken symlinks and fifos named *.py
                found.append(SourceFile(display_path(path), path))
    return found
