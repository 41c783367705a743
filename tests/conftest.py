"""Shared fixtures: tiny data made by the tests themselves."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory):
    """A `tiny` synthetic L3DAS22-format dataset, made once per test session."""
    from seld.data.synth.generator import synthesize

    out = tmp_path_factory.mktemp("tiny_l3das22")
    synthesize(out, preset="tiny", seed=1, workers=1, progress=False)
    return out
