"""``seld bench``: the speed benchmarks of ``benchmarks/`` (a source checkout), baseline vs seld side by side."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HELP = "time seld against straightforward baselines (features, metric, CPU inference, training); writes JSON + Markdown"


def _benchmarks_root() -> Path | None:
    """The folder holding the ``benchmarks`` package: the current directory or the source checkout."""
    here = Path(__file__).resolve()
    for root in (Path.cwd(), *here.parents):
        if (root / "benchmarks" / "runner.py").is_file():
            return root
    return None


def _load_runner():  # noqa: ANN202 - a module
    from ..errors import SeldError

    try:
        return importlib.import_module("benchmarks.runner")
    except ImportError:
        pass
    root = _benchmarks_root()
    if root is None:
        raise SeldError("the benchmarks/ folder was not found: run `seld bench` inside a source checkout of seld")
    sys.path.insert(0, str(root))
    sys.modules.pop("benchmarks", None)
    return importlib.import_module("benchmarks.runner")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="bench_results", help="folder for bench.json and bench.md")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat (CI; under a minute)")
    parser.add_argument("--gpu", action="store_true", help="also run the CUDA rows (skipped with a note without CUDA)")
    parser.add_argument("--only", default="", help="comma-separated sections: features,metric,inference,training")
    parser.add_argument("--repeats", type=int, default=0, help="timed repeats per figure (default 1 quick, 3 full)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--no-compile", action="store_true", help="GPU: skip the torch.compile variants")
    parser.add_argument("--compiled-only", action="store_true", help="GPU: only the torch.compile training variants")
    parser.add_argument("--large-batch", type=int, default=64, help="GPU: the large training batch (default 64)")


def run(args: argparse.Namespace) -> int:
    from ..errors import SeldError

    runner = _load_runner()
    command = "seld bench " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "seld bench"
    try:
        result = runner.run_benchmarks(args, command)
    except ValueError as exc:
        raise SeldError(str(exc)) from None
    js, md = runner.write_results(result, args.out)
    print(runner.to_markdown(result))
    print(f"wrote {js} and {md}")
    return 0
