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

from evalguard.rules.base import ERROR, WARNING, Finding, Rule

__all__ = ["ERROR", "WARNING", "Finding", "Rule", "all_rules", "get_rule", "select_rules", "UnknownRuleError"]

_MODULE_RE = re.compile(r"^eg\d{3}_\w+$")


class UnknownRuleError(ValueError):
    """A --select/--ignore entry that names no rule."""


@lru_cache(maxsize=None)
def all_rules() -> tuple[Rule, ...]:
    """Every rule, ordered by code."""
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        if _MODULE_RE.match(info.name):
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(module.RULE)
    return tuple(sorted(found, key=lambda r: r.code))


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
