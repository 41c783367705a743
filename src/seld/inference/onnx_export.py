"""ONNX export of a whole seld model (waveform in -> ``sed``, ``doa`` out) and an ONNX Runtime runner.

The graph contains the feature front end (STFT, log-mel, intensity vectors, normalisation): it takes raw
waveforms ``wave`` (1, 4*mics, N) float32 and returns ``sed`` (logits) and ``doa`` exactly as the torch
model's ``forward``. The input shape is fixed at export (N = ``seconds`` of audio, 30 s by default, the
window of :func:`seld.inference.infer.infer_clip`): the TorchScript exporter bakes the sequence length
into ``nn.MultiheadAttention``'s reshapes, so a graph exported for one length fails on another.
Export uses the TorchScript exporter (``dynamo=False``, opset 17), whose STFT layout the front end
supports. ``onnx`` and ``onnxruntime`` are optional (``pip install 'seld[onnx]'``); functions here
raise :class:`SeldError` when they are missing.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..constants import LABEL_HOP_S, SAMPLE_RATE, SAMPLES_PER_FRAME
from ..errors import SeldError

OPSET = 17
INPUT_NAME = "wave"
OUTPUT_NAMES = ("sed", "doa")


def require_onnx(runtime: bool = True) -> None:
    """Raise :class:`SeldError` if ``onnx`` (and ``onnxruntime`` when ``runtime``) cannot be imported."""
    missing = []
    for name in ("onnx", "onnxruntime") if runtime else ("onnx",):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise SeldError(
            f"ONNX export needs {' and '.join(missing)}: pip install 'seld[onnx]' "
            "(or pip install onnx onnxruntime)"
        )


class TupleOutputs(nn.Module):
    """Wrap a seld model so that it returns ``(sed, doa)`` instead of a dict (as ONNX outputs)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(wave)
        return out["sed"], out["doa"]


def input_channels(model: nn.Module) -> int:
    """Waveform channels the model expects (4 per microphone)."""
    frontend = getattr(model, "frontend", None)
    channels = getattr(frontend, "in_channels", None)
    if not isinstance(channels, int):
        raise SeldError(f"cannot tell the input channels of {type(model).__name__} (no frontend.in_channels)")
    return channels


def window_samples(seconds: float) -> int:
    """Samples of ``seconds`` of audio rounded to whole 100 ms label frames (at least one)."""
    return max(SAMPLES_PER_FRAME, int(round(seconds / LABEL_HOP_S)) * SAMPLES_PER_FRAME)


def export_module(
    module: nn.Module,
    args: tuple[torch.Tensor, ...],
    path: str | Path,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]] | None = None,
    opset: int = OPSET,
    what: str | None = None,
) -> Path:
    """Export ``module(*args)`` (eval mode, CPU) to ``path`` atomically; exporter failures become one
    :class:`SeldError` line naming ``what`` (default: the module's class)."""
    require_onnx(runtime=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # Gradients stay enabled: under no_grad, nn.TransformerEncoderLayer takes its fused fast path
    # (aten::_transformer_encoder_layer_fwd), which has no ONNX symbolic.
    try:
        with warnings.catch_warnings(), torch.enable_grad():  # also when called under no_grad (infer_clip)
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                args,
                str(tmp),
                dynamo=False,
                opset_version=opset,
                input_names=input_names,
                output_names=output_names,
                dynamic_axes=dynamic_axes,
            )
    except Exception as exc:  # noqa: BLE001 - the exporter raises many types; report one line
        tmp.unlink(missing_ok=True)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        name = what or type(module).__name__
        raise SeldError(f"{name} cannot be exported to ONNX (opset {opset}): {first[:300]}") from None
    tmp.replace(path)
    return path


def export_onnx(model: nn.Module, path: str | Path, seconds: float = 30.0, opset: int = OPSET) -> Path:
    """Export ``model`` (eval mode, on the CPU) to ``path`` for inputs (1, C, ``seconds`` of samples).

    The length is fixed; ``seld export --stream`` (:func:`seld.inference.stream.onnx.export_stream`) writes
    graphs that stream audio of any length instead.
    """
    model = model.to("cpu").eval()
    example = torch.randn(1, input_channels(model), window_samples(seconds))
    wrapper = TupleOutputs(model).eval()
    return export_module(wrapper, (example,), path, [INPUT_NAME], list(OUTPUT_NAMES), opset=opset,
                         what=type(model).__name__)


def onnx_session(path: str | Path, threads: int | None = None, spinning: bool = True) -> Any:
    """An ONNX Runtime CPU session for an exported model (``threads`` intra-op threads, all optimisations).

    ``spinning=False`` makes idle intra-op threads sleep instead of spinning between runs: for many short
    runs (a stream's 100 ms blocks) spinning threads compete with the caller for the cores (the paper
    model's stream on 2 threads: 67 ms per block spinning, 27 ms not; docs/performance.md).
    """
    require_onnx()
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
    if not spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_session(session: Any, wave: np.ndarray | torch.Tensor) -> dict[str, np.ndarray]:
    """Run an ONNX Runtime session on waveforms (B, C, N): ``{"sed": logits, "doa": ...}``."""
    x = wave.detach().cpu().numpy() if isinstance(wave, torch.Tensor) else np.asarray(wave)
    sed, doa = session.run(list(OUTPUT_NAMES), {INPUT_NAME: np.ascontiguousarray(x, dtype=np.float32)})
    return {"sed": sed, "doa": doa}


def validate_onnx(
    model: nn.Module, path: str | Path, seconds: float = 30.0, threads: int | None = None, seed: int = 0
) -> dict[str, float]:
    """Compare ONNX Runtime with torch on a random clip of ``seconds`` (the length the graph was exported for).

    Returns the max absolute difference of each output and the largest one relative to the output's
    magnitude (``max_rel_diff``).
    """
    session = onnx_session(path, threads)
    gen = torch.Generator().manual_seed(seed)
    wave = torch.randn(1, input_channels(model), window_samples(seconds), generator=gen)
    with torch.inference_mode():
        ref = model.eval()(wave)
    got = run_session(session, wave)
    result: dict[str, float] = {}
    rel = 0.0
    for name in OUTPUT_NAMES:
        r = ref[name].float().numpy()
        if got[name].shape != r.shape:
            raise SeldError(f"ONNX output {name!r} has shape {got[name].shape}, torch gives {r.shape}")
        diff = float(np.abs(got[name] - r).max()) if r.size else 0.0
        result[f"max_abs_diff_{name}"] = diff
        rel = max(rel, diff / max(float(np.abs(r).max()), 1e-12))
    result["max_rel_diff"] = rel
    return result


class OnnxRuntimeModel(nn.Module):
    """A seld model run by ONNX Runtime behind the torch model's interface (``wave`` -> dict).

    An exported graph has a fixed input length, and zero-padding a clip to a longer graph changes what
    the temporal attention sees, so one graph is exported per input length met (a dataset's clips and
    :func:`seld.inference.infer.infer_clip`'s windows share a few lengths) and kept in memory.
    """

    def __init__(self, model: nn.Module, threads: int | None = None) -> None:
        super().__init__()
        require_onnx()
        self.model = model.to("cpu").eval()
        self.threads = threads
        self.output_format = model.output_format
        self.sessions: dict[int, Any] = {}

    def session_for(self, n: int) -> Any:
        """The session for inputs of ``n`` samples (exported on first use)."""
        if n not in self.sessions:
            if n % SAMPLES_PER_FRAME:
                raise SeldError(f"input of {n} samples is not a whole number of 100 ms label frames")
            with tempfile.TemporaryDirectory(prefix="seld_onnx_") as tmp:  # the session keeps the graph
                path = export_onnx(self.model, Path(tmp) / "model.onnx", seconds=n / SAMPLE_RATE)
                self.sessions[n] = onnx_session(path, self.threads)
        return self.sessions[n]

    def forward(self, wave: torch.Tensor) -> dict[str, torch.Tensor]:
        out = run_session(self.session_for(int(wave.shape[-1])), wave)
        return {k: torch.from_numpy(v) for k, v in out.items()}
