"""The ``openseeker`` command group. Sub-groups live in one module each and are imported lazily, so
``openseeker --help`` stays fast and a missing optional extra only affects its own command.

:func:`main` (the console script) turns every way a command can end into one exit status
(:class:`openseeker.errors.ExitCode`) and every error into one line on stderr; ``-v`` adds the traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import traceback
from typing import Any, cast

import click

from openseeker import __version__
from openseeker.errors import ExitCode, OpenSeekerError

# command name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "corpus": ("openseeker.cli.corpus", "corpus", "Ingest hyperlinked pages into a web graph; inspect and search it."),
    "synth": ("openseeker.cli.synth", "synth", "Synthesize QA pairs and denoised agent trajectories."),
    "agent": ("openseeker.cli.agent", "agent", "Run the search agent on a question with a live trace."),
    "export": ("openseeker.cli.export", "export", "Export trajectories for SFT (TRL, OpenSeeker, ShareGPT) and import them."),
    "eval": ("openseeker.cli.eval", "eval_group", "Evaluate an agent on benchmarks; judge, score and report."),
    "train": ("openseeker.cli.train", "train", "Supervised fine-tuning of the student on exported trajectories."),
    "web": ("openseeker.cli.web", "web", "Web search/fetch backends: try them, inspect the tool cache and budgets."),
    "tools": ("openseeker.cli.tools", "tools", "List the agent's tools and run one by hand (search, visit, sandbox, MCP)."),
    "mcp": ("openseeker.cli.mcp", "mcp", "Serve a corpus's search and visit tools over the Model Context Protocol."),
    "cache": ("openseeker.cli.cache", "cache", "Inspect or clear the LLM response cache."),
    "models": ("openseeker.cli.models", "models", "The embedded local model: install, verify, benchmark."),
    "quickstart": ("openseeker.cli.quickstart", "quickstart", "Run the whole pipeline end to end on the embedded default."),
    "world": ("openseeker.cli.world", "world", "Write the embedded default corpus (a generated fictional encyclopedia)."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in COMMANDS if self._spec_available(n))

    @staticmethod
    def _spec_available(name: str) -> bool:
        return importlib.util.find_spec(COMMANDS[name][0]) is not None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not self._spec_available(name):
            return None
        module, attr, _ = COMMANDS[name]
        return cast("click.Command | None", getattr(importlib.import_module(module), attr))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="openseeker")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """openseeker: build frontier deep-search agents.

    Corpus -> web graph -> multi-hop QA synthesis -> denoised trajectories -> SFT -> evaluation.
    Every stage runs offline on the embedded default (local corpus index + in-process local model) and
    against real endpoints (any OpenAI-compatible server, web search APIs) by configuration.
    """
    _options["verbose"] = verbose
    level = logging.WARNING - 10 * verbose
    from rich.logging import RichHandler

    from openseeker.redaction import SecretFilter, register_environment

    register_environment()  # keys in the environment are scrubbed from output, logs and caches
    handler = RichHandler(show_path=False)
    handler.addFilter(SecretFilter())
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(message)s", handlers=[handler])


# global options of this invocation, read back by main() when an error reaches it
_options: dict[str, Any] = {"verbose": 0}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: one exit status table (:class:`ExitCode`) and one-line errors."""
    _options["verbose"] = 0
    from openseeker.cli import interrupt

    interrupt.set_argv(sys.argv[1:] if argv is None else argv)
    try:
        rv = cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort as e:  # click turns Ctrl-C (KeyboardInterrupt) into Abort
        _interrupted("Interrupted." if isinstance(e.__cause__, KeyboardInterrupt) else "Aborted.")
    except KeyboardInterrupt:
        _interrupted("Interrupted.")
    except click.ClickException as e:  # usage errors (exit 2) and a command's own refusals (exit 1)
        e.show()
        sys.exit(e.exit_code)
    except OpenSeekerError as e:
        _show_error(e)
        sys.exit(e.exit_code)
    except Exception as e:  # a bug or an environment failure: still one line, the traceback with -v
        _show_error(e, hint=" (an unexpected error; run with -v for the traceback)")
        sys.exit(ExitCode.FAILED)
    if isinstance(rv, int) and rv:
        sys.exit(rv)
    return rv


def _interrupted(what: str) -> None:
    """Exit 130, saying how to resume when the command declared itself resumable."""
    from openseeker.cli.interrupt import resume_hint

    hint = resume_hint()
    click.echo(f"{what} {hint}" if hint else what, err=True)
    sys.exit(ExitCode.INTERRUPTED)


def _show_error(e: BaseException, hint: str = "") -> None:
    from openseeker.redaction import scrub

    if _options["verbose"]:
        click.echo(scrub("".join(traceback.format_exception(e))), err=True)
        hint = ""
    click.secho(f"Error ({type(e).__name__}): {scrub(_one_line(str(e)))}{hint}", fg="red", err=True)


if __name__ == "__main__":
    main()
