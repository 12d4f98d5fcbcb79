"""How much slower does a CPU training script run under `evalguard check --confirm`?

Writes a small training script (a CNN on synthetic images, with a validation pass per
epoch), then runs it plainly (`python script.py`) and under the tracer
(`evalguard.dynamic.confirm`, with --max-batches high enough that nothing is cut), in
the same run, alternating, N times each, and prints the medians and the ratio against
the goal of 1.3×. Both runs include starting Python and importing torch, as the user
sees them, in the same environment (the one `--confirm` gives the script). The verdict
uses CPU time (user + system of the child processes): on a shared machine, other load
stretches wall time at random, while the work a run does stays put. Wall time and the
script's own training-loop time are printed alongside.

    python benchmarks/tracer_overhead.py [--repeats 3] [--batches 80]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from evalguard.dynamic import confirm  # noqa: E402
from evalguard.dynamic.launch import child_env  # noqa: E402

GOAL = 1.3

SCRIPT = '''"""Benchmark workload: a small CNN trained on synthetic 32x32 images."""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

BATCHES = int(sys.argv[1])
torch.manual_seed(0)
torch.set_num_threads(1)  # steadier timings on a shared machine


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(64)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


def data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return TensorDataset(x, y)


train_loader = DataLoader(data(BATCHES * 32, 0), batch_size=32, shuffle=True)
val_loader = DataLoader(data(512, 1), batch_size=128)
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
start = time.perf_counter()
for epoch in range(2):
    model.train()
    for x, y in train_loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (model(x).argmax(1) == y).sum().item()
print(f"loop_seconds={time.perf_counter() - start:.3f}")
'''


class Timing(NamedTuple):
    wall: float  # seconds, start to exit
    cpu: float  # user + system CPU seconds of the child process(es)
    loop: float  # the training loop, as the script measured it


class Timer:
    """Wall time, and the CPU time of the child processes reaped meanwhile."""

    def __enter__(self) -> "Timer":
        self._wall, self._cpu = time.perf_counter(), _children_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, _children_cpu() - self._cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_plain(script: str, batches: int) -> Timing:
    with Timer() as t:
        out = subprocess.run([sys.executable, script, str(batches)], capture_output=True, text=True, check=True,
                             env=child_env("cpu"))  # the environment the traced run gets
    return Timing(t.wall, t.cpu, _loop_seconds(out.stdout))


def run_traced(script: str, batches: int) -> Timing:
    with Timer() as t:
        result = confirm(script, [str(batches)], max_batches=10**9, timeout=600)
    if not result.run.ok:
        raise SystemExit(f"the traced run failed: {result.run.details()}")
    return Timing(t.wall, t.cpu, _loop_seconds(result.run.output_tail))


def _loop_seconds(output: str) -> float:
    match = re.search(r"loop_seconds=([0-9.]+)", output)
    return float(match.group(1)) if match else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, default=80, help="training batches per epoch (2 epochs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evalguard-bench-") as tmp:
        script = os.path.join(tmp, "train_cnn.py")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(SCRIPT)
        plain: list[Timing] = []
        traced: list[Timing] = []
        for i in range(args.repeats):  # alternating, so that a slow spell of the machine hits both
            plain.append(run_plain(script, args.batches))
            traced.append(run_traced(script, args.batches))
            print(f"run {i + 1}: plain {_fmt(plain[-1])} | traced {_fmt(traced[-1])}", flush=True)
    print(f"\n{'median of ' + str(args.repeats):<24}{'plain':>9}{'traced':>9}{'ratio':>8}")
    ratios = {}
    for field, label in (("wall", "wall time (s)"), ("cpu", "CPU time (s)"), ("loop", "training loop (s)")):
        a = statistics.median(getattr(t, field) for t in plain)
        b = statistics.median(getattr(t, field) for t in traced)
        ratios[field] = b / a
        print(f"{label:<24}{a:>9.2f}{b:>9.2f}{b / a:>7.2f}×")
    verdict = "met" if ratios["cpu"] <= GOAL else "NOT met"
    print(f"\ntracer overhead: {ratios['cpu']:.2f}× CPU time, {ratios['wall']:.2f}× wall time — goal ≤ {GOAL}× "
          f"(on CPU time, which other load on the machine does not inflate): {verdict}")


def _fmt(t: Timing) -> str:
    return f"wall {t.wall:.2f} s, cpu {t.cpu:.2f} s, loop {t.loop:.2f} s"


if __name__ == "__main__":
    main()
