"""`--changed-since REF` (docs/baseline.md): keep only findings on lines added or changed
since a git revision.

For the files that have findings (only those: git is not run otherwise), the changed
lines come from `git diff --unified=0 REF -- FILES` (the working tree against REF,
uncommitted edits included), parsed hunk by hunk. A file git does not track (untracked,
or ignored but checked explicitly) or that did not exist at REF counts as changed
throughout. For a notebook, the code cells at REF (`git show REF:path`) are compared
with today's, line by line, since a diff of the notebook's JSON says nothing about
lines of code.

A finding is kept when any line of its range, or of one of its related places in the
same file (the `.eval()` that a new finding is about, say), is a changed line.
"""
from __future__ import annotations

import difflib
import os
import re
import subprocess
from typing import Iterable, Optional, Union

from evalguard.diagnostics import Diagnostic
from evalguard.sources import SourceLines

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class ChangesError(Exception):
    """`--changed-since` cannot be answered; the message says why."""


class _All:
    """Every line of the file counts as changed."""

    def __contains__(self, line: object) -> bool:
        return True


ALL = _All()
Lines = Union[set[int], _All]


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    # file names are passed as literal pathspecs (a `[` in a name is not a glob), and
    # no pager, prompt or external diff tool gets involved
    env = {**os.environ, "GIT_LITERAL_PATHSPECS": "1", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120, env=env)
    except FileNotFoundError:
        raise ChangesError("--changed-since needs git, which is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise ChangesError(f"git {args[0]} took too long") from None


def git_toplevel(directory: str, shown: str) -> str:
    """The root of the work tree holding `directory`; `shown` names the file for errors."""
    proc = _git(["rev-parse", "--show-toplevel"], directory)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in message.lower() or not message:
            raise ChangesError(f"{shown}: not inside a git repository (--changed-since compares with a git revision)")
        raise ChangesError(f"{shown}: git cannot tell which repository this is in: {message.splitlines()[-1]}")
    top = proc.stdout.decode("utf-8", "replace").strip()
    if not top:  # inside the .git directory itself
        raise ChangesError(f"{shown}: not inside a git work tree")
    return os.path.realpath(top)


def unquote(path: str) -> str:
    """A path as git prints it in a diff header (C-quoted when it has odd characters)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return body.encode("latin-1", "replace").decode("utf-8", "replace")


def parse_diff(text: str) -> dict[str, set[int]]:
    """Added/changed line numbers (new side) by path (as git names it, `b/` stripped)."""
    out: dict[str, set[int]] = {}
    current: Optional[set[int]] = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            name = unquote(line[4:].rstrip("\t"))
            if name == "/dev/null":
                current = None
                continue
            current = out.setdefault(name[2:] if name.startswith("b/") else name, set())
        elif line.startswith("@@ ") and current is not None:
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
                current.update(range(start, start + count))
    return out


def changed_lines(paths: Iterable[str], ref: str, sources: SourceLines) -> dict[str, Lines]:
    """The changed lines of each of `paths` (display paths), by display path."""
    by_top: dict[str, list[tuple[str, str]]] = {}
    tops: dict[str, str] = {}
    for path in sorted(set(paths)):
        real = os.path.realpath(path)
        directory = os.path.dirname(real)
        if not os.path.isdir(directory):
            raise ChangesError(f"{path}: not a file on disk (--changed-since compares files with a git revision)")
        if directory not in tops:
            tops[directory] = git_toplevel(directory, path)
        top = tops[directory]
        by_top.setdefault(top, []).append((path, os.path.relpath(real, top).replace(os.sep, "/")))
    out: dict[str, Lines] = {}
    for top, files in by_top.items():
        verify = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
        if verify.returncode != 0:
            raise ChangesError(f"--changed-since: {ref!r} is not a known git revision in {top}")
        rels = [rel for _, rel in files]
        untracked = _git(["ls-files", "--others", "-z", "--", *rels], top)
        new_files = set(untracked.stdout.decode("utf-8", "replace").split("\0")) - {""}
        scripts = [rel for rel in rels if rel not in new_files and not rel.lower().endswith(".ipynb")]
        hunks: dict[str, set[int]] = {}
        if scripts:
            proc = _git(
                ["-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
                 "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", "--unified=0", ref, "--", *scripts],
                top,
            )
            if proc.returncode != 0:
                message = proc.stderr.decode("utf-8", "replace").strip()
                raise ChangesError(f"git diff {ref} failed: {message}")
            hunks = parse_diff(proc.stdout.decode("utf-8", "replace"))
        for display, rel in files:
            if rel in new_files:
                out[display] = ALL
            elif rel.lower().endswith(".ipynb"):
                out[display] = _notebook_changes(top, ref, rel, sources.get(display))
            else:
                out[display] = hunks.get(rel, set())
    return out


def _notebook_changes(top: str, ref: str, rel: str, now: Optional[list[str]]) -> Lines:
    from evalguard.notebook import NotebookError, read_notebook

    proc = _git(["show", f"{ref}:{rel}"], top)
    if proc.returncode != 0:  # not in REF: a new notebook
        return ALL
    try:
        before = read_notebook(proc.stdout).original_lines
    except NotebookError:
        return ALL
    if now is None:
        return ALL
    changed: set[int] = set()
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, before, now, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            changed.update(range(j1 + 1, j2 + 1))
    return changed


def touches(d: Diagnostic, lines: Lines) -> bool:
    if any(line in lines for line in range(d.line, max(d.line, d.end_line) + 1)):
        return True
    return any(r.path == d.path and r.line in lines for r in d.related)


def filter_changed(diagnostics: list[Diagnostic], ref: str, sources: SourceLines) -> tuple[list[Diagnostic], int]:
    """(the diagnostics on changed lines, how many were left out)."""
    if not diagnostics:
        return [], 0
    changes = changed_lines([d.path for d in diagnostics], ref, sources)
    kept = [d for d in diagnostics if touches(d, changes[d.path])]
    return kept, len(diagnostics) - len(kept)
