"""The stream's ONNX graphs: ONNX Runtime stages equal torch's, ``seld export --stream`` checks itself, and the
standalone example of docs/design.md streams with numpy and onnxruntime alone (torch blocked)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seld.cli import main
from seld.inference.stream import BlockStreamer, TorchStages
from test_stream import audio, one_thread, run_streamer, save_checkpoint, tiny_model  # noqa: F401 (fixture)

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- standalone stream example"


@pytest.fixture(scope="module")
def model():
    return tiny_model(seed=3)


def test_onnxruntime_stages_equal_torch(model):
    from seld.inference.stream.onnx import OrtStages

    wave = audio(2.5, seed=11)
    ort_stages = OrtStages.from_model(model, context_frames=6, threads=1)
    got = run_streamer(BlockStreamer(ort_stages, 4, 6, 2), wave)
    ref = run_streamer(BlockStreamer(TorchStages(model), 4, 6, 2), wave)
    for f in ref:
        for key in ref[f]:
            np.testing.assert_allclose(got[f][key], ref[f][key], atol=1e-4, rtol=1e-4)


def example_code() -> str:
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    after = text[text.index(MARKER):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_standalone_example_streams_without_torch(model, tmp_path, capsys):
    ckpt = tmp_path / "tiny.ckpt"
    save_checkpoint(model, "demo", None, ckpt)
    folder = tmp_path / "graphs"
    assert main(["export", str(ckpt), "--stream", "--out", str(folder), "--context", "0.8", "--cnn-window", "0.5",
                 "--lookahead", "0.2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["max_rel_diff"] < 1e-3
    assert {p.name for p in folder.iterdir()} == {"frontend.onnx", "cnn.onnx", "temporal.onnx", "stream.json"}

    script = tmp_path / "stream_onnx.py"
    script.write_text(example_code(), encoding="utf-8")
    wave = audio(1.57, seed=12)
    run = f"import runpy, sys; sys.modules['torch'] = None; runpy.run_path({str(script)!r}, run_name='__main__')"
    proc = subprocess.run([sys.executable, "-c", run, str(folder)], input=wave.T.astype("<f4").tobytes(),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["time"] for r in records] == [round(0.1 * i, 1) for i in range(16)]

    classes = json.loads((folder / "stream.json").read_text())["classes"]
    padded = np.pad(wave, ((0, 0), (0, 16 * 3200 - wave.shape[1])))
    ref = run_streamer(BlockStreamer(TorchStages(model), 5, 8, 2), padded)
    for r in records:
        f = int(round(r["time"] * 10))
        p = 1 / (1 + np.exp(-ref[f]["sed"]))
        want = sorted((int(c), float(p[k, c])) for k, c in zip(*np.nonzero(p > 0.5), strict=True))
        got = sorted((classes.index(e["class"]), e["p"]) for e in r["events"])
        assert [c for c, _ in got] == [c for c, _ in want]
        np.testing.assert_allclose([p for _, p in got], [p for _, p in want], atol=2e-3)


def test_export_stream_of_a_network_without_stages(tmp_path, capsys):
    model = tiny_model(config="seldnet_demo")
    ckpt = tmp_path / "seldnet.ckpt"
    save_checkpoint(model, "seldnet_demo", None, ckpt)
    assert main(["export", str(ckpt), "--stream", "--out", str(tmp_path / "g")]) == 2
    assert "cannot be streamed block by block" in capsys.readouterr().err
