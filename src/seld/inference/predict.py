"""``seld predict``: checkpoints + wav files or split folders -> one submission CSV per clip."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..checkpoints import load_model
from ..constants import DCASE_SAMPLE_RATE, FOA_FORMATS, SAMPLE_RATE
from ..data import l3das22
from ..datasets import ClipRef, get_dataset
from ..errors import CheckpointError, DataError, SeldError
from ..formats import get_format
from ..io_utils import write_json_atomic
from ..utils.folder_lock import folder_lock
from ..utils.progress import progress
from .events import rows_to_events
from .infer import PRECISIONS, prepare_for_inference
from .onnx_export import OnnxRuntimeModel, require_onnx
from .stream.blockwise import blockwise_posteriors
from .stream.sources import samples_after_resampling, wav_pair_blocks
from .thresholds import resolve_thresholds

BACKENDS = ("torch", "onnxruntime")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictInput:
    name: str  # clip name: the CSV is label_<name>.csv
    audio_a: Path
    audio_b: Path | None


def collect_inputs(paths: list[str | Path], mics: int) -> list[PredictInput]:
    """Wav files, or L3DAS22 split folders (flat or nested layout), in the order given."""
    items: list[PredictInput] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            clips = l3das22.find_clips(p, mics=mics, require_labels=False)
            if not clips:
                raise DataError("no clips found (expected data/*_A.wav or *.wav)", p)
            items += [PredictInput(c.name, c.audio_a, c.audio_b) for c in clips]
        elif p.is_file():
            stem = p.stem
            name = stem[:-2] if stem.endswith("_A") else stem
            b = p.with_name(f"{name}_B{p.suffix}") if stem.endswith("_A") else None
            if mics == 2 and (b is None or not b.exists()):
                raise DataError("a two-microphone model needs the matching _B file beside this _A file", p)
            items.append(PredictInput(name, p, b if mics == 2 else None))
        else:
            raise DataError("no such file or folder", p)
    return items


def read_input(item: PredictInput, mics: int, foa_format: str = "acn_sn3d") -> np.ndarray:
    """The input's waveform (4 * mics, N) at 32 kHz in ACN/SN3D."""
    wave = l3das22.read_wav(item.audio_a, channels=4, foa_format=foa_format)
    if mics == 2:
        assert item.audio_b is not None
        b = l3das22.read_wav(item.audio_b, channels=4, foa_format=foa_format)
        if b.shape[1] != wave.shape[1]:
            raise DataError(f"mic B has {b.shape[1]} samples but mic A has {wave.shape[1]}", item.audio_b)
        wave = np.concatenate([wave, b])
    return wave


def predict_rows(
    models: list[torch.nn.Module],
    item: PredictInput,
    mics: int,
    foa_format: str,
    threshold: float | np.ndarray,
    window_s: float | None = 30.0,
    hop_s: float | None = None,
    precision: str = "fp32",
    block: int = 32_000,
    native_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Prediction rows of one input, read in blocks of ``block`` frames: the rows
    ``decode(infer_ensemble(models, read_input(item)))`` gives, with memory bounded by the window length
    instead of the recording's (:mod:`seld.inference.stream.blockwise`)."""
    n = samples_after_resampling(item.audio_a)
    chunks = wav_pair_blocks(item.audio_a, item.audio_b if mics == 2 else None, foa_format=foa_format, block=block,
                             native_rate=native_rate)
    fmt = get_format(models[0].output_format)
    parts = []
    for first, post in blockwise_posteriors(models, chunks, n, 4 * mics, window_s, hop_s, precision):
        rows = fmt.decode(post, threshold)
        rows[:, 0] += first
        parts.append(rows)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _predict_input(clip: ClipRef) -> PredictInput:
    """The audio files of a dataset format's clip (L3DAS22: mics A and B; DCASE: one file)."""
    files = clip.files
    if hasattr(files, "audio_a"):
        return PredictInput(clip.name, files.audio_a, files.audio_b)
    return PredictInput(clip.name, files.audio, None)


def predict(
    checkpoints: list[str | Path],
    inputs: list[str | Path],
    out_dir: str | Path,
    json_events: bool = False,
    window_s: float | None = 30.0,
    hop_s: float | None = None,
    threshold: str | float | None = None,
    device: str = "auto",
    show_progress: bool | None = None,
    precision: str = "fp32",
    backend: str = "torch",
    foa_format: str | None = None,
) -> list[Path]:
    """Write one submission file per input clip in the dataset format the models were trained on
    (L3DAS22: ``label_<clip>.csv`` rows ``frame,class,x,y,z``; DCASE: ``<clip>.csv`` in the 2024 baseline's
    ``frame,class,0,x,y,z,distance`` format); returns the paths.

    ``threshold``: ``None`` = the calibrated per-class thresholds when the checkpoint holds them (``seld
    calibrate``, or ``train.calibrate_thresholds``), else the config's fixed one (0.5); ``"calibrated"``; or a
    probability for every class (:func:`seld.inference.thresholds.resolve_thresholds`).

    ``foa_format`` is the FOA convention of the input files (``acn_sn3d`` or ``fuma``; default: the
    ``data.foa_format`` the first model was trained with); the audio is converted to ACN/SN3D when read.

    ``precision="bf16"`` runs the models in bfloat16 autocast with channels-last weights: 1.2-2x faster for
    the paper model on a CPU with AVX512-BF16 (see docs/performance.md), with slightly different posteriors.
    Each input is read in blocks (:func:`predict_rows`): memory does not grow with the recording's length.
    ``backend="onnxruntime"`` exports each model to ONNX (one graph per input length met) and runs it with
    ONNX Runtime on the CPU: 2.3x faster than torch for the paper model on 2 cores (docs/performance.md).
    """
    if precision not in PRECISIONS:
        raise SeldError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if backend not in BACKENDS:
        raise SeldError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if foa_format is not None and foa_format not in FOA_FORMATS:
        raise SeldError(f"--foa-format must be one of {', '.join(FOA_FORMATS)}, got {foa_format!r}")
    if backend == "onnxruntime":
        if precision != "fp32":
            raise SeldError("--backend onnxruntime runs in fp32; leave out --precision")
        if device not in ("auto", "cpu"):
            raise SeldError(f"--backend onnxruntime runs on the CPU; --device {device} is not supported")
        require_onnx()
        device = "cpu"
    try:
        dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                           ("cpu" if device == "auto" else device))
    except RuntimeError as exc:
        raise SeldError(f"invalid --device {device!r} ({str(exc).splitlines()[0]})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SeldError(f"--device {device}: CUDA is not available on this machine")
    loaded = [load_model(c, dev) for c in checkpoints]
    models = [prepare_for_inference(m, precision) for m, _ in loaded]
    if backend == "onnxruntime":
        models = [OnnxRuntimeModel(m, torch.get_num_threads()) for m in models]
    cfgs = [c for _, c in loaded]
    formats = {m.output_format for m in models}
    if len(formats) > 1:
        raise CheckpointError(f"cannot ensemble models with different output formats ({', '.join(sorted(formats))})",
                              checkpoints[1])
    mics = {c.data.mics for c in cfgs}
    if len(mics) > 1:
        raise CheckpointError("cannot ensemble models trained on different numbers of microphones",
                              checkpoints[1])
    (n_mics,) = mics
    data_formats = {c.data.format for c in cfgs}
    if len(data_formats) > 1:
        raise CheckpointError(f"cannot ensemble models trained on different dataset formats ({sorted(data_formats)})",
                              checkpoints[1])
    dataset = get_dataset(cfgs[0].data.format)
    native_rate = DCASE_SAMPLE_RATE if dataset.name == "dcase" else SAMPLE_RATE
    thr = resolve_thresholds(threshold, checkpoints, cfgs[0].train.sed_threshold, len(dataset.classes))
    clips = dataset.prediction_inputs(inputs, n_mics)
    for clip in clips:  # header checks of every input first, so a bad file stops the run before any output
        dataset.audio_checks(clip, n_mics)
    with folder_lock(out_dir, "predict") as out_dir:  # also fails fast on an unusable --out
        results = []  # rows are small: every file is written only once all inputs succeeded (no partial output)
        for clip in progress(clips, desc="predicting", unit="clip", enabled=show_progress):
            item = _predict_input(clip)
            rows = predict_rows(models, item, n_mics, foa_format or cfgs[0].data.foa_format, thr,
                                window_s=window_s, hop_s=hop_s, precision=precision, native_rate=native_rate)
            if not np.isfinite(rows).all():
                raise CheckpointError(f"the model produced NaN or infinite values on {item.audio_a}", checkpoints[0])
            results.append((clip, rows))
        written = []
        for clip, rows in results:
            written.append(dataset.write_predictions(out_dir, clip, rows))
            if json_events:
                write_json_atomic(out_dir / f"{clip.name}.events.json",
                                  {"clip": clip.name, "events": rows_to_events(rows, dataset.classes)})
        return written
