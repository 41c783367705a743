"""Typed experiment configuration: dataclasses loaded from YAML, every field overridable.

A YAML file may name ``base: other.yaml`` (relative to itself); its fields are applied on top of the
base. Overrides from the command line use dotted keys: ``--set model.attention=mfm train.lr=1e-3``.
Unknown keys and values of the wrong type are errors that name the file and the key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .constants import DATASET_FORMATS, FOA_AUGMENTATIONS, FOA_FORMATS
from .errors import ConfigError


@dataclass
class DataConfig:
    format: str = "l3das22"
    """Dataset format: ``l3das22`` (L3DAS22 Task 2) or ``dcase`` (STARSS23 / DCASE 2023-2024 Task 3 layout)."""
    root: str = ""
    """Folder holding ``L3DAS22_Task2_train`` and ``L3DAS22_Task2_dev`` (real or synthetic)."""
    train_splits: list[int] = field(default_factory=lambda: [0, 1, 2, 3])
    """Split numbers (``splitX``) of the train folder used for training."""
    val_folder: str = "dev"
    """Which split folder validates: ``dev`` (L3DAS22 dev-test, split 4) or ``train``."""
    max_train_clips: int = 0
    """Use at most this many training clips (0 = all); for quick runs."""
    max_val_clips: int = 0
    """Validate on at most this many clips (0 = all)."""
    mics: int = 1
    """1 = mic A (4 channels), 2 = mics A and B (8 channels)."""
    foa_format: str = "acn_sn3d"
    """FOA convention of the audio files: ``acn_sn3d`` (W, Y, Z, X; SN3D, what L3DAS22 and ``seld synth`` use)
    or ``fuma`` (W, X, Y, Z, W at -3 dB). Audio is converted to ACN/SN3D when read."""
    chunk_seconds: float = 5.0
    """Length of training chunks cut from clips (s); validation uses whole clips."""
    chunks_per_clip: float = 0.0
    """Chunks drawn per clip and epoch (0 = clip length / chunk length)."""
    num_workers: int = 0
    on_device: str = "auto"
    """Keep the training clips in accelerator memory and cut batches there (``always``/``never``; ``auto`` = on
    CUDA when they take at most half of the free memory). The batches are identical either way."""


@dataclass
class FeatureConfig:
    sample_rate: int = 32_000
    n_fft: int = 1024
    hop: int = 400
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float = 16_000.0
    log_floor: float = 1e-10


@dataclass
class ModelConfig:
    name: str = "crossstitch"
    """``crossstitch`` (the paper's network) or ``seldnet`` (the L3DAS22 baseline)."""
    channels: list[int] = field(default_factory=lambda: [64, 128, 256, 512])
    pools: list[list[int]] = field(default_factory=lambda: [[4, 2], [4, 2], [4, 2], [2, 1]])
    """Pooling after each conv block as (frequency, time)."""
    head: str = "tracks"
    """Output of the cross-stitch network: ``tracks`` (the paper's 3 tracks, PIT) or ``multi_accdoa`` (DCASE)."""
    coord_scale: float = 2.0
    """Range (m) of the tracks head's tanh position output: 2 covers L3DAS22 (the official /2 convention)."""
    attention: str = "roam"
    """Conv-block attention: none | mfm | ctam | attentive_mfm | roam (paper Table 1)."""
    temporal: str = "transformer"
    """Temporal module per branch: transformer | bigru."""
    temporal_layers: int = 2
    temporal_heads: int = 8
    temporal_ff: int = 1024
    dropout: float = 0.1
    sed_input: str = "logmel"
    """What the SED branch sees: ``logmel`` (the 4 log-mel channels) or ``all`` (all 7)."""
    cross_stitch_init: list[float] = field(default_factory=lambda: [0.9, 0.1])
    """Initial (diagonal, off-diagonal) cross-stitch weights."""
    rnn_size: int = 256
    """SELDnet: GRU units per direction."""
    fc_size: int = 1024
    """SELDnet: width of the fully connected heads."""


@dataclass
class LossConfig:
    weighting: str = "adaptive"
    """``adaptive`` (paper eq. 8-13) or ``fixed`` (lambda_sed, tau_doa)."""
    lambda_sed: float = 1.0
    tau_doa: float = 1.0
    mu: float = 0.5
    """Priority factor of the adaptive weighting."""
    record_window: int = 0
    """Iterations per loss record of the adaptive weighting (0 = one epoch)."""
    doa_mask: bool = True
    """Mask the DOA error of inactive target tracks."""


@dataclass
class TrainConfig:
    seed: int = 0
    optimizer: str = "adabelief"
    """adabelief | adam | adamw."""
    lr: float = 5e-4
    min_lr: float = 1e-6
    weight_decay: float = 0.0
    batch_size: int = 8
    max_epochs: int = 100
    patience: int = 25
    """Early stopping: epochs without a better validation F-score."""
    noise_std: float = 0.0
    """Gaussian-noise augmentation: standard deviation relative to the chunk RMS (0 = off)."""
    time_shift: bool = True
    """Time-shift augmentation: random chunk offsets and a random circular roll of the chunk."""
    foa_augment: str = "none"
    """FOA spatial augmentation per training item, labels transformed to match (seld.data.foa_augment):
    none | acs (the 16 channel-swapping patterns) | rotate (any angle about the vertical) | acs_rotate (both)."""
    sed_threshold: float = 0.5
    """Detection threshold of the paper (0.5); per-class calibrated values, when computed, live in the checkpoint."""
    calibrate_thresholds: bool = False
    """After training, choose per-class detection thresholds on the validation split (seld.training.calibration)
    and store them in best.ckpt; ``seld predict`` uses them unless told otherwise."""
    accelerator: str = "auto"
    devices: str = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "auto"
    """auto = bf16-mixed on CUDA, 32 on CPU; or any Lightning precision string."""
    compile: bool = False
    deterministic: bool = False
    check_val_every_n_epoch: int = 1
    stop_after_epochs: int = 0
    """Stop after this many epochs as if interrupted (0 = off); the LR schedule still spans max_epochs,
    so ``--resume`` continues exactly (for time-boxed cluster jobs)."""
    limit_train_batches: float = 1.0
    log_every_n_steps: int = 10
    grad_clip: float = 0.0


@dataclass
class ExperimentConfig:
    name: str = "experiment"
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arg in typing.get_args(tp):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "5e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return _build(tp, value, where)
    return value


def _build(cls: Any, mapping: dict[str, Any], where: str, base: Any = None) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    obj = base if base is not None else cls()
    for key, value in mapping.items():
        if cls is FeatureConfig and key == "channel_order":  # replaced by data.foa_format (files are converted)
            if str(value).upper() != "WYZX":
                raise ConfigError(f"{where}.channel_order={value!r} is no longer supported; the audio's FOA "
                                  "convention is data.foa_format (acn_sn3d | fuma)")
            continue  # the ACN order that older configs and checkpoints name: nothing to do
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{where}: unknown key {key!r} (known: {known})")
        sub = f"{where}.{key}" if where else key
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            _build(type(current), value, sub, base=current)
        else:
            setattr(obj, key, _coerce(value, hints[key], sub))
    return obj


def _load_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        raise ConfigError("circular 'base:' chain", path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", path) from None
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {str(exc).splitlines()[0]}", path) from None
    if not isinstance(raw, dict):
        raise ConfigError("a config must be a YAML mapping", path)
    base_name = raw.pop("base", None)
    if base_name is None:
        return raw
    merged = _load_yaml(path.parent / str(base_name), (*seen, path))
    return _deep_merge(merged, raw)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_overrides(overrides: list[str] | None) -> dict[str, Any]:
    """Turn ``["model.attention=mfm", "train.lr=1e-3"]`` into a nested mapping (values parsed as YAML)."""
    nested: dict[str, Any] = {}
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        key, text = item.split("=", 1)
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        node = nested
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r} conflicts with another override")
        node[parts[-1]] = value
    return nested


CONFIG_DIR = Path(__file__).parent / "configs"
"""The shipped configs (the repository's ``configs/`` links here)."""


def resolve_config_path(name: str | Path) -> Path:
    """A path to a YAML file, or the bare name of a shipped config (``demo``, ``paper``, ``table1_mfm``)."""
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path
    shipped = CONFIG_DIR / f"{name}.yaml"
    if shipped.exists():
        return shipped
    known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.yaml")))
    raise ConfigError(f"no config file {name!r} and no shipped config of that name (shipped: {known})")


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Load a config file (or the defaults) and apply ``key=value`` overrides."""
    mapping: dict[str, Any] = {}
    if path is not None:
        path = resolve_config_path(path)
    where = "config"
    if path is not None:
        mapping = _load_yaml(Path(path))
        where = str(path)
        if "name" not in mapping:
            mapping["name"] = Path(path).stem
    try:
        cfg = _build(ExperimentConfig, mapping, "")
    except ConfigError as exc:
        raise ConfigError(str(exc), path) from None
    try:
        cfg = _build(ExperimentConfig, parse_overrides(overrides), "", base=cfg)
    except ConfigError as exc:
        raise ConfigError(f"--set: {exc}") from None
    validate_config(cfg, where)
    return cfg


def config_from_dict(mapping: dict[str, Any]) -> ExperimentConfig:
    """Rebuild a config saved with :func:`config_to_dict` (e.g. inside a checkpoint)."""
    return _build(ExperimentConfig, mapping, "")


def config_to_dict(cfg: ExperimentConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def dump_config(cfg: ExperimentConfig) -> str:
    return yaml.safe_dump(config_to_dict(cfg), sort_keys=False)


_CHOICES = {
    ("model", "name"): ("crossstitch", "seldnet"),
    ("model", "attention"): ("none", "mfm", "ctam", "attentive_mfm", "roam"),
    ("model", "temporal"): ("transformer", "bigru"),
    ("model", "sed_input"): ("logmel", "all"),
    ("loss", "weighting"): ("adaptive", "fixed"),
    ("train", "optimizer"): ("adabelief", "adam", "adamw"),
    ("data", "val_folder"): ("dev", "train"),
    ("data", "on_device"): ("auto", "always", "never"),
    ("data", "foa_format"): FOA_FORMATS,
    ("data", "format"): tuple(DATASET_FORMATS),
    ("model", "head"): ("tracks", "multi_accdoa"),
    ("train", "foa_augment"): FOA_AUGMENTATIONS,
}


def validate_config(cfg: ExperimentConfig, where: str = "config") -> None:
    """Check value ranges and choices that types alone cannot express."""
    for (section, key), choices in _CHOICES.items():
        value = getattr(getattr(cfg, section), key)
        if value not in choices:
            raise ConfigError(f"{where}: {section}.{key}={value!r}; choose one of {', '.join(choices)}")
    if cfg.data.mics not in (1, 2):
        raise ConfigError(f"{where}: data.mics must be 1 or 2, got {cfg.data.mics}")
    if cfg.train.foa_augment != "none" and cfg.data.mics != 1:
        raise ConfigError(f"{where}: train.foa_augment={cfg.train.foa_augment!r} needs data.mics=1 (turning the sound "
                          "field about mic A would move mic B)")
    if len(cfg.model.channels) != len(cfg.model.pools):
        raise ConfigError(f"{where}: model.channels and model.pools must have the same length")
    if any(len(p) != 2 for p in cfg.model.pools):
        raise ConfigError(f"{where}: each entry of model.pools must be [freq, time]")
    if cfg.train.batch_size < 1 or cfg.train.max_epochs < 1:
        raise ConfigError(f"{where}: train.batch_size and train.max_epochs must be positive")
    if cfg.data.chunk_seconds <= 0:
        raise ConfigError(f"{where}: data.chunk_seconds must be positive")
