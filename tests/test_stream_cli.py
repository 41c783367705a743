"""``seld stream``: wav and PCM on standard input, JSON lines vs offline predictions, events, real-time pace,
SIGINT/SIGTERM flushing, and one clear line for each bad input."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from seld.cli import main
from seld.inference.events import rows_to_events
from test_stream import audio, one_thread, save_checkpoint, tiny_model  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("stream_cli") / "tiny.ckpt"
    save_checkpoint(tiny_model(), "demo", None, path)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """1.83 s of 4-channel audio as 16-bit PCM wav (so that the s16 PCM stream carries the same samples)."""
    path = tmp_path_factory.mktemp("stream_clip") / "clip.wav"
    x = np.clip(audio(1.83, seed=7), -1, 1)
    sf.write(str(path), x.T, 32000, subtype="PCM_16")
    return path


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rows_of(records: list[dict]) -> np.ndarray:
    return np.array([[r["frame"], e["class_index"], e["x"], e["y"], e["z"]] for r in records for e in r["events"]])


def test_wav_json_lines_match_offline_predictions(ckpt, clip, tmp_path):
    """With a context, CNN window and look-ahead covering the clip, the JSON lines are the offline
    predictions of the same clip (seld predict), to the 3 decimals they are written with."""
    out = tmp_path / "s.jsonl"
    assert main(["stream", str(ckpt), str(clip), "--context", "2", "--cnn-window", "2", "--lookahead", "1.9",
                 "--out", str(out)]) == 0
    records = lines(out)
    assert [r["frame"] for r in records] == list(range(19))
    assert all(0.5 <= e["confidence"] <= 1 for r in records for e in r["events"])
    assert main(["predict", str(ckpt), str(clip), "--out", str(tmp_path / "pred")]) == 0
    offline = np.loadtxt(tmp_path / "pred" / "label_clip.csv", delimiter=",", ndmin=2)
    got = rows_of(records)
    assert got.shape == offline.shape and len(got) > 0
    np.testing.assert_allclose(got, offline, atol=1.5e-3)


def test_stdin_pcm_equals_wav_and_reports_truncation(ckpt, clip, tmp_path, monkeypatch, capsys):
    wav_out = tmp_path / "wav.jsonl"
    assert main(["stream", str(ckpt), str(clip), "--out", str(wav_out)]) == 0
    x, _ = sf.read(str(clip), dtype="int16")
    pcm = x.astype("<i2").tobytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pcm + b"\x01\x02\x03")))
    pcm_out = tmp_path / "pcm.jsonl"
    assert main(["stream", str(ckpt), "-", "--format", "s16", "--out", str(pcm_out)]) == 0
    err = capsys.readouterr().err
    assert lines(pcm_out) == lines(wav_out)
    assert "3 byte(s) were dropped" in err
    assert "padded with zeros" in err and "(960 of 3200 samples)" in err
    assert "end of input: 19 block(s)" in err


def test_events_are_the_offline_events_of_the_rows(ckpt, clip, tmp_path):
    frames, events = tmp_path / "f.jsonl", tmp_path / "e.jsonl"
    assert main(["stream", str(ckpt), str(clip), "--out", str(frames)]) == 0
    assert main(["stream", str(ckpt), str(clip), "--events", "--out", str(events)]) == 0
    ev = lines(events)
    assert ev and {e["event"] for e in ev} == {"onset", "offset"}
    onsets = {e["id"] for e in ev if e["event"] == "onset"}
    assert onsets == {e["id"] for e in ev if e["event"] == "offset"}  # every event is closed at the end
    got = sorted((e["onset"], e["class_index"], e["offset"]) for e in ev if e["event"] == "offset")
    want = sorted((e["onset"], e["class_index"], e["offset"]) for e in rows_to_events(rows_of(lines(frames))))
    assert got == want


def test_realtime_paces_a_wav(ckpt, tmp_path):
    short = tmp_path / "short.wav"
    sf.write(str(short), audio(0.6).T, 32000, subtype="FLOAT")
    t0 = time.perf_counter()
    assert main(["stream", str(ckpt), str(short), "--realtime", "--out", str(tmp_path / "o.jsonl")]) == 0
    assert time.perf_counter() - t0 >= 0.55
    assert len(lines(tmp_path / "o.jsonl")) == 6


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_and_flushes_the_lookahead(ckpt, sig):
    """Standard input stays open; after 1 s of audio the signal ends the stream: the 2 frames still in the
    look-ahead are written, the exit status is 0."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "seld", "stream", str(ckpt), "--lookahead", "0.2", "--threads", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    watchdog = threading.Timer(90, proc.kill)  # a hang fails the test instead of blocking the suite
    watchdog.start()
    try:
        proc.stdin.write(audio(1.0).T.astype("<f4").tobytes())
        proc.stdin.flush()
        got = [proc.stdout.readline() for _ in range(8)]  # frames 0..7 come out while the input is open
        assert [json.loads(g)["frame"] for g in got] == list(range(8))
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert [json.loads(g)["frame"] for g in rest.decode().splitlines()] == [8, 9]
    assert f"stopped by {signal.Signals(sig).name}: 10 block(s)" in err.decode()


def test_bad_inputs_give_one_line_each(ckpt, tmp_path, monkeypatch, capsys):
    def error(argv: list[str]) -> str:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        return err[0]

    stereo = tmp_path / "stereo.wav"
    sf.write(str(stereo), np.zeros((32000, 2), np.float32), 32000)
    assert "audio has 2 channels, expected 4" in error(["stream", str(ckpt), str(stereo)])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert "the model takes 4 channels" in error(["stream", str(ckpt), "--channels", "2"])
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    assert "not a PyTorch checkpoint" in error(["stream", str(bad), str(stereo)])
    graph = tmp_path / "model.onnx"
    graph.write_bytes(b"onnx")
    assert "an ONNX graph, not a seld checkpoint" in error(["stream", str(graph), str(stereo)])
    assert "multiple of 0.1" in error(["stream", str(ckpt), str(stereo), "--lookahead", "0.15"])
    assert "longer than the look-ahead" in error(["stream", str(ckpt), str(stereo), "--cnn-window", "0.2"])


def test_other_rate_is_resampled_with_a_warning(ckpt, tmp_path, capsys):
    slow = tmp_path / "slow.wav"
    sf.write(str(slow), audio(1.0).T[::2], 16000, subtype="FLOAT")
    out = tmp_path / "o.jsonl"
    assert main(["stream", str(ckpt), str(slow), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "sampling rate 16000 Hz resampled to 32000 Hz" in err
    assert len(lines(out)) == 10


def test_ensemble_and_onnxruntime_backends(ckpt, clip, tmp_path):
    """Two checkpoints stream as an ensemble; --backend onnxruntime gives the torch lines."""
    pytest.importorskip("onnxruntime")
    torch_out, ort_out, ens_out = (tmp_path / f"{n}.jsonl" for n in ("t", "o", "e"))
    assert main(["stream", str(ckpt), str(clip), "--out", str(torch_out)]) == 0
    assert main(["stream", str(ckpt), str(clip), "--backend", "onnxruntime", "--out", str(ort_out)]) == 0
    assert main(["stream", str(ckpt), str(ckpt), str(clip), "--out", str(ens_out)]) == 0
    for other in (ort_out, ens_out):
        a, b = lines(torch_out), lines(other)
        assert [r["frame"] for r in a] == [r["frame"] for r in b]
        assert len(rows_of(a)) == len(rows_of(b))
        np.testing.assert_allclose(rows_of(a), rows_of(b), atol=2e-3)
