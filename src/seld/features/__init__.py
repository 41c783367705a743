"""Input features: log-mel spectrograms and intensity vectors of FOA audio, and their normalisation."""

from .logmel_iv import LogMelIV, mel_matrix
from .normalize import FeatureNormalizer, compute_feature_stats

__all__ = ["FeatureNormalizer", "LogMelIV", "compute_feature_stats", "mel_matrix"]
