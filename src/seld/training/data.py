"""Training data: clips held in memory, random chunks per epoch, whole clips for validation.

Chunk positions and the shuffle order are pure functions of (seed, epoch, index), so a resumed run
sees exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..config import ExperimentConfig
from ..constants import LABEL_HOP_S, SAMPLES_PER_FRAME
from ..datasets import ClipRef, DatasetFormat, get_dataset
from ..errors import DataError
from ..formats import OutputFormat
from ..utils.progress import progress

log = logging.getLogger(__name__)



@dataclass
class LoadedClip:
    """One clip in memory: waveform, frame targets in the model's format and the reference rows."""

    name: str
    ov: int
    wave: torch.Tensor  # (C, N) float32, N a multiple of SAMPLES_PER_FRAME
    targets: dict[str, torch.Tensor]  # the output format's frame targets, time first (tracks: sed (T, 3, 14), ...)
    reference: Any  # what the dataset format's validation metric compares with (L3DAS22: official rows)
    n_frames: int


def load_clips(
    dataset: DatasetFormat, clips: list[ClipRef], mics: int, output_format: OutputFormat, max_clips: int = 0,
    desc: str = "loading clips", foa_format: str = "acn_sn3d",
) -> list[LoadedClip]:
    """Read clips of a dataset (audio + labels) into memory, with the output format's targets."""
    if max_clips:
        clips = _spread(clips, max_clips)
    loaded = []
    for clip in progress(clips, desc=desc, unit="clip"):
        wave = dataset.read_audio(clip, mics=mics, foa_format=foa_format)
        n_frames = wave.shape[1] // SAMPLES_PER_FRAME
        wave = wave[:, : n_frames * SAMPLES_PER_FRAME]
        labels = dataset.read_labels(clip, n_frames)
        targets = output_format.targets(labels.active, labels.xyz, path=_label_path(clip))
        loaded.append(LoadedClip(clip.name, clip.ov, torch.from_numpy(np.ascontiguousarray(wave)), targets,
                                 labels.reference, n_frames))
    return loaded


def _label_path(clip: ClipRef) -> Path | None:
    return getattr(clip.files, "label", None)


def _spread(clips: list, n: int) -> list:
    """Pick ``n`` clips spread evenly over the sorted list (keeps the ov mix of the split)."""
    if n >= len(clips):
        return clips
    idx = np.linspace(0, len(clips) - 1, n).round().astype(int)
    return [clips[i] for i in idx]


class EpochSampler(Sampler[int]):
    """Shuffles ``n`` items per epoch from (seed, epoch); yields ``epoch * n + i`` so the dataset
    knows the epoch too (also inside worker processes). Shards across DDP ranks itself."""

    def __init__(self, n: int, seed: int, shuffle: bool = True) -> None:
        self.n, self.seed, self.shuffle, self.epoch = n, seed, shuffle, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rank_world(self) -> tuple[int, int]:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_rank(), torch.distributed.get_world_size()
        return 0, 1

    def __len__(self) -> int:
        rank, world = self._rank_world()
        if self.shuffle:  # training: every rank gets the same number of items
            return math.ceil(self.n / world)
        return len(range(rank, self.n, world))

    def __iter__(self) -> Iterator[int]:
        rank, world = self._rank_world()
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(self.n, generator=g).tolist()
        else:
            order = list(range(self.n))
        if self.shuffle:  # pad by wrapping so every rank has the same count
            order = (order * world)[: len(self) * world]
        return iter([self.epoch * self.n + i for i in order[rank::world]])


class TrainChunks(Dataset):
    """Random fixed-length chunks of the training clips, aligned to label frames.

    Each item is planned by :meth:`plan` (clip, start frame, time shift); the chunk is cut here on the
    host, or, with :class:`ChunkPlans` + :class:`DeviceBank`, on the accelerator from the same plan.
    """

    def __init__(self, clips: list[LoadedClip], chunk_frames: int, chunks_per_clip: float, seed: int,
                 time_shift: bool) -> None:
        self.clips = clips
        self.chunk_frames = chunk_frames
        self.seed = seed
        self.time_shift = time_shift
        mean_frames = float(np.mean([c.n_frames for c in clips]))
        per_clip = chunks_per_clip or max(1.0, mean_frames / chunk_frames)
        self.n = max(1, int(round(per_clip * len(clips))))

    def __len__(self) -> int:
        return self.n

    def plan(self, index: int) -> tuple[int, int, int]:
        """(clip index, start frame, time shift in frames) of item ``index`` (epoch * n + i)."""
        epoch, i = divmod(index, self.n)
        rng = np.random.default_rng([self.seed, epoch, i])
        c = i % len(self.clips)
        n_frames, frames = self.clips[c].n_frames, self.chunk_frames
        start = int(rng.integers(0, n_frames - frames + 1)) if n_frames >= frames else 0
        shift = int(rng.integers(0, frames)) if self.time_shift else 0
        return c, start, shift

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        c, start, shift = self.plan(index)
        clip = self.clips[c]
        frames = self.chunk_frames
        if clip.n_frames >= frames:
            wave = clip.wave[:, start * SAMPLES_PER_FRAME : (start + frames) * SAMPLES_PER_FRAME]
            targets = {k: v[start : start + frames] for k, v in clip.targets.items()}
        else:  # clip shorter than a chunk: zero-pad (silence, no events)
            pad = frames - clip.n_frames
            wave = torch.nn.functional.pad(clip.wave, (0, pad * SAMPLES_PER_FRAME))
            targets = {k: torch.cat([v, v.new_zeros((pad, *v.shape[1:]))]) for k, v in clip.targets.items()}
        if self.time_shift:
            wave = torch.roll(wave, shift * SAMPLES_PER_FRAME, dims=-1)
            targets = {k: torch.roll(v, shift, dims=0) for k, v in targets.items()}
        return {"wave": wave.contiguous(), **{k: v.contiguous() for k, v in targets.items()}}


class ChunkPlans(Dataset):
    """The plans of :class:`TrainChunks` only (three integers per item), for batches cut on the device."""

    def __init__(self, chunks: TrainChunks) -> None:
        self.chunks = chunks

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        c, start, shift = self.chunks.plan(index)
        return {"clip": torch.tensor(c), "start": torch.tensor(start), "shift": torch.tensor(shift)}


class DeviceBank:
    """All training clips as padded tensors on one device; cuts a batch of chunks with one gather each.

    ``wave`` is (clips * C, N) so that a batch is a single advanced-indexing read; clips shorter than a
    chunk read zeros past their end, as :class:`TrainChunks` pads them. No host synchronisation.
    """

    def __init__(self, clips: list[LoadedClip], chunk_frames: int, device: torch.device | str = "cpu") -> None:
        self.chunk_frames = chunk_frames
        self.channels = clips[0].wave.shape[0]
        t_max = self.frames(clips, chunk_frames)
        wave = torch.zeros(len(clips), self.channels, t_max * SAMPLES_PER_FRAME)
        targets = {key: v.new_zeros((len(clips), t_max, *v.shape[1:])) for key, v in clips[0].targets.items()}
        for k, c in enumerate(clips):
            wave[k, :, : c.wave.shape[1]] = c.wave
            for key, v in c.targets.items():
                targets[key][k, : c.n_frames] = v
        self.wave = wave.reshape(len(clips) * self.channels, -1).to(device)
        self.targets = {key: v.to(device) for key, v in targets.items()}

    @staticmethod
    def frames(clips: list[LoadedClip], chunk_frames: int) -> int:
        """Label frames every clip is padded to: the longest clip, or one chunk if that is longer."""
        return max(max(c.n_frames for c in clips), chunk_frames)

    @staticmethod
    def nbytes(clips: list[LoadedClip], chunk_frames: int) -> int:
        """Memory the bank would take (padded waveforms and targets)."""
        t_max = DeviceBank.frames(clips, chunk_frames)
        first = clips[0]
        per_frame = 4 * (first.wave.shape[0] * SAMPLES_PER_FRAME + sum(v[0].numel() for v in first.targets.values()))
        return len(clips) * t_max * per_frame

    def gather(self, clip: torch.Tensor, start: torch.Tensor, shift: torch.Tensor) -> dict[str, torch.Tensor]:
        """The batch :class:`TrainChunks` would give for these plans (B,) each; on the bank's device."""
        dev = self.wave.device
        clip, start, shift = clip.to(dev), start.to(dev), shift.to(dev)
        frames = self.chunk_frames
        t = torch.arange(frames, device=dev)
        # torch.roll by s: out[i] = in[(i - s) mod L]; here in frames, then samples within each frame
        src_frames = start[:, None] + (t[None, :] - shift[:, None]) % frames  # (B, T)
        targets = {key: v[clip[:, None], src_frames] for key, v in self.targets.items()}
        within = torch.arange(SAMPLES_PER_FRAME, device=dev)
        cols = (src_frames[:, :, None] * SAMPLES_PER_FRAME + within).reshape(len(clip), -1)  # (B, L)
        rows = clip[:, None] * self.channels + torch.arange(self.channels, device=dev)  # (B, C)
        wave = self.wave[rows[:, :, None], cols[:, None, :]]  # (B, C, L)
        return {"wave": wave, **targets}


def resolve_on_device(setting: str, clips: list[LoadedClip], chunk_frames: int, device: torch.device) -> bool:
    """Whether to use a :class:`DeviceBank` on ``device`` for the ``data.on_device`` setting."""
    if setting not in ("auto", "always", "never"):
        raise DataError(f"data.on_device must be auto, always or never, got {setting!r}")
    if setting != "auto":
        return setting == "always"
    if device.type != "cuda":
        return False  # on the CPU the host path is already "on the device"
    free, _ = torch.cuda.mem_get_info(device)
    return DeviceBank.nbytes(clips, chunk_frames) <= free // 2


class ClipIndex(Dataset):
    """Whole clips for validation; the module looks the clip up by index for its reference rows."""

    def __init__(self, clips: list[LoadedClip]) -> None:
        self.clips = clips

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index %= len(self.clips)  # the sampler encodes the epoch in the index
        return {"wave": self.clips[index].wave, "index": torch.tensor(index)}


class SELDDataModule(L.LightningDataModule):
    """Training chunks from the train folder, whole clips from the validation folder."""

    def __init__(self, cfg: ExperimentConfig, output_format: OutputFormat) -> None:
        super().__init__()
        self.cfg = cfg
        self.output_format = output_format
        self.dataset = get_dataset(cfg.data.format)
        self.train_clips: list[LoadedClip] | None = None
        self.val_clips: list[LoadedClip] | None = None
        self.on_device = False
        """Set in :meth:`setup`: batches are plans, cut by the module's :class:`DeviceBank`."""

    def load(self) -> None:
        if self.train_clips is not None:
            return
        d = self.cfg.data
        if not d.root:
            raise DataError("data.root is not set (use --data DIR or --set data.root=DIR)")
        train = self.dataset.training_clips(d.root, d.mics, d.train_splits)
        self.train_clips = load_clips(self.dataset, train, d.mics, self.output_format, d.max_train_clips,
                                      desc="loading train clips", foa_format=d.foa_format)
        val = self.dataset.validation_clips(d.root, d.mics, d.val_folder)
        self.val_clips = load_clips(self.dataset, val, d.mics, self.output_format, d.max_val_clips,
                                    desc="loading validation clips", foa_format=d.foa_format)

    def setup(self, stage: str | None = None) -> None:
        self.load()
        trainer = getattr(self, "trainer", None)
        if trainer is not None and self.train_clips:  # decided before any dataloader is built
            self.on_device = resolve_on_device(self.cfg.data.on_device, self.train_clips, self.chunk_frames,
                                               trainer.strategy.root_device)

    @property
    def chunk_frames(self) -> int:
        return int(round(self.cfg.data.chunk_seconds / LABEL_HOP_S))

    def train_dataloader(self) -> DataLoader:
        assert self.train_clips is not None
        chunks = TrainChunks(self.train_clips, self.chunk_frames, self.cfg.data.chunks_per_clip,
                             self.cfg.train.seed, self.cfg.train.time_shift)
        ds: Dataset = ChunkPlans(chunks) if self.on_device else chunks
        self.train_sampler = EpochSampler(len(ds), self.cfg.train.seed)
        return DataLoader(ds, batch_size=self.cfg.train.batch_size, sampler=self.train_sampler,
                          num_workers=self.cfg.data.num_workers, drop_last=len(ds) > self.cfg.train.batch_size,
                          persistent_workers=self.cfg.data.num_workers > 0)

    def val_dataloader(self) -> DataLoader:
        assert self.val_clips is not None
        sampler = EpochSampler(len(self.val_clips), 0, shuffle=False)
        return DataLoader(ClipIndex(self.val_clips), batch_size=1, sampler=sampler, num_workers=0)

