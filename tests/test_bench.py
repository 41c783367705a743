"""``seld bench --quick``: every section runs side by side and writes bench.json + bench.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from seld.cli import main

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the benchmarks package lives beside src/, not inside the installed package
    sys.path.insert(0, str(ROOT))

SECTIONS = ("features", "metric", "inference", "training")
ROW_KEYS = {"section", "name", "unit", "baseline_label", "baseline", "seld_label", "seld", "ratio", "target", "met",
            "details"}


@pytest.mark.slow
def test_bench_quick_writes_json_and_markdown(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    result = json.loads((out / "bench.json").read_text())
    assert result["quick"] is True
    for key in ("machine", "sections", "rows", "command", "wall_s", "threads"):
        assert key in result
    for key in ("host_cpu", "cpu_count", "torch", "date_utc", "load_average_start", "cuda_device"):
        assert key in result["machine"]
    assert set(result["sections"]) == set(SECTIONS)
    for name in SECTIONS:
        sec = result["sections"][name]
        assert not sec.get("error"), sec.get("error")
        assert sec["rows"], name
    for r in result["rows"]:
        assert set(r) >= ROW_KEYS
        assert r["seld"] is not None and r["seld"] > 0
    metric = [r for r in result["rows"] if r["section"] == "metric"]
    assert all(r["details"]["identical_counts"] for r in metric)
    md = (out / "bench.md").read_text()
    assert "| section |" in md and "features" in md and "training" in md
    assert "wrote" in capsys.readouterr().out


def test_official_metric_loop_matches_seld():
    """The benchmark's re-implementation of the official loop agrees with seld."""
    from benchmarks.bench_metric import make_clip, official_location_sensitive_detection

    from seld.metrics import evaluate_clips

    rng = np.random.default_rng(3)
    clips = [(*make_clip(rng, 100), 100) for _ in range(5)]
    clips.append((np.zeros((0, 5)), clips[0][1], 100))  # a clip without predictions
    want = [0, 0, 0]
    for pred, ref, n in clips:
        want = [a + b for a, b in zip(want, official_location_sensitive_detection(pred, ref, n))]
    got = evaluate_clips(clips)
    assert (got.tp, got.fp, got.fn) == tuple(want)


def test_baseline_features_match_seldnet_frontend():
    import torch
    from benchmarks.bench_features import baseline_features, make_clips

    from seld.models.seldnet import StftMagnitude

    clip = make_clips(1, 0.5)[0]
    ref = baseline_features([clip])[0]
    with torch.inference_mode():
        ours = StftMagnitude(4)(torch.from_numpy(clip)[None])[0].transpose(1, 2).numpy()
    assert ref.shape == ours.shape
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_bench_unknown_section(tmp_path):
    assert main(["bench", "--quick", "--only", "nope", "--out", str(tmp_path)]) == 2


@pytest.mark.slow
def test_gpu_pipeline_script_runs_and_estimates(tmp_path):
    """`benchmarks/gpu_pipeline.sh` (the device check of the 100-epoch target) on the CPU, tiny model and data."""
    import os
    import subprocess

    from conftest import TINY_MODEL

    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "PRESET": "tiny", "EPOCHS": "2", "BATCH": "4", "CONFIG": "demo",
           "DATA": str(tmp_path / "data"), "RUN": str(tmp_path / "run"),
           "EXTRA_SET": " ".join([*TINY_MODEL, "data.max_val_clips=1", "train.limit_train_batches=0.5"])}
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_pipeline.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((out / "pipeline.json").read_text())
    assert summary["config"] == "demo" and summary["preset"] == "tiny"
    assert set(summary["per_epoch"]) == {"0", "1"}
    assert summary["steady_epoch_s"] > 0
    assert summary["estimate_100_epochs_min"] >= 100 * summary["steady_epoch_s"] / 60
    assert (out / "metrics.csv").exists() and "done" in (out / "pipeline_log.txt").read_text()
