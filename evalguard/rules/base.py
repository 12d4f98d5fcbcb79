"""What a rule is: a code, a name, a summary, its documentation and a `check` over the
analysis of one file. Rules import only the analysis API (`evalguard.analysis`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import TYPE_CHECKING, ClassVar, Iterator

if TYPE_CHECKING:
    import libcst as cst

    from evalguard.analysis import FileAnalysis
    from evalguard.fixes import Fix

ERROR = "error"
WARNING = "warning"


@dataclass
class Finding:
    """A rule's finding, still in terms of syntax nodes; the engine turns nodes into
    line/column positions only for files that have findings."""

    node: cst.CSTNode
    message: str
    severity: str = ERROR
    related: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # a node that ends the reported range, when it is not `node` itself
    end_node: cst.CSTNode | None = None
    fix: "Fix | None" = None


class Rule:
    """Base class: subclasses set the class attributes and implement `check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    #: words without which the rule cannot fire (the text pre-filter); empty: any file
    tokens: ClassVar[tuple[str, ...]] = ()

    def check(self, analysis: "FileAnalysis") -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    @cached_property
    def docs(self) -> str:
        """The rule's documentation (markdown), shipped beside the rule modules."""
        return resources.files("evalguard.rules").joinpath("docs", f"{self.code}.md").read_text(encoding="utf-8")

    def __repr__(self) -> str:
        return f"<Rule {self.code} {self.name}>"
