"""The pre-commit hook (.pre-commit-hooks.yaml), end to end with the real pre-commit.

`pre-commit try-repo PATH` clones PATH at its HEAD; it adds staged and modified tracked
files in a shadow commit, but never untracked ones. So that the test checks exactly this
working tree (new files included, whatever is committed), it copies the tree (tracked
files plus untracked ones git does not ignore) into a fresh repository, commits it there,
and points try-repo at that.

The hook's environment is built by pre-commit with pip (evalguard from the copy, plus
libcst, typer and rich), which needs a package index: the end-to-end test is skipped,
saying why, only when pre-commit's output shows that pip could not reach one.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"

BUGGY = """\
import torch

model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5))
x = torch.randn(2, 4)
preds = model(x).argmax(1)
print(preds)
"""

FIXED = """\
import torch

model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5))
model.eval()
x = torch.randn(2, 4)
with torch.inference_mode():
    preds = model(x).argmax(1)
print(preds)
"""

# what pip prints when it cannot reach or find a package on any index
NO_INDEX_MARKERS = (
    "No matching distribution found",
    "Could not find a version that satisfies the requirement",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Max retries exceeded",
    "ProxyError",
    "Could not fetch URL",
    "connection broken",
)


# the manifest


def test_manifest_fields() -> None:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert hook["id"] == "evalguard"
    assert hook["name"] == "evalguard"
    assert hook["entry"] == "evalguard check --force-exclude"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "jupyter"]
    assert hook["require_serial"] is False
    assert hook.get("pass_filenames", True) is True


def test_manifest_is_valid_for_pre_commit() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    (hook,) = clientlib.load_manifest(str(MANIFEST))
    assert hook["id"] == "evalguard" and hook["types_or"] == ["python", "jupyter"]
    assert hook["pass_filenames"] is True


def test_docs_config_snippet_is_valid() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    docs = (ROOT / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    snippets = [block for block in _yaml_blocks(docs) if "repos" in block]
    assert snippets, "docs/pre-commit.md shows a .pre-commit-config.yaml"
    for snippet in snippets:
        config = clientlib.CONFIG_SCHEMA.apply_defaults(snippet)  # type: ignore[attr-defined]
        clientlib.CONFIG_SCHEMA.check(config)  # type: ignore[attr-defined]
        (repo,) = [r for r in config["repos"] if any(h["id"] == "evalguard" for h in r["hooks"])]
        assert repo["repo"].startswith("https://") and repo["rev"]


def _yaml_blocks(markdown: str) -> list:
    blocks, current = [], None
    for line in markdown.splitlines():
        if current is None and line.strip() == "```yaml":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append(yaml.safe_load("\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


# end to end


def _git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="evalguard tests",
        GIT_AUTHOR_EMAIL="tests@evalguard.invalid",
        GIT_COMMITTER_NAME="evalguard tests",
        GIT_COMMITTER_EMAIL="tests@evalguard.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
    )
    return env


def _snapshot_checkout(dest: Path, env: dict[str, str]) -> Path:
    """A new git repository whose single commit is this checkout's working tree."""
    if (ROOT / ".git").exists():
        listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", env=env)
        files = [name for name in listed.split("\0") if name]
    else:  # an unpacked source tree: everything but environments and caches
        skip = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}
        files = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)
        ]
    for name in files:
        source = ROOT / name
        if source.is_file():  # tracked files deleted in the working tree are left out
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(dest, "init", "-q", env=env)
    _git(dest, "add", "-A", env=env)
    _git(dest, "commit", "-q", "-m", "snapshot of the evalguard checkout under test", env=env)
    return dest


def _try_repo(project: Path, hook_repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "evalguard"]
        + ["--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _skip_without_index(proc: subprocess.CompletedProcess[str]) -> None:
    output = proc.stdout + proc.stderr
    if "An unexpected error has occurred" in output and any(m.lower() in output.lower() for m in NO_INDEX_MARKERS):
        tail = "\n".join(output.strip().splitlines()[-8:])
        pytest.skip(f"pre-commit could not install the hook's environment: no package index reachable\n{tail}")


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_try_repo_flags_then_passes(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    hook_repo = _snapshot_checkout(tmp_path / "evalguard-checkout", env)
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q", env=env)
    (project / "predict.py").write_text(BUGGY, encoding="utf-8")
    (project / "notes.txt").write_text("model.eval\n", encoding="utf-8")  # not Python: never passed to the hook
    _git(project, "add", "-A", env=env)

    failing = _try_repo(project, hook_repo, env)
    _skip_without_index(failing)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "evalguard" in output and "Failed" in output, output
    assert "predict.py:5:9: EG001" in output, output
    assert "EG002" in output, output
    assert "notes.txt" not in output, output

    (project / "predict.py").write_text(FIXED, encoding="utf-8")
    _git(project, "add", "-A", env=env)
    passing = _try_repo(project, hook_repo, env)
    _skip_without_index(passing)
    output = passing.stdout + passing.stderr
    assert passing.returncode == 0, output
    assert "Passed" in output, output
    assert "EG00" not in output, output
