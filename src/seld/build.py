"""The one place where the YAML config becomes objects: models, front ends and loss weightings are
built here from plain arguments, so that none of them needs to know the config schema."""

from __future__ import annotations

from .config import ExperimentConfig, FeatureConfig, LossConfig
from .constants import DATASET_FORMATS
from .features import LogMelIV
from .losses import AdaptiveLossWeighting, FixedLossWeighting, LossWeighting
from .models import MODEL_NAMES, CrossStitchSELD, SELDModel, SELDnet


def build_frontend(features: FeatureConfig, mics: int) -> LogMelIV:
    """The log-mel + intensity-vector front end of ``features`` for ``mics`` microphones."""
    return LogMelIV(
        mics=mics, sample_rate=features.sample_rate, n_fft=features.n_fft, hop=features.hop,
        n_mels=features.n_mels, fmin=features.fmin, fmax=features.fmax, log_floor=features.log_floor,
    )


def build_model(cfg: ExperimentConfig) -> SELDModel:
    """The network named by ``cfg.model.name`` for ``cfg.data.mics`` microphones."""
    m, mics = cfg.model, cfg.data.mics
    if m.name == "crossstitch":
        return CrossStitchSELD(
            mics=mics, channels=m.channels, pools=m.pools, attention=m.attention, temporal=m.temporal,
            temporal_layers=m.temporal_layers, temporal_heads=m.temporal_heads, temporal_ff=m.temporal_ff,
            dropout=m.dropout, sed_input=m.sed_input, cross_stitch_init=m.cross_stitch_init,
            frontend=build_frontend(cfg.features, mics), num_classes=len(DATASET_FORMATS[cfg.data.format]),
            coord_scale=m.coord_scale, head=m.head,
        )
    if m.name == "seldnet":
        return SELDnet(mics=mics, hop=cfg.features.hop, channels=m.channels, rnn_size=m.rnn_size, fc_size=m.fc_size)
    raise ValueError(f"unknown model {m.name!r}; choose one of {', '.join(MODEL_NAMES)}")


def build_weighting(loss: LossConfig) -> LossWeighting:
    """``adaptive`` -> :class:`AdaptiveLossWeighting` (eq. 8-13), ``fixed`` -> :class:`FixedLossWeighting`."""
    if loss.weighting == "adaptive":
        return AdaptiveLossWeighting(mu=loss.mu, record_window=loss.record_window)
    if loss.weighting == "fixed":
        return FixedLossWeighting(loss.lambda_sed, loss.tau_doa)
    raise ValueError(f"unknown loss weighting {loss.weighting!r}; expected adaptive or fixed")


__all__ = ["build_frontend", "build_model", "build_weighting"]
