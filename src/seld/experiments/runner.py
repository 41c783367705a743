"""Run the rows of a table: train, predict the dev split and evaluate, one run folder per (row, seed).

Layout: ``OUT/<table>/<row>/seed<k>/`` holds the training run (checkpoints, logs, config), the dev-split
predictions (``predictions_dev/``) and ``result.json`` (written atomically, last). A run with a
``result.json`` is finished and skipped; a run with ``checkpoints/last.ckpt`` but no ``trained.json`` is
resumed exactly; a trained run whose evaluation was interrupted is only predicted and evaluated again.
Runs are evaluated with their best checkpoint on validation (the last one if validation never scored).
Rows that reuse other runs (``Row.runs_from``) read them from their folder; the Table 4 ensemble row
predicts with the best checkpoints of all seeds of the proposed system.

``scale="demo"`` applies each row's difference from ``paper.yaml`` to ``demo.yaml`` instead (and trains
``seldnet_demo`` for the SELDnet row), so that the protocol fits a CPU.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import ExperimentConfig, config_from_dict, config_to_dict, load_config, resolve_config_path
from ..errors import SeldError
from ..io_utils import write_json_atomic
from ..pipeline import evaluate_checkpoints, evaluated_checkpoint, run_overrides, train_run
from .tables import Row, Table, get_table

log = logging.getLogger(__name__)

SCALES: tuple[str, ...] = ("paper", "demo")
RESULT_FILE = "result.json"
TRAINED_FILE = "trained.json"
_IGNORED_CONFIG_KEYS = ("name", "data.num_workers", "data.on_device", "train.stop_after_epochs")
"""Settings that do not change what a run learns (how batches are moved, when a session stops)."""


@dataclass
class ExperimentOptions:
    data: Path
    out: Path
    seeds: int = 3
    epochs: int | None = None
    scale: str = "paper"
    overrides: list[str] = field(default_factory=list)
    rows: list[str] | None = None
    progress_bar: bool = False


# ----------------------------------------------------------------------------- configs


def _flatten(mapping: dict[str, Any], prefix: str = "") -> list[str]:
    """``{"model": {"attention": "mfm"}}`` -> ``["model.attention=\"mfm\""]`` (values as JSON = YAML)."""
    items: list[str] = []
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            items += _flatten(value, f"{dotted}.")
        else:
            items.append(f"{dotted}={json.dumps(value)}")
    return items


def row_difference(config: str) -> tuple[str, list[str]]:
    """A shipped row config as (its base config, its own settings as overrides)."""
    path = resolve_config_path(config)
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    base = str(raw.pop("base", "")).removesuffix(".yaml")
    return base, _flatten(raw)


def scaled_config_name(config: str, scale: str) -> tuple[str, list[str]]:
    """The config file and overrides that realise the row ``config`` at ``scale``."""
    if scale not in SCALES:
        raise SeldError(f"unknown scale {scale!r} (choose from {', '.join(SCALES)})")
    if scale == "paper":
        return config, []
    if config == "paper":
        return "demo", []
    if config == "seldnet":
        return "seldnet_demo", []
    base, diff = row_difference(config)
    if base != "paper":
        raise SeldError(f"--scale demo: config {config!r} is not a difference from paper.yaml (base {base!r})")
    return "demo", diff


def row_config(row: Row, seed: int, opts: ExperimentOptions) -> ExperimentConfig:
    name, diff = scaled_config_name(row.config, opts.scale)
    cfg = load_config(name, run_overrides([*diff, *opts.overrides], data=opts.data, seed=seed, epochs=opts.epochs))
    cfg.name = row.config if opts.scale == "paper" else f"{row.config}@{opts.scale}"
    return cfg


def _comparable(mapping: dict[str, Any]) -> dict[str, Any]:
    """A saved or current config with defaults filled in (fields added since a run was saved compare equal
    to their defaults) and without the settings of :data:`_IGNORED_CONFIG_KEYS`."""
    try:
        full = config_to_dict(config_from_dict(mapping))
    except SeldError:
        full = dict(mapping)  # unreadable: compared as it is (and will differ)
    for dotted in _IGNORED_CONFIG_KEYS:
        *parents, leaf = dotted.split(".")
        node: Any = full
        for part in parents:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(leaf, None)
    return full


def _check_same_config(run_dir: Path, cfg: ExperimentConfig) -> None:
    """A run folder trained with other settings is an error, not something to resume or reuse silently."""
    saved_path = run_dir / "config.yaml"
    if not saved_path.exists():
        return
    saved = yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {}
    now = config_to_dict(cfg)
    if _comparable(saved) != _comparable(now):
        diffs = [f"{k}" for k in sorted(set(_flatten(_comparable(saved))) ^ set(_flatten(_comparable(now))))]
        shown = ", ".join(sorted({d.split("=", 1)[0] for d in diffs})[:6])
        raise SeldError(f"this run folder was trained with other settings ({shown}); use another --out "
                        "or delete the folder", run_dir)


# ----------------------------------------------------------------------------- runs


def run_dir_for(out: Path, location: str, seed: int) -> Path:
    return out / location / f"seed{seed}"


def row_location(table: Table, row: Row) -> str:
    return row.runs_from or f"{table.name}/{row.key}"


def _dev_dir(data: Path) -> Path:
    from ..data import l3das22

    return l3das22.resolve_split_dir(data, "dev")


def read_result(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / RESULT_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("unreadable %s: the run is evaluated again", path)
        return None


def run_one(row: Row, location: str, seed: int, opts: ExperimentOptions,
            say: Callable[[str], None] = print) -> dict[str, Any]:
    """Train (or resume), predict the dev split and evaluate one (row, seed); returns the result dict."""
    run_dir = run_dir_for(opts.out, location, seed)
    cfg = row_config(row, seed, opts)
    done = read_result(run_dir)
    if done is not None:
        if _comparable(done.get("config", {})) != _comparable(config_to_dict(cfg)):
            raise SeldError("finished run has other settings than requested; use another --out", run_dir)
        say(f"  {location} seed {seed}: done (F = {100 * done['f_score']:.1f} %), skipped")
        return done
    _check_same_config(run_dir, cfg)
    trained_path = run_dir / TRAINED_FILE
    if trained_path.exists():
        trained = json.loads(trained_path.read_text(encoding="utf-8"))
        say(f"  {location} seed {seed}: trained, evaluating")
    else:
        resume = (run_dir / "checkpoints" / "last.ckpt").exists()
        say(f"  {location} seed {seed}: {'resuming' if resume else 'training'} {cfg.name} "
            f"({cfg.train.max_epochs} epochs) -> {run_dir}")
        trained = train_run(cfg, run_dir, progress_bar=opts.progress_bar).to_dict()  # train_seconds: last session
        write_json_atomic(trained_path, trained)
    ckpt = evaluated_checkpoint(trained)
    metrics = evaluate_checkpoints([run_dir / ckpt], opts.data, run_dir / "predictions_dev")
    result = {
        "row": row.key,
        "location": location,
        "seed": seed,
        "config_name": cfg.name,
        **trained,
        "evaluated_checkpoint": ckpt,
        **{k: metrics[k] for k in ("f_score", "precision", "recall", "tp", "fp", "fn", "n_clips")},
        "analysis": metrics["analysis"],
        "config": config_to_dict(cfg),
    }
    write_json_atomic(run_dir / RESULT_FILE, result)
    say(f"  {location} seed {seed}: dev F (2 m) = {100 * result['f_score']:.1f} %")
    return result


def run_ensemble(table: Table, row: Row, opts: ExperimentOptions, say: Callable[[str], None] = print
                 ) -> dict[str, Any] | None:
    """Predict with the best checkpoints of all seeds of ``row.ensemble_of`` (track-aligned ensemble)."""
    members = [run_dir_for(opts.out, row.ensemble_of, k) for k in range(opts.seeds)]
    results = [read_result(m) for m in members]
    if any(r is None for r in results) or len(members) < 2:
        say(f"  {table.name}/{row.key}: needs >= 2 finished seeds of {row.ensemble_of}; skipped")
        return None
    ckpts = [m / r.get("evaluated_checkpoint", r["best_checkpoint"]) for m, r in zip(members, results)
             if r is not None]
    folder = opts.out / table.name / row.key
    key = [str(c.relative_to(opts.out)) for c in ckpts]
    done = read_result(folder)
    if done is not None and done.get("members") == key:
        say(f"  {table.name}/{row.key}: done (F = {100 * done['f_score']:.1f} %), skipped")
        return done
    say(f"  {table.name}/{row.key}: predicting with {len(ckpts)} checkpoints")
    metrics = evaluate_checkpoints(ckpts, opts.data, folder / "predictions_dev")
    result = {
        "row": row.key,
        "location": f"{table.name}/{row.key}",
        "members": key,
        **{k: metrics[k] for k in ("f_score", "precision", "recall", "tp", "fp", "fn", "n_clips")},
        "analysis": metrics["analysis"],
    }
    write_json_atomic(folder / RESULT_FILE, result)
    say(f"  {table.name}/{row.key}: dev F (2 m) = {100 * result['f_score']:.1f} %")
    return result


def selected_rows(table: Table, keys: list[str] | None) -> list[Row]:
    if not keys:
        return list(table.rows)
    return [table.row(k) for k in keys]


def machine_info() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def _data_info(data: Path) -> dict[str, Any]:
    try:
        m = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"root": str(data)}
    params = m.get("params", {})
    return {"root": str(data), "preset": m.get("preset"), "seed": m.get("seed"),
            "train_clips": params.get("train_clips"), "dev_clips": params.get("dev_clips"),
            "duration_s": params.get("duration")}


def run_table(table: Table, opts: ExperimentOptions, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) every selected row and seed of ``table``; writes ``OUT/<table>/protocol.json``."""
    if opts.seeds < 1:
        raise SeldError(f"--seeds must be at least 1, got {opts.seeds}")
    if not opts.data.exists():
        raise SeldError("data folder not found", opts.data)
    _dev_dir(opts.data)  # fail early on a folder without a dev split
    if opts.scale not in SCALES:
        raise SeldError(f"unknown scale {opts.scale!r} (choose from {', '.join(SCALES)})")
    t0 = time.perf_counter()
    rows = selected_rows(table, opts.rows)
    say(f"{table.name}: {len(rows)} row(s) x {opts.seeds} seed(s), scale {opts.scale} -> {opts.out / table.name}")
    protocol_path = opts.out / table.name / "protocol.json"
    previous: dict[str, Any] = {}
    if protocol_path.exists():
        try:
            previous = json.loads(protocol_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            previous = {}
    protocol = {
        "table": table.name,
        "data": _data_info(opts.data),
        "seeds": opts.seeds,
        "epochs": opts.epochs,
        "scale": opts.scale,
        "overrides": opts.overrides,
        "rows": sorted(set(previous.get("rows", [])) | {r.key for r in rows}),
        "machine": machine_info(),
        "wall_seconds": previous.get("wall_seconds", 0.0),
    }
    write_json_atomic(protocol_path, protocol)  # written first, so that an interrupted table is described
    done_locations: set[str] = set()
    for row in rows:
        if row.ensemble_of:
            continue
        location = row_location(table, row)
        if location in done_locations:
            continue
        done_locations.add(location)
        source = row
        if row.runs_from:  # train the runs with the config of the row that owns them
            owner_table, owner_row = row.runs_from.split("/", 1)
            source = get_table(owner_table).row(owner_row)
        for seed in range(opts.seeds):
            run_one(source, location, seed, opts, say)
    for row in rows:
        if row.ensemble_of:
            run_ensemble(table, row, opts, say)
    protocol["wall_seconds"] = round(protocol["wall_seconds"] + time.perf_counter() - t0, 1)
    write_json_atomic(protocol_path, protocol)
    return protocol
