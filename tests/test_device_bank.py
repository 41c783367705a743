"""Device-resident training data: batches cut by DeviceBank are the batches TrainChunks gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from seld.config import load_config
from seld.errors import ConfigError, DataError
from seld.training.data import (
    SAMPLES_PER_FRAME,
    ChunkPlans,
    DeviceBank,
    EpochSampler,
    LoadedClip,
    TrainChunks,
    resolve_on_device,
)
from seld.training.trainer import train
from test_training import _params, tiny_cfg


def _clips(frame_counts: list[int], tracks: bool = True) -> list[LoadedClip]:
    gen = torch.Generator().manual_seed(0)
    clips = []
    for k, t in enumerate(frame_counts):
        wave = torch.randn(4, t * SAMPLES_PER_FRAME, generator=gen)
        if tracks:
            sed, doa = torch.rand(t, 3, 14, generator=gen), torch.randn(t, 3, 3, generator=gen)
        else:
            sed, doa = torch.rand(t, 42, generator=gen), torch.randn(t, 126, generator=gen)
        clips.append(LoadedClip(f"split0_ov1_{k}", 1, wave, {"sed": sed, "doa": doa}, np.zeros((0, 5)), t))
    return clips


@pytest.mark.parametrize("time_shift", [False, True])
@pytest.mark.parametrize("tracks", [True, False])
def test_gather_equals_host_chunks(time_shift: bool, tracks: bool) -> None:
    clips = _clips([30, 12, 7, 25], tracks)  # 7 frames: shorter than a chunk, zero-padded
    chunks = TrainChunks(clips, chunk_frames=10, chunks_per_clip=3, seed=5, time_shift=time_shift)
    bank = DeviceBank(clips, chunk_frames=10)
    for epoch in (0, 3):
        sampler = EpochSampler(len(chunks), seed=5)
        sampler.set_epoch(epoch)
        host = DataLoader(chunks, batch_size=4, sampler=sampler)
        plans = DataLoader(ChunkPlans(chunks), batch_size=4, sampler=sampler)
        n = 0
        for a, p in zip(host, plans, strict=True):
            b = bank.gather(p["clip"], p["start"], p["shift"])
            for k in ("wave", "sed", "doa"):
                assert torch.equal(a[k], b[k]), k
            n += 1
        assert n == 3
    if time_shift:  # the shift really moved something
        assert any(chunks.plan(i)[2] for i in range(len(chunks)))


def test_bank_size_and_setting() -> None:
    clips = _clips([20, 10])
    bank = DeviceBank(clips, chunk_frames=10)
    used = bank.wave.numel() * 4 + sum(v.numel() * 4 for v in bank.targets.values())
    assert DeviceBank.nbytes(clips, 10) == used
    cpu = torch.device("cpu")
    assert resolve_on_device("auto", clips, 10, cpu) is False
    assert resolve_on_device("always", clips, 10, cpu) is True
    with pytest.raises(DataError, match="data.on_device"):
        resolve_on_device("maybe", clips, 10, cpu)
    with pytest.raises(ConfigError, match="data.on_device='maybe'; choose one of auto, always, never"):
        load_config("demo", ["data.on_device=maybe"])  # refused when the config is read, before any run folder


def test_training_on_device_equals_host_path(tiny_dataset: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """One epoch with the clips in a DeviceBank gives the same weights as the DataLoader path."""
    calls = []
    real_gather = DeviceBank.gather
    monkeypatch.setattr(DeviceBank, "gather", lambda self, *a: calls.append(1) or real_gather(self, *a))
    host = train(tiny_cfg(tiny_dataset, "train.max_epochs=1", "data.on_device=never"), tmp_path / "host",
                 progress_bar=False)
    assert not calls
    bank = train(tiny_cfg(tiny_dataset, "train.max_epochs=1", "data.on_device=always"), tmp_path / "bank",
                 progress_bar=False)
    assert calls  # the bank cut the batches
    a, b = _params(host.last_checkpoint), _params(bank.last_checkpoint)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
