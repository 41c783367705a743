"""Evaluation: the L3DAS22 location-sensitive detection metric and the paper's error analysis."""

from .analysis import DOA_THRESHOLDS, error_analysis, evaluate_folder
from .location_sensitive import (
    MATCHING_MODES,
    Counts,
    FramePairs,
    evaluate_clips,
    location_sensitive_detection,
    prf,
)

__all__ = [
    "DOA_THRESHOLDS",
    "MATCHING_MODES",
    "Counts",
    "FramePairs",
    "error_analysis",
    "evaluate_clips",
    "evaluate_folder",
    "location_sensitive_detection",
    "prf",
]
