"""Property-based robustness tests (issue #7): evalguard must survive any input.

The invariant (`checked` / `assert_invariants`), for every input:

- `check_source` returns (never raises, never hangs past `HANG_BUDGET_S`);
- the result is either diagnostics or one `error`, never both;
- every diagnostic has a known code with its rule's name, a severity, a message, and
  1 <= line <= end_line <= number of lines, columns within their lines (1-based, the
  start on a non-blank character), related places within the file; no two diagnostics
  share (code, line, column) and they come sorted;
- an error has a reason, and its line (when given) is within the file;
- the run's JSON (`Report.to_json()` with the result added) survives json.dumps/loads
  unchanged and has the schema's keys.

Inputs: hypothesmith's generic programs (`from_grammar`, `from_node`), a generator of
PyTorch-flavoured programs (model construction, .train()/.eval(), no_grad, loops,
branches, function/class definitions and calls, forwards, backward/step, F.dropout,
Variable(volatile=True), in random orders and nestings: these drive the mode/grad
interpreter much harder than generic programs), mutations of the shared labelled corpus
(statement-level: delete/duplicate/swap/move statements across blocks; text-level: lines
deleted/duplicated/reordered, indentation broken, bytes flipped, junk inserted,
truncation, line endings changed) and random bytes/text. The CLI is run in a subprocess on
a few generated trees. The harness itself is tested against deliberately crashing rules,
so a crash cannot go unnoticed.

Example counts come from the Hypothesis profile (tests/conftest.py): `ci` by default,
`HYPOTHESIS_PROFILE=long` for a soak run.
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import tokenize
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Sequence

import hypothesmith
import libcst as cst
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from evalguard.diagnostics import ERROR, WARNING, FileResult, Report
from evalguard.engine import check_source
from evalguard.rules import all_rules
from evalguard.rules.base import Finding, Rule

# generated programs are full of `assert (x, y)`, `"\d"`, `1 is 1`: CPython's parser warns about them
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
CASES = SHARED / "corpus" / "cases"
CORPUS_FILES = sorted(CASES.glob("*.py")) if CASES.is_dir() else []
needs_corpus = pytest.mark.skipif(
    not CORPUS_FILES,
    reason=f"shared corpus not found at {CASES} (../shared/corpus/cases relative to the repository)",
)

#: one check of a generated (small) input taking longer than this is a hang
HANG_BUDGET_S = 30

RULES = all_rules()
KNOWN = {rule.code: rule for rule in RULES}
JSON_KEYS = {"version", "files_checked", "diagnostics", "errors"}
DIAGNOSTIC_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message",
                   "related", "status", "fix"}


# --------------------------------------------------------------------------- the harness


class InvariantViolation(AssertionError):
    """check_source broke the robustness contract on some input."""


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `Hang` in the main thread after `seconds` (a no-op where SIGALRM is missing)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):  # pragma: no cover - only on a hang
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _split_lines(text):
    lines = re.split(r"\r\n|\r|\n" if isinstance(text, str) else rb"\r\n|\r|\n", text)
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def source_lines(data: bytes | str) -> list[str]:
    """The physical lines of the source as Python counts them (\\r\\n, \\r and \\n end a
    line; form feeds and other Unicode separators do not)."""
    if isinstance(data, bytes):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding, errors="replace")
        except (SyntaxError, LookupError):
            text = data.decode("latin-1")
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    return _split_lines(text)


def _fail(message: str, data: bytes | str) -> InvariantViolation:
    shown = repr(data)
    if len(shown) > 3000:
        shown = shown[:3000] + f"... ({len(data)} {'bytes' if isinstance(data, bytes) else 'chars'} in all)"
    return InvariantViolation(f"{message}\n--- input ---\n{shown}")


def checked(data: bytes | str, path: str = "fuzz.py", rules: Sequence[Rule] = RULES) -> FileResult:
    """`check_source(data, path, rules)` with the robustness contract enforced: any
    exception (or a hang) becomes an `InvariantViolation` naming the input."""
    try:
        with time_limit(HANG_BUDGET_S):
            result = check_source(data, path, rules)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise _fail(f"check_source raised {type(exc).__name__}: {exc}", data) from exc
    assert_invariants(result, data, path, {rule.code: rule for rule in rules})
    return result


def assert_invariants(result: FileResult, data: bytes | str, path: str, known: Optional[dict] = None) -> None:
    known = KNOWN if known is None else known
    lines = source_lines(data)
    n = len(lines)
    # an error may be found before decoding (a NUL byte, a bad cookie): count raw lines too
    n_raw = max(n, len(_split_lines(data))) if isinstance(data, bytes) else n

    def check(condition: bool, message: str) -> None:
        if not condition:
            raise _fail(message, data)

    check(isinstance(result, FileResult), f"check_source returned {type(result).__name__}, not FileResult")
    check(result.path == path, f"result path {result.path!r} != {path!r}")
    if result.error is not None:
        e = result.error
        check(not result.diagnostics and not result.suppressed, f"both an error and diagnostics: {e}")
        check(e.path == path, f"error path {e.path!r} != {path!r}")
        check(isinstance(e.reason, str) and e.reason.strip() != "", f"error without a reason: {e}")
        if e.line is not None:
            # CPython reports some end-of-file errors on the line after the last one
            check(isinstance(e.line, int) and 1 <= e.line <= n_raw + 1, f"error line {e.line} outside 1..{n_raw + 1}: {e}")
        if e.column is not None:
            # should be >= 1; CPython's offset 0 leaks through for some IndentationErrors
            # (test_edge_cases.py::test_syntax_error_column_is_one_based, xfail): tighten when fixed
            check(isinstance(e.column, int) and e.column >= 0, f"error column {e.column} < 0: {e}")
    seen = set()
    for d in [*result.diagnostics, *result.suppressed]:
        where = f"{d.code} at {d.line}:{d.column}-{d.end_line}:{d.end_column}"
        check(d.code in known, f"unknown code {d.code!r}")
        check(d.name == known[d.code].name, f"{where}: name {d.name!r} != {known[d.code].name!r}")
        check(d.severity in (ERROR, WARNING), f"{where}: severity {d.severity!r}")
        check(isinstance(d.message, str) and d.message.strip() != "", f"{where}: empty message")
        check(d.path == path, f"{where}: path {d.path!r} != {path!r}")
        for value in (d.line, d.column, d.end_line, d.end_column):
            check(isinstance(value, int) and not isinstance(value, bool), f"{where}: non-int position")
        check(1 <= d.line <= d.end_line <= n, f"{where}: lines outside 1..{n}")
        text = lines[d.line - 1]
        check(1 <= d.column <= len(text) + 1, f"{where}: column outside 1..{len(text) + 1} of {text!r}")
        # form feeds: libcst's columns skip a leading \f (test_edge_cases, xfail)
        check(d.column > len(text) or text[d.column - 1] not in " \t",
              f"{where}: starts on whitespace in {text!r}")
        check(1 <= d.end_column <= len(lines[d.end_line - 1]) + 1, f"{where}: end column outside its line")
        check(d.end_line > d.line or d.end_column >= d.column, f"{where}: ends before it starts")
        for r in d.related:
            check(isinstance(r.message, str) and isinstance(r.column, int) and r.column >= 1, f"{where}: related {r}")
            if r.path == path:
                check(1 <= r.line <= n, f"{where}: related line {r.line} outside 1..{n}")
        key = (d.code, d.line, d.column, d in result.suppressed)
        check(key not in seen, f"{where}: reported twice")
        seen.add(key)
    keys = [d.sort_key() for d in result.diagnostics]
    check(keys == sorted(keys), "diagnostics not sorted")
    report = Report()
    report.add(result)
    out = report.to_json()
    try:
        encoded = json.dumps(out, allow_nan=False)
        back = json.loads(encoded)
    except (TypeError, ValueError) as exc:
        raise _fail(f"report JSON does not serialise: {exc}", data) from exc
    check(back == out, "report JSON changes in a dumps/loads round trip")
    check(set(out) >= JSON_KEYS and out["files_checked"] == 1, f"report JSON keys {sorted(out)}")
    check(all(set(d) >= DIAGNOSTIC_KEYS for d in out["diagnostics"]), "a diagnostic lacks schema keys")
    check(len(out["errors"]) == (result.error is not None), "errors in the JSON do not match the result")


def parses(source: str) -> bool:
    try:
        ast.parse(source)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


# --------------------------------------------------------------- PyTorch-flavoured programs

TOP_MODELS = ("model", "net", "backbone", "teacher", "model.module", "self.model")
METHOD_MODELS = ("self.model", "self.net", "self.backbone", "self", "model")
FUNCTIONS = ("train_one_epoch", "validate", "evaluate", "predict", "main", "run", "test", "fit", "step",
             "set_bn_eval", "inference")
CONSTRUCTORS = (
    "nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.BatchNorm1d(8))",
    "torchvision.models.resnet18(weights=None)",
    "resnet50(pretrained=True)",
    "AutoModel.from_pretrained('bert-base-uncased')",
    "Net()",
    "Net().to(device)",
    "nn.LSTM(8, 8, num_layers=2, dropout=0.2)",
    "torch.jit.load('model.pt')",
    "copy.deepcopy({other})",
    "{other}",
    "{other}.to(device)",
    "DDP({other}, device_ids=[0])",
    "torch.compile({other})",
    "{other}.module",
    "nn.Linear(8, 2)",
    "load_model(path)",
    "timm.create_model('vit_base_patch16_224', pretrained=True)",
    "AveragedModel({other})",
)
SIMPLE = (
    "{m}.train()", "{m}.eval()", "{m}.train(False)", "{m}.train(True)", "{m}.train(mode)",
    "{m}.train(mode=not frozen)", "{m} = {m}.eval()", "{m}.train().to(device)",
    "{m} = {ctor}", "{m} = {ctor}", "{m} = {ctor}",
    "out = {m}(x)", "out = {m}(x)", "out = {m}.forward(x)", "preds = {m}(x).argmax(1)", "logits = {m}(**batch).logits",
    "loss = criterion({m}(x), y)", "loss = F.cross_entropy({m}(x), y)", "loss.backward()", "optimizer.step()",
    "optimizer.zero_grad()", "scheduler.step()",
    "optimizer = torch.optim.SGD({m}.parameters(), lr=0.1)",
    "x = F.dropout(x, p=0.5)", "x = F.dropout(x, 0.1, training=self.training)", "x = F.dropout(x, training=True)",
    "x = nn.functional.dropout2d(x)", "x = F.scaled_dot_product_attention(q, k, v, dropout_p=0.1)",
    "v = Variable(x, volatile=True)", "v = torch.autograd.Variable(x, volatile=True)", "v = Variable(x)",
    "{m}.requires_grad_(False)", "{m}.apply(set_bn_eval)", "was = {m}.training", "{m}.train(was)",
    "torch.set_grad_enabled(False)", "torch.set_grad_enabled(True)",
    "{m}.load_state_dict(torch.load('ckpt.pt'))", "torch.save({m}.state_dict(), 'best.pt')",
    "{m}.zero_grad()", "x, y = batch", "print(acc)", "acc = (preds == y).float().mean()",
    "{f}({m})", "{f}()", "result = {f}({m}, loader)", "{f}({m}, loader, device)", "del {m}", "pass",
    "traced = torch.jit.trace({m}, x)", "ema.update({m})", "fn = lambda batch: {m}(batch)", "y = fn(x)",
    "outputs = [{m}(b) for b in loader]", "{m}.backbone.eval()", "{m}.head.train()",
    "p.requires_grad = False", "is_train = phase == 'train'", "mode = epoch % 2 == 0", "frozen = True",
    "trainer.fit({m})", "trainer.test({m})", "self.training = False", "{m}.training = True",
    "{m}, optimizer = accelerator.prepare({m}, optimizer)", "global model", "assert not {m}.training",
)
WITH_HEADERS = (
    "with torch.no_grad():", "with torch.no_grad():", "with torch.inference_mode():", "with torch.enable_grad():",
    "with torch.set_grad_enabled(is_train):", "with torch.set_grad_enabled(False):",
    "with torch.autocast('cuda'):", "with torch.no_grad(), torch.autocast('cpu'):", "with open(path) as fh:",
    "with eval_mode({m}):", "with torch.inference_mode(mode=False):",
)
FOR_HEADERS = (
    "for epoch in range(epochs):", "for x, y in loader:", "for batch in tqdm(loader):",
    "for p in {m}.parameters():", "for module in {m}.modules():", "for phase in ('train', 'val'):",
    "async for batch in stream:",
)
IF_HEADERS = (
    "if epoch % 5 == 0:", "if args.eval:", "if not {m}.training:", "if {m}.training:", "if phase == 'train':",
    "if isinstance(module, nn.BatchNorm2d):", "if __name__ == '__main__':", "if is_train:", "if frozen:",
)
DECORATORS = ("", "", "", "@torch.no_grad()\n", "@torch.inference_mode()\n", "@staticmethod\n", "@functools.cache\n",
              "@torch.enable_grad()\n")
PARAMS = ("()", "(model)", "(model, loader)", "(model, loader, device)", "(net, data, is_train=True)",
          "(*args, **kwargs)", "(model, mode=True)")
#: realistic multi-line pieces (a training epoch, a validate helper, a frozen backbone, ...)
#: that random statements are mixed with, so the mode/grad rules have something to find
SNIPPETS = (
    "for epoch in range(epochs):\n    {m}.train()\n    for x, y in loader:\n        loss = criterion({m}(x), y)\n"
    "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n    {f}({m})",
    "def validate(model):\n    model.eval()\n    with torch.no_grad():\n        for x, y in loader:\n"
    "            acc = (model(x).argmax(1) == y).float().mean()\n    return acc",
    "def evaluate(model, loader):\n    model.eval()\n    return [model(x) for x, _ in loader]",
    "for p in {m}.backbone.parameters():\n    p.requires_grad = False",
    "{m} = torchvision.models.resnet18(weights='DEFAULT')\n{m}.fc = nn.Linear(512, 10)",
    "with torch.no_grad():\n    {m}.eval()\n    preds = {m}(x)",
    "def set_bn_eval(module):\n    if isinstance(module, nn.BatchNorm2d):\n        module.eval()",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 8)\n"
    "        self.drop = nn.Dropout(0.5)\n    def forward(self, x):\n        return self.drop(F.dropout(self.fc(x)))",
    "def predict(model, x):\n    return model(x).softmax(-1)",
    "{m} = resnet50(pretrained=True)\nwith torch.no_grad():\n    preds = {m}(x)",
    "{m}.train()\nwith torch.no_grad():\n    preds = {m}(x)",
    "{m} = torchvision.models.resnet50(weights='DEFAULT')\nfor p in {m}.parameters():\n    p.requires_grad = False\n"
    "{m}.fc = nn.Linear(2048, 10)\n{m}.train()\nfor x, y in loader:\n    loss = criterion({m}(x), y)\n"
    "    loss.backward()\n    optimizer.step()",
    "{m}.backbone.requires_grad_(False)\n{m}.train()",
    "if args.eval:\n    {m}.load_state_dict(torch.load(path))\n    print({f}({m}, loader))\nelse:\n    {f}({m}, loader)",
)
HEADER = (
    "import copy\nimport functools\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    "import torchvision\nfrom torch.autograd import Variable\nfrom torchvision.models import resnet50\n"
    "from transformers import AutoModel\nfrom torch.nn.parallel import DistributedDataParallel as DDP\n\n"
)


class Ctx(NamedTuple):
    depth: int = 0
    in_func: bool = False
    in_loop: bool = False
    in_method: bool = False
    in_async: bool = False


MAX_DEPTH = 4


def _fill(draw, template: str, ctx: Ctx) -> str:
    models = METHOD_MODELS if ctx.in_method else TOP_MODELS
    out = template
    while "{ctor}" in out:
        out = out.replace("{ctor}", draw(st.sampled_from(CONSTRUCTORS)), 1)
    for key, pool in (("{m}", models), ("{other}", models), ("{f}", FUNCTIONS)):
        while key in out:
            out = out.replace(key, draw(st.sampled_from(pool)), 1)
    return out


@st.composite
def _simple(draw, ctx: Ctx) -> list[str]:
    choices = list(SIMPLE)
    if ctx.in_func:
        choices += ["return {m}(x)", "return {m}", "return", "yield {m}(x)", "return acc"]
    if ctx.in_loop:
        choices += ["break", "continue"]
    if ctx.in_async:
        choices += ["out = await {m}(x)"]
    if draw(st.integers(0, 99)) == 57:  # rare (0 would be drawn far more often than 1 in 100): a statement that is always a finding by itself
        choices = ["{m}.eval", "{m}.train", "with torch.no_grad:\n    pass"]
    line = _fill(draw, draw(st.sampled_from(choices)), ctx)
    if ctx.in_method and not line.startswith("global") and draw(st.booleans()):
        line = re.sub(r"(?<![\w.])model\b", "self.model", line)
    return line.split("\n")


@st.composite
def _block(draw, ctx: Ctx, low: int = 1, high: int = 4) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(low, max(low, high - ctx.depth)))):
        lines += draw(_statement(ctx))
    return lines


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line if line else line for line in lines]


@st.composite
def _statement(draw, ctx: Ctx) -> list[str]:
    if ctx.depth >= MAX_DEPTH:
        return draw(_simple(ctx))
    # compound statements get rarer with depth, so programs stay tens of lines long
    kind = draw(st.sampled_from(
        ["simple"] * (5 + 5 * ctx.depth) + ["with", "with", "for", "for", "if", "def", "try", "while", "class", "match"]
        + ["snippet"] * 4
    ))
    inner = ctx._replace(depth=ctx.depth + 1)
    if kind == "simple":
        return draw(_simple(ctx))
    if kind == "snippet":
        return _fill(draw, draw(st.sampled_from(SNIPPETS)), ctx).split("\n")
    if kind == "with":
        header = _fill(draw, draw(st.sampled_from(WITH_HEADERS)), ctx)
        return [header, *_indent(draw(_block(inner)))]
    if kind in ("for", "while"):
        header = _fill(draw, draw(st.sampled_from(FOR_HEADERS)), ctx) if kind == "for" else "while step < total:"
        if header.startswith("async") and not ctx.in_async:
            header = header[len("async "):]
        lines = [header, *_indent(draw(_block(inner._replace(in_loop=True))))]
        if draw(st.integers(0, 4)) == 0:
            lines += ["else:", *_indent(draw(_block(inner)))]
        return lines
    if kind == "if":
        lines = [_fill(draw, draw(st.sampled_from(IF_HEADERS)), ctx), *_indent(draw(_block(inner)))]
        for _ in range(draw(st.integers(0, 2))):
            lines += [_fill(draw, draw(st.sampled_from(IF_HEADERS)), ctx).replace("if ", "elif ", 1),
                      *_indent(draw(_block(inner)))]
        if draw(st.booleans()):
            lines += ["else:", *_indent(draw(_block(inner)))]
        return lines
    if kind == "try":
        lines = ["try:", *_indent(draw(_block(inner))), "except Exception:", *_indent(draw(_block(inner)))]
        if draw(st.booleans()):
            lines += ["finally:", *_indent(draw(_block(inner)))]
        return lines
    if kind == "match":
        lines = ["match phase:"]
        for pattern in draw(st.lists(st.sampled_from(["'train'", "'val'", "'test' | 'eval'"]), min_size=1, max_size=3)):
            lines += _indent([f"case {pattern}:", *_indent(draw(_block(inner)))])
        lines += _indent(["case _:", *_indent(draw(_block(inner)))])
        return lines
    if kind == "def":
        name = draw(st.sampled_from(FUNCTIONS))
        is_async = draw(st.integers(0, 9)) == 0
        params = draw(st.sampled_from(PARAMS))
        decorator = draw(st.sampled_from(DECORATORS))
        body_ctx = Ctx(depth=ctx.depth + 1, in_func=True, in_method=False, in_async=is_async)
        lines = decorator.splitlines()
        lines += [f"{'async ' if is_async else ''}def {name}{params}:", *_indent(draw(_block(body_ctx, 1, 6)))]
        return lines
    # a class: nn.Module subclasses with __init__/forward (and sometimes a train() override), or a plain trainer
    base = draw(st.sampled_from(["nn.Module", "nn.Module", "object", "pl.LightningModule", "Trainer"]))
    method_ctx = Ctx(depth=ctx.depth + 2, in_func=True, in_method=True)
    lines = [f"class {draw(st.sampled_from(['Net', 'Model', 'Trainer', 'Runner']))}({base}):"]
    methods = [
        ["def __init__(self):", "    super().__init__()", "    self.drop = nn.Dropout(0.1)",
         *_indent(draw(_block(method_ctx, 0, 3)))],
    ]
    for name in draw(st.lists(st.sampled_from(["forward", "train", "eval", "validate", "training_step",
                                               "validation_step", "fit", "predict"]), max_size=3, unique=True)):
        params = "(self, mode=True)" if name == "train" else "(self, x)"
        methods.append([f"def {name}{params}:", *_indent(draw(_block(method_ctx, 1, 5)))])
    for method in methods:
        lines += _indent(method)
    return lines


@st.composite
def torch_programs(draw) -> str:
    """A PyTorch-flavoured script: imports, then random statements in random orders and
    nestings, sometimes ending in a call of `main()`; 4-space, 2-space or tab indentation;
    LF or CRLF line endings."""
    body = draw(_block(Ctx(), 1, 10))
    tail = draw(st.sampled_from([[], ["main()"], ["if __name__ == '__main__':", "    main()"],
                                 ["validate(model)", "train_one_epoch(model, loader)"]]))
    lines = HEADER.splitlines() + body + tail
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    if unit != "    ":
        lines = [_reindent(line, unit) for line in lines]
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(lines) + newline


def _reindent(line: str, unit: str) -> str:
    stripped = line.lstrip(" ")
    return unit * ((len(line) - len(stripped)) // 4) + stripped


# ------------------------------------------------------------------- corpus mutations

_corpus_cache: dict[Path, bytes] = {}


def _corpus_bytes(path: Path) -> bytes:
    if path not in _corpus_cache:
        _corpus_cache[path] = path.read_bytes()
    return _corpus_cache[path]


class _Mutate(cst.CSTTransformer):
    """Apply one statement-level edit to the `target`-th statement block (counted in the
    order the transformer leaves them; `target` and the indices are taken modulo)."""

    def __init__(self, target: int, op: str, i: int, j: int, donor: Optional[cst.CSTNode]):
        self.blocks = 0
        self.target, self.op, self.i, self.j, self.donor = target, op, i, j, donor

    def _edit(self, body: Sequence[cst.BaseStatement]) -> Optional[list]:
        index = self.blocks
        self.blocks += 1
        if index != self.target or not body:
            return None
        out = list(body)
        i, j = self.i % len(out), self.j % (len(out) + 1)
        if self.op == "delete":
            del out[i]
        elif self.op == "duplicate":
            out.insert(j, out[i])
        elif self.op == "swap":
            j %= len(out)
            out[i], out[j] = out[j], out[i]
        elif self.op == "reverse":
            out.reverse()
        elif self.op == "transplant" and self.donor is not None:
            out.insert(j, self.donor)
        return out or [cst.SimpleStatementLine([cst.Pass()])]

    def leave_IndentedBlock(self, original, updated):
        body = self._edit(updated.body)
        return updated if body is None else updated.with_changes(body=body)

    def leave_Module(self, original, updated):
        body = self._edit(updated.body)
        return updated if body is None else updated.with_changes(body=body)


class _Statements(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.found.append(node)
        return True


@st.composite
def statement_mutants(draw) -> tuple[str, str]:
    """A corpus file with 1-3 statement-level edits: still valid syntax, new control flow."""
    path = draw(st.sampled_from(CORPUS_FILES))
    module = cst.parse_module(_corpus_bytes(path))
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "reverse", "transplant", "transplant"]))
        donor = None
        if op == "transplant":
            collector = _Statements()
            module.visit(collector)
            donor = collector.found[draw(st.integers(0, 10**6)) % len(collector.found)]
        ints = st.integers(0, 10**6)
        module = module.visit(_Mutate(draw(ints), op, draw(ints), draw(ints), donor))
        edits.append(op)
    return f"{path.name} [{', '.join(edits)}]", module.code


JUNK = (b"(", b")", b":", b"\\", b'"""', b"'", b"\t", b"\x0c", b"\r", b"\xff", b"lambda", b"yield", b"async ",
        b"@", b"#", b"\n    ", b"\n", b"with torch.no_grad():", b"model.eval()", b"    ", b"\xe2\x80\xa8", b"\x00")


@st.composite
def text_mutants(draw) -> tuple[str, bytes]:
    """A corpus file with 1-4 text-level edits: mostly broken syntax, broken
    indentation, undecodable bytes."""
    path = draw(st.sampled_from(CORPUS_FILES))
    data = _corpus_bytes(path)
    edits = []
    ints = st.integers(0, 10**6)
    for _ in range(draw(st.integers(1, 4))):
        lines = data.splitlines(keepends=True) or [b""]
        n = len(lines)
        op = draw(st.sampled_from(["delete", "duplicate", "reorder", "indent", "dedent", "tab", "flip", "truncate",
                                   "insert", "crlf", "cr"]))
        i, j, k = draw(ints) % n, draw(ints) % n, 1 + draw(st.integers(0, 5))
        if op == "delete":
            del lines[i:i + k]
        elif op == "duplicate":
            lines[j:j] = lines[i:i + k]
        elif op == "reorder":
            chunk = lines[i:i + k]
            del lines[i:i + k]
            lines[j % (len(lines) + 1):j % (len(lines) + 1)] = chunk
        elif op == "indent":
            lines[i] = b" " * k + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip(b" \t")
        elif op == "tab":
            lines[i] = re.sub(rb"^ {1,8}", b"\t", lines[i])
        data = b"".join(lines)
        if op == "flip" and data:
            buf = bytearray(data)
            for _ in range(k):
                buf[draw(ints) % len(buf)] = draw(st.integers(0, 255))
            data = bytes(buf)
        elif op == "truncate":
            data = data[: draw(ints) % (len(data) + 1)]
        elif op == "insert":
            at = draw(ints) % (len(data) + 1)
            data = data[:at] + draw(st.sampled_from(JUNK)) + data[at:]
        elif op == "crlf":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif op == "cr":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
        edits.append(op)
    return f"{path.name} [{', '.join(edits)}]", data


COOKIES = (b"", b"# -*- coding: latin-1 -*-\n", b"# coding: utf-8\n", b"\xef\xbb\xbf", b"# coding=cp1252\n",
           b"#!/usr/bin/env python\n# vim: set fileencoding=utf-16 :\n", b"# coding: klingon\n")
PY_ALPHABET = st.sampled_from(list("abcdefxyz_0123456789()[]{}:;,.=+-*/%<>!@&|^~'\"#\\ \t\n\r\x0c") +
                              ["model", ".eval()", ".train()", "with torch.no_grad():", "def ", "class ", "if ",
                               "for ", "lambda", "\n    ", "é", "€", "😀", "\u2028", "\ufeff"])


# ------------------------------------------------------------------------------ properties


@given(hypothesmith.from_grammar())
def test_grammar_programs(source: str) -> None:
    checked(source)


@given(hypothesmith.from_node())
def test_libcst_node_programs(source: str) -> None:
    checked(source)


@given(torch_programs())
def test_torch_programs(source: str) -> None:
    assert parses(source), f"the generator made invalid Python:\n{source}"
    result = checked(source)
    # valid, shallow code must be analysed, not turned away
    assert result.error is None, f"{result.error}\n--- source ---\n{source}"
    # the same input gives the same report (bytes with CRLF the same as the text)
    again = checked(source.encode("utf-8"))
    assert [d.to_json() for d in again.diagnostics] == [d.to_json() for d in result.diagnostics]


@needs_corpus
@given(statement_mutants())
def test_corpus_statement_mutations(mutant: tuple[str, str]) -> None:
    name, source = mutant
    result = checked(source, path="mutant.py")
    if parses(source):
        assert result.error is None, f"{name}: {result.error}\n--- source ---\n{source}"


@needs_corpus
@given(text_mutants())
def test_corpus_text_mutations(mutant: tuple[str, bytes]) -> None:
    name, data = mutant
    checked(data, path="mutant.py")


@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    checked(data)


@given(st.sampled_from(COOKIES), st.binary(max_size=512))
def test_random_bytes_after_coding_cookie(cookie: bytes, data: bytes) -> None:
    checked(cookie + data)


@given(st.lists(PY_ALPHABET, max_size=200).map("".join))
def test_random_python_ish_text(text: str) -> None:
    checked(text)
    checked(text.encode("utf-8", errors="surrogatepass"))


# Code points unassigned in this Python's Unicode tables are left out: libcst's tokenizer has
# newer tables and check_source then raises (test_edge_cases.py::
# test_identifier_from_a_newer_unicode_version, xfail); put them back when that is fixed.
@given(st.text(st.characters(exclude_categories=["Cn"]), max_size=500))
def test_random_unicode_text(text: str) -> None:
    checked(text)


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_corpus_files_unmutated(path: Path) -> None:
    """The baseline every mutation starts from: each corpus file as it is, as bytes and
    with CRLF line endings (the same findings on the same lines)."""
    data = _corpus_bytes(path)
    plain = checked(data, path=path.name)
    assert plain.error is None, plain.error
    crlf = checked(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), path=path.name)
    assert [(d.code, d.line, d.column) for d in crlf.diagnostics] == [(d.code, d.line, d.column) for d in plain.diagnostics]


# ------------------------------------------------------------------------- the CLI itself


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "evalguard", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


@settings(max_examples=3)
@given(
    st.lists(torch_programs(), min_size=2, max_size=6),
    st.lists(st.binary(max_size=300), max_size=2),
    (st.lists(text_mutants(), max_size=3) if CORPUS_FILES else st.just([])),
)
def test_cli_on_generated_tree(tmp_path_factory, programs: list[str], blobs: list[bytes], mutants: list) -> None:
    """`python -m evalguard check --output-format json` on a directory of generated files
    (in-process, with 2 workers, from the result cache): exit status 0 or 1, valid JSON,
    every file counted, and the same findings as `check_source` gives for each file."""
    root = tmp_path_factory.mktemp("tree")
    files: dict[str, bytes] = {}
    for i, source in enumerate(programs):
        files[f"pkg/prog_{i}.py"] = source.encode("utf-8")
    for i, blob in enumerate(blobs):
        files[f"blob_{i}.py"] = blob
    for i, (_, data) in enumerate(mutants):
        files[f"mutants/m_{i}.py"] = data
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    expected = {}
    for name, data in files.items():
        result = checked(data, path=name)
        expected[name] = sorted((d.code, d.line, d.column) for d in result.diagnostics)
    # in-process (writing the result cache), in a pool without the cache, then from the warm cache
    for extra in (["-j", "1"], ["-j", "2", "--no-cache"], ["-j", "2"]):
        proc = _run_cli(["check", "--output-format", "json", *extra, "."], root)
        assert proc.returncode in (0, 1), f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
        out = json.loads(proc.stdout)
        assert out["files_checked"] == len(files)
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        got: dict[str, list] = {name: [] for name in files}
        for d in out["diagnostics"]:
            got[d["path"]].append((d["code"], d["line"], d["column"]))
        assert {k: sorted(v) for k, v in got.items()} == expected
        for e in out["errors"]:
            assert e["path"] in files and not e["reason"].startswith("internal error"), e
        assert proc.returncode == (1 if out["diagnostics"] or out["errors"] else 0)


# --------------------------------------------- the harness catches what it is meant to catch


class CrashingRule(Rule):
    """Test-only: raises while checking any file that has a `.eval()` call inside a
    `with` block (a bug that only some inputs reach)."""

    code = "EG901"
    name = "crashing-rule"
    summary = "Test-only rule that crashes."
    tokens = ()

    def check(self, analysis) -> Iterator[Finding]:
        class Visitor(cst.CSTVisitor):
            depth = 0

            def visit_With(self, node) -> None:
                self.depth += 1

            def leave_With(self, node) -> None:
                self.depth -= 1

            def visit_Call(self, node: cst.Call) -> None:
                func = node.func
                if self.depth and isinstance(func, cst.Attribute) and func.attr.value == "eval":
                    raise RuntimeError("injected crash")

        analysis.module.visit(Visitor())
        return iter(())


class BadLineRule(Rule):
    """Test-only: reports every file's first statement (fine) and a finding on a node
    that is not in the file at all (a bug: the engine cannot place it)."""

    code = "EG902"
    name = "bad-line-rule"
    summary = "Test-only rule with a misplaced finding."
    tokens = ()

    def check(self, analysis) -> Iterator[Finding]:
        yield Finding(cst.Name("stray"), "a finding on a node outside the module")


def test_harness_reports_a_crash_with_its_input() -> None:
    with pytest.raises(InvariantViolation, match=r"(?s)check_source raised RuntimeError: injected crash.*--- input ---"):
        checked("import torch\nwith torch.no_grad():\n    model.eval()\n", rules=[*RULES, CrashingRule()])


def test_harness_reports_an_unplaceable_finding() -> None:
    with pytest.raises(InvariantViolation, match="check_source raised"):
        checked("x = 1\n", rules=[BadLineRule()])


def test_fuzzer_finds_an_injected_crash() -> None:
    """The PyTorch program generator reaches a crash that needs a particular construct
    (`.eval()` inside a `with` block), and Hypothesis reports it as a failure."""

    @settings(max_examples=200, derandomize=True, database=None, print_blob=False,
              phases=[Phase.generate])  # stop at the first failure: no shrinking
    @given(torch_programs())
    def fuzz(source: str) -> None:
        checked(source, rules=[*RULES, CrashingRule()])

    with pytest.raises(InvariantViolation, match="injected crash"):
        fuzz()


def test_invariants_catch_bad_positions_and_mixed_results() -> None:
    from evalguard.diagnostics import Diagnostic, FileError

    source = "import torch\nmodel.eval\n"

    def diag(**changes) -> Diagnostic:
        fields = dict(path="f.py", line=2, column=1, end_line=2, end_column=11, code="EG006",
                      name=KNOWN["EG006"].name, severity=ERROR, message="m")
        fields.update(changes)
        return Diagnostic(**fields)

    assert_invariants(FileResult("f.py", [diag()]), source, "f.py")  # the good one passes
    bad = [
        FileResult("f.py", [diag(line=0)]),
        FileResult("f.py", [diag(line=3, end_line=3)]),
        FileResult("f.py", [diag(column=40)]),
        FileResult("f.py", [diag(end_column=0)]),
        FileResult("f.py", [diag(code="EG999")]),
        FileResult("f.py", [diag(severity="fatal")]),
        FileResult("f.py", [diag(), diag()]),
        FileResult("f.py", [diag()], error=FileError("f.py", "syntax error")),
        FileResult("f.py", error=FileError("f.py", "")),
        FileResult("f.py", error=FileError("f.py", "bad", line=7)),
        FileResult("f.py", [diag(message=float("nan"))]),
    ]
    for result in bad:
        with pytest.raises(InvariantViolation):
            assert_invariants(result, source, "f.py")


def test_hang_budget_interrupts() -> None:
    import time

    with pytest.raises(Hang):
        with time_limit(0.2):
            time.sleep(5)
