"""The DCASE SELD format (STARSS23, DCASE 2023-2024 Task 3): folder layout (:mod:`.layout`), label CSVs and
their slot labels (:mod:`.labels`) and prediction CSVs in the 2024 baseline format (:mod:`.submission`).
The official loader's CSV semantics (used by the metrics) are in :mod:`seld.data.dcase_csv`."""

from .labels import LabelRow, labels_to_slots, read_label_csv, reference_rows, slots_to_rows
from .layout import DcaseClip, clip_frames, dev_splits, find_clips, read_audio
from .submission import prediction_csv_rows, read_prediction_csv, write_prediction_csv

__all__ = [
    "DcaseClip",
    "LabelRow",
    "clip_frames",
    "dev_splits",
    "find_clips",
    "labels_to_slots",
    "prediction_csv_rows",
    "read_audio",
    "read_label_csv",
    "read_prediction_csv",
    "reference_rows",
    "slots_to_rows",
    "write_prediction_csv",
]
