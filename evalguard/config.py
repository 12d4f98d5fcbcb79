"""Configuration: `[tool.evalguard]` in `pyproject.toml` (docs/configuration.md).

The file is found the way ruff finds its own: starting from the first path given on the
command line (its directory when it is a file; the current directory when no path is
given, or for stdin the `--stdin-filename`'s directory), the nearest `pyproject.toml`
*that has a `[tool.evalguard]` table*, walking up to the filesystem root. `--config
PATH` names the file instead (a `pyproject.toml`, whose `[tool.evalguard]` table is
read, or any other TOML file, whose top level is the table); `--isolated` reads none.

Paths and globs in the file (`exclude`, `extend-exclude`, `per-file-ignores`) are
relative to the directory that holds it. Every key is validated; a mistake is a
`ConfigError` whose message names the file and the key, which the command line prints
as a usage error (exit 2).

This module must stay cheap to import (the command line imports it before any check):
no libcst, no rules at import time.
"""
from __future__ import annotations

import difflib
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

TABLE = "evalguard"
MODES = ("train", "eval", "unknown")
_QUALNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ConfigError(Exception):
    """A configuration mistake; the message is for the user."""


@dataclass(frozen=True)
class AnalysisSettings:
    """The settings the analysis itself uses. Frozen, hashable and picklable: it travels
    to the worker processes with each file.

    - `inference_function_patterns`: extra names of functions whose forward passes are
      inference (e.g. `"run_holdout*"`), shell-style globs matched against the bare
      function or method name, case-sensitively (`fnmatch.fnmatchcase`);
    - `inference_loader_patterns`: extra names of data loaders that mean evaluation data
      (e.g. `"*_holdout_dl"`), globs matched against the loader expression's last name
      (`self.heldout_dl` → `heldout_dl`) and against its whole dotted text;
    - `model_constructors`: qualified names of callables that build a model, with the mode
      the model is in when it comes back: `"train"` (a fresh `nn.Module`), `"eval"` (a
      loader like `from_pretrained`) or `"unknown"` (stay silent about its mode).
    """

    inference_function_patterns: tuple[str, ...] = ()
    inference_loader_patterns: tuple[str, ...] = ()
    model_constructors: tuple[tuple[str, str], ...] = ()

    def is_inference_function(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.inference_function_patterns)

    def is_inference_loader(self, text: str) -> bool:
        last = text.rsplit(".", 1)[-1]
        return any(fnmatch.fnmatchcase(last, p) or fnmatch.fnmatchcase(text, p) for p in self.inference_loader_patterns)

    def constructor_mode(self, qualname: str) -> Optional[str]:
        """`"train"`, `"eval"` or `"unknown"` for a configured constructor, else None."""
        for name, mode in self.model_constructors:
            if name == qualname:
                return mode
        return None

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_ANALYSIS_SETTINGS


DEFAULT_ANALYSIS_SETTINGS = AnalysisSettings()


@dataclass
class Config:
    """One configuration file's settings (or the empty configuration, `path` None).
    List-valued keys that are absent are None, so that "not set" and "set to []" differ
    (an empty `exclude` replaces the default excludes)."""

    path: Optional[Path] = None
    root: Path = field(default_factory=Path.cwd)
    select: Optional[list[str]] = None
    ignore: Optional[list[str]] = None
    extend_select: Optional[list[str]] = None
    exclude: Optional[list[str]] = None
    extend_exclude: list[str] = field(default_factory=list)
    per_file_ignores: list[tuple[str, list[str]]] = field(default_factory=list)
    respect_gitignore: bool = True
    analysis: AnalysisSettings = DEFAULT_ANALYSIS_SETTINGS
    #: how messages name the table: `pyproject.toml: [tool.evalguard]`
    where: str = "configuration"


KEYS = (
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "respect-gitignore",
    "inference-function-patterns",
    "inference-loader-patterns",
    "model-constructors",
)


def display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return rel if not rel.startswith("..") else str(path)


# --- finding and reading the file


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{display(path)}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{display(path)}: is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{display(path)}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display(path)}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{display(path)}: not valid UTF-8") from None


def _table_of(doc: dict[str, Any]) -> Optional[Any]:
    tool = doc.get("tool")
    return tool.get(TABLE) if isinstance(tool, dict) else None


def find_config(start: Path) -> Optional[Path]:
    """The nearest `pyproject.toml` with a `[tool.evalguard]` table, from `start` (a file
    or directory, which need not exist) up to the root."""
    here = Path(os.path.abspath(start))
    while not here.is_dir() and here != here.parent:
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = candidate.read_bytes()
            except OSError:
                continue
            if b"evalguard" not in data:  # cheap: most pyproject files have no table of ours
                continue
            if _table_of(_load_toml(candidate)) is not None:
                return candidate
    return None


def load_config(path: Path) -> Config:
    """Read and validate one configuration file."""
    path = Path(os.path.abspath(path))
    doc = _load_toml(path)
    table = _table_of(doc)
    if table is not None:
        where = f"{display(path)}: [tool.{TABLE}]"
    elif path.name == "pyproject.toml":
        raise ConfigError(f"{display(path)}: no [tool.{TABLE}] table")
    else:  # e.g. evalguard.toml: the top level is the table
        table, where = doc, display(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return parse_table(table, where, path=path, root=path.parent)


def resolve_config(paths: Sequence[str], config_path: Optional[str], isolated: bool, stdin_filename: Optional[str]) -> Config:
    """The configuration a run uses: `--config`, else the nearest one found from the
    first path, else the empty configuration."""
    if config_path is not None:
        return load_config(Path(config_path))
    if isolated:
        return Config()
    first = next((p for p in paths if p != "-"), None)
    if first is None and stdin_filename:
        first = stdin_filename
    found = find_config(Path(first) if first else Path.cwd())
    return load_config(found) if found is not None else Config()


# --- validation


def parse_table(table: dict[str, Any], where: str, *, path: Optional[Path] = None, root: Optional[Path] = None) -> Config:
    config = Config(path=path, root=root or Path.cwd(), where=where)
    for key in table:
        if key not in KEYS:
            near = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(KEYS)}"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
    get = table.get
    if "select" in table:
        config.select = _strings(get("select"), where, "select")
    if "ignore" in table:
        config.ignore = _strings(get("ignore"), where, "ignore")
    if "extend-select" in table:
        config.extend_select = _strings(get("extend-select"), where, "extend-select")
    if "exclude" in table:
        config.exclude = _strings(get("exclude"), where, "exclude")
    if "extend-exclude" in table:
        config.extend_exclude = _strings(get("extend-exclude"), where, "extend-exclude")
    if "respect-gitignore" in table:
        value = get("respect-gitignore")
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: respect-gitignore: expected true or false, got {_show(value)}")
        config.respect_gitignore = value
    if "per-file-ignores" in table:
        value = get("per-file-ignores")
        if not isinstance(value, dict):
            raise ConfigError(
                f"{where}: per-file-ignores: expected a table of glob = [codes], got {_show(value)}"
            )
        config.per_file_ignores = [
            (glob, _strings(codes, where, f"per-file-ignores.{_key(glob)}")) for glob, codes in value.items()
        ]
        for glob, _ in config.per_file_ignores:
            _check_glob(glob, where, f"per-file-ignores.{_key(glob)}")
    for key in ("exclude", "extend-exclude"):
        for glob in (config.exclude or []) if key == "exclude" else config.extend_exclude:
            _check_glob(glob, where, key)
    functions = _strings(get("inference-function-patterns", []), where, "inference-function-patterns")
    loaders = _strings(get("inference-loader-patterns", []), where, "inference-loader-patterns")
    for key, patterns in (("inference-function-patterns", functions), ("inference-loader-patterns", loaders)):
        for pattern in patterns:
            if not pattern.strip():
                raise ConfigError(f"{where}: {key}: empty pattern")
    constructors = get("model-constructors", {})
    if not isinstance(constructors, dict):
        raise ConfigError(
            f'{where}: model-constructors: expected a table of "qualified.name" = "train" | "eval" | "unknown", '
            f"got {_show(constructors)}"
        )
    pairs: list[tuple[str, str]] = []
    for name, mode in constructors.items():
        if not _QUALNAME.match(name):
            raise ConfigError(
                f"{where}: model-constructors: {name!r} is not a qualified name (like \"mylib.models.build_model\")"
            )
        if mode not in MODES:
            raise ConfigError(
                f"{where}: model-constructors.{_key(name)}: expected \"train\", \"eval\" or \"unknown\", got {_show(mode)}"
            )
        pairs.append((name, mode))
    config.analysis = AnalysisSettings(tuple(functions), tuple(loaders), tuple(sorted(pairs)))
    return config


def _strings(value: Any, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key}: expected a list of strings, got {_show(value)}")
    return list(value)


def _check_glob(glob: str, where: str, key: str) -> None:
    if not glob.strip():
        raise ConfigError(f"{where}: {key}: empty pattern")
    from evalguard.discovery import compile_patterns

    try:
        compile_patterns([glob])
    except Exception as exc:  # pathspec raises various errors for bad patterns
        raise ConfigError(f"{where}: {key}: bad pattern {glob!r}: {exc}") from None


def _key(name: str) -> str:
    return name if re.match(r"^[A-Za-z0-9_-]+$", name) else f'"{name}"'


def _show(value: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    described = kind.get(type(value), type(value).__name__)
    text = repr(value)
    if isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, bool):
        text = "true" if value else "false"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{described} ({text})"


# --- rule selection: the file's layer, then the command line's


def select_codes(
    config: Config,
    select: Sequence[str],
    ignore: Sequence[str],
    extend_select: Sequence[str],
) -> list[str]:
    """The selected rule codes. The file is one layer, the command line another on top of
    it (as in ruff): `--select` replaces whatever the file selected *and ignored*,
    `--extend-select` adds, `--ignore` removes. Raises `UnknownRuleError` (from the rule
    registry) for a selector that names no rule; the caller says which flag or key."""
    from evalguard.rules import all_rules, select_rules

    def expand(selectors: Sequence[str]) -> set[str]:
        return {r.code for r in select_rules(select=list(selectors))} if selectors else set()

    codes = {r.code for r in select_rules(config.select, config.ignore, config.extend_select)}
    if select:
        codes = expand(select)
    codes |= expand(extend_select)
    codes -= expand(ignore)
    return [r.code for r in all_rules() if r.code in codes]


def check_selectors(config: Config) -> None:
    """Every selector in the file names a rule (else a `ConfigError` naming the key)."""
    from evalguard.rules import UnknownRuleError, select_rules

    items: list[tuple[str, Iterable[str]]] = [
        ("select", config.select or []),
        ("ignore", config.ignore or []),
        ("extend-select", config.extend_select or []),
    ]
    items += [(f"per-file-ignores.{_key(glob)}", codes) for glob, codes in config.per_file_ignores]
    where = config.where
    for key, selectors in items:
        for selector in selectors:
            try:
                select_rules(select=[selector])
            except UnknownRuleError as exc:
                raise ConfigError(f"{where}: {key}: {exc}; see `evalguard rules`") from None


class PerFileIgnores:
    """`per-file-ignores`: gitignore-style globs, relative to the configuration's
    directory, each with the codes (expanded from codes, prefixes and names) that files
    matching it do not get."""

    def __init__(self, config: Config):
        from evalguard.discovery import compile_patterns
        from evalguard.rules import select_rules

        self.root = os.path.abspath(config.root)
        self.entries = [
            (compile_patterns([glob]), frozenset(r.code for r in select_rules(select=codes)) if codes else frozenset())
            for glob, codes in config.per_file_ignores
        ]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def codes_for(self, path: str) -> frozenset[str]:
        """The codes ignored for `path` (as given on the command line or found)."""
        if not self.entries:
            return frozenset()
        absolute = os.path.abspath(path)
        rel = os.path.relpath(absolute, self.root).replace(os.sep, "/")
        if rel.startswith("../") or rel == "..":
            rel = os.path.basename(absolute)  # outside the project: only name-only globs can match
        out: set[str] = set()
        for spec, codes in self.entries:
            if spec.match_file(rel):
                out |= codes
        return frozenset(out)
