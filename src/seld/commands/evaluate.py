"""seld evaluate: score prediction CSVs against reference labels, with the official metric of either challenge.

``--format l3das22`` (default): the L3DAS22 location-sensitive F-score (2 m) and the paper's error analysis
against a split folder. ``--format dcase2024|dcase2023``: the official DCASE SELD metrics against a
``metadata_dev``-style folder (split subfolders) or one split folder of CSVs."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "score prediction CSVs against reference labels (L3DAS22 metric + Table 3, or DCASE 2023/2024 metrics)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pred_dir", metavar="PRED_DIR",
                   help="folder of prediction CSVs (L3DAS22: label_<clip>.csv; DCASE: <clip>.csv as the reference)")
    p.add_argument(
        "split_dir", metavar="REF_DIR",
        help="L3DAS22 split folder (holding data/ and labels/, flat or nested), or for DCASE a metadata_dev-style "
             "folder of split subfolders or one split folder of label CSVs",
    )
    p.add_argument("--format", choices=("l3das22", "dcase2024", "dcase2023"), default="l3das22",
                   help="which challenge's metric: l3das22 (default), dcase2024 (frame-level F20 with relative "
                        "distance <= 1, DOAE, RDE) or dcase2023 (1 s segments: ER20, F20, LE_CD, LR_CD)")
    p.add_argument("--average", choices=("macro", "micro"), default="macro",
                   help="DCASE: average over classes (default macro, as the official ranking)")
    p.add_argument("--jackknife", action="store_true",
                   help="DCASE: leave-one-file-out 95%% confidence intervals, as the 2024 baseline reports them")
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


def format_dcase(result: dict[str, Any]) -> str:
    """Readable report of a DCASE result: the headline metrics (with intervals) and a per-class table."""
    from ..constants import DCASE_CLASSES

    names = [k for k in ("f_score", "error_rate", "doa_error", "localization_recall", "distance_error", "rde",
                         "seld_score") if k in result]
    cis = result.get("confidence_intervals") or {}
    lines = [f"{result['edition']} ({result['average']} average), {result['n_files']} files"]
    for name in names:
        value = result[name]
        ci = cis.get(name)
        text = "n/a" if value is None else f"{value:.4f}"
        if ci and None not in ci:
            text += f"  [{ci[0]:.4f}, {ci[1]:.4f}]"
        lines.append(f"  {name:<20} {text}")
    per_class = result.get("per_class")
    if per_class:
        cols = [n for n in names if n in per_class]
        lines.append("")
        lines.append(f"  {'class':<32}" + "".join(f"{c[:10]:>11}" for c in cols))
        for i, cls in enumerate(DCASE_CLASSES[: len(per_class[cols[0]])]):
            cells = ["n/a" if per_class[c][i] is None else f"{per_class[c][i]:.3f}" for c in cols]
            lines.append(f"  {cls[:32]:<32}" + "".join(f"{v:>11}" for v in cells))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from ..errors import SeldError
    from ..metrics.analysis import evaluate_folder

    if args.format != "l3das22":
        from ..metrics.dcase import evaluate_dcase

        dcase = evaluate_dcase(args.pred_dir, args.split_dir, edition=args.format, average=args.average,
                               jackknife=args.jackknife)
        print(json.dumps(dcase.to_json()) if args.json else format_dcase(dcase.to_json()))
        return 0
    if not args.threshold > 0:
        raise SeldError(f"--threshold must be positive, got {args.threshold}")
    result = evaluate_folder(args.pred_dir, args.split_dir, threshold=args.threshold, matching=args.matching)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result))
    return 0
