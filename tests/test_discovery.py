"""File discovery: what `evalguard check PATHS` looks at, and the paths it shows."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from evalguard.discovery import discover, display_path, is_excluded


def touch(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def shown(paths: list[str]) -> list[str]:
    return [f.display for f in discover(paths).files]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    touch(tmp_path / "cases" / "b.py")
    touch(tmp_path / "cases" / "a.py")
    touch(tmp_path / "cases" / "notes.txt")
    touch(tmp_path / "cases" / "sub" / "c.py")
    touch(tmp_path / "top.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_directories_recurse_into_py_files_sorted(tree: Path) -> None:
    assert shown(["."]) == ["cases/a.py", "cases/b.py", "cases/sub/c.py", "top.py"]


@pytest.mark.parametrize("arg", ["cases", "cases/", "./cases", "./cases/", "cases//"])
def test_display_paths_are_normalised(tree: Path, arg: str) -> None:
    assert shown([arg]) == ["cases/a.py", "cases/b.py", "cases/sub/c.py"]


def test_display_path_keeps_parent_and_absolute_paths() -> None:
    assert display_path("../x/./y.py") == "../x/y.py"
    assert display_path("/abs/dir/") == "/abs/dir"


def test_a_file_given_twice_or_also_found_in_a_directory_is_checked_once(tree: Path) -> None:
    assert shown(["cases/a.py", ".", "./cases/a.py"]) == ["cases/a.py", "cases/b.py", "cases/sub/c.py", "top.py"]


@pytest.mark.parametrize(
    "excluded",
    [".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox", "node_modules", "pkg.egg-info", ".evalguard_cache"],
)
def test_default_excludes_are_not_walked(tree: Path, excluded: str) -> None:
    touch(tree / excluded / "hidden.py")
    touch(tree / "cases" / excluded / "hidden.py")
    assert all("hidden" not in p for p in shown(["."]))


def test_explicit_arguments_are_checked_even_when_excluded_or_not_py(tree: Path) -> None:
    touch(tree / "build" / "gen.py")
    touch(tree / "script")
    assert shown(["build/gen.py", "script"]) == ["build/gen.py", "script"]
    assert shown(["build"]) == ["build/gen.py"]


def test_is_excluded_matches_globs() -> None:
    assert is_excluded("foo.egg-info")
    assert is_excluded(".git")
    assert not is_excluded("src")
    assert not is_excluded("building")


def test_missing_path_is_an_error_not_a_crash(tree: Path) -> None:
    found = discover(["nope.py", "./missing/dir/", "top.py"])
    assert [f.display for f in found.files] == ["top.py"]
    assert [(e.path, e.reason) for e in found.errors] == [
        ("missing/dir", "no such file or directory"),
        ("nope.py", "no such file or directory"),
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loops_do_not_hang(tree: Path) -> None:
    (tree / "cases" / "sub" / "loop").symlink_to(tree / "cases", target_is_directory=True)
    (tree / "cases" / "self").symlink_to(".", target_is_directory=True)
    assert shown(["."]) == ["cases/a.py", "cases/b.py", "cases/sub/c.py", "top.py"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_and_broken_files(tree: Path) -> None:
    (tree / "cases" / "alias.py").symlink_to(tree / "top.py")
    (tree / "cases" / "dangling.py").symlink_to(tree / "gone.py")
    found = discover(["."])
    assert [f.display for f in found.files] == ["cases/a.py", "cases/alias.py", "cases/b.py", "cases/sub/c.py", "top.py"]
    assert found.errors == []
    assert [e.reason for e in discover(["cases/dangling.py"]).errors] == ["broken symbolic link"]


def test_unreadable_directory_is_reported(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tree / "cases" / "locked" / "x.py")
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, so refuse the way the OS would
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover(["."])
    assert [f.display for f in found.files] == ["cases/a.py", "cases/b.py", "cases/sub/c.py", "top.py"]
    assert [(e.path, e.reason) for e in found.errors] == [("cases/locked", "cannot read directory: Permission denied")]


# notebooks, .gitignore, configured excludes (issue #3)

from evalguard.discovery import DEFAULT_EXCLUDES, Exclusions, PatternFile  # noqa: E402


def found(paths: list[str], **kw) -> list[str]:
    return [f.display for f in discover(paths, Exclusions(**kw)).files]


def test_directories_pick_up_notebooks(tree: Path) -> None:
    touch(tree / "cases" / "nb.ipynb", "{}")
    touch(tree / "cases" / ".ipynb_checkpoints" / "nb-checkpoint.ipynb", "{}")
    touch(tree / "cases" / "data.json", "{}")
    assert shown(["cases"]) == ["cases/a.py", "cases/b.py", "cases/nb.ipynb", "cases/sub/c.py"]


def test_gitignore_in_the_walked_tree_is_honoured(tree: Path) -> None:
    touch(tree / ".gitignore", "# generated code\n/top.py\nsub/\n*_gen.py\n!keep_gen.py\n")
    touch(tree / "cases" / "x_gen.py")
    touch(tree / "cases" / "keep_gen.py")
    assert shown(["."]) == ["cases/a.py", "cases/b.py", "cases/keep_gen.py"]
    assert found(["."], respect_gitignore=False) == [
        "cases/a.py", "cases/b.py", "cases/keep_gen.py", "cases/sub/c.py", "cases/x_gen.py", "top.py"
    ]


def test_nested_gitignore_files_apply_below_their_directory(tree: Path) -> None:
    touch(tree / "cases" / ".gitignore", "b.py\n")
    touch(tree / "cases" / "sub" / ".gitignore", "!b.py\n")
    touch(tree / "cases" / "sub" / "b.py")
    touch(tree / "other" / "b.py")
    assert shown(["."]) == ["cases/a.py", "cases/sub/b.py", "cases/sub/c.py", "other/b.py", "top.py"]


def test_explicit_paths_are_checked_even_when_ignored(tree: Path) -> None:
    touch(tree / ".gitignore", "cases/\ntop.py\n")
    assert shown(["."]) == []
    assert shown(["top.py"]) == ["top.py"]
    (tree / ".git").mkdir()  # inside a work tree, the root .gitignore governs `cases` from above
    assert shown(["cases"]) == ["cases/a.py", "cases/b.py", "cases/sub/c.py"]


def test_gitignore_above_the_root_applies_inside_a_git_work_tree_only(tree: Path) -> None:
    touch(tree / ".gitignore", "sub/\n")
    assert shown(["."]) == ["cases/a.py", "cases/b.py", "top.py"]
    # outside a work tree, a .gitignore above the checked directory is nobody's business
    assert shown(["cases"]) == ["cases/a.py", "cases/b.py", "cases/sub/c.py"]
    (tree / ".git").mkdir()
    assert shown(["cases"]) == ["cases/a.py", "cases/b.py"]  # walked from `.` or below it: the same rules
    touch(tree / ".git" / "info" / "exclude", "a.py\n")
    assert shown(["cases"]) == ["cases/b.py"]


def test_configured_patterns_are_gitignore_style_relative_to_their_base(tree: Path) -> None:
    patterns = (PatternFile(str(tree), ["/cases/sub/", "b.py"], outside=True),)
    assert found(["."], patterns=patterns) == ["cases/a.py", "top.py"]
    assert found(["cases"], patterns=patterns) == ["cases/a.py"]
    elsewhere = (PatternFile(str(tree / "cases"), ["/top.py", "c.py"], outside=True),)
    assert found(["."], patterns=elsewhere) == ["cases/a.py", "cases/b.py", "top.py"]  # anchored in cases/: no top.py there


def test_exclude_replaces_default_names_but_never_vcs_dirs(tree: Path) -> None:
    touch(tree / ".venv" / "lib.py")
    touch(tree / ".git" / "hook.py")
    assert "lib.py" not in " ".join(shown(["."]))
    assert found(["."], names=()) == [".venv/lib.py", "cases/a.py", "cases/b.py", "cases/sub/c.py", "top.py"]
    assert DEFAULT_EXCLUDES[0] == ".git"


def test_an_explicitly_given_excluded_directory_is_walked(tree: Path) -> None:
    patterns = (PatternFile(str(tree), ["cases/", "c.py"], outside=True),)
    assert found(["."], patterns=patterns) == ["top.py"]
    assert found(["cases"], patterns=patterns) == ["cases/a.py", "cases/b.py"]  # c.py still excluded inside


def test_force_exclude_applies_to_explicit_paths(tree: Path) -> None:
    touch(tree / "build" / "gen.py")
    patterns = (PatternFile(str(tree), ["top.py"], outside=True),)
    assert found(["top.py", "build/gen.py", "cases/a.py"], patterns=patterns) == ["build/gen.py", "cases/a.py", "top.py"]
    assert found(["top.py", "build/gen.py", "cases/a.py"], patterns=patterns, force=True) == ["cases/a.py"]
