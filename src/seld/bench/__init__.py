"""Side-by-side speed benchmarks of seld against straightforward baselines (GitHub issue 5).

Run ``seld bench [--quick] [--gpu] --out DIR`` or ``python -m seld.bench [--quick] [--gpu] --out DIR``; both
work from an installed package. Each section times a baseline and seld's implementation on the same inputs
in one process, checks that they compute the same thing where they are meant to, and reports medians over
repeats. Results go to ``DIR/bench.json`` and ``DIR/bench.md``; see docs/performance.md for measured numbers.

This package sits below the application layer (``seld.commands``, ``seld.experiments``, ``seld.cli``) and
imports nothing from it. Importing it (this module) is cheap: torch is loaded by :mod:`seld.bench.runner`.
"""

from __future__ import annotations

import argparse

SECTIONS: tuple[str, ...] = ("features", "metric", "inference", "training", "stream")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark options, shared by ``seld bench`` and ``python -m seld.bench``."""
    parser.add_argument("--out", default="bench_results", help="folder for bench.json and bench.md")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat (CI; under a minute)")
    parser.add_argument("--gpu", action="store_true", help="also run the CUDA rows (skipped with a note without CUDA)")
    parser.add_argument("--only", default="", help=f"comma-separated sections (default all: {','.join(SECTIONS)})")
    parser.add_argument("--repeats", type=int, default=0, help="timed repeats per figure (default 1 quick, 3 full)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2, the issue's budget)")
    parser.add_argument("--no-compile", action="store_true", help="GPU: skip the torch.compile variants")
    parser.add_argument("--compiled-only", action="store_true", help="GPU: only the torch.compile training variants")
    parser.add_argument("--large-batch", type=int, default=64, help="GPU: the large training batch (default 64)")
    parser.add_argument("--stream-data", default="",
                        help="stream: a dataset root (e.g. seld synth ROOT --preset demo) for the F-scores of the "
                             "streamed vs the offline output with the shipped demo checkpoint (default: timing only)")
