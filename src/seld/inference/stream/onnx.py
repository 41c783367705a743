"""The stream's three stages as ONNX graphs, and :class:`OrtStages`, which runs them with ONNX Runtime.

:func:`export_stream` writes into a folder:

* ``frontend.onnx``: ``audio`` (1, C, 4400), ``feature_history`` (1, 7*mics, 4, mels), ``valid`` (13,) ->
  ``features`` (1, 7*mics, 9, mels), ``local_sed``, ``local_doa`` (1, channels, 11, mels); fixed shapes;
* ``cnn.onnx``: ``local_sed``, ``local_doa`` (1, channels, 8 W, mels) -> ``emb_sed``, ``emb_doa`` (1, W, D);
  W (the CNN window in label frames) is a dynamic axis;
* ``temporal.onnx``: ``emb_sed``, ``emb_doa`` (1, context, D) and ``padding`` (1, context) bool (True where
  there is no frame yet) -> the model's raw outputs (``sed`` logits (1, context, 3, classes), ``doa`` ...);
  the context length is fixed at export (the attention's reshapes are baked in);
* ``stream.json``: the sizes, the default options, the output names and the decoding threshold.

With these a device without torch streams with numpy and onnxruntime alone: see the standalone example
in docs/design.md ("Streaming"), which ``tests/test_stream_onnx.py`` runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...constants import CLASSES, LABEL_HOP_S, SAMPLE_RATE, SAMPLES_PER_FRAME
from ...errors import SeldError
from ..onnx_export import OPSET, export_module, onnx_session, require_onnx
from .stages import CnnStage, FrontendStage, Geometry, TemporalStage, check_streamable, geometry

FILES = ("frontend.onnx", "cnn.onnx", "temporal.onnx")


class _TemporalTuple(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, names: list[str]) -> None:
        super().__init__()
        self.stage = TemporalStage(model)
        self.names = names

    def forward(self, emb_sed: torch.Tensor, emb_doa: torch.Tensor, padding: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.stage(emb_sed, emb_doa, padding)
        return tuple(out[n] for n in self.names)


def export_stream(
    model: torch.nn.Module,
    out_dir: str | Path,
    context_frames: int,
    cnn_frames: int = 12,
    lookahead: int = 4,
    threshold: float = 0.5,
    opset: int = OPSET,
) -> Path:
    """Write the three stage graphs and ``stream.json`` for ``model`` into ``out_dir``; returns the folder."""
    reason = check_streamable(model)
    if reason is not None:
        raise SeldError(f"{type(model).__name__} cannot be streamed block by block ({reason})")
    model = model.to("cpu").eval()
    geo = geometry(model)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    audio = torch.randn(1, geo.in_channels, geo.segment, generator=gen) * 0.1
    history = torch.randn(1, geo.feature_channels, geo.feature_history, geo.n_mels, generator=gen)
    valid = torch.ones(geo.feature_history + geo.updated)
    front = FrontendStage(model).eval()
    export_module(front, (audio, history, valid), out / FILES[0], ["audio", "feature_history", "valid"],
                  ["features", "local_sed", "local_doa"], opset=opset, what="the stream front end")
    w = max(2, cnn_frames)
    n = geo.frames_per_label * w
    local = [torch.randn(1, c, n, geo.n_mels, generator=gen) for c in geo.local_channels]
    export_module(CnnStage(model).eval(), tuple(local), out / FILES[1], ["local_sed", "local_doa"],
                  ["emb_sed", "emb_doa"], opset=opset, what="the stream CNN",
                  dynamic_axes={"local_sed": {2: "stft_frames"}, "local_doa": {2: "stft_frames"},
                                "emb_sed": {1: "frames"}, "emb_doa": {1: "frames"}})
    emb = [torch.randn(1, context_frames, geo.embed_dim, generator=gen) for _ in range(2)]
    padding = torch.zeros(1, context_frames, dtype=torch.bool)
    padding[:, context_frames // 2 :] = True  # traced with a mask in use
    with torch.no_grad():
        names = list(TemporalStage(model).eval()(emb[0], emb[1]))
    export_module(_TemporalTuple(model, names).eval(), (emb[0], emb[1], padding), out / FILES[2],
                  ["emb_sed", "emb_doa", "padding"], names, opset=opset, what="the stream temporal module")
    meta = {
        "sample_rate": SAMPLE_RATE,
        "block_samples": SAMPLES_PER_FRAME,
        "label_hop_s": LABEL_HOP_S,
        "output_format": model.output_format,
        "outputs": names,
        "threshold": float(threshold),
        "classes": list(CLASSES),
        "context_frames": int(context_frames),
        "cnn_frames": int(cnn_frames),
        "lookahead": int(lookahead),
        "geometry": geo.to_dict(),
    }
    (out / "stream.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out


class OrtStages:
    """The stages run by ONNX Runtime from the graphs of :func:`export_stream` (numpy in and out); idle
    intra-op threads sleep between blocks instead of spinning."""

    def __init__(self, folder: str | Path, threads: int | None = None) -> None:
        require_onnx()
        folder = Path(folder)
        meta = json.loads((folder / "stream.json").read_text(encoding="utf-8"))
        g = dict(meta["geometry"])
        g["local_channels"] = tuple(g["local_channels"])
        self.geo = Geometry(**g)
        self.context_frames = int(meta["context_frames"])
        self.names = list(meta["outputs"])
        self.meta = meta
        self.sessions = [onnx_session(folder / f, threads, spinning=False) for f in FILES]

    @classmethod
    def from_model(cls, model: torch.nn.Module, context_frames: int, threads: int | None = None) -> OrtStages:
        """Export ``model``'s stages to a temporary folder and load them (the sessions keep the graphs)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="seld_stream_") as tmp:
            export_stream(model, tmp, context_frames)
            return cls(tmp, threads)

    def frontend(self, audio: np.ndarray, history: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(self.sessions[0].run(None, {"audio": audio, "feature_history": history, "valid": valid}))

    def cnn(self, local_sed: np.ndarray, local_doa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, d = self.sessions[1].run(None, {"local_sed": local_sed, "local_doa": local_doa})
        return s, d

    def temporal(self, emb_sed: np.ndarray, emb_doa: np.ndarray) -> dict[str, np.ndarray]:
        n, c = emb_sed.shape[1], self.context_frames
        if n > c:
            raise ValueError(f"context of {n} frames, the graph takes at most {c}")
        pad = np.zeros((1, c - n, emb_sed.shape[2]), np.float32)
        padding = np.zeros((1, c), dtype=bool)
        padding[:, n:] = True
        feeds: dict[str, Any] = {"emb_sed": np.concatenate([emb_sed, pad], axis=1),
                                 "emb_doa": np.concatenate([emb_doa, pad], axis=1), "padding": padding}
        outs = self.sessions[2].run(self.names, feeds)
        return {name: v[0, :n] for name, v in zip(self.names, outs, strict=True)}


def validate_stream(model: torch.nn.Module, folder: str | Path, seconds: float = 3.0, threads: int | None = None,
                    seed: int = 0) -> dict[str, float]:
    """Stream a random clip through the exported graphs (ONNX Runtime) and through torch with the options of
    ``stream.json``; the largest difference of each output, absolute and relative to its magnitude."""
    from .streamers import BlockStreamer, TorchStages

    ort_stages = OrtStages(folder, threads)
    meta = ort_stages.meta
    n_blocks = max(1, int(round(seconds / LABEL_HOP_S)))
    rng = np.random.default_rng(seed)
    audio = (rng.standard_normal((ort_stages.geo.in_channels, n_blocks * SAMPLES_PER_FRAME)) * 0.1).astype(np.float32)
    results = []
    for stages in (ort_stages, TorchStages(model)):
        s = BlockStreamer(stages, meta["cnn_frames"], meta["context_frames"], meta["lookahead"])
        out = []
        for k in range(n_blocks):
            out += s.push(audio[:, k * SAMPLES_PER_FRAME : (k + 1) * SAMPLES_PER_FRAME])
        out += s.finish()
        results.append({name: np.stack([o[name] for _, o in out]) for name in out[0][1]})
    report: dict[str, float] = {}
    rel = 0.0
    for name, ref in results[1].items():
        diff = float(np.abs(results[0][name] - ref).max())
        report[f"max_abs_diff_{name}"] = diff
        rel = max(rel, diff / max(float(np.abs(ref).max()), 1e-12))
    report["max_rel_diff"] = rel
    return report
