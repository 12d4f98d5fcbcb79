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
from typing import TYPE_CHECKING, Annotated, Optional

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


@app.command()
def check(
    paths: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="PATHS", help="Files and directories to check (directories: their *.py files).", show_default="."
        ),
    ] = None,
    select: Annotated[
        Optional[list[str]], typer.Option(metavar="CODES", help=f"Rules to run instead of all. {_SELECTOR_HELP}")
    ] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(metavar="CODES", help=f"Rules not to run. {_SELECTOR_HELP}")] = None,
    extend_select: Annotated[
        Optional[list[str]], typer.Option(metavar="CODES", help=f"Rules to add to the selection. {_SELECTOR_HELP}")
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--output-format", case_sensitive=False, help="How to print the results.")
    ] = OutputFormat.text,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit with status 0 even when there are findings or file errors.")
    ] = False,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", min=1, show_default="number of CPUs", help="Worker processes; 1 checks in-process."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Text format: print findings only, no summary.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Never colour the output (NO_COLOR is honoured too).")] = False,
) -> None:
    """Check Python files for code that makes a model predict in training mode or with autograd on.

    Exit status: 0 when there is nothing to report; 1 when there are findings or any
    file could not be read or parsed (as ruff does: such a file is listed under
    `errors` and never stops the run); 2 on a usage error or an internal error.
    --exit-zero turns 1 into 0.
    """
    rules = _select(select, ignore, extend_select)
    try:
        from evalguard.runner import run

        report = run(paths or ["."], rules, jobs)
        _render(report, output_format, quiet=quiet, no_color=no_color)
    except BrokenPipeError:  # the reader went away (`| head`): not a failure of the check
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception:  # a bug in evalguard itself: exit 2, so it is not taken for findings
        traceback.print_exc()
        typer.echo("evalguard: internal error (see the traceback above)", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    failed = bool(report.diagnostics or report.errors)
    raise typer.Exit(EXIT_FINDINGS if failed and not exit_zero else EXIT_OK)


@app.command("rules")
def list_rules(
    output_format: Annotated[
        ListFormat, typer.Option("--output-format", case_sensitive=False, help="`json` for a machine-readable list.")
    ] = ListFormat.text,
) -> None:
    """List the rules: code, name and summary."""
    from evalguard.rules import all_rules

    rules = all_rules()
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

    try:
        rule = get_rule(code)
    except UnknownRuleError:
        valid = ", ".join(r.code for r in all_rules())
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


def _select(select: list[str] | None, ignore: list[str] | None, extend_select: list[str] | None) -> list[Rule]:
    """The selected rules; a selector that names no rule is a usage error naming its flag."""
    from evalguard.rules import UnknownRuleError, select_rules

    given = {"--select": _split(select), "--ignore": _split(ignore), "--extend-select": _split(extend_select)}
    for flag, selectors in given.items():
        try:
            select_rules(select=selectors)
        except UnknownRuleError as exc:
            raise typer.BadParameter(f"{exc}; see `evalguard rules`", param_hint=f"'{flag}'") from None
    return select_rules(given["--select"], given["--ignore"], given["--extend-select"])


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _render(report: Report, output_format: OutputFormat, *, quiet: bool, no_color: bool) -> None:
    if output_format is OutputFormat.json:
        from evalguard.reporters import json as reporter

        reporter.render(report, sys.stdout)
    elif output_format is OutputFormat.concise:
        from evalguard.reporters import concise

        concise.render(report, sys.stdout)
    else:
        from evalguard.reporters import text

        text.render(report, _console(no_color), quiet=quiet)


def _console(no_color: bool) -> Console:
    """A console on stdout: coloured on a terminal, plain when piped, --no-color or NO_COLOR."""
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(color_system=None if plain else "auto", soft_wrap=True, highlight=False)


def main() -> None:
    app(prog_name="evalguard")
