"""seld evaluate: location-sensitive F-score of prediction CSVs against an L3DAS22 split folder."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "score prediction CSVs (label_<clip>.csv) against a split folder's labels (L3DAS22 metric + Table 3)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pred_dir", metavar="PRED_DIR", help="folder of label_<clip>.csv prediction files")
    p.add_argument(
        "split_dir", metavar="SPLIT_DIR", help="L3DAS22 split folder (holding data/ and labels/, flat or nested layout)"
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=2.0,
        help="spatial threshold in metres for a true positive (default 2.0, L3DAS22)",
    )
    p.add_argument(
        "--matching",
        choices=("official", "optimal"),
        default="official",
        help="official: the L3DAS22 counting (quirks included); optimal: one-to-one matching",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _row(name: str, entry: dict[str, Any]) -> str:
    return (
        f"{name:<16} {100 * entry['f_score']:6.1f} {100 * entry['precision']:6.1f} "
        f"{100 * entry['recall']:6.1f} {entry['tp']:8d} {entry['fp']:8d} {entry['fn']:8d}"
    )


def format_table(result: dict[str, Any]) -> str:
    """Readable report of :func:`seld.metrics.evaluate_folder`'s result."""
    a = result["analysis"]
    lines = [
        f"{result['n_clips']} clips, threshold {result['threshold']:g} m, matching {result['matching']}",
        f"{'':<16} {'F%':>6} {'P%':>6} {'R%':>6} {'TP':>8} {'FP':>8} {'FN':>8}",
        _row(f"SELD {result['threshold']:g} m", result),
    ]
    groups = [k for k in a["seld"] if k != "overall"]
    for g in groups:
        lines.append(_row(f"  {g.upper()} ({a['n_clips'][g]})", a["seld"][g]))
    lines.append(_row("SED only", a["sed_only"]["overall"]))
    for t, entry in a["doa_only"].items():
        lines.append(_row(f"DOA only {float(t):g} m", entry["overall"]))
    lines.append("")
    lines.append(f"{'F% by polyphony':<16} " + " ".join(f"{k:>6}" for k in ["all", *(g.upper() for g in groups)]))
    table = [(f"SELD {result['threshold']:g} m", a["seld"]), ("SED only", a["sed_only"])]
    table += [(f"DOA only {float(t):g} m", entry) for t, entry in a["doa_only"].items()]
    for name, entry in table:
        cells = [entry["overall"], *(entry[g] for g in groups)]
        lines.append(f"{name:<16} " + " ".join(f"{100 * c['f_score']:6.1f}" for c in cells))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from ..errors import SeldError
    from ..metrics.analysis import evaluate_folder

    if not args.threshold > 0:
        raise SeldError(f"--threshold must be positive, got {args.threshold}")
    result = evaluate_folder(args.pred_dir, args.split_dir, threshold=args.threshold, matching=args.matching)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result))
    return 0
