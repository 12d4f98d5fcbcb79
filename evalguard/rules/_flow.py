"""Shared wording for the flow rules (EG001–EG005): how to describe where a mode came
from, which call path led to a forward pass, and how severe a finding is."""
from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from evalguard.analysis import describe, FileAnalysis, ForwardEvent, ModeFact, Visit, code_of
from evalguard.rules.base import ERROR, WARNING


#: a forward pass on a module needs a module: torch, a library that builds models, or an
#: object that shows it is one (`.eval()`, `.parameters()`, `state_dict`)
FLOW_TOKENS = ("torch", "nn.", "Module", "timm", "transformers", "diffusers", "lightning", "eval", "train",
               "parameters", "state_dict", "from_pretrained")


def severity(event: ForwardEvent) -> str:
    """Errors when the module provably has mode-sensitive layers; warnings otherwise."""
    return ERROR if event.sensitive else WARNING


def layers_note(event: ForwardEvent) -> str:
    if event.sensitive:
        return "its Dropout/BatchNorm layers behave as in training"
    if event.sensitive is False:
        return "it has no Dropout/BatchNorm today, but will misbehave the day one is added"
    return "any Dropout/BatchNorm inside behaves as in training"


def where(analysis: FileAnalysis, node: Optional[cst.CSTNode], stack: Iterable[cst.CSTNode] = ()) -> str:
    """`line 41`, or `line 62 (reached via `main()` at line 88 → `validate()` at line 74)`."""
    line = analysis.line_of(node)
    text = f"line {line}" if line is not None else "an earlier line"
    hops = []
    for call in stack:
        call_line = analysis.line_of(call)
        if call_line is None:
            continue
        name = code_of(call.func, 40) if isinstance(call, cst.Call) else code_of(call, 40)
        hops.append(f"`{name}()` at line {call_line}")
    if hops:
        text += " (reached via " + " → ".join(hops) + ")"
    return text


def fact_text(analysis: FileAnalysis, fact: ModeFact) -> str:
    what = describe(fact) if describe(fact).startswith("`") else f"`{describe(fact)}`"
    return f"{what} at {where(analysis, fact.node, fact.stack)}"


def loop_note(analysis: FileAnalysis, fact: ModeFact, visit: Visit, forward: cst.CSTNode) -> str:
    """", carried around the loop at line 58 ..." when the fact reaches the forward
    through a loop's back edge (it is set after the forward, in a shared loop)."""
    common = None
    for a, b in zip(fact.loops, visit.loops):
        if a is not b:
            break
        common = a
    if common is None:
        return ""
    fact_line = analysis.line_of(_last_in(fact.stack, fact.node, visit.stack))
    visit_line = analysis.line_of(_last_in(visit.stack, forward, fact.stack))
    if fact_line is not None and visit_line is not None and fact_line >= visit_line:
        return f", carried around the loop at line {analysis.line_of(common)} into the next iteration"
    return ""


def _last_in(stack: tuple, node, other: tuple):
    """The node in the frame shared with the other path: its first differing call site."""
    for i, call in enumerate(stack):
        if i >= len(other) or other[i] is not call:
            return call
    return node


def visit_related(analysis: FileAnalysis, visit: Visit, message: str) -> list[tuple[cst.CSTNode, str]]:
    related = []
    for call in visit.stack:
        related.append((call, f"called from here ({code_of(call)})"))
    return related


def first_line_order(analysis: FileAnalysis, facts: Iterable[ModeFact]) -> list[ModeFact]:
    return sorted(facts, key=lambda f: (analysis.line_of(f.node) or 0))


def signals_text(visit: Visit) -> str:
    return "; ".join(visit.signals)
