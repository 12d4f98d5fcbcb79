"""The `evalguard` command line.

Startup is kept cheap (pre-commit runs it on every commit): this module imports only
typer at the top; the rules, libcst, the runner and rich are imported inside the
commands that need them, and torch is never imported.
"""
from __future__ import annotations

import os
import sys
import traceback
from enum import Enum
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional, TextIO

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from evalguard.diagnostics import Report
    from evalguard.rules import Rule

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="evalguard",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


class OutputFormat(str, Enum):
    text = "text"
    concise = "concise"
    json = "json"
    github = "github"
    sarif = "sarif"


class ListFormat(str, Enum):
    text = "text"
    json = "json"


def _print_version(value: bool) -> None:
    if value:
        from evalguard import __version__

        typer.echo(f"evalguard {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Inference-readiness linter for PyTorch code: missing model.eval(), missing no_grad,
    stray train() calls, frozen-BatchNorm drift."""


_SELECTOR_HELP = "Comma-separated rule codes, code prefixes or names; repeatable."
_PATTERN_HELP = "Comma-separated gitignore-style patterns, relative to the current directory; repeatable."


class UsageError(Exception):
    """A mistake in how evalguard was asked to run (configuration, baseline, git ref):
    printed as `evalguard: error: ...`, exit 2, never a traceback."""


@app.command()
def check(
    paths: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="PATHS",
            help="Files and directories to check (directories: their *.py and *.ipynb files); `-` reads stdin.",
            show_default=".",
        ),
    ] = None,
    select: Annotated[
        Optional[list[str]], typer.Option(metavar="CODES", help=f"Rules to run instead of all. {_SELECTOR_HELP}")
    ] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(metavar="CODES", help=f"Rules not to run. {_SELECTOR_HELP}")] = None,
    extend_select: Annotated[
        Optional[list[str]], typer.Option(metavar="CODES", help=f"Rules to add to the selection. {_SELECTOR_HELP}")
    ] = None,
    config: Annotated[
        Optional[str],
        typer.Option(
            "--config",
            metavar="PATH",
            help="The configuration file to use (a pyproject.toml with [tool.evalguard], or a TOML file of those "
            "keys) instead of the nearest pyproject.toml with a [tool.evalguard] table.",
        ),
    ] = None,
    isolated: Annotated[bool, typer.Option("--isolated", help="Read no configuration file.")] = False,
    exclude: Annotated[
        Optional[list[str]],
        typer.Option(metavar="PATTERNS", help=f"Paths to leave out, replacing the configured and default excludes. {_PATTERN_HELP}"),
    ] = None,
    extend_exclude: Annotated[
        Optional[list[str]],
        typer.Option(metavar="PATTERNS", help=f"Paths to leave out, in addition to the excludes. {_PATTERN_HELP}"),
    ] = None,
    force_exclude: Annotated[
        bool,
        typer.Option("--force-exclude", help="Apply the excludes to paths given on the command line too (for pre-commit)."),
    ] = False,
    respect_gitignore: Annotated[
        Optional[bool],
        typer.Option(
            "--respect-gitignore/--no-respect-gitignore",
            help="Skip files ignored by .gitignore while walking directories (default: on, or the configuration's "
            "respect-gitignore).",
            show_default=False,
        ),
    ] = None,
    stdin_filename: Annotated[
        Optional[str],
        typer.Option(
            "--stdin-filename",
            metavar="NAME",
            help="The name to report source read from stdin (`-`) under; per-file-ignores apply to it. "
            "A name ending in .ipynb reads a notebook.",
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--output-format", case_sensitive=False, help="How to print the results.")
    ] = OutputFormat.text,
    output_file: Annotated[
        Optional[str],
        typer.Option("--output-file", "-o", metavar="PATH", help="Write the report to this file instead of stdout."),
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print the number of findings per rule instead of the findings.")
    ] = False,
    show_suppressed: Annotated[
        bool,
        typer.Option(
            "--show-suppressed",
            help="Also list the findings silenced by `# noqa` / `# evalguard: ignore` comments "
            "(JSON: a top-level `suppressed` list).",
        ),
    ] = False,
    baseline: Annotated[
        Optional[str],
        typer.Option("--baseline", metavar="FILE", help="Report only findings that the baseline FILE does not hold."),
    ] = None,
    write_baseline: Annotated[
        Optional[str],
        typer.Option("--write-baseline", metavar="FILE", help="Record the current findings in the baseline FILE."),
    ] = None,
    changed_since: Annotated[
        Optional[str],
        typer.Option(
            "--changed-since", metavar="REF", help="Report only findings on lines added or changed since the git revision REF."
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit with status 0 even when there are findings or file errors.")
    ] = False,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", min=1, show_default="number of CPUs", help="Worker processes; 1 checks in-process."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Text format: print findings only, no summary.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Never colour the output (NO_COLOR is honoured too).")] = False,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes in place, then report what is left.")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a unified diff and change nothing (exit 1 when there is one).")
    ] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option("--unsafe-fixes", help="With --fix/--diff, also apply the fixes that change behaviour (review them)."),
    ] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the result cache.")] = False,
    cache_dir: Annotated[
        Optional[str],
        typer.Option("--cache-dir", metavar="DIR", help="Where to keep the result cache.", show_default=".evalguard_cache"),
    ] = None,
    confirm: Annotated[
        bool,
        typer.Option("--confirm", help="Run the script (it EXECUTES your code, in a child process) on a few batches "
                     "under instrumentation and mark each finding confirmed / not-observed / not-reached. "
                     "Script arguments go after `--`."),
    ] = False,
    max_batches: Annotated[
        int, typer.Option("--max-batches", min=1, help="--confirm: batches per DataLoader iteration.")
    ] = 2,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="--confirm: seconds the script may run (what ran is still used).")
    ] = 120.0,
    device: Annotated[str, typer.Option("--device", help="--confirm: `cpu` or `cuda`.")] = "cpu",
    file_timeout: Annotated[
        float,
        typer.Option("--file-timeout", metavar="SECONDS", min=0,
                     help="Report and skip a file that takes longer than this to check (0: no limit)."),
    ] = 10.0,  # evalguard.runner.DEFAULT_FILE_BUDGET (not imported here: it pulls in libcst)
) -> None:
    """Check Python files and notebooks for code that makes a model predict in training mode
    or with autograd on.

    Exit status: 0 when there is nothing to report; 1 when there are findings or any
    file could not be read or parsed (as ruff does: such a file is listed under
    `errors` and never stops the run); 2 on a usage error (including a bad configuration
    file) or an internal error. --exit-zero turns 1 into 0.
    """
    given = list(paths or [])
    run_record = None
    if not given:
        given = ["-"] if stdin_filename else ["."]
    try:
        if baseline and write_baseline:
            raise UsageError("--baseline and --write-baseline cannot be used together")
        if changed_since is not None and "-" in given:
            raise UsageError("--changed-since cannot be used with stdin (`-`)")
        if given.count("-") > 1:
            raise UsageError("`-` (stdin) can be given only once")
        rules, run_options = _settings(given, config, isolated, stdin_filename, select, ignore, extend_select,
                                       exclude, extend_exclude, force_exclude, respect_gitignore)
        from evalguard.runner import run

        if fix or diff:
            changed = _apply_fixes(given, rules, run_options, unsafe_fixes, write=fix and not diff)
            if diff:
                raise typer.Exit(EXIT_FINDINGS if changed else EXIT_OK)
        cache = None if no_cache else (cache_dir or _default_cache_dir())
        report = run(given, rules, jobs, show_suppressed=show_suppressed, stdin_filename=stdin_filename,
                     cache_dir=cache, budget=file_timeout or None, **run_options)
        if confirm:
            run_record = _confirm(report, given, max_batches, timeout, device)
        _post_process(report, baseline, write_baseline, changed_since)
        _output(report, output_format, output_file, statistics=statistics, quiet=quiet, no_color=no_color)
    except UsageError as exc:
        _usage_error(str(exc))
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except BrokenPipeError:  # the reader went away (`| head`): not a failure of the check
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if "report" not in locals():  # it went away while --diff was printing
            raise typer.Exit(EXIT_FINDINGS) from None
    except Exception:  # a bug in evalguard itself: exit 2, so it is not taken for findings
        traceback.print_exc()
        typer.echo("evalguard: internal error (see the traceback above)", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    if confirm and run_record is not None and not run_record.ok:
        typer.echo(run_record.details(), err=True)
    if report.interrupted:
        typer.echo(f"evalguard: interrupted after {report.files_checked} files; the report above is partial", err=True)
        raise typer.Exit(130)
    failed = bool(report.diagnostics or report.errors)
    raise typer.Exit(EXIT_FINDINGS if failed and not exit_zero else EXIT_OK)


#: what follows `--` on the command line: the arguments of the script run by --confirm
SCRIPT_ARGS: list[str] = []


def _confirm(report: Report, paths: list[str], max_batches: int, timeout: float, device: str):
    """--confirm: run the one script, set the statuses of its findings, add EG101-EG104."""
    from evalguard.dynamic import DynamicError, confirm

    scripts = [p for p in paths if p != "-"]
    if len(scripts) != 1 or not os.path.isfile(scripts[0]) or not scripts[0].endswith(".py"):
        raise UsageError("--confirm runs one script: give exactly one .py file (its arguments after `--`)")
    try:
        result = confirm(scripts[0], SCRIPT_ARGS, report.diagnostics, max_batches=max_batches, timeout=timeout,
                         device=device)
    except DynamicError as exc:
        raise UsageError(str(exc)) from None
    report.diagnostics.extend(result.added)
    report.sort()
    return result.run


def _default_cache_dir() -> str:
    from evalguard.cache import DEFAULT_DIR

    return DEFAULT_DIR


def _apply_fixes(paths: list[str], rules: list[Rule], run_options: dict, unsafe: bool, write: bool) -> bool:
    """--fix / --diff: fix (or show the fixes of) every discovered file; True when some
    file has (or had) something to change. Problems go to stderr; nothing that does not
    parse is ever written."""
    from evalguard.discovery import discover
    from evalguard.fixer import fix_file, fix_notebook_file

    found = discover([p for p in paths if p != "-"], run_options.get("exclusions"))
    ignored = run_options.get("ignored_codes")
    changed = fixed = 0
    for source in found.files:
        drop = ignored(source.display) if ignored else frozenset()
        file_rules = [r for r in rules if r.code not in drop]
        fixer = fix_notebook_file if source.display.lower().endswith(".ipynb") else fix_file
        result = fixer(source.path, file_rules, unsafe=unsafe, write=write, display=source.display)
        if result.problem:
            typer.echo(f"{source.display}: not fixed: {result.problem}", err=True)
        if result.changed:
            changed += 1
            fixed += result.applied
            if not write:
                typer.echo(result.diff(), nl=False)
    if write and fixed:
        typer.echo(f"Fixed {fixed} finding{'s' if fixed != 1 else ''} in {changed} file{'s' if changed != 1 else ''}.",
                   err=True)
    elif not write and changed:
        typer.echo(f"Would fix {changed} file{'s' if changed != 1 else ''}.", err=True)
    return changed > 0


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"evalguard: error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _settings(
    paths: list[str],
    config_path: Optional[str],
    isolated: bool,
    stdin_filename: Optional[str],
    select: Optional[list[str]],
    ignore: Optional[list[str]],
    extend_select: Optional[list[str]],
    exclude: Optional[list[str]],
    extend_exclude: Optional[list[str]],
    force_exclude: bool,
    respect_gitignore: Optional[bool],
) -> tuple[list[Rule], dict]:
    """The rules and the runner's options: the configuration file, then the flags on top."""
    from evalguard.config import ConfigError, PerFileIgnores, check_selectors, resolve_config, select_codes
    from evalguard.discovery import DEFAULT_EXCLUDES, Exclusions, PatternFile
    from evalguard.rules import get_rule

    try:
        cfg = resolve_config(paths, config_path, isolated, stdin_filename)
        check_selectors(cfg)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    cli = {"--select": _split(select), "--ignore": _split(ignore), "--extend-select": _split(extend_select)}
    _check_cli_selectors(cli)
    codes = select_codes(cfg, cli["--select"], cli["--ignore"], cli["--extend-select"])
    rules = [get_rule(code) for code in codes]

    cli_exclude = _split(exclude) if exclude is not None else None
    patterns: list[PatternFile] = []
    if cli_exclude is not None:
        names: tuple[str, ...] = ()
        patterns.append(PatternFile(os.getcwd(), cli_exclude, outside=True))
    elif cfg.exclude is not None:
        names = ()
        patterns.append(PatternFile(str(cfg.root), cfg.exclude, outside=True))
    else:
        names = DEFAULT_EXCLUDES
    if cfg.extend_exclude:
        patterns.append(PatternFile(str(cfg.root), cfg.extend_exclude, outside=True))
    if extend_exclude:
        patterns.append(PatternFile(os.getcwd(), _split(extend_exclude), outside=True))
    exclusions = Exclusions(
        names=names,
        patterns=tuple(p for p in patterns if p),
        respect_gitignore=cfg.respect_gitignore if respect_gitignore is None else respect_gitignore,
        force=force_exclude,
    )
    per_file = PerFileIgnores(cfg)
    options = {
        "exclusions": exclusions,
        "settings": None if cfg.analysis.is_default else cfg.analysis,
        "ignored_codes": per_file.codes_for if per_file else None,
    }
    return rules, options


def _check_cli_selectors(given: dict[str, list[str]]) -> None:
    """A selector on the command line that names no rule is a usage error naming its flag."""
    from evalguard.rules import UnknownRuleError, select_rules

    for flag, selectors in given.items():
        try:
            select_rules(select=selectors)
        except UnknownRuleError as exc:
            raise typer.BadParameter(f"{exc}; see `evalguard rules`", param_hint=f"'{flag}'") from None


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _post_process(report: Report, baseline: Optional[str], write_baseline: Optional[str], changed_since: Optional[str]) -> None:
    """--write-baseline / --baseline / --changed-since: leave out the findings they hide."""
    if not (baseline or write_baseline or changed_since):
        return
    from evalguard.sources import SourceLines

    sources = SourceLines(report.sources)
    if write_baseline:
        from evalguard.baseline import BaselineError, write_baseline as write

        try:
            count = write(write_baseline, report.diagnostics, sources)
        except BaselineError as exc:
            raise UsageError(str(exc)) from None
        typer.echo(f"evalguard: wrote {count} finding{'s' if count != 1 else ''} to the baseline {write_baseline}", err=True)
        report.baselined, report.diagnostics = len(report.diagnostics), []
    if baseline:
        from evalguard.baseline import BaselineError, filter_new, load_baseline

        try:
            recorded = load_baseline(baseline)
        except BaselineError as exc:
            raise UsageError(str(exc)) from None
        report.diagnostics, report.baselined = filter_new(report.diagnostics, recorded, baseline, sources)
    if changed_since:
        from evalguard.changes import ChangesError, filter_changed

        try:
            report.diagnostics, report.unchanged = filter_changed(report.diagnostics, changed_since, sources)
        except ChangesError as exc:
            raise UsageError(str(exc)) from None


def _output(
    report: Report, output_format: OutputFormat, output_file: Optional[str], *, statistics: bool, quiet: bool, no_color: bool
) -> None:
    if output_file is None:
        _render(report, output_format, sys.stdout, statistics=statistics, quiet=quiet, no_color=no_color)
        return
    try:
        parent = os.path.dirname(os.path.abspath(output_file))
        os.makedirs(parent, exist_ok=True)
        stream = open(output_file, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"cannot write the output file {output_file}: {exc.strerror or exc}") from None
    with stream:
        _render(report, output_format, stream, statistics=statistics, quiet=quiet, no_color=True, to_file=True)


@app.command("rules")
def list_rules(
    output_format: Annotated[
        ListFormat, typer.Option("--output-format", case_sensitive=False, help="`json` for a machine-readable list.")
    ] = ListFormat.text,
) -> None:
    """List the rules: code, name and summary."""
    from evalguard.dynamic.rules import RULES as DYNAMIC
    from evalguard.rules import all_rules

    rules = [*all_rules(), *DYNAMIC]
    if output_format is ListFormat.json:
        import json

        rows = [{"code": r.code, "name": r.name, "summary": r.summary} for r in rules]
        typer.echo(json.dumps(rows, indent=2))
        return
    console = _console(no_color=False)
    if console.is_terminal:
        from rich.table import Table

        table = Table("Code", "Name", "Summary")
        for r in rules:
            table.add_row(r.code, r.name, r.summary)
        console.print(table)
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        typer.echo(f"{r.code}  {r.name.ljust(width)}  {r.summary}")


@app.command("rule")
def show_rule(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A rule code (EG001, any case) or name (missing-eval).")],
) -> None:
    """Print a rule's documentation: what it finds, why it is a bug, examples, how to suppress it."""
    from evalguard.rules import UnknownRuleError, all_rules, get_rule

    from evalguard.dynamic.rules import RULES as DYNAMIC

    try:
        rule = next((r for r in DYNAMIC if code.strip().lower() in (r.code.lower(), r.name)), None) or get_rule(code)
    except UnknownRuleError:
        valid = ", ".join(r.code for r in (*all_rules(), *DYNAMIC))
        raise typer.BadParameter(
            f"unknown rule {code!r}; valid codes: {valid} (or their names, see `evalguard rules`)",
            param_hint="CODE",
        ) from None
    console = _console(no_color=False)
    if console.is_terminal:
        from rich.markdown import Markdown

        console.print(Markdown(rule.docs))
    else:
        typer.echo(rule.docs.rstrip("\n"))


def _render(
    report: Report,
    output_format: OutputFormat,
    stream: TextIO,
    *,
    statistics: bool = False,
    quiet: bool = False,
    no_color: bool = False,
    to_file: bool = False,
) -> None:
    if statistics:
        from evalguard.reporters import statistics as stats

        stats.render(report, stream, as_json=output_format is OutputFormat.json)
    elif output_format is OutputFormat.json:
        from evalguard.reporters import json as reporter

        reporter.render(report, stream)
    elif output_format is OutputFormat.concise:
        from evalguard.reporters import concise

        concise.render(report, stream)
    elif output_format is OutputFormat.github:
        from evalguard.reporters import github

        github.render(report, stream)
    elif output_format is OutputFormat.sarif:
        from evalguard.reporters import sarif
        from evalguard.rules import all_rules

        sarif.render(report, stream, all_rules())
    else:
        from evalguard.reporters import text

        text.render(report, _console(no_color, stream if to_file else None), quiet=quiet)


def _console(no_color: bool, file: Optional[TextIO] = None) -> Console:
    """A console on stdout (or `file`): coloured on a terminal, plain when piped, written
    to a file, --no-color or NO_COLOR."""
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    if file is not None:
        return Console(file=file, color_system=None, force_terminal=False, soft_wrap=True, highlight=False, width=10_000)
    return Console(color_system=None if plain else "auto", soft_wrap=True, highlight=False)


@app.command()
def probe(
    target: Annotated[str, typer.Argument(metavar="TARGET",
                                          help="`pkg.module:factory`, `file.py:factory`, a TorchScript file or a checkpoint.")],
    input_shape: Annotated[Optional[str], typer.Option("--input-shape", metavar="N,C,H,W",
                                                       help="Shape of the synthetic input, e.g. 1,3,224,224.")] = None,
    kwargs: Annotated[Optional[str], typer.Option("--kwargs", metavar="JSON", help="Keyword arguments for the factory.")] = None,
    trust_pickle: Annotated[bool, typer.Option("--trust-pickle",
                                               help="Allow full unpickling of a checkpoint (runs arbitrary code).")] = False,
    device: Annotated[str, typer.Option("--device", help="`cpu` or `cuda`.")] = "cpu",
    output_format: Annotated[ListFormat, typer.Option("--output-format", case_sensitive=False)] = ListFormat.text,
) -> None:
    """Load a model (this EXECUTES its code) and report its mode-sensitive layers, frozen
    parts, and the measured difference between training-mode and eval-mode outputs."""
    from evalguard.dynamic import DynamicError, parse_input_shape, parse_kwargs, probe as run_probe
    from evalguard.dynamic import probe_to_json, render_probe_text

    try:
        shape = parse_input_shape(input_shape) if input_shape else None
        report = run_probe(target, input_shape=shape, kwargs=parse_kwargs(kwargs) if kwargs else None,
                           trust_pickle=trust_pickle, device=device)
    except DynamicError as exc:
        _usage_error(str(exc))
    if output_format is ListFormat.json:
        import json

        typer.echo(json.dumps(probe_to_json(report), indent=2))
    else:
        render_probe_text(report, _console(no_color=False))


def main() -> None:
    argv = sys.argv[1:]
    if "--" in argv and argv and argv[0] == "check":  # `check script.py --confirm -- script args`
        cut = argv.index("--")
        SCRIPT_ARGS[:] = argv[cut + 1:]
        argv = argv[:cut]
    app(args=argv, prog_name="evalguard")
