"""The per-block computation of a :class:`~seld.models.CrossStitchSELD`, split into three stages.

A stream runs the network in three pieces (docs/design.md, "Streaming"):

1. :class:`FrontendStage` (fixed shapes): the audio of one 100 ms block plus 1200 samples of history ->
   the 9 feature frames that changed (the previous block's last frame, now exact, and 8 new ones, the last
   of which is provisional: it is computed with reflect padding at the current end, as the offline front
   end does at the end of a clip), normalised; and the *local* part of the first convolution block
   (its two 3x3 convolutions with their activations, which see +-2 STFT frames) for the 11 frames whose
   inputs changed. These local outputs are cached by the stream and never recomputed.
2. :class:`CnnStage` (any number of label frames): the rest of the CNN (the first block's CTAM, pooling,
   cross-stitch, blocks 2-4, frequency mean) over a short window of cached local outputs -> one embedding
   per label frame and branch. CTAM pools over the *whole* time axis of its input, so this part cannot be
   computed frame by frame; it is recomputed over the window every block.
3. :class:`TemporalStage`: the temporal module and the heads over a bounded context of embeddings ->
   raw outputs (the model's ``forward`` outputs) per frame. For ONNX, a fixed context length with a key
   padding mask (the TorchScript exporter bakes the sequence length into the attention's reshapes).

The stages reuse the model's own modules (same weights); :func:`check_streamable` says whether a model
has the structure they assume. ``tests/test_stream.py`` checks that the three stages over a whole clip
reproduce the model's ``forward``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ...constants import N_TRACKS, SAMPLES_PER_FRAME
from ...models import CrossStitchSELD
from ...models.blocks import MFM, ROAM, PlainBlock
from ...models.temporal import TransformerTemporal

LOCAL_HALO = 2
"""STFT frames each side that the local part of the first block sees (two 3x3 convolutions)."""


@dataclass(frozen=True)
class Geometry:
    """Sizes of the block-wise computation of one model (all in samples or STFT frames)."""

    in_channels: int  # audio channels (4 per microphone)
    feature_channels: int  # 7 per microphone
    sed_channels: int  # feature channels the SED branch takes
    n_mels: int
    hop: int  # STFT hop (400)
    frames_per_label: int  # STFT frames per 100 ms label frame (8)
    pad_left: int  # STFT frames at the start of a segment that see its left edge (2)
    provisional: int  # trailing STFT frames that need samples after the block (1)
    history: int  # samples of history fed with each block (hop * (pad_left + provisional) = 1200)
    local_channels: tuple[int, int]  # channels of the local outputs (SED, DOA branch)
    embed_dim: int  # per-branch embedding width (channels[-1])

    @property
    def segment(self) -> int:
        """Samples fed to the front end per block (history + one label frame)."""
        return self.history + SAMPLES_PER_FRAME

    @property
    def updated(self) -> int:
        """Feature frames the front end returns per block (provisional + frames_per_label)."""
        return self.provisional + self.frames_per_label

    @property
    def feature_history(self) -> int:
        """Older (exact) feature frames the local part needs per block (2 * LOCAL_HALO)."""
        return 2 * LOCAL_HALO

    @property
    def local_out(self) -> int:
        """Local output frames that change per block (updated + LOCAL_HALO)."""
        return self.updated + LOCAL_HALO

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "local_channels": list(self.local_channels)}


def check_streamable(model: nn.Module) -> str | None:
    """``None`` when the block-wise stages apply to ``model``, else the reason they do not."""
    if not isinstance(model, CrossStitchSELD):
        return f"{type(model).__name__} is not a CrossStitchSELD"
    fe = model.frontend
    if SAMPLES_PER_FRAME % fe.hop or SAMPLES_PER_FRAME // fe.hop != model.time_pool:
        return f"hop {fe.hop} and time pooling {model.time_pool} do not give one output per 100 ms"
    for block in (model.sed_blocks[0], model.doa_blocks[0]):
        body = block.body
        if isinstance(body, ROAM):
            if not (isinstance(body.mfm1, MFM) and isinstance(body.mfm2, MFM)):
                return "attentive MFM pools over the whole clip in its first block"
        elif not isinstance(body, PlainBlock):
            return f"unknown convolution block {type(body).__name__}"
    if getattr(model, "head", "tracks") not in ("tracks", "multi_accdoa"):
        return f"unknown head {model.head!r}"
    geo = geometry(model)
    if geo.frames_per_label < geo.feature_history:
        return "fewer STFT frames per label frame than the local part needs"
    return None


def geometry(model: CrossStitchSELD) -> Geometry:
    fe = model.frontend
    half = fe.n_fft // 2
    pad_left = math.ceil(half / fe.hop)
    provisional = (half - 1) // fe.hop
    first = model.sed_blocks[0].body
    c1 = first.conv2[0].out_channels // (2 if isinstance(first, ROAM) else 1)
    d1 = model.doa_blocks[0].body.conv2[0].out_channels // (2 if isinstance(first, ROAM) else 1)
    return Geometry(
        in_channels=int(fe.in_channels),
        feature_channels=int(fe.out_channels),
        sed_channels=int(model.sed_in_channels),
        n_mels=int(fe.n_mels),
        hop=int(fe.hop),
        frames_per_label=SAMPLES_PER_FRAME // fe.hop,
        pad_left=pad_left,
        provisional=provisional,
        history=fe.hop * (pad_left + provisional),
        local_channels=(int(c1), int(d1)),
        embed_dim=int(model.stitches[-1].channels),
    )


def local_part(body: nn.Module, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The first block's two convolutions and activations (no CTAM); ``valid`` (1, 1, T, 1) zeroes the
    frames before the stream's start between them, so that each convolution sees zero padding there."""
    if isinstance(body, ROAM):
        x = body.mfm1(body.conv1(x)) * valid
        return body.mfm2(body.conv2(x))
    x = body.act(body.conv1(x)) * valid
    return body.act(body.conv2(x))


class FrontendStage(nn.Module):
    """``(audio (1, C, segment), feature_history (1, F7, 4, M), valid (T_in,))`` ->
    ``(features (1, F7, 9, M), local_sed (1, c, 11, M), local_doa (1, c', 11, M))``."""

    def __init__(self, model: CrossStitchSELD) -> None:
        super().__init__()
        self.frontend = model.frontend
        self.normalizer = model.normalizer
        self.sed_body = model.sed_blocks[0].body
        self.doa_body = model.doa_blocks[0].body
        self.geo = geometry(model)

    def forward(
        self, audio: torch.Tensor, feature_history: torch.Tensor, valid: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        geo = self.geo
        feats = self.normalizer(self.frontend(audio))[:, :, geo.pad_left :]  # the updated frames
        mask = valid.reshape(1, 1, -1, 1)
        x = torch.cat([feature_history, feats], dim=2) * mask
        sed = local_part(self.sed_body, x[:, : geo.sed_channels], mask)
        doa = local_part(self.doa_body, x, mask)
        return feats, sed[:, :, LOCAL_HALO:], doa[:, :, LOCAL_HALO:]


class CnnStage(nn.Module):
    """Local outputs of a window ``(1, c, 8 W, M)`` per branch -> embeddings ``(1, W, D)`` per branch."""

    def __init__(self, model: CrossStitchSELD) -> None:
        super().__init__()
        self.model = model

    def forward(self, local_sed: torch.Tensor, local_doa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.model
        blocks = list(zip(m.sed_blocks, m.doa_blocks, m.pools, m.stitches, strict=True))
        s_block, d_block, pool, stitch = blocks[0]
        sed, doa = stitch(pool(s_block.body.ctam(local_sed)), pool(d_block.body.ctam(local_doa)))
        for s_block, d_block, pool, stitch in blocks[1:]:
            sed, doa = stitch(pool(s_block(sed)), pool(d_block(doa)))
        return sed.mean(dim=3).transpose(1, 2), doa.mean(dim=3).transpose(1, 2)


def heads(model: CrossStitchSELD, sed: torch.Tensor, doa: torch.Tensor) -> dict[str, torch.Tensor]:
    """The model's output heads on the temporal module's outputs (as the end of its ``forward``)."""
    b, t = sed.shape[0], sed.shape[1]
    if getattr(model, "head", "tracks") == "multi_accdoa":
        out = model.accdoa_head(torch.cat([sed, doa], dim=-1)).reshape(b, t, N_TRACKS, 4, model.num_classes)
        return {"accdoa": torch.tanh(out[:, :, :, :3]), "dist": out[:, :, :, 3]}
    classes = model.sed_head.out_features // N_TRACKS
    sed_logits = model.sed_head(sed).reshape(b, t, N_TRACKS, classes)
    doa_xyz = torch.tanh(model.doa_head(doa)).reshape(b, t, N_TRACKS, 3) * model.coord_scale
    return {"sed": sed_logits, "doa": doa_xyz}


class TemporalStage(nn.Module):
    """Embeddings ``(1, T, D)`` per branch (+ an optional key padding mask ``(1, T)``, True = padding) ->
    the model's raw outputs for the T frames."""

    def __init__(self, model: CrossStitchSELD) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, emb_sed: torch.Tensor, emb_doa: torch.Tensor, padding: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        m = self.model
        if padding is None:
            sed, doa = m.temporal(emb_sed, emb_doa)
        else:
            temporal = m.temporal
            if not isinstance(temporal, TransformerTemporal):
                raise TypeError("a padded context needs the transformer temporal module")
            sed, doa = emb_sed, emb_doa
            for i, (ls, ld) in enumerate(zip(temporal.sed_layers, temporal.doa_layers, strict=True)):
                sed = ls(sed, src_key_padding_mask=padding)
                doa = ld(doa, src_key_padding_mask=padding)
                if i < len(temporal.stitches):
                    sed, doa = temporal.stitches[i](sed, doa)
        return heads(m, sed, doa)
