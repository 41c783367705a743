"""The L3DAS22 Task 2 format: folder layout (:mod:`.layout`), label CSVs and the official label conversion
(:mod:`.labels`) and submission CSVs (:mod:`.submission`); audio is read by :mod:`seld.data.audio`."""

from ..audio import audio_info, read_wav
from .labels import (
    COORD_TOLERANCE_M,
    Event,
    events_to_slots,
    frame_of_time,
    official_to_rows,
    quantize_time,
    read_label_csv,
    reference_rows,
    slots_to_official,
    slots_to_tracks,
)
from .layout import Clip, find_clips, read_audio, resolve_split_dir
from .submission import read_prediction_csv, write_prediction_csv

__all__ = [
    "COORD_TOLERANCE_M",
    "Clip",
    "Event",
    "audio_info",
    "events_to_slots",
    "find_clips",
    "frame_of_time",
    "official_to_rows",
    "quantize_time",
    "read_audio",
    "read_label_csv",
    "read_prediction_csv",
    "read_wav",
    "reference_rows",
    "resolve_split_dir",
    "slots_to_official",
    "slots_to_tracks",
    "write_prediction_csv",
]
