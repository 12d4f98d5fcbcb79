"""Fixes: exact before/after text for every fix kind, and the guarantees of the fixer
(re-parses, idempotent, fixes what it says, keeps comments and line endings, leaves
conflicting files alone)."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalguard.engine import check_source
from evalguard.fixer import fix_file, fix_text
from evalguard.fixes import ConflictError, TextEdit, apply_edits
from evalguard.rules import all_rules

RULES = all_rules()


def fixed(source: str, unsafe: bool = True) -> str:
    result = fix_text(textwrap.dedent(source), "t.py", RULES, unsafe=unsafe)
    assert result.problem is None, result.problem
    return result.fixed


def codes(source: str) -> set[str]:
    return {d.code for d in check_source(source, "t.py", RULES).diagnostics}


# --------------------------------------------------------------------------- safe fixes


def test_eg006_bare_eval_is_called() -> None:
    src = """\
    import torch
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.1))
    model.eval  # switch to inference
    with torch.no_grad():
        print(model(torch.ones(1, 2)).argmax(1))
    """
    assert fixed(src, unsafe=False) == textwrap.dedent("""\
    import torch
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.1))
    model.eval()  # switch to inference
    with torch.no_grad():
        print(model(torch.ones(1, 2)).argmax(1))
    """)


def test_eg006_with_no_grad_class_is_instantiated() -> None:
    src = """\
    import torch as t

    def update(ema, model):
        with t.no_grad:
            ema.copy_(model)
    """
    assert "with t.no_grad():" in fixed(src, unsafe=False)


def test_eg007_training_flag_added() -> None:
    src = """\
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = 0.1

        def forward(self, x):
            return F.dropout(x, self.p)
    """
    assert "return F.dropout(x, self.p, training=self.training)" in fixed(src, unsafe=False)


def test_eg007_sdpa_dropout_is_gated() -> None:
    src = """\
    import torch.nn as nn
    import torch.nn.functional as F

    class Attn(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_p)
    """
    assert "dropout_p=self.attn_p if self.training else 0.0)" in fixed(src, unsafe=False)


def test_eg007_alpha_dropout_fix_needs_unsafe() -> None:
    src = """\
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def forward(self, x):
            return F.alpha_dropout(x, 0.1)
    """
    assert fix_text(textwrap.dedent(src), "t.py", RULES, unsafe=False).changed is False
    assert "F.alpha_dropout(x, 0.1, training=self.training)" in fixed(src)


def test_eg008_self_assignment_is_deleted_and_wrapper_removed() -> None:
    src = """\
    from torch.autograd import Variable

    def predict(model, x, y):
        x = Variable(x, volatile=True)
        y = Variable(y, volatile=True, requires_grad=False)
        return model(x), y
    """
    out = fixed(src, unsafe=False)
    assert "x = Variable" not in out
    assert "y = Variable(y, requires_grad=False)" in out


# ------------------------------------------------------------------------ reviewable fixes


def test_eg001_and_eg002_in_an_inference_function() -> None:
    src = """\
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.2))

        def forward(self, x):
            return self.body(x)

    def predict(model, x):
        \"\"\"Class scores.\"\"\"
        return model(x).argmax(1)

    if __name__ == "__main__":
        print(predict(Net(), torch.ones(2, 4)))
    """
    out = fixed(src)
    assert '@torch.no_grad()\ndef predict(model, x):\n    """Class scores."""\n    model.eval()\n' in out
    assert codes(out) == set()


def test_eg002_wraps_a_statement_and_adds_the_import() -> None:
    src = """\
    import numpy as np
    from torch import nn

    model = nn.Sequential(nn.Linear(4, 2))
    model.eval()
    preds = model(np.ones((1, 4))).argmax(1)  # the prediction
    print(preds)
    """
    out = fixed(src)
    assert out.startswith("import torch\nimport numpy as np\n")
    assert "with torch.no_grad():\n    preds = model(np.ones((1, 4))).argmax(1)  # the prediction\n" in out
    assert codes(out) == set()


def test_eg003_train_in_evaluate_becomes_eval() -> None:
    src = """\
    import torch
    from torch import nn

    def evaluate(model, loader):
        model.train()
        with torch.no_grad():
            return sum((model(x).argmax(1) == y).sum() for x, y in loader)

    def main(loader):
        model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        print(evaluate(model, loader))
    """
    out = fixed(src)
    assert "    model.eval()\n    with torch.no_grad():" in out
    assert codes(out) == set()


def test_eg003_at_loop_top_evaluates_in_eval_and_returns_to_train() -> None:
    src = """\
    import torch
    from torch import nn

    @torch.no_grad()
    def validate(model, loader):
        return sum(float(model(x).sum()) for x, _ in loader)

    def main(train_loader, val_loader):
        model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(3):
            model.train()
            if epoch:
                print(validate(model, val_loader))
            for x, y in train_loader:
                loss = (model(x) - y).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
    """
    out = fixed(src)
    assert "            model.eval()\n            print(validate(model, val_loader))\n            model.train()\n" in out
    assert codes(out) == set()


def test_eg005_train_at_the_top_of_the_training_loop() -> None:
    src = """\
    import torch
    from torch import nn

    @torch.no_grad()
    def validate(model, loader):
        model.eval()
        return sum(float(model(x).sum()) for x, _ in loader)

    def main(train_loader, val_loader):
        model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(3):
            for x, y in train_loader:
                loss = (model(x) - y).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            print(validate(model, val_loader))
    """
    out = fixed(src)
    assert "        for x, y in train_loader:\n            model.train()\n            loss = " in out
    assert codes(out) == set()


def test_eg004_frozen_backbone_back_in_eval_after_train() -> None:
    src = """\
    import torch
    from torchvision.models import resnet50

    def main(loader):
        model = resnet50()
        model.layer1.requires_grad_(False)
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
        for epoch in range(3):
            model.train()
            for x, y in loader:
                loss = torch.nn.functional.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
    """
    out = fixed(src)
    assert "        model.train()\n        model.layer1.eval()\n" in out
    assert codes(out) == set()


# --------------------------------------------------------------------------- guarantees


def test_crlf_line_endings_and_comments_are_kept() -> None:
    src = "import torch\r\nmodel = torch.nn.Linear(2, 2)\r\nmodel.eval  # keep me\r\n"
    result = fix_text(src, "t.py", RULES)
    assert result.fixed == "import torch\r\nmodel = torch.nn.Linear(2, 2)\r\nmodel.eval()  # keep me\r\n"


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(ConflictError):
        apply_edits("abcdef\n", [TextEdit(1, 1, 1, 4, "x"), TextEdit(1, 3, 1, 5, "y")])


def test_identical_insertions_at_one_place_are_kept_in_order() -> None:
    out = apply_edits("a\nb\n", [TextEdit(2, 1, 2, 1, "y\n"), TextEdit(2, 1, 2, 1, "x\n")])
    assert out == "a\nx\ny\nb\n"


def test_unparsable_file_is_reported_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text("def f(:\n")
    result = fix_file(str(path), RULES, unsafe=True)
    assert result.problem and "syntax error" in result.problem
    assert path.read_text() == "def f(:\n"


def test_fix_file_writes_atomically_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text("import torch\nm = torch.nn.Linear(2, 2)\nm.eval\n")
    path.chmod(0o640)
    result = fix_file(str(path), RULES)
    assert result.changed and path.read_text().endswith("m.eval()\n")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["s.py"]


SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.mark.skipif(not (SHARED / "labels.jsonl").exists(), reason="the shared corpus (../shared) is not beside this checkout")
def test_fixing_the_corpus_leaves_nothing_fixable(tmp_path: Path) -> None:
    """Issue 6, acceptance 1: fix everything (unsafe included), then check: no finding
    left that has a fix, every file parses, a second pass changes no byte, and files
    without findings are untouched."""
    copy = tmp_path / "corpus"
    shutil.copytree(SHARED / "cases", copy)
    before = {p.name: p.read_bytes() for p in copy.glob("*.py")}
    flagged = {p.name for p in copy.glob("*.py") if check_source(p.read_bytes(), p.name, RULES).diagnostics}
    for path in sorted(copy.glob("*.py")):
        assert fix_file(str(path), RULES, unsafe=True).problem is None, path.name
    after = {p.name: p.read_bytes() for p in copy.glob("*.py")}
    for name, data in after.items():
        cst.parse_module(data.decode())
        if name not in flagged:
            assert data == before[name], f"{name} had no finding but was changed"
        result = fix_text(data.decode(), name, RULES, unsafe=True)
        assert not result.changed, f"second fix of {name} changed it:\n{result.diff()}"
        remaining = check_source(data, name, RULES).diagnostics
        assert remaining == [], [(d.code, d.line) for d in remaining]


# --------------------------------------------------------------------------- properties

_LINES = [
    "model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.3))",
    "model.eval",
    "model.eval()",
    "model.train()",
    "opt = torch.optim.SGD(model.parameters(), lr=0.1)",
    "x = Variable(x, volatile=True)",
    "preds = model(x).argmax(1)",
    "loss = (model(x) - y).pow(2).mean()\nloss.backward()\nopt.step()",
    "with torch.no_grad:\n    out = model(x)",
    "with torch.no_grad():\n    out = model(x).argmax(1)",
    "for x, y in loader:\n    loss = (model(x) - y).pow(2).mean()\n    loss.backward()\n    opt.step()",
    "for x, y in val_loader:\n    print(model(x).argmax(1))",
    "model.requires_grad_(False)",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=8), st.booleans())
def test_fixed_code_parses_and_fixing_is_idempotent(lines: list[str], in_function: bool) -> None:
    body = "\n".join(lines)
    if in_function:
        body = "def main(x, y, loader, val_loader):\n" + textwrap.indent(body, "    ")
    src = "import torch\nfrom torch import nn\nfrom torch.autograd import Variable\n" + body + "\n"
    first = fix_text(src, "t.py", RULES, unsafe=True)
    if first.problem:
        assert "conflict" in first.problem or "settle" in first.problem, first.problem
        return
    cst.parse_module(first.fixed)
    second = fix_text(first.fixed, "t.py", RULES, unsafe=True)
    assert not second.changed, second.diff()


def test_fixes_that_only_clash_together_are_applied_one_at_a_time() -> None:
    """Regression (found by the property test): deleting both `x = Variable(x,
    volatile=True)` lines of a two-line block left it empty; the fixer now falls back to
    one fix per round, and the last line becomes a plain assignment."""
    src = "from torch.autograd import Variable\ndef f(x):\n    x = Variable(x, volatile=True)\n    x = Variable(x, volatile=True)\n"
    result = fix_text(src, "t.py", RULES)
    assert result.problem is None
    assert result.fixed == "from torch.autograd import Variable\ndef f(x):\n    x = x\n"


def test_notebook_fixes_go_back_into_their_cells(tmp_path: Path) -> None:
    """Fixes in a notebook are written into the right cells; magics, shell escapes,
    outputs, markdown and metadata stay as they were."""
    import json

    from evalguard.fixer import fix_notebook_file

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# demo"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": [
            "%matplotlib inline\n", "import torch\n", "from torch import nn\n",
            "model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": ["!pip list\n", "model.eval\n", "x = torch.randn(2, 4)"]},
        {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [],
         "source": ["preds = model(x).argmax(1)\n", "print(preds)"]},
    ]
    doc = {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
           "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    result = fix_notebook_file(str(path), RULES, unsafe=True)
    assert result.problem is None and result.changed
    new = json.loads(path.read_text())
    assert new["cells"][0] == cells[0]
    assert new["cells"][1] == cells[1]
    assert new["cells"][2]["source"] == ["!pip list\n", "model.eval()\n", "x = torch.randn(2, 4)"]
    assert "".join(new["cells"][3]["source"]) == "with torch.no_grad():\n    preds = model(x).argmax(1)\nprint(preds)"
    assert new["metadata"] == doc["metadata"]
    again = fix_notebook_file(str(path), RULES, unsafe=True)
    assert not again.changed
