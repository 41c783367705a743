"""Shared fixtures: tiny data made by the tests themselves."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")

TINY_MODEL = [
    # a model small enough to train in seconds, pinned completely (hop, mels, pools) so that tuning
    # configs/demo.yaml cannot break the tests' shapes
    "features.hop=400",
    "features.n_mels=32",
    "model.channels=[8,8,16,16]",
    "model.pools=[[2,2],[2,2],[2,2],[4,1]]",
    "model.temporal_layers=1",
    "model.temporal_heads=2",
    "model.temporal_ff=32",
    "data.chunk_seconds=2.0",
    "train.batch_size=4",
    "train.log_every_n_steps=1",
    "train.accelerator=cpu",
    "train.devices='1'",
]
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory):
    """A `tiny` synthetic L3DAS22-format dataset, made once per test session."""
    from seld.data.synth.generator import synthesize

    out = tmp_path_factory.mktemp("tiny_l3das22")
    synthesize(out, preset="tiny", seed=1, workers=1, progress=False)
    return out
