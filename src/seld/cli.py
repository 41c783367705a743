"""The ``seld`` command line: one subcommand per module in :mod:`seld.commands`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``,
and imports heavy libraries inside ``run`` so that ``seld --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
import warnings
from typing import TextIO

from . import __version__
from .errors import SeldError

COMMANDS: dict[str, str] = {
    "demo": "seld.commands.demo",
    "synth": "seld.commands.synth",
    "train": "seld.commands.train",
    "calibrate": "seld.commands.calibrate",
    "predict": "seld.commands.predict",
    "evaluate": "seld.commands.evaluate",
    "model-summary": "seld.commands.model_summary",
    "export": "seld.commands.export",
    "stream": "seld.commands.stream",
    "experiment": "seld.commands.experiment",
    "bench": "seld.commands.bench",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seld",
        description="3D sound event localization and detection (L3DAS22 Task 2 format).",
    )
    parser.add_argument("--version", action="version", version=f"seld {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        if importlib.util.find_spec(module_name) is None:  # command not part of this build
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if args.verbose else "%(message)s",
    )
    if not args.verbose:  # Lightning's banner lines and tips; our own progress stays visible
        for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # internal deprecation notices of third-party libraries (nothing a user can act on)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
        warnings.filterwarnings("ignore", message=r".*does not have many workers.*")

    def one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                         file: TextIO | None = None, line: str | None = None) -> None:
        """Warnings (e.g. a resampled wav) as one line naming the command, without source lines."""
        text = " ".join(str(message).split())
        print(f"seld {args.command}: warning: {text}", file=sys.stderr if file is None else file)

    saved, warnings.showwarning = warnings.showwarning, one_line_warning
    try:
        return int(args._run(args) or 0)
    except SeldError as exc:
        print(f"seld {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permission denied, ...: the file and the reason, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"seld {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"seld {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = saved


if __name__ == "__main__":
    sys.exit(main())
