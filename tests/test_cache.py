"""The result cache, the per-file time budget, and --fix/--diff on the command line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evalguard import engine
from evalguard.cache import Cache, code_fingerprint
from evalguard.diagnostics import Diagnostic, FileResult, Related
from evalguard.rules import all_rules
from evalguard.runner import run

BUGGY = "import torch\nmodel = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))\nprint(model(torch.ones(1, 2)).argmax(1))\n"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def evalguard(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalguard", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = engine.parse_source

    def counting(text: str):
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(engine, "parse_source", counting)
    return parsed


def test_editing_one_file_reparses_only_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    for i in range(4):
        (project / f"m{i}.py").write_text(BUGGY.replace("Linear(2, 2)", f"Linear(2, {i + 2})"))
    cache = str(tmp_path / "cache")
    parsed = count_parses(monkeypatch)
    cold = run([str(project)], list(all_rules()), 1, cache_dir=cache)
    assert len(parsed) == 4
    parsed.clear()
    warm = run([str(project)], list(all_rules()), 1, cache_dir=cache)
    assert parsed == []
    assert [d.to_json() for d in warm.diagnostics] == [d.to_json() for d in cold.diagnostics]
    (project / "m2.py").write_text(BUGGY + "model.eval()\n")
    parsed.clear()
    run([str(project)], list(all_rules()), 1, cache_dir=cache)
    assert len(parsed) == 1 and parsed[0].endswith("model.eval()\n")


def test_cache_key_depends_on_rules_path_and_settings(tmp_path: Path) -> None:
    key = Cache.key(b"x = 1\n", "a.py", ("EG001",), None)
    assert key != Cache.key(b"x = 1\n", "b.py", ("EG001",), None)
    assert key != Cache.key(b"x = 1\n", "a.py", ("EG002",), None)
    assert key != Cache.key(b"x = 2\n", "a.py", ("EG001",), None)
    assert key != Cache.key(b"x = 1\n", "a.py", ("EG001",), ("inference", "patterns"))


def test_code_fingerprint_changes_when_a_module_of_the_package_changes(tmp_path: Path) -> None:
    """Regression: an edited development checkout served results of the old analysis,
    because entries were keyed on the version number only."""
    package = tmp_path / "pkg"
    (package / "analysis").mkdir(parents=True)
    module = package / "analysis" / "interpreter.py"
    module.write_text("x = 1\n")
    before = code_fingerprint(package)
    assert code_fingerprint(package) == before
    module.write_text("x = 22\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint(package) != before
    assert len(code_fingerprint()) == 16  # the installed package itself


def test_cache_entries_round_trip_and_bad_entries_are_misses(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    diag = Diagnostic("a.py", 3, 7, 3, 20, "EG001", "missing-eval", "error", "msg", [Related("a.py", 2, 1, "why")],
                      fix={"applicability": "unsafe", "message": "m", "edits": []})
    result = FileResult("a.py", [diag])
    cache.put("ab" * 32, result)
    back = cache.get("ab" * 32)
    assert back is not None and back.diagnostics[0].to_json() == diag.to_json()
    entry = next(tmp_path.glob("??/*.json"))
    entry.write_text("{not json")
    assert cache.get("ab" * 32) is None
    assert (tmp_path / ".gitignore").read_text() == "*\n"


def test_prune_keeps_the_most_recently_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    for i in range(5):
        cache.put(f"{i:02d}" + "0" * 62, FileResult(f"f{i}.py"))
    assert cache.prune(limit=2) == 3
    assert len(list(tmp_path.glob("??/*.json"))) == 2


@pytest.mark.skipif(not (SHARED / "labels.jsonl").exists(), reason="the shared corpus (../shared) is not beside this checkout")
def test_findings_identical_across_jobs_and_cache(tmp_path: Path) -> None:
    """Issue 5, acceptance 2: --jobs 1, --jobs 2, cold and warm give byte-identical JSON."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SHARED / "cases", corpus / "cases")
    outputs = []
    for args in (["--no-cache", "-j", "1"], ["--no-cache", "-j", "2"], ["-j", "2"], ["-j", "2"], ["-j", "1"]):
        proc = evalguard("check", "--output-format", "json", *args, ".", cwd=corpus)
        assert proc.returncode == 1, proc.stderr
        outputs.append(proc.stdout)
    assert (corpus / ".evalguard_cache").is_dir()
    assert all(out == outputs[0] for out in outputs)
    assert json.loads(outputs[0])["diagnostics"]


def test_a_file_over_its_time_budget_is_reported_and_the_run_goes_on(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "slow.py").write_text(BUGGY)
    (tmp_path / "fast.py").write_text(BUGGY)
    real = engine.analyze_module

    def slow(module, path, settings=None):
        if path.endswith("slow.py"):
            import time

            time.sleep(5)
        return real(module, path, settings)

    monkeypatch.setattr(engine, "analyze_module", slow)
    report = run([str(tmp_path)], list(all_rules()), 1, budget=0.5)
    assert [e.reason for e in report.errors] == ["took longer than 0.5 s to check; skipped (raise the limit with --file-timeout)"]
    assert {d.path.rsplit("/", 1)[-1] for d in report.diagnostics} == {"fast.py"}


def test_fix_and_diff_on_the_command_line(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n")
    diff = evalguard("check", "--diff", "s.py", cwd=tmp_path)
    assert diff.returncode == 1
    assert "-model.eval\n+model.eval()\n" in diff.stdout
    assert script.read_text().endswith("model.eval\n")  # --diff writes nothing
    fixed = evalguard("check", "--fix", "--no-cache", "s.py", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert script.read_text().endswith("model.eval()\n")
    again = evalguard("check", "--diff", "s.py", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text(BUGGY)
    safe = evalguard("check", "--diff", "--select", "EG001", "s.py", cwd=tmp_path)
    assert safe.returncode == 0 and safe.stdout == ""
    unsafe = evalguard("check", "--diff", "--unsafe-fixes", "--select", "EG001", "s.py", cwd=tmp_path)
    assert unsafe.returncode == 1 and "+model.eval()\n" in unsafe.stdout


def test_json_diagnostics_carry_their_fix(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text("import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n")
    report = json.loads(evalguard("check", "--output-format", "json", "--no-cache", "s.py", cwd=tmp_path).stdout)
    fix = report["diagnostics"][0]["fix"]
    assert fix["applicability"] == "safe"
    assert fix["edits"] == [{"content": "model.eval()", "location": {"row": 3, "column": 1},
                             "end_location": {"row": 3, "column": 11}}]


def test_a_cached_file_is_answered_without_importing_libcst(tmp_path: Path) -> None:
    """Start-up (issue 5): a warm single-file check must not load the parser."""
    (tmp_path / "s.py").write_text(BUGGY)
    probe = ("import sys, runpy\nsys.argv = ['evalguard', 'check', '-j', '1', 's.py']\n"
             "try:\n    runpy.run_module('evalguard', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('LIBCST', 'libcst' in sys.modules, 'torch' in sys.modules)\n")
    first = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert "LIBCST True False" in first.stdout  # cold: parsed
    second = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert "LIBCST False False" in second.stdout, second.stdout + second.stderr
    assert "EG001" in second.stdout
