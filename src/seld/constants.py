"""Facts of the L3DAS22 Task 2 format that every module shares."""

from __future__ import annotations

CLASSES: tuple[str, ...] = (
    "Chink_and_clink",
    "Computer_keyboard",
    "Cupboard_open_or_close",
    "Drawer_open_or_close",
    "Female_speech_and_woman_speaking",
    "Finger_snapping",
    "Keys_jangling",
    "Knock",
    "Laughter",
    "Male_speech_and_man_speaking",
    "Printer",
    "Scissors",
    "Telephone",
    "Writing",
)
NUM_CLASSES = len(CLASSES)
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}

SAMPLE_RATE = 32_000
"""Audio sampling rate of L3DAS22 (Hz)."""
LABEL_HOP_S = 0.1
"""Length of one label frame (s)."""
SAMPLES_PER_FRAME = int(round(SAMPLE_RATE * LABEL_HOP_S))
"""Samples in one label frame at 32 kHz (3200): every model's output frame; a shorter clip has no frame."""
CLIP_SECONDS = 30.0
"""Length of an L3DAS22 clip (s): 300 label frames."""
MAX_SLOTS = 3
"""Maximum number of simultaneous events of one class (official slot layout)."""
N_TRACKS = 3
"""Output tracks of the track-wise models (maximum polyphony of L3DAS22)."""
FOA_CHANNELS = 4
"""Channels of one first-order Ambisonics microphone (ACN order W, Y, Z, X; SN3D)."""

COORD_RANGES: tuple[tuple[float, float], ...] = ((-2.0, 2.0), (-1.5, 1.5), (-1.0, 1.0))
"""L3DAS22 source coordinate ranges (x, y, z) in metres, relative to microphone A."""
COORD_SCALE = 2.0
"""The official model divides coordinates by 2 so that a tanh output covers them."""
MIC_SPACING_M = 0.2
"""Microphone B sits 20 cm from microphone A along the room width."""

SPLIT_DIRS = {"train": "L3DAS22_Task2_train", "dev": "L3DAS22_Task2_dev", "test": "L3DAS22_Task2_test"}


def n_label_frames(seconds: float) -> int:
    """Number of 100 ms label frames covering ``seconds`` of audio (300 for a 30 s clip)."""
    return int(round(seconds / LABEL_HOP_S))


FOA_FORMATS = ("acn_sn3d", "fuma")
"""FOA conventions the readers accept: ``acn_sn3d`` (W, Y, Z, X; SN3D) and ``fuma`` (W, X, Y, Z; W at -3 dB)."""

DCASE_CLASSES: tuple[str, ...] = (
    "Female speech, woman speaking",
    "Male speech, man speaking",
    "Clapping",
    "Telephone",
    "Laughter",
    "Domestic sounds",
    "Walk, footsteps",
    "Door, open or close",
    "Music",
    "Musical instrument",
    "Water tap, faucet",
    "Bell",
    "Knock",
)
"""The 13 classes of STARSS23 / DCASE 2023-2024 Task 3, in their label index order."""
DCASE_SAMPLE_RATE = 24_000
"""Sampling rate of the DCASE SELD audio (Hz); seld resamples it to SAMPLE_RATE when reading."""
DCASE_LABEL_HOP_SAMPLES = 2400
"""Samples per 100 ms label frame at 24 kHz: a clip of S samples has floor(S / 2400) frames."""

DATASET_FORMATS: dict[str, tuple[str, ...]] = {"l3das22": CLASSES, "dcase": DCASE_CLASSES}
"""Dataset formats (``data.format``) and their classes."""

FOA_AUGMENTATIONS = ("none", "acs", "rotate", "acs_rotate")
"""``train.foa_augment`` choices (seld.data.foa_augment)."""
