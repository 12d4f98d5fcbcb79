"""EG006 mode-call-missing-parens: `model.eval` / `model.train` as a bare statement does
nothing; `with torch.no_grad:` without parentheses raises."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis, code_of, source_of
from evalguard.fixes import Fix, NodeEdit
from evalguard.rules.base import ERROR, Finding, Rule


class ModeCallMissingParens(Rule):
    code = "EG006"
    name = "mode-call-missing-parens"
    summary = (
        "`model.eval` / `model.train` without the call does nothing; "
        "`with torch.no_grad:` without parentheses raises."
    )
    tokens = (".eval", ".train", "no_grad", "inference_mode", "enable_grad", "set_grad_enabled")

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for attr in analysis.index.bare_mode_attrs:
            text = code_of(attr)
            mode = "training" if attr.attr.value == "eval" else "its current"
            yield Finding(
                attr,
                f"`{text}` without parentheses does nothing: the method is looked up and thrown away, so "
                f"`{code_of(attr.value)}` stays in {mode} mode. Write `{text}()`.",
                ERROR,
                fix=Fix(f"Call `{text}()`", [NodeEdit("replace", attr, f"{source_of(attr)}()")]),
            )
        for item, qual in analysis.index.bare_grad_contexts:
            text = code_of(item.item)
            yield Finding(
                item.item,
                f"`with {text}:` without parentheses raises a TypeError before the block runs "
                f"(`{qual}` is a class, not a context manager instance). Write `with {text}():`.",
                ERROR,
                fix=Fix(f"Write `with {text}():`", [NodeEdit("replace", item.item, f"{source_of(item.item)}()")]),
            )


RULE = ModeCallMissingParens()
