"""Turn the paths a user gave into the files to check.

Display paths are what the user typed, normalised (forward slashes, no `./`), so that
`evalguard check .` reports `cases/x.py` and output is stable across runs and machines.
Directory symlinks are not followed while walking, so a symlink loop cannot hang a run.

What a walk skips (docs/configuration.md):

- directories named in `DEFAULT_EXCLUDES` (`.git`, `.venv`, `build`, ...) — unless the
  configuration's `exclude` replaces that list (`.git`, `.hg` and `.svn` are skipped
  whatever it says);
- paths matching `exclude` / `extend-exclude`: gitignore-style patterns, relative to
  the configuration file's directory (a pattern without a slash matches a name at any
  depth, as in `.gitignore`);
- paths ignored by `.gitignore` files (pathspec's gitignore semantics, negation
  included): those in the walked directories, and — inside a git work tree — those in
  the directories above it up to the work tree's root, plus `.git/info/exclude`.
  `respect-gitignore = false` turns this off.

Paths given explicitly are always checked, even when excluded or ignored (as in ruff),
unless `--force-exclude` is given (then `exclude` and the default names apply to them
too: useful for pre-commit, which passes file names). A directory given explicitly is
walked even if a pattern would exclude it; patterns still apply to what is inside.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Optional, Sequence

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
    ".ipynb_checkpoints",
)

#: never walked into, whatever the configuration says
ALWAYS_EXCLUDED: tuple[str, ...] = (".git", ".hg", ".svn")

SOURCE_SUFFIXES = (".py", ".ipynb")


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


@lru_cache(maxsize=1024)
def _compile(lines: tuple[str, ...]):
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def compile_patterns(lines: Iterable[str]):
    """A gitignore-style matcher (`pathspec.GitIgnoreSpec`) for `lines`."""
    return _compile(tuple(lines))


class PatternFile:
    """Gitignore-style patterns that apply relative to the directory `base`: a
    `.gitignore` file, or the configuration's excludes. `outside` says what to do with
    a path that is not under `base`: match its name against the patterns that name no
    directory (configuration excludes: `*.pyc`, `build/`), or nothing (a `.gitignore`
    governs only its own directory)."""

    def __init__(self, base: str, lines: Sequence[str], *, outside: bool = False):
        self.base = os.path.abspath(base)
        self.lines = tuple(line.rstrip("\r\n") for line in lines)
        self.outside = outside
        self.spec = compile_patterns(self.lines)
        self._names = compile_patterns([x for x in self.lines if _names_only(x)]) if outside else None

    def __bool__(self) -> bool:
        return bool(self.spec.patterns)

    def within(self, path: str) -> Optional[str]:
        """`path` relative to `base` with forward slashes; None when it is not under `base`."""
        rel = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        if rel == ".." or rel.startswith("../"):
            return None
        return rel

    def check(self, rel: Optional[str], is_dir: bool) -> Optional[bool]:
        """For a path relative to `base`: True: excluded; False: re-included by a
        `!pattern`; None: no pattern matched."""
        if rel is None or rel == ".":
            return None
        return self.spec.check_file(rel + "/" if is_dir else rel).include

    def check_outside(self, name: str, is_dir: bool) -> Optional[bool]:
        """The same for an entry called `name` outside `base`."""
        if self._names is None:
            return None
        return self._names.check_file(name + "/" if is_dir else name).include

    def check_path(self, path: str, is_dir: bool) -> Optional[bool]:
        rel = self.within(path)
        if rel is None:
            return self.check_outside(os.path.basename(os.path.abspath(path)), is_dir)
        return self.check(rel, is_dir)

    def exempting(self, root: str) -> "PatternFile":
        """These patterns less those that match `root` (or a directory above it): an
        explicitly given directory is walked even when a pattern excludes it."""
        if not self.check_path(root, True):
            return self
        rel = self.within(root)
        target = (rel if rel is not None else os.path.basename(os.path.abspath(root))) + "/"
        kept = [
            line
            for line in self.lines
            if line.lstrip().startswith(("!", "#"))
            or (rel is None and not _names_only(line))
            or not compile_patterns([line]).match_file(target)
        ]
        return PatternFile(self.base, kept, outside=self.outside)


def _names_only(line: str) -> bool:
    """Whether a gitignore pattern names an entry at any depth (no `/` but a trailing one)."""
    body = line.strip().lstrip("!").rstrip("/")
    return bool(body) and not body.startswith("#") and "/" not in body


@dataclass
class Exclusions:
    """What a walk leaves out (see the module docstring)."""

    names: tuple[str, ...] = DEFAULT_EXCLUDES
    #: `exclude` + `extend-exclude` patterns, each set relative to its own directory
    patterns: tuple[PatternFile, ...] = ()
    respect_gitignore: bool = True
    force: bool = False

    def excludes_explicit(self, path: str) -> bool:
        """`--force-exclude`: whether an explicitly given path is excluded too."""
        if not self.force:
            return False
        parts = [p for p in display_path(os.path.abspath(path)).split("/") if p]
        if any(is_excluded(p, self.names) for p in parts):
            return True
        is_dir = os.path.isdir(path)
        return any(p.check_path(path, is_dir) for p in self.patterns)


def discover(paths: Iterable[str], exclusions: Optional[Exclusions] = None) -> Discovered:
    """Files under `paths`, sorted by display path, each path once (a symlinked file is
    checked under each name it was found by, as the user would see it).

    Explicit file arguments are kept whatever their name or suffix; directories
    contribute their `*.py` and `*.ipynb` files outside excluded and ignored paths.
    Missing paths and unreadable directories become `FileError`s instead of exceptions.
    """
    exclusions = exclusions or Exclusions()
    out = Discovered()
    candidates: list[SourceFile] = []
    for raw in paths:
        shown = display_path(raw)
        if os.path.isdir(raw):
            if not exclusions.excludes_explicit(raw):
                candidates.extend(_walk(raw, shown, exclusions, out.errors))
        elif os.path.isfile(raw):
            if not exclusions.excludes_explicit(raw):
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


def git_root(start: str) -> Optional[str]:
    """The work tree root (the directory holding `.git`) at or above `start`, if any."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def read_ignore_file(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def _ignores_above(root: str) -> list[PatternFile]:
    """The `.gitignore` files (and `.git/info/exclude`) that govern `root` from the
    directories above it, inside its git work tree; outermost first."""
    top = git_root(root)
    if top is None:
        return []
    absolute = os.path.abspath(root)
    found: list[PatternFile] = []
    exclude = os.path.join(top, ".git", "info", "exclude")
    if os.path.isfile(exclude):
        found.append(PatternFile(top, read_ignore_file(exclude)))
    chain = []
    here = os.path.dirname(absolute) if absolute != top else None
    while here is not None:
        chain.append(here)
        if here == top:
            break
        parent = os.path.dirname(here)
        here = parent if parent != here else None
    for directory in reversed(chain):
        path = os.path.join(directory, ".gitignore")
        if os.path.isfile(path):
            found.append(PatternFile(directory, read_ignore_file(path)))
    return [p.exempting(absolute) for p in found if p]


def _walk(root: str, shown_root: str, exclusions: Exclusions, errors: list[FileError]) -> list[SourceFile]:
    found: list[SourceFile] = []

    def on_error(exc: OSError) -> None:
        where = display_path(exc.filename) if exc.filename else shown_root
        errors.append(FileError(where, f"cannot read directory: {exc.strerror or exc}"))

    configured = [p.exempting(root) for p in exclusions.patterns if p]
    gitignores: dict[str, list[PatternFile]] = {}
    above = _ignores_above(root) if exclusions.respect_gitignore else []

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        applying = gitignores.pop(dirpath, above if dirpath == root else [])
        if exclusions.respect_gitignore and ".gitignore" in filenames:
            own = PatternFile(dirpath, read_ignore_file(os.path.join(dirpath, ".gitignore")))
            if own:
                applying = [*applying, own]
        prefixes = [(p, p.within(dirpath)) for p in applying]
        configured_prefixes = [(p, p.within(dirpath)) for p in configured]

        kept_dirs = []
        for d in sorted(dirnames):
            if d in ALWAYS_EXCLUDED or is_excluded(d, exclusions.names) or _skipped(d, True, configured_prefixes, prefixes):
                continue
            kept_dirs.append(d)
            if applying:
                gitignores[os.path.join(dirpath, d)] = applying
        dirnames[:] = kept_dirs
        for name in filenames:
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            if _skipped(name, False, configured_prefixes, prefixes):
                continue
            if os.path.isfile(path):  # skips broken symlinks and fifos named *.py
                found.append(SourceFile(display_path(path), path))
    return found


def _skipped(
    name: str,
    is_dir: bool,
    configured: list[tuple[PatternFile, Optional[str]]],
    gitignores: list[tuple[PatternFile, Optional[str]]],
) -> bool:
    """Whether the entry `name` of the directory being walked is excluded; each pattern
    file comes with that directory's path relative to its base (None: not under it)."""
    for pattern_file, prefix in configured:
        if prefix is None:  # the walk is outside the patterns' base
            excluded = pattern_file.check_outside(name, is_dir)
        else:
            excluded = pattern_file.check(_join(prefix, name), is_dir)
        if excluded:
            return True
    verdict: Optional[bool] = None  # the last .gitignore pattern that matches decides
    for pattern_file, prefix in gitignores:
        result = pattern_file.check(_join(prefix, name), is_dir) if prefix is not None else None
        if result is not None:
            verdict = result
    return bool(verdict)


def _join(prefix: str, name: str) -> str:
    return name if prefix == "." else f"{prefix}/{name}"
