"""``seld bench``: the speed benchmarks of :mod:`seld.bench`, baseline vs seld side by side.

The benchmarks are part of the installed package: this command imports :mod:`seld.bench.runner` as any
other module (no search for a source checkout, no change to ``sys.path``).
"""

from __future__ import annotations

import argparse
import sys

from ..bench import add_arguments

HELP = "time seld against straightforward baselines (features, metric, CPU inference, training); writes JSON + Markdown"

__all__ = ["HELP", "add_arguments", "run"]


def run(args: argparse.Namespace) -> int:
    from ..bench import runner
    from ..errors import SeldError

    command = "seld bench " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "seld bench"
    try:
        result = runner.run_benchmarks(args, command)
    except ValueError as exc:
        raise SeldError(str(exc)) from None
    js, md = runner.write_results(result, args.out)
    print(runner.to_markdown(result))
    print(f"wrote {js} and {md}")
    return 0
