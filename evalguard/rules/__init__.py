"""The rule registry: every module `egNNN_*.py` in this package defines one rule.

Rules are found by module name, so adding a rule is adding a module (and its docs page);
there is no hand-kept list to forget.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from typing import Iterable, Sequence

from typing import TYPE_CHECKING, Any

from evalguard.rules.base import ERROR, WARNING

if TYPE_CHECKING:
    from evalguard.rules.base import Finding, Rule

__all__ = ["ERROR", "WARNING", "Finding", "Rule", "all_rules", "get_rule", "select_rules", "UnknownRuleError"]

_MODULE_RE = re.compile(r"^eg(\d{3})_(\w+)$")


class UnknownRuleError(ValueError):
    """A --select/--ignore entry that names no rule."""


class LazyRule:
    """A rule known by its module's name (`eg001_missing_eval` is EG001 `missing-eval`):
    selecting rules, or answering from the cache, does not import the analysis (and so
    libcst); the rule's module is imported the first time anything else is asked of it."""

    def __init__(self, module: str, code: str, name: str) -> None:
        self._module = module
        self.code = code
        self.name = name

    @property
    def rule(self) -> "Rule":
        loaded = importlib.import_module(f"{__name__}.{self._module}").RULE
        if (loaded.code, loaded.name) != (self.code, self.name):
            raise RuntimeError(f"rule module {self._module} defines {loaded.code} {loaded.name}")
        return loaded

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.rule, attr)

    def __repr__(self) -> str:
        return f"<Rule {self.code} {self.name}>"


@lru_cache(maxsize=None)
def all_rules() -> tuple["Rule", ...]:
    """Every rule, ordered by code."""
    found: list[Any] = []
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE_RE.match(info.name)
        if match:
            found.append(LazyRule(info.name, f"EG{match.group(1)}", match.group(2).replace("_", "-")))
    return tuple(sorted(found, key=lambda r: r.code))


def __getattr__(name: str) -> Any:  # `from evalguard.rules import Finding, Rule` stays cheap until used
    if name in ("Finding", "Rule"):
        from evalguard.rules import base

        return getattr(base, name)
    raise AttributeError(name)


def get_rule(key: str) -> Rule:
    """A rule by code (`EG001`, case-insensitive) or name (`missing-eval`)."""
    k = key.strip()
    for rule in all_rules():
        if rule.code.lower() == k.lower() or rule.name == k.lower():
            return rule
    raise UnknownRuleError(f"unknown rule {key!r}")


def _matches(rule: Rule, selector: str) -> bool:
    s = selector.strip()
    if not s:
        return False
    if s.upper() == "ALL":
        return True
    if rule.name == s.lower():
        return True
    return rule.code.upper().startswith(s.upper())


def _expand(selectors: Iterable[str], rules: Sequence[Rule]) -> set[str]:
    codes: set[str] = set()
    for sel in selectors:
        hit = {r.code for r in rules if _matches(r, sel)}
        if not hit:
            raise UnknownRuleError(f"{sel!r} matches no rule code, prefix or name")
        codes |= hit
    return codes


def select_rules(
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    extend_select: Sequence[str] | None = None,
) -> list[Rule]:
    """The rules a run uses, by code, code prefix or name, as ruff does: `select`
    replaces the default set (all rules), `extend_select` adds to it, `ignore` removes."""
    rules = all_rules()
    chosen = _expand(select, rules) if select else {r.code for r in rules}
    if extend_select:
        chosen |= _expand(extend_select, rules)
    if ignore:
        chosen -= _expand(ignore, rules)
    return [r for r in rules if r.code in chosen]
