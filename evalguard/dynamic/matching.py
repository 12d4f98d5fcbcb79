"""Give each static finding a status from what the run recorded, and derive the
runtime-only findings EG101–EG104.

Matching is by line. The record names, for each top-level forward call, the lines of
the user's files that were executing (the call path, outermost first). A finding at a
forward call (EG001, EG002, EG005) matches the records whose path passes through its
line. EG003 is reported at the `.train()` call; its related locations on the call path
— the inference forward and the calls that lead to it — must all be on the recorded
path, and the `.train()` must have run. EG004 matches through its related training forward; EG007 through the
functional dropout calls made from its line. EG006 and EG008 are about code that does
nothing at runtime (a bare `model.eval`, `volatile=True`): there is no runtime evidence
to collect, and their status stays null.

A runtime-only finding is not added where a static finding was confirmed by the same
forward calls (EG001/EG003 → EG101, EG002 → EG103, EG004 → EG102).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from evalguard.diagnostics import Diagnostic, Related
from evalguard.dynamic import rules
from evalguard.dynamic.observed import GRAD_TEXT, Combo, Forward, Observed, impact_text

CONFIRMED, NOT_OBSERVED, NOT_REACHED = "confirmed", "not-observed", "not-reached"
#: the runtime rule a confirmed static finding makes redundant at the same forward calls
COVERS = {"EG001": "EG101", "EG003": "EG101", "EG002": "EG103", "EG004": "EG102"}


@dataclass
class Verdict:
    status: str
    note: Optional[str] = None
    evidence: list[Forward] = field(default_factory=list)  # the forwards that showed the bug, or ran without it
    at: Optional[tuple[str, int, int]] = None  # where the note points (path, line, column)


Judge = Callable[[Diagnostic, str, Observed], Verdict]


def _lines(d: Diagnostic) -> range:
    return range(d.line, max(d.end_line, d.line) + 1)


def path_places(d: Diagnostic) -> set[tuple[str, int]]:
    """The related places on the call path to the finding's forward: the forward itself
    ("… forward pass …") and the calls leading to it ("called from here …"); all related
    places when none is worded so."""
    on_path = [r for r in d.related if r.message.startswith("called from here") or "forward pass" in r.message]
    return {(os.path.realpath(r.path), r.line) for r in on_path or d.related}


def _at(f: Forward) -> tuple[str, int, int]:
    return (f.path, f.line, f.column)


def _grads(combos: list[Combo]) -> str:
    return " / ".join(sorted({GRAD_TEXT[c.grad] for c in combos}))


def _train_layers(f: Forward) -> str:
    return ", ".join(f.train_layers) if f.train_layers else "its mode-sensitive layers"


def _not_observed(f: Forward, what: str) -> Verdict:
    if all(c.layers == "none" for c in f.combos) and what == "mode":
        note = (f"observed: `{f.module}` ran here {f.calls}× and has no mode-sensitive layers "
                "(Dropout, BatchNorm, …), so its mode made no difference")
    else:
        note = f"observed: `{f.module}` ran here {f.describe()}"
    return Verdict(NOT_OBSERVED, note, [f], _at(f))


def _train_mode_inference(forwards: list[Forward], lead: str) -> Optional[Verdict]:
    """Inference calls (no backward) in training mode among `forwards`, as a confirmation."""
    hits = [(f, [c for c in f.combos if c.train_mode and c.unused]) for f in forwards]
    hits = [(f, combos) for f, combos in hits if combos]
    if not hits:
        return None
    f, combos = hits[0]
    n = sum(c.unused for _, cs in hits for c in cs)
    note = (f"observed: {lead}{n} inference call(s) of `{f.module}` ran in training mode ({_grads(combos)}), "
            f"{_train_layers(f)} active")
    if f.impact:
        note += f"; {impact_text(f.impact)}"
    return Verdict(CONFIRMED, note, [g for g, _ in hits], _at(f))


def judge_eg001(d: Diagnostic, path: str, obs: Observed) -> Verdict:
    forwards = obs.forwards_through(path, _lines(d))
    if not forwards:
        return Verdict(NOT_REACHED)
    return _train_mode_inference(forwards, "") or _not_observed(forwards[0], "mode")


def judge_eg002(d: Diagnostic, path: str, obs: Observed) -> Verdict:
    forwards = obs.forwards_through(path, _lines(d))
    if not forwards:
        return Verdict(NOT_REACHED)
    hits = [f for f in forwards if any(c.grad == "grad" and c.graph and c.unused for c in f.combos)]
    if not hits:
        return _not_observed(forwards[0], "grad")
    f = hits[0]
    n = sum(c.unused for g in hits for c in g.combos if c.grad == "grad" and c.graph)
    return Verdict(CONFIRMED, f"observed: {n} call(s) of `{f.module}` here built an autograd graph that no "
                              "backward pass used", hits, _at(f))


def judge_eg003(d: Diagnostic, path: str, obs: Observed) -> Verdict:
    required = path_places(d)
    forwards = [f for f in obs.forwards if required and required <= f.places]
    train_ran = any(obs.mode_call_ran(path, line, True) for line in _lines(d))
    if train_ran:
        found = _train_mode_inference(forwards, "after this `.train()` ran, ")
        if found:
            return found
    if forwards:
        return _not_observed(forwards[0], "mode")
    if train_ran:
        return Verdict(NOT_OBSERVED, "observed: this `.train()` ran, but the inference forward it reaches did not")
    return Verdict(NOT_REACHED)


def judge_eg004(d: Diagnostic, path: str, obs: Observed) -> Verdict:
    places = path_places(d)
    forwards = [f for f in obs.forwards if f.places & places] if places else [f for f in obs.forwards if f.path == path]
    hits = [f for f in forwards if f.bn_drift]
    if hits:
        drift = [x for f in hits for x in f.bn_drift]
        names = ", ".join(f"`{name}`" for name in sorted({x["layer"] for x in drift})[:4])
        biggest = max(x["max_change"] for x in drift)
        calls = sum(x["calls"] for x in drift) // max(len({x["layer"] for x in drift}), 1)
        note = (f"observed: in {calls} training call(s) the running statistics of frozen BatchNorm layer(s) "
                f"{names} changed (by up to {biggest:.3g})")
        return Verdict(CONFIRMED, note, hits, _at(hits[0]))
    if forwards:
        return Verdict(NOT_OBSERVED, f"observed: the training forward ran {forwards[0].calls}× and no frozen "
                                     "BatchNorm statistics changed", forwards, _at(forwards[0]))
    return Verdict(NOT_REACHED)


def judge_eg005(d: Diagnostic, path: str, obs: Observed) -> Verdict:
    forwards = obs.forwards_through(path, _lines(d))
    if not forwards:
        return Verdict(NOT_REACHED)
    hits = [f for f in forwards if any(c.eval_mode and c.stepped for c in f.combos)]
    if not hits:
        return _not_observed(forwards[0], "mode")
    f = hits[0]
    n = sum(c.stepped for g in hits for c in g.combos if c.eval_mode)
    layers = ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in sorted(f.sensitive.items()))
    return Verdict(CONFIRMED, f"observed: {n} training call(s) of `{f.module}` here (backward pass, then an "
                              f"optimizer step) ran in eval mode, with {layers} inactive", hits, _at(f))


def judge_eg007(d: Diagnostic, path: str, obs: Observed) -> Verdict:
    calls = [c for c in obs.dropouts if c.path == path and c.line in _lines(d)]
    if not calls:
        return Verdict(NOT_REACHED)
    hits = [c for c in calls if c.active_in_eval]
    first = (hits or calls)[0]
    at = (first.path, first.line, first.column)
    if not hits:
        return Verdict(NOT_OBSERVED, f"observed: ran {sum(c.calls for c in calls)}×, never while its module was in "
                                     "eval mode", at=at)
    n = sum(c.active_in_eval for c in hits)
    return Verdict(CONFIRMED, f"observed: `F.{first.function}` dropped activations in {n} call(s) while "
                              f"`{first.module}` was in eval mode", at=at)


JUDGES: dict[str, Judge] = {
    "EG001": judge_eg001, "EG002": judge_eg002, "EG003": judge_eg003,
    "EG004": judge_eg004, "EG005": judge_eg005, "EG007": judge_eg007,
}


def judge(d: Diagnostic, path: str, obs: Observed) -> Optional[Verdict]:
    """The verdict on a static finding in the file `path` (real path); None for the rules
    with nothing to observe (EG006, EG008)."""
    rule = JUDGES.get(d.code)
    return None if rule is None else rule(d, path, obs)


def covered(verdicts: Iterable[tuple[Diagnostic, Optional[Verdict]]]) -> dict[str, set[int]]:
    """Per runtime rule, the forwards (ids) at which a static finding it would repeat was confirmed."""
    out: dict[str, set[int]] = {code: set() for code in set(COVERS.values())}
    for d, verdict in verdicts:
        if verdict is not None and verdict.status == CONFIRMED and d.code in COVERS:
            out[COVERS[d.code]].update(id(f) for f in verdict.evidence)
    return out


def runtime_findings(obs: Observed, show: Callable[[str], str], covered: dict[str, set[int]]) -> list[Diagnostic]:
    """EG101–EG104 at the user's call sites, one per (rule, place)."""
    found: dict[tuple, Diagnostic] = {}
    for f in obs.forwards:
        for rule, message in _runtime_messages(f, f.inference_context(obs.optimizer_steps), covered):
            key = (rule.code, f.path, f.line, f.column)
            if key not in found:
                found[key] = _diagnostic(rule, f, message, show)
    return sorted(found.values(), key=Diagnostic.sort_key)


def _runtime_messages(f: Forward, inference: bool, covered: dict[str, set[int]]) -> list[tuple[rules.DynamicRule, str]]:
    out = []
    batch = f" (batch size {', '.join(map(str, f.batch_sizes))})" if f.batch_sizes else ""
    train = [c for c in f.combos if c.train_mode and c.grad != "grad"]
    if inference and train and id(f) not in covered["EG101"]:
        n = sum(c.calls for c in train)
        message = (f"`{f.module}` ran for inference in training mode: {n} call(s) here ran {_grads(train)}{batch}, "
                   f"{_train_layers(f)} active")
        if f.impact:
            message += f"; {impact_text(f.impact)}"
        out.append((rules.EG101, message + ". Call `.eval()` on the model before inference."))
    graph = [c for c in f.combos if c.graph]
    looks_inference = any(c.grad != "grad" for c in f.combos) or any(not c.training for c in graph)
    if inference and graph and looks_inference and id(f) not in covered["EG103"]:
        n = sum(c.calls for c in graph)
        why = "the module was in eval mode" if any(not c.training for c in graph) else "other calls here ran without it"
        out.append((rules.EG103, f"`{f.module}` ran for inference with autograd on: {n} call(s) here{batch} built an "
                                 f"autograd graph that no backward pass used ({why}); it keeps every activation "
                                 "alive. Wrap inference in `torch.no_grad()` or `torch.inference_mode()`."))
    if f.bn_drift and id(f) not in covered["EG102"]:
        names = ", ".join(f"`{x['layer']}` ({x['type']})" for x in f.bn_drift[:4])
        by = {x["frozen_by"] for x in f.bn_drift}
        why = "their parameters have requires_grad=False" if by == {"requires_grad"} else (
            "their parameters are in no optimizer" if by == {"optimizer"} else "their parameters never train")
        biggest = max(x["max_change"] for x in f.bn_drift)
        calls = max(x["calls"] for x in f.bn_drift)
        out.append((rules.EG102, f"the running statistics of frozen BatchNorm layer(s) {names} in `{f.module}` changed "
                                 f"in {calls} training call(s) here (by up to {biggest:.3g}): {why}, but they ran in "
                                 "training mode. Put the frozen part in eval mode after every `.train()` (or use "
                                 "FrozenBatchNorm2d)."))
    if f.bn_single:
        x = f.bn_single[0]
        out.append((rules.EG104, f"BatchNorm layer `{x['layer']}` in `{f.module}` ran in training mode on a single "
                                 f"value per channel (input shape {tuple(x['shape'])}): PyTorch raises \"Expected more "
                                 "than 1 value per channel when training\". Call `.eval()` for single-sample "
                                 "inference; in training, drop the incomplete last batch (`drop_last=True`)."))
    return out


def _diagnostic(rule: rules.DynamicRule, f: Forward, message: str, show: Callable[[str], str]) -> Diagnostic:
    calls = dict.fromkeys(place for place in f.chain[:-1] if place != (f.path, f.line))  # a comprehension's frame
    related = [Related(show(p), line, 1, "called from here") for p, line in calls]
    return Diagnostic(show(f.path), f.line, f.column, f.end_line, f.end_column, rule.code, rule.name,
                      rule.severity, message, related, status=CONFIRMED)
