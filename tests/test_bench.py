"""``seld bench --quick``: every section runs side by side and writes bench.json + bench.md."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seld.cli import main

ROOT = Path(__file__).resolve().parents[1]

SECTIONS = ("features", "metric", "inference", "training", "stream")
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
    from seld.bench.bench_metric import make_clip, official_location_sensitive_detection
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

    from seld.bench.bench_features import baseline_features, make_clips
    from seld.models.seldnet import StftMagnitude

    clip = make_clips(1, 0.5)[0]
    ref = baseline_features([clip])[0]
    with torch.inference_mode():
        ours = StftMagnitude(4)(torch.from_numpy(clip)[None])[0].transpose(1, 2).numpy()
    assert ref.shape == ours.shape
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_bench_unknown_section(tmp_path):
    assert main(["bench", "--quick", "--only", "nope", "--out", str(tmp_path)]) == 2


def test_bench_is_part_of_the_package_and_leaves_sys_path_alone(tmp_path):
    """`seld bench` imports seld.bench.runner like any module: no source checkout, no sys.path trick."""
    import seld.bench
    import seld.bench.runner
    import seld.commands.bench
    from seld.cli import build_parser

    pkg = Path(seld.__file__).resolve().parent
    assert Path(seld.bench.runner.__file__).resolve().parent == pkg / "bench"
    before = list(sys.path)
    build_parser().parse_args(["bench", "--quick", "--only", "metric"])
    assert main(["bench", "--quick", "--only", "nope", "--out", str(tmp_path)]) == 2  # runs up to the runner
    assert sys.path == before
    tree = ast.parse(Path(seld.commands.bench.__file__).read_text(encoding="utf-8"))
    attrs = {f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    assert "sys.path" not in attrs and "sys.modules" not in attrs
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom | ast.Import) for a in n.names}
    assert "importlib" not in names and "benchmarks" not in names


def test_bench_imports_no_application_layer():
    """seld.bench sits below seld.commands / seld.experiments / seld.cli and never imports them."""
    bad = []
    for path in sorted((ROOT / "src" / "seld" / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for t in targets:
                if t.lstrip(".").split(".")[0] in {"benchmarks", "commands", "experiments", "cli"} or any(
                    t.startswith(p) for p in ("seld.commands", "seld.experiments", "seld.cli")
                ):
                    bad.append(f"{path.name}: {t}")
    assert not bad, bad


def test_python_m_seld_bench_entry(tmp_path):
    """`python -m seld.bench` is the module entry (it replaced `python -m benchmarks`), from any directory."""
    proc = subprocess.run([sys.executable, "-m", "seld.bench", "--help"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "python -m seld.bench" in proc.stdout and "--quick" in proc.stdout


@pytest.mark.slow
def test_gpu_pipeline_script_runs_and_estimates(tmp_path):
    """`benchmarks/gpu_pipeline.sh` (the device check of the 100-epoch target) on the CPU, tiny model and data."""
    import os

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
