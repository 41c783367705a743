"""Tests of the DCASE SELD format reader and writer (seld.data.dcase) on hand-made files."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from seld.constants import DCASE_SAMPLE_RATE, SAMPLES_PER_FRAME
from seld.data import dcase
from seld.data.dcase_csv import read_dcase_csv
from seld.errors import DataError


def _csv(tmp_path: Path, text: str, name: str = "clip.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _wav(path: Path, samples: int, rate: int = DCASE_SAMPLE_RATE) -> Path:
    """A 4-channel int16 wav of low noise."""
    data = (np.random.default_rng(0).standard_normal((samples, 4)) * 1000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 4, rate, rate * 8, 8, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


# ----------------------------------------------------------------------------------------------- labels
def test_six_columns_hand_computed_positions(tmp_path: Path) -> None:
    path = _csv(tmp_path, "0,3,0,90,0,200\n0,5,1,0,90,50\n1,5,0,180,0,100\n2,12,0,-90,45,100\n")
    rows = dcase.read_label_csv(path)
    assert [(r.frame, r.cls, r.source, r.line) for r in rows] == [
        (0, 3, 0, 1), (0, 5, 1, 2), (1, 5, 0, 3), (2, 12, 0, 4)]
    assert rows[0].distance == 200.0
    active, xyz, has_distance = dcase.labels_to_slots(rows, 4, path)
    assert has_distance and active.shape == (4, 13, 3) and xyz.shape == (4, 13, 3, 3) and xyz.dtype == np.float32
    assert active.sum() == 4
    np.testing.assert_allclose(xyz[0, 3, 0], (0, 2, 0), atol=1e-6)        # az 90 (left), 2 m
    np.testing.assert_allclose(xyz[0, 5, 0], (0, 0, 0.5), atol=1e-6)      # straight up, 50 cm
    np.testing.assert_allclose(xyz[1, 5, 0], (-1, 0, 0), atol=1e-6)       # behind, 1 m
    np.testing.assert_allclose(xyz[2, 12, 0], (0, -np.sqrt(0.5), np.sqrt(0.5)), atol=1e-6)  # right, up 45
    assert not active[3].any()


def test_five_columns_unit_vectors_and_no_distance(tmp_path: Path) -> None:
    path = _csv(tmp_path, "0,0,0,30,10\n5,1,2,-120,-20\n")
    rows = dcase.read_label_csv(path)
    assert all(r.distance is None for r in rows)
    active, xyz, has_distance = dcase.labels_to_slots(rows, 6, path)
    assert not has_distance
    np.testing.assert_allclose(np.linalg.norm(xyz[active], axis=-1), 1.0, atol=1e-6)
    az, el = np.radians(-120), np.radians(-20)
    np.testing.assert_allclose(xyz[5, 1, 0], (np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)), atol=1e-6)


def test_four_fields_and_extra_columns_as_the_official_loader(tmp_path: Path) -> None:
    """4 fields: class, azimuth, elevation with source 0; 8+ fields: the row is dropped (one warning)."""
    path = _csv(tmp_path, "0,2,45,10\n1,2,0,45,10,1,2,3\n2,2,0,45,10,1,2,3,4\n")
    with pytest.warns(UserWarning, match=r"2 row\(s\) with more than 7 fields dropped.*first at line 2"):
        rows = dcase.read_label_csv(path)
    assert [(r.frame, r.cls, r.source, r.azimuth, r.elevation, r.distance) for r in rows] == [
        (0, 2, 0, 45.0, 10.0, None)
    ]


def test_same_class_fills_slots_in_row_order_and_fourth_is_dropped_once(tmp_path: Path) -> None:
    lines = [f"3,0,{s},{10 * s},0,100" for s in range(4)] + ["3,1,0,-50,0,100"]
    lines += [f"4,0,{s},{-10 * s},0,100" for s in range(5)]
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    rows = dcase.read_label_csv(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        active, xyz, _ = dcase.labels_to_slots(rows, 5, path)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert str(path) in message and "3 event row(s) in 2 frame(s)" in message and "line 4" in message
    assert active[3, 0].all() and active[4, 0].all() and active[3, 1, 0] and not active[3, 1, 1:].any()
    for slot in range(3):  # slots follow the CSV rows
        az = np.radians(10 * slot)
        np.testing.assert_allclose(xyz[3, 0, slot], (np.cos(az), np.sin(az), 0), atol=1e-6)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("frame,class,source,azimuth,elevation\n0,1,0,0,0\n", 1, "header row"),
        ("0,1,0,0,0\n\n1,1,0,0,0\n", 2, "blank line"),
        ("0,1,0,abc,0\n", 1, "azimuth field 'abc' is not a number"),
        ("0,1,0,10,0\n1.0,1,0,10,0\n", 2, "frame field '1.0' is not an integer"),
        ("0,1,x,10,0\n", 1, "source field 'x' is not an integer"),
        ("0,1,0,10,0\n0,13,0,10,0\n", 2, "class 13 is outside 0..12"),
        ("0,-1,0,10,0\n", 1, "class -1 is outside"),
        ("0,1,0,10,0\n0,1,0\n", 2, "3 field(s)"),
        ("0,1,0,0.5,0.5,0.7,1.2\n", 1, "7 fields, the cartesian prediction format"),
        ("0,1,0,10,95\n", 1, "elevation 95.0 is outside"),
        ("0,1,0,10,0,-5\n", 1, "negative distance"),
        ("0,1,0,10,0,nan\n", 1, "not finite"),
        ("0,1,0,10,0,100\n1,1,0,10,0\n", 2, "with (line 1) and without (line 2) a distance"),
        ("-1,1,0,10,0\n", 1, "negative frame"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(DataError) as err:
        dcase.read_label_csv(path)
    message = str(err.value)
    assert message.startswith(f"{path}: line {line}:") and what in message and "\n" not in message


def test_frame_beyond_clip_names_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "0,1,0,10,0\n9,1,0,10,0\n10,1,0,10,0\n")
    with pytest.raises(DataError, match=r"clip\.csv: line 3: frame 10 is beyond the clip \(10 label frames"):
        dcase.labels_to_slots(dcase.read_label_csv(path), 10, path)


def test_missing_file_and_utf8_bom(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="label file not found"):
        dcase.read_label_csv(tmp_path / "none.csv")
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff0,1,0,10,0\n".encode())
    assert dcase.read_label_csv(path)[0].frame == 0


def test_empty_file_has_no_events(tmp_path: Path) -> None:
    active, xyz, has_distance = dcase.labels_to_slots(dcase.read_label_csv(_csv(tmp_path, "")), 7)
    assert active.shape == (7, 13, 3) and not active.any() and has_distance


def test_reference_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, "2,4,0,90,0,150\n0,1,0,0,0,100\n0,1,1,180,0,100\n")
    rows = dcase.reference_rows(path, 3)
    np.testing.assert_allclose(rows, [[0, 1, 1, 0, 0], [0, 1, -1, 0, 0], [2, 4, 0, 1.5, 0]], atol=1e-6)


# ---------------------------------------------------------------------------------------------- writer
def test_writer_round_trip_through_the_official_reader(tmp_path: Path) -> None:
    rows = np.array([
        [3, 5, 0.0, 2.0, 0.0],        # az 90, 2 m
        [0, 2, 1.0, 1.0, np.sqrt(2)],  # az 45, el 45, 2 m
        [0, 1, -0.5, 0.0, 0.0],       # az 180, 0.5 m
        [0, 1, 0.0, 0.0, -3.0],       # el -90, 3 m
    ])
    path = tmp_path / "pred" / "fold4_room1_mix001.csv"
    dcase.write_prediction_csv(path, rows)
    lines = path.read_text().splitlines()
    assert [line.split(",")[:3] for line in lines] == [
        ["0", "1", "0"], ["0", "1", "0"], ["0", "2", "0"], ["3", "5", "0"]]
    assert all(len(line.split(",")) == 7 for line in lines)
    values = np.array([[float(v) for v in line.split(",")] for line in lines])
    np.testing.assert_allclose(np.linalg.norm(values[:, 3:6], axis=1), 1.0)  # unit vectors
    np.testing.assert_allclose(values[:, 6], [0.5, 3.0, 2.0, 2.0])            # metres
    official = read_dcase_csv(path, cm_to_m=False)  # [class, track, azimuth, elevation, distance]
    assert sorted(official) == [0, 3]
    np.testing.assert_allclose(official[3][0], [5, 0, 90, 0, 2.0], atol=1e-9)
    np.testing.assert_allclose(official[0][2], [2, 0, 45, 45, 2.0], atol=1e-9)
    np.testing.assert_allclose(np.asarray(official[0][0])[[0, 2, 3, 4]], [1, 180, 0, 0.5], atol=1e-9)
    np.testing.assert_allclose(np.asarray(official[0][1])[[0, 3, 4]], [1, -90, 3.0], atol=1e-9)
    back = dcase.read_prediction_csv(path)
    np.testing.assert_allclose(back, rows[np.lexsort((rows[:, 1], rows[:, 0]))], atol=1e-12)


def test_writer_keeps_order_within_frame_and_class_and_writes_zero_vector(tmp_path: Path) -> None:
    rows = np.array([[1, 4, 0, 1, 0], [1, 4, 0, 0, 1], [0, 4, 0, 0, 0]])
    path = tmp_path / "p.csv"
    dcase.write_prediction_csv(path, rows)
    assert path.read_text().splitlines() == [
        "0,4,0,0.0,0.0,0.0,0.0", "1,4,0,0.0,1.0,0.0,1.0", "1,4,0,0.0,0.0,1.0,1.0"]
    dcase.write_prediction_csv(path, np.zeros((0, 5)))
    assert path.read_text() == ""


@pytest.mark.parametrize("rows", [[[0, 13, 1, 0, 0]], [[0.5, 1, 1, 0, 0]], [[-1, 1, 1, 0, 0]], [[0, 1, np.nan, 0, 0]],
                                  [[0, 1, 1, 0]]])
def test_writer_rejects_bad_rows_and_leaves_file(tmp_path: Path, rows: list) -> None:
    path = _csv(tmp_path, "old\n", "p.csv")
    with pytest.raises(ValueError):
        dcase.write_prediction_csv(path, rows)
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["p.csv"]


# ---------------------------------------------------------------------------------------------- layout
def _dataset(root: Path) -> Path:
    for split, clips in (("dev-train-sony", ["fold3_room21_mix001", "fold3_room21_mix002"]),
                         ("dev-train-tau", ["fold3_room4_mix001"]), ("dev-test-sony", ["fold4_room23_mix001"])):
        for name in clips:
            _wav(root / "foa_dev" / split / f"{name}.wav", 24000 + 2399)
            (root / "metadata_dev" / split).mkdir(parents=True, exist_ok=True)
            (root / "metadata_dev" / split / f"{name}.csv").write_text("0,1,0,10,0,150\n9,2,0,-10,5,80\n")
    return root


def test_find_clips_by_split_group_and_name(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "STARSS23")
    all_clips = dcase.find_clips(root)
    assert [(c.split, c.name) for c in all_clips] == [
        ("dev-test-sony", "fold4_room23_mix001"), ("dev-train-sony", "fold3_room21_mix001"),
        ("dev-train-sony", "fold3_room21_mix002"), ("dev-train-tau", "fold3_room4_mix001")]
    assert {c.split for c in dcase.find_clips(root, "train")} == {"dev-train-sony", "dev-train-tau"}
    assert [c.name for c in dcase.find_clips(root, "test")] == ["fold4_room23_mix001"]
    assert [c.name for c in dcase.find_clips(root, ["dev-train-tau"])] == ["fold3_room4_mix001"]
    assert dcase.find_clips(root / "foa_dev", "test") == dcase.find_clips(root, "test")
    clip = all_clips[0]
    assert clip.audio == root / "foa_dev" / "dev-test-sony" / "fold4_room23_mix001.wav"
    assert clip.label == root / "metadata_dev" / "dev-test-sony" / "fold4_room23_mix001.csv"
    assert dcase.dev_splits(root) == ["dev-test-sony", "dev-train-sony", "dev-train-tau"]


def test_find_clips_errors_and_missing_labels(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "d")
    with pytest.raises(DataError, match=r"no split folder dev-test-tau \(found: dev-test-sony"):
        dcase.find_clips(root, ["dev-test-tau"])
    with pytest.raises(DataError, match="no foa_dev/ folder"):
        dcase.find_clips(tmp_path)
    (root / "metadata_dev" / "dev-train-tau" / "fold3_room4_mix001.csv").unlink()
    with pytest.raises(DataError, match=r"fold3_room4_mix001\.csv: missing label file"):
        dcase.find_clips(root, "train")
    clips = dcase.find_clips(root, "train", require_labels=False)
    assert [c.label is None for c in clips] == [False, False, True]


def test_eval_clips_have_audio_only(tmp_path: Path) -> None:
    root = tmp_path / "d"
    _wav(root / "foa_eval" / "eval" / "mix001.wav", 4800)
    _wav(root / "foa_eval" / "eval" / "mix002.wav", 4800)
    clips = dcase.find_clips(root, "eval")
    assert [(c.split, c.name, c.label) for c in clips] == [("eval", "mix001", None), ("eval", "mix002", None)]


def test_read_audio_resamples_and_frames_are_floor(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "d")
    clip = dcase.find_clips(root, "test")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DCASE's own 24 kHz is resampled without a warning
        audio = dcase.read_audio(clip)
    assert audio.shape[0] == 4 and audio.dtype == np.float32
    assert dcase.clip_frames(clip) == 10 == audio.shape[1] // SAMPLES_PER_FRAME  # 26399 samples -> 10 frames
    active, _, has_distance = dcase.labels_to_slots(dcase.read_label_csv(clip.label), dcase.clip_frames(clip),
                                                    clip.label)
    assert has_distance and active[9, 2, 0] and active.sum() == 2
