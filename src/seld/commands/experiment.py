"""seld experiment: reproduce the paper's Tables 1-4 (train every row and seed, evaluate, report)."""

from __future__ import annotations

import argparse

HELP = "reproduce the paper's Tables 1-4: run every row x seed (resumable), evaluate, write tables and plots"

TARGETS = ("table1", "table2", "table3", "table4", "all", "report")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", choices=TARGETS, metavar="TABLE",
                   help="table1 (attention) | table2 (loss weights) | table3 (error analysis) | table4 "
                        "(SELDnet, proposed, ensemble) | all | report (only rewrite tables and --doc)")
    p.add_argument("--data", help="dataset root holding L3DAS22_Task2_train/_dev (real or `seld synth`)")
    p.add_argument("--out", required=True, help="experiment folder: OUT/<table>/<row>/seed<k>, OUT/<table>/table.md")
    p.add_argument("--seeds", type=int, default=3, help="training seeds 0..N-1 per row (default 3)")
    p.add_argument("--epochs", type=int, help="sets train.max_epochs of every row")
    p.add_argument("--scale", choices=("paper", "demo"), default="paper",
                   help="paper: the row configs as shipped; demo: each row's change applied to demo.yaml "
                        "(and seldnet_demo for SELDnet), sized for a CPU")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="config overrides for every row, e.g. train.batch_size=4")
    p.add_argument("--rows", help="comma-separated row keys to run (e.g. none,roam)")
    p.add_argument("--parallel", metavar="DEVICES",
                   help="run rows side by side, one worker per listed GPU (CUDA_VISIBLE_DEVICES), e.g. 0,1,2,3; "
                        "rows sharing runs stay on one worker; logs in OUT/<table>/workers/")
    p.add_argument("--doc", "--write-doc", dest="doc", metavar="PATH",
                   help="also (re)write a results page, e.g. docs/results.md, from everything in OUT")
    p.add_argument("--img-dir", help="where the page's plots go (default: PATH's folder/img)")
    p.add_argument("--progress", action="store_true", help="show Lightning progress bars")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import SeldError
    from ..experiments.parallel import run_rows_in_parallel
    from ..experiments.report import write_results_doc, write_table_report
    from ..experiments.runner import ExperimentOptions, run_table
    from ..experiments.tables import TABLES

    out = Path(args.out)
    names = list(TABLES) if args.table == "all" else ([] if args.table == "report" else [args.table])
    if names:
        if not args.data:
            raise SeldError("--data is required to run tables")
        rows = [r.strip() for r in args.rows.split(",") if r.strip()] if args.rows else None
        if rows and len(names) > 1:
            raise SeldError("--rows selects rows of one table; name the table instead of 'all'")
        opts = ExperimentOptions(data=Path(args.data).resolve(), out=out, seeds=args.seeds, epochs=args.epochs,
                                 scale=args.scale, overrides=list(args.set), rows=rows,
                                 progress_bar=args.progress)
        devices = [d.strip() for d in args.parallel.split(",") if d.strip()] if args.parallel else []
        if args.parallel is not None and not devices:
            raise SeldError("--parallel needs a comma-separated list of devices, e.g. --parallel 0,1")
        for name in names:
            if devices:
                worker_args = ["--data", str(opts.data), "--out", str(out.resolve()), "--seeds", str(args.seeds),
                               "--scale", args.scale, *(["--epochs", str(args.epochs)] if args.epochs else []),
                               *(["--set", *args.set] if args.set else [])]
                run_rows_in_parallel(TABLES[name], rows, devices, worker_args, out)
            run_table(TABLES[name], opts)
            md = write_table_report(TABLES[name], out)
            print(f"\n{md.read_text(encoding='utf-8')}")
            print(f"{name}: {md}")
    else:
        for name in TABLES:
            if (out / name).is_dir():
                print(f"{name}: {write_table_report(TABLES[name], out)}")
    if args.doc:
        print(f"results page: {write_results_doc(out, args.doc, args.img_dir)}")
    return 0
