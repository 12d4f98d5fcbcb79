"""`confirm()` on small scripts written into tmp_path: the status of each kind of static
finding, the runtime-only rules EG101–EG104 firing and staying silent, the eval-mode
impact measurement, and that tracing changes nothing the script computes."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")

from evalguard.diagnostics import Diagnostic, Related  # noqa: E402
from evalguard.dynamic import confirm  # noqa: E402

NET = """
import torch
import torch.nn.functional as F
import torch.utils.checkpoint
import torch.utils.data
from torch import nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))

    def forward(self, x):
        return self.body(x)
"""

STATUSES = NET + """

class Noisy(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5)  # <eg007>


class Careful(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, training=self.training)  # <eg007-ok>


def unused(x):
    return F.dropout(x, 0.5)  # <eg007-unreached>


model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)


def never_called(x):
    with torch.no_grad():
        return model(x)  # <never>


def step(x):
    loss = model(x).logsumexp(1).mean()  # <step>
    opt.zero_grad()
    loss.backward()
    opt.step()


def eval_step(x):
    loss = model(x).logsumexp(1).mean()  # <eval-step>
    opt.zero_grad()
    loss.backward()
    opt.step()


def validate(x):
    with torch.no_grad():
        return model(x)  # <validate>


for epoch in range(2):
    model.train()  # <train-call>
    step(torch.randn(8, 4))
    if epoch == 1:
        validate(torch.randn(8, 4))  # <validate-after-train>
model.eval
model.eval()
validate(torch.randn(8, 4))  # <validate-after-eval>
graph = model(torch.randn(8, 4))  # <graph>
eval_step(torch.randn(8, 4))
with torch.no_grad():
    Noisy().eval()(torch.ones(4, 4))
    Careful().eval()(torch.ones(4, 4))
saliency = torch.randn(2, 4, requires_grad=True)
model(saliency).sum().backward()  # <saliency>
digest = sum(float(t.float().sum()) for t in model.state_dict().values())
print(f"digest={digest:.6f} next={torch.rand(1).item():.6f}")
"""

RUNTIME_BUGS = NET + """

def predict(model, batches):
    with torch.no_grad():
        return [model(x).argmax(1) for x in batches]  # <eg101>


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(3):
    loss = net(torch.randn(16, 4)).logsumexp(1).mean()  # <train>
    opt.zero_grad()
    loss.backward()
    opt.step()
batches = torch.utils.data.DataLoader(torch.randn(160, 4), batch_size=32)  # 5 batches, cut to 2
predict(net, batches)  # <predict>

net.eval()
scores = [net(torch.randn(8, 4)) for _ in range(2)]  # <eg103>

backbone = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU())
backbone.requires_grad_(False)
head = nn.Linear(16, 3)
head_opt = torch.optim.SGD(head.parameters(), lr=0.1)
for _ in range(2):
    loss = head(backbone(torch.randn(16, 4))).logsumexp(1).mean()  # <eg102>
    head_opt.zero_grad()
    loss.backward()
    head_opt.step()

fresh = Net()
try:
    fresh(torch.randn(1, 4))  # <eg104>
except ValueError:
    print("a single sample failed, as PyTorch does")
"""

RUNTIME_CLEAN = NET + """

class Shaped(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.2))
        with torch.no_grad():  # a dummy forward to infer the width
            self.width = self.features(torch.zeros(2, 4)).shape[1]
        self.head = nn.Linear(self.width, 3)

    def forward(self, x):
        return self.head(torch.utils.checkpoint.checkpoint(self.features, x, use_reentrant=False))


def predict(model, batches):
    model.eval()
    with torch.no_grad():
        return [model(x).argmax(1) for x in batches]


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(3):
    net.train()
    loss = net(torch.randn(16, 4)).logsumexp(1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
predict(net, [torch.randn(32, 4) for _ in range(2)])
with torch.inference_mode():
    scores = [net(torch.randn(8, 4)) for _ in range(2)]
compiled = torch.compile(net, backend="eager")  # dynamo traces through the tracer's hooks
with torch.no_grad():
    scores = [compiled(torch.randn(8, 4)) for _ in range(2)]
scripted = torch.jit.script(net)  # TorchScript compiles F.dropout, which runs the patched ops
attention = torch.jit.script(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval())
with torch.no_grad():
    scores = [scripted(torch.randn(8, 4)), attention(torch.randn(2, 3, 8))]

for m in net.modules():  # Monte-Carlo dropout: only the Dropout layers train
    if isinstance(m, nn.Dropout):
        m.train()
with torch.no_grad():
    samples = [net(torch.randn(8, 4)) for _ in range(2)]
net.eval()

backbone = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU())
backbone.requires_grad_(False)
still = nn.BatchNorm1d(16, momentum=0.0).requires_grad_(False)
head = nn.Linear(16, 3)
head_opt = torch.optim.SGD(head.parameters(), lr=0.1)
for _ in range(2):
    backbone.eval()
    loss = head(still(backbone(torch.randn(16, 4)))).logsumexp(1).mean()
    head_opt.zero_grad()
    loss.backward()
    head_opt.step()

gen, critic = Net(), nn.Linear(3, 1)
gen_opt = torch.optim.SGD(gen.parameters(), lr=0.1)
critic_opt = torch.optim.SGD(critic.parameters(), lr=0.1)
for _ in range(3):  # fakes for the critic, made without a graph in training mode: training, not inference
    with torch.no_grad():
        fake = gen(torch.randn(8, 4))
    loss = critic(fake).mean()
    critic_opt.zero_grad()
    loss.backward()
    critic_opt.step()

with torch.no_grad():
    one = net(torch.randn(1, 4))

shaped, spare = Shaped(), Shaped()
shaped_opt = torch.optim.SGD(shaped.parameters(), lr=0.1)
for _ in range(2):
    loss = shaped(torch.randn(8, 4)).logsumexp(1).mean()
    shaped_opt.zero_grad()
    loss.backward()
    shaped_opt.step()
"""


def write(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip())
    return str(path)


def line(path: str, marker: str) -> int:
    lines = Path(path).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# <{marker}>"))


def diag(path: str, code: str, at: int, related: tuple[int, ...] = ()) -> Diagnostic:
    return Diagnostic(path, at, 1, at, 2, code, code.lower(), "error", f"static {code}",
                      [Related(path, r, 1, "static note") for r in related])


def by_code(diagnostics: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    out: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        out.setdefault(d.code, []).append(d)
    return out


def test_statuses_of_static_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "statuses.py", STATUSES)
    at = {m: line(path, m) for m in ("never", "step", "eval-step", "validate", "train-call", "validate-after-train",
                                     "validate-after-eval", "graph", "saliency", "eg007", "eg007-ok",
                                     "eg007-unreached")}
    cases = [
        (diag(path, "EG001", at["never"]), "not-reached"),
        (diag(path, "EG001", at["validate"]), "confirmed"),
        (diag(path, "EG001", at["graph"]), "not-observed"),
        (diag(path, "EG002", at["graph"]), "confirmed"),
        (diag(path, "EG002", at["validate"]), "not-observed"),
        (diag(path, "EG003", at["train-call"], (at["validate"], at["validate-after-train"])), "confirmed"),
        (diag(path, "EG003", at["train-call"], (at["validate"], at["validate-after-eval"])), "not-observed"),
        (diag(path, "EG004", at["train-call"], (at["step"],)), "not-observed"),
        (diag(path, "EG005", at["step"]), "not-observed"),
        (diag(path, "EG005", at["eval-step"]), "confirmed"),
        (diag(path, "EG005", at["never"]), "not-reached"),
        (diag(path, "EG005", at["saliency"]), "not-observed"),  # a backward to the input, no parameter update
        (diag(path, "EG006", at["validate-after-eval"] - 2), None),
        (diag(path, "EG007", at["eg007"]), "confirmed"),
        (diag(path, "EG007", at["eg007-ok"]), "not-observed"),
        (diag(path, "EG007", at["eg007-unreached"]), "not-reached"),
    ]
    other_file = diag(str(tmp_path / "other.py"), "EG001", 3)
    result = confirm(path, [], [d for d, _ in cases] + [other_file], timeout=60)

    assert result.run.ok, result.run.details()
    for d, expected in cases:
        assert d.status == expected, (d.code, d.line, d.related[-1].message if d.related else None)
    assert other_file.status is None and not other_file.related
    confirmed_eg001 = cases[1][0]
    assert confirmed_eg001.related[-1].message.startswith("observed: ")
    assert "`body.1` (BatchNorm1d)" in confirmed_eg001.related[-1].message
    outcome = next(o for o in result.outcomes if o.diagnostic is confirmed_eg001)
    assert outcome.impact and outcome.impact["max_abs"] > 0 and 0 <= outcome.impact["pred_changed"] <= 1
    assert "replayed in eval mode" in outcome.note
    # static findings confirmed at these forwards make their runtime twins redundant
    assert not result.added

    # tracing (with its eval-mode replay on a copy) changed nothing the script computed
    plain = subprocess.run([sys.executable, path], capture_output=True, text=True, check=True).stdout
    assert plain.strip().splitlines()[-1] in result.run.output_tail


def test_runtime_rules_fire(tmp_path: Path) -> None:
    path = write(tmp_path, "runtime_bugs.py", RUNTIME_BUGS)
    result = confirm(path, [], [], timeout=60)

    assert result.run.ok, result.run.details()
    assert result.run.loaders_cut == 1
    found = by_code(result.added)
    assert sorted(found) == ["EG101", "EG102", "EG103", "EG104"]
    for code, marker in (("EG101", "eg101"), ("EG102", "eg102"), ("EG103", "eg103"), ("EG104", "eg104")):
        (d,) = found[code]
        assert (d.path, d.line, d.status) == (path, line(path, marker), "confirmed")
    eg101 = found["EG101"][0]
    assert eg101.severity == "error" and "2 call(s) here ran under no_grad (batch size 32), `body.1`" in eg101.message
    assert "replayed in eval mode on the same inputs" in eg101.message
    assert [(r.line, r.message) for r in eg101.related] == [(line(path, "predict"), "called from here")]
    eg102 = found["EG102"][0]
    source_line = Path(path).read_text().splitlines()[eg102.line - 1]
    assert source_line[eg102.column - 1:].startswith("backbone(")  # the column of the frozen call, not head(...)
    assert "`1` (BatchNorm1d)" in eg102.message and "requires_grad=False" in eg102.message
    assert "eval mode" in found["EG103"][0].message and found["EG103"][0].severity == "warning"
    assert "(1, 16)" in found["EG104"][0].message


def test_runtime_rules_stay_silent_on_correct_code(tmp_path: Path) -> None:
    path = write(tmp_path, "runtime_clean.py", RUNTIME_CLEAN)
    result = confirm(path, [], [], timeout=60)

    assert result.run.ok, result.run.details()
    assert result.added == []
