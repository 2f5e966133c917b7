"""The ``softmaxkit`` command: ``main(argv) -> int`` and the registry of its commands.

Each command is a module of ``commands/`` with ``add_parser(subparsers)`` and
``run(args)``, imported by name from :data:`COMMANDS` (as pip's command registry does), so
the commands import only the shared base and never each other.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from .._core.version import __version__
from .base import EXIT_USAGE, Parser, UsageError

#: command -> its module under softmaxkit._cli.commands, in the order --help lists them
COMMANDS = {
    "softmax": "softmax",
    "logsumexp": "logsumexp",
    "logcumsumexp": "logcumsumexp",
    "smooth-max": "smooth_max",
    "sparsemax": "sparsemax",
    "entmax": "entmax",
    "sample": "sample",
    "train": "train",
    "predict": "predict",
    "calibrate": "calibrate",
    "demo": "demo",
    "plot": "plot",
}


def command_module(name: str):
    return importlib.import_module(f"softmaxkit._cli.commands.{COMMANDS[name]}")


def build_parser() -> Parser:
    parser = Parser(
        prog="softmaxkit",
        description="The softmax family on numbers from the command line, stdin or files.",
        epilog="Run 'softmaxkit COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"softmaxkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        command_module(name).add_parser(sub)
    parser.commands = sub.choices  # name -> its parser, for errors that name its help
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as one line on stderr (no source file, no traceback)."""
    print(f"softmaxkit: warning: {message}", file=sys.stderr if file is None else file)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    previous, warnings.showwarning = warnings.showwarning, _one_line_warning
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # said by the command's parser, pointing to the command's help
            command = parser.commands.get(getattr(args, "command", None), parser)
            command.error(f"unrecognized arguments: {' '.join(extras)}")
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.func(args)
    except UsageError as exc:
        print(f"softmaxkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError) as exc:  # the library's own clear messages
        print(f"softmaxkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("softmaxkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); exit quietly without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        warnings.showwarning = previous
