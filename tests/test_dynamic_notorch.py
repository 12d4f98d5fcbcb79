"""Without torch, the dynamic checker says how to install it; importing evalguard.dynamic
never imports torch. Simulated with a sitecustomize that makes `import torch` fail."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

BLOCKER = """
import sys


class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoTorch())
"""

PROGRAM = """
import json
import sys

import evalguard.dynamic as dynamic

out = {"torch_imported": "torch" in sys.modules, "rules": [r.code for r in dynamic.RULES]}
try:
    import torch  # noqa: F401
    out["blocked"] = False
except ImportError:
    out["blocked"] = True
for name, call in (("confirm", lambda: dynamic.confirm(sys.argv[1])), ("probe", lambda: dynamic.probe("pkg:f"))):
    try:
        call()
        out[name] = None
    except dynamic.TorchMissing as exc:
        out[name] = str(exc)
print(json.dumps(out))
"""


def test_without_torch_the_error_says_how_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(textwrap.dedent(BLOCKER))
    script = tmp_path / "train.py"
    script.write_text("import torch\n")
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM), str(script)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"PYTHONPATH": f"{blocker}:{repo}", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["blocked"] and out["torch_imported"] is False and out["rules"] == ["EG101", "EG102", "EG103", "EG104"]
    for name in ("confirm", "probe"):
        assert "PyTorch is not installed" in out[name] and "pip install 'evalguard[torch]'" in out[name]
