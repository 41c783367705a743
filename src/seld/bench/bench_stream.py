"""Streaming (``seld stream``): compute time per 100 ms block, real-time factor, end-to-end latency, and the
accuracy of the streamed output against the offline output.

Timing: a clip of noise-like audio (a random walk of a few synthetic tones plus noise, so that activations
are not those of silence) is pushed block by block through :class:`seld.inference.stream.StreamEngine`
(torch, and ONNX Runtime from the exported stage graphs), ``threads`` CPU threads. Every block's compute
time is recorded (the first ``warmup`` blocks, which build the caches, are left out); the figures are
the median and the 99th percentile per block, the real-time factor (mean compute / 100 ms) and the
end-to-end latency (algorithmic latency + p99 compute). Models with random weights and feature statistics
taken from the clip itself (as the inference section), except the shipped demo checkpoint when asked.

Accuracy (:func:`stream_accuracy`, needs a dataset: ``--stream-data ROOT``): the streamed rows of every
dev clip against (a) the offline rows of the same model (``seld predict``) as reference, and (b) the
ground truth, with the L3DAS22 location-sensitive F-score (2 m), for several context lengths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .common import Row, row

SAMPLE_RATE = 32_000
BLOCK = 3200


def probe_audio(seconds: float, channels: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    x = 0.02 * rng.standard_normal((channels, n))
    for f in (440.0, 1250.0, 3100.0):
        gains = rng.uniform(-1, 1, size=(channels, 1))
        on = np.sin(2 * np.pi * t / rng.uniform(2, 5)) > 0
        x += 0.1 * gains * np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) * on
    return x.astype(np.float32)


def _model(config: str) -> torch.nn.Module:
    from .bench_inference import build, install_stats

    model = build(config)
    install_stats(model, torch.from_numpy(probe_audio(10.0))[None])
    return model


def time_stream(model: torch.nn.Module, backend: str, seconds: float, options: Any, threads: int,
                warmup: int = 10) -> dict[str, Any]:
    """Per-block compute seconds of a stream of ``seconds`` (after ``warmup`` blocks)."""
    from seld.inference.stream import StreamEngine, make_streamer

    streamer = make_streamer(model, options, backend, threads)
    engine = StreamEngine([streamer], model.output_format, 0.5, model.in_channels)
    audio = probe_audio(seconds + warmup * 0.1, model.in_channels, seed=1)
    for i in range(0, audio.shape[1] - BLOCK + 1, BLOCK):
        engine.push(audio[:, i : i + BLOCK])
    t = np.asarray(engine.stats.block_s[warmup:])
    return {"median_s": float(np.median(t)), "p99_s": float(np.percentile(t, 99)), "max_s": float(t.max()),
            "mean_s": float(t.mean()), "blocks": len(t)}


def bench_model(label: str, model: torch.nn.Module, seconds: float, threads_list: list[int], options: Any,
                backends: list[str], target_ms: float | None) -> list[Row]:
    rows = []
    before = torch.get_num_threads()
    for backend in backends:
        for threads in threads_list:
            torch.set_num_threads(threads)
            try:
                t = time_stream(model, backend, seconds, options, threads)
            except Exception as exc:  # noqa: BLE001 - a missing optional runtime must not stop the benchmark
                print(f"  {label} {backend} skipped: {type(exc).__name__}: {exc}")
                continue
            finally:
                torch.set_num_threads(before)
            latency = options.latency_s + t["p99_s"]
            details = {**t, "threads": threads, "context_s": options.context, "cnn_window_s": options.cnn_window,
                       "lookahead_frames": options.lookahead, "algorithmic_latency_s": options.latency_s,
                       "end_to_end_latency_s": latency, "rtf": t["mean_s"] / 0.1, "backend": backend}
            what = f"{label}: compute per 100 ms block, p99, {threads} thread(s)"
            rows.append(row("stream", what, "s", t["p99_s"], higher_is_better=False,
                            seld_label=f"{backend}, median {t['median_s'] * 1e3:.1f} ms, RTF "
                                       f"{t['mean_s'] / 0.1:.3f}, end-to-end latency {latency * 1e3:.0f} ms",
                            target=f"p99 <= {target_ms:g} ms" if target_ms else "info",
                            goal_value=target_ms / 1e3 if target_ms else None, details=details))
    return rows


def stream_accuracy(data_root: str | Path, checkpoint: str | Path, contexts: tuple[float, ...] = (1.0, 2.0, 5.0),
                    options: Any = None, max_clips: int | None = None) -> list[dict[str, Any]]:
    """F-scores (2 m) of the streamed rows vs the offline rows and vs the ground truth, per context length."""
    from seld.checkpoints import load_model
    from seld.data import l3das22
    from seld.inference.predict import PredictInput, predict_rows
    from seld.inference.stream import StreamEngine, StreamOptions, make_streamer

    options = options or StreamOptions()
    model, cfg = load_model(checkpoint, "cpu")
    split = l3das22.resolve_split_dir(data_root, "dev")
    clips = l3das22.find_clips(split, mics=1)[:max_clips]
    offline, truth, waves = [], [], []
    for c in clips:
        wave = l3das22.read_wav(c.audio_a)
        n_frames = -(-wave.shape[1] // BLOCK)
        waves.append(wave)
        offline.append(predict_rows([model], PredictInput(c.name, c.audio_a, None), 1, "acn_sn3d", 0.5))
        truth.append((l3das22.reference_rows(c.label, duration=wave.shape[1] / SAMPLE_RATE), n_frames))
    results = [{"context_s": None, "what": "offline (seld predict)", **_scores(offline, offline, truth)}]
    for context in contexts:
        opts = StreamOptions(context=context, cnn_window=options.cnn_window, lookahead=options.lookahead)
        streamed = []
        for wave in waves:
            engine = StreamEngine([make_streamer(model, opts)], model.output_format, 0.5, model.in_channels)
            frames = engine.push(wave) + engine.finish()
            streamed.append(np.concatenate([f.rows for f in frames]) if frames else np.zeros((0, 5)))
        results.append({"context_s": context, "what": "streamed", "lookahead": opts.lookahead,
                        "cnn_window_s": opts.cnn_window, **_scores(streamed, offline, truth)})
    return results


def _scores(pred: list[np.ndarray], offline: list[np.ndarray], truth: list[tuple[np.ndarray, int]]) -> dict[str, Any]:
    from seld.metrics import location_sensitive_detection

    vs_off = sum(location_sensitive_detection(p, o, n) for p, o, (_, n) in zip(pred, offline, truth, strict=True))
    vs_gt = sum(location_sensitive_detection(p, g, n) for p, (g, n) in zip(pred, truth, strict=True))
    return {"f_vs_offline": vs_off.f_score, "f_vs_truth": vs_gt.f_score, "precision_vs_truth": vs_gt.precision,
            "recall_vs_truth": vs_gt.recall, "tp": vs_gt.tp, "fp": vs_gt.fp, "fn": vs_gt.fn}


def run(quick: bool, gpu: bool, repeats: int, stream_data: str | None = None) -> dict[str, Any]:
    from seld.inference.stream import StreamOptions

    threads_before = torch.get_num_threads()
    options = StreamOptions()
    notes = [f"options: context {options.context:g} s, CNN window {options.cnn_window:g} s, look-ahead "
             f"{options.lookahead} frames: algorithmic latency {options.latency_s * 1e3:.0f} ms; the first 10 "
             "blocks (cache filling) are not timed"]
    rows: list[Row] = []
    try:
        if quick:
            rows += bench_model("demo", _model("demo"), 3.0, [2], options, ["torch", "onnxruntime"], 20.0)
            notes.append("quick mode: demo model only, 3 s stream")
        else:
            seconds = 30.0
            for config, target in (("demo", 20.0), ("paper", 100.0)):
                rows += bench_model(config, _model(config), seconds, [1, 2], options, ["torch", "onnxruntime"], target)
            notes.append(f"{seconds:g} s stream per figure; random weights (the paper model has no trained checkpoint)")
        if stream_data:
            from seld.pretrained import resolve_checkpoint

            results = stream_accuracy(stream_data, resolve_checkpoint("pretrained"), max_clips=4 if quick else None)
            offline = results[0]["f_vs_truth"]
            for r in results[1:]:
                at5 = r["context_s"] == 5.0
                rows.append(row("stream", f"demo checkpoint, dev split, context {r['context_s']:g} s: F (2 m) vs truth",
                                "F", r["f_vs_truth"], offline, baseline_label="offline (seld predict)",
                                seld_label=f"streamed (F vs the offline rows {r['f_vs_offline']:.3f})",
                                target="within 0.02 of offline" if at5 else "info",
                                goal_value=offline - 0.02 if at5 else None, details=r))
    finally:
        torch.set_num_threads(threads_before)
    return {"rows": rows, "notes": notes}
