"""Tests of the L3DAS22 reader: layout, audio, official label conversion, prediction CSV."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from seld.constants import CLASS_INDEX, NUM_CLASSES
from seld.data.l3das22 import (
    Clip,
    Event,
    events_to_slots,
    find_clips,
    frame_of_time,
    official_to_rows,
    quantize_time,
    read_audio,
    read_label_csv,
    read_prediction_csv,
    read_wav,
    reference_rows,
    resolve_split_dir,
    slots_to_official,
    slots_to_tracks,
    write_prediction_csv,
)
from seld.errors import DataError

HEADER = "File,Start,End,Class,X,Y,Z"


# ------------------------------------------------------------------------------------------ helpers
def write_wav(path: Path, n: int = 3200, channels: int = 4, sr: int = 32000, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).uniform(-0.5, 0.5, (n, channels)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), data, sr, subtype="FLOAT")
    return data.T


def write_labels(path: Path, rows: list[tuple], header: str = HEADER) -> Path:
    """rows: (start, end, class name, x, y, z) written under ``header`` (File column filled in)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header]
    for r in rows:
        lines.append(",".join(["f.wav", *map(str, r)]) if header == HEADER else ",".join(map(str, r)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_split(split_dir: Path, names: list[str], b: bool = True, labels: bool = True) -> None:
    for i, name in enumerate(names):
        write_wav(split_dir / "data" / f"{name}_A.wav", seed=i)
        if b:
            write_wav(split_dir / "data" / f"{name}_B.wav", seed=100 + i)
        if labels:
            write_labels(split_dir / "labels" / f"label_{name}.csv", [])


def ev(start: float, end: float, cls: int, x: float = 0.0, y: float = 0.0, z: float = 0.0) -> Event:
    return Event(start, end, cls, x, y, z)


def official_csv_to_matrix(events: list[Event], dur: float = 30.0, step: float = 0.1) -> np.ndarray:
    """Transcription of the official csv_to_matrix_task2 (float64, crashes past 3 same-class events)."""
    num_frames = int(dur / step)
    cl = np.zeros((num_frames, NUM_CLASSES, 3))
    loc = np.zeros((num_frames, NUM_CLASSES, 3, 3))

    def quantize(x: float) -> float:
        return round(float(x) / step) * step

    def get_frame(x: float) -> int:
        return int(np.interp(x, (0, dur), (0, num_frames - 1)))

    for s in events:
        for f in np.arange(get_frame(quantize(s.start)), get_frame(quantize(s.end)) + 1):
            pos = int(np.sum(cl[f][s.cls]))
            cl[f][s.cls][pos] = 1.0
            loc[f][s.cls][pos] = (s.x, s.y, s.z)
    cl = np.reshape(cl, (num_frames, NUM_CLASSES * 3))
    loc = np.reshape(loc, (num_frames, NUM_CLASSES * 9)) / 2.0
    return np.concatenate((cl, loc), axis=1)


# ------------------------------------------------------------------------------------------- layout
@pytest.mark.parametrize("nested", [False, True])
def test_resolve_split_dir_flat_and_nested(tmp_path: Path, nested: bool) -> None:
    split = tmp_path / "L3DAS22_Task2_dev"
    if nested:
        split = split / "L3DAS22_Task2_dev"
    (split / "data").mkdir(parents=True)
    assert resolve_split_dir(tmp_path, "dev") == split
    assert resolve_split_dir(split, "dev") == split  # the split folder itself
    with pytest.raises(DataError, match="L3DAS22_Task2_train"):
        resolve_split_dir(tmp_path, "train")
    with pytest.raises(DataError, match="unknown split"):
        resolve_split_dir(tmp_path, "valid")


def test_resolve_split_dir_rejects_other_split_folder(tmp_path: Path) -> None:
    split = tmp_path / "L3DAS22_Task2_train"
    (split / "data").mkdir(parents=True)
    with pytest.raises(DataError, match="L3DAS22_Task2_train"):
        resolve_split_dir(split, "dev")


@pytest.mark.parametrize("nested", [False, True])
def test_find_clips_parses_names_and_pairs_files(tmp_path: Path, nested: bool) -> None:
    outer = tmp_path / "L3DAS22_Task2_train"
    split = outer / "L3DAS22_Task2_train" if nested else outer
    make_split(split, ["split1_ov2_10", "split1_ov2_2", "split0_ov3_7", "split0_ov1_3"])
    (split / "data" / "notes.txt").write_text("ignored")
    (split / "data" / "other.wav").write_bytes(b"ignored, does not match the naming scheme")
    clips = find_clips(resolve_split_dir(tmp_path, "train"), mics=2)
    assert [c.name for c in clips] == ["split0_ov1_3", "split0_ov3_7", "split1_ov2_2", "split1_ov2_10"]
    c = clips[0]
    assert (c.split, c.ov, c.number) == (0, 1, 3)
    assert c.audio_a == split / "data" / "split0_ov1_3_A.wav"
    assert c.audio_b == split / "data" / "split0_ov1_3_B.wav"
    assert c.label == split / "labels" / "label_split0_ov1_3.csv"
    assert (clips[3].split, clips[3].ov, clips[3].number) == (1, 2, 10)
    # the outer folder of the nested layout works as a split dir too
    assert [c.name for c in find_clips(outer)] == [c.name for c in clips]


def test_find_clips_missing_b_and_labels(tmp_path: Path) -> None:
    make_split(tmp_path, ["split4_ov1_1"], b=False, labels=False)
    with pytest.raises(DataError, match="split4_ov1_1_B.wav"):
        find_clips(tmp_path, mics=2, require_labels=False)
    with pytest.raises(DataError, match="label_split4_ov1_1.csv"):
        find_clips(tmp_path, mics=1, require_labels=True)
    (clip,) = find_clips(tmp_path, mics=1, require_labels=False)
    assert clip.audio_b is None and clip.label is None
    with pytest.raises(DataError, match="split4_ov1_1_B.wav"):
        read_audio(clip, mics=2)


def test_find_clips_b_without_a_and_empty(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(DataError, match="no splitX"):
        find_clips(tmp_path)
    write_wav(tmp_path / "data" / "split0_ov1_1_B.wav")
    with pytest.raises(DataError, match="split0_ov1_1_B.wav"):
        find_clips(tmp_path, require_labels=False)
    with pytest.raises(DataError, match="data"):
        find_clips(tmp_path / "nowhere")


# -------------------------------------------------------------------------------------------- audio
def test_read_audio_one_and_two_mics(tmp_path: Path) -> None:
    a = write_wav(tmp_path / "data" / "split0_ov1_1_A.wav", n=6400, seed=1)
    b = write_wav(tmp_path / "data" / "split0_ov1_1_B.wav", n=6400, seed=2)
    (clip,) = find_clips(tmp_path, mics=2, require_labels=False)
    one = read_audio(clip, mics=1)
    two = read_audio(clip, mics=2)
    assert one.dtype == np.float32 and one.shape == (4, 6400)
    assert two.dtype == np.float32 and two.shape == (8, 6400)
    np.testing.assert_array_equal(two[:4], a)
    np.testing.assert_array_equal(two[4:], b)
    np.testing.assert_array_equal(read_wav(clip.audio_a), a)


def test_read_audio_length_mismatch(tmp_path: Path) -> None:
    write_wav(tmp_path / "x_A.wav", n=6400)
    write_wav(tmp_path / "x_B.wav", n=9600)
    clip = Clip("x", 0, 1, 1, tmp_path / "x_A.wav", tmp_path / "x_B.wav", None)
    with pytest.raises(DataError, match="x_B.wav"):
        read_audio(clip, mics=2)


def test_read_wav_resamples_other_rates_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "rate44k.wav"
    write_wav(path, n=22050, sr=44100)  # 0.5 s
    with pytest.warns(UserWarning, match="rate44k.wav"):
        audio = read_wav(path)
    assert audio.dtype == np.float32 and audio.shape == (4, 16000)


def test_read_wav_no_warning_at_32k(tmp_path: Path) -> None:
    path = tmp_path / "ok.wav"
    write_wav(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_wav(path).shape == (4, 3200)


def _bad_wav(kind: str, path: Path) -> None:
    if kind == "corrupt":
        path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + os.urandom(64))
    elif kind == "empty":
        sf.write(str(path), np.zeros((0, 4), np.float32), 32000, subtype="FLOAT")
    elif kind == "channels":
        write_wav(path, channels=2)
    elif kind == "nan":
        data = np.zeros((3200, 4), np.float32)
        data[10, 2] = np.nan
        sf.write(str(path), data, 32000, subtype="FLOAT")
    elif kind == "inf":
        data = np.zeros((3200, 4), np.float32)
        data[5, 0] = np.inf
        sf.write(str(path), data, 32000, subtype="FLOAT")
    elif kind == "short":
        write_wav(path, n=3199)
    elif kind == "missing":
        pass


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("missing", "not found"),
        ("corrupt", "cannot read"),
        ("empty", "empty"),
        ("channels", "2 channels"),
        ("nan", "NaN"),
        ("inf", "infinite"),
        ("short", "shorter than one label frame"),
    ],
)
def test_read_wav_errors(tmp_path: Path, kind: str, words: str) -> None:
    path = tmp_path / f"bad_{kind}_A.wav"
    _bad_wav(kind, path)
    with pytest.raises(DataError, match=words) as info:
        read_wav(path)
    assert path.name in str(info.value)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------- label conversion
@pytest.mark.parametrize(
    ("t", "frame"),
    [
        (0.0, 0),
        (0.04, 0),  # q = 0
        (0.05, 0),  # 0.05 / 0.1 == 0.5 exactly: Python rounds half to even -> q = 0
        (0.15, 0),  # 0.15 / 0.1 = 1.4999999999999998 -> q = 0.1 -> 0.1 * 299 / 30 = 0.997 -> 0
        (0.25, 1),  # 2.5 -> 2 (half to even) -> q = 0.2 -> 1.993 -> 1
        (0.35, 2),  # 3.4999999999999996 -> 3 -> q = 0.3 -> 2.99 -> 2
        (0.06, 0),  # q = 0.1 -> frame 0: not q / 0.1 = 1
        (1.0, 9),  # 299 / 30 = 9.97 -> 9, not 10
        (3.0, 29),
        (15.0, 149),  # exactly half way: 149.5 -> 149
        (29.9, 298),
        (29.94, 298),
        (29.96, 299),  # q = 30.0 -> last frame
        (29.99, 299),
        (30.0, 299),
        (31.5, 299),  # np.interp clamps beyond the clip
    ],
)
def test_official_time_to_frame(t: float, frame: int) -> None:
    assert frame_of_time(quantize_time(t)) == frame


def test_quantize_is_python_round() -> None:
    assert quantize_time(0.05) == 0.0
    assert quantize_time(0.25) == pytest.approx(0.2)
    assert quantize_time(0.35) == pytest.approx(0.3)
    assert quantize_time(1.04) == pytest.approx(1.0)


def test_events_to_slots_inclusive_end_and_boundaries(tmp_path: Path) -> None:
    csv_path = write_labels(
        tmp_path / "label_split0_ov1_1.csv",
        [
            (1.0, 2.0, "Knock", 1.0, -0.5, 0.25),  # frames 9..19 inclusive
            (0.04, 0.04, "Laughter", 0.5, 0.5, 0.5),  # frame 0 only
            (29.5, 29.99, "Writing", -2.0, 1.5, -1.0),  # frames 294..299
            (10.0, 40.0, "Telephone", 0.1, 0.2, 0.3),  # End beyond the clip: clamped to 299
        ],
    )
    active, xyz = events_to_slots(read_label_csv(csv_path))
    assert active.shape == (300, 14, 3) and active.dtype == bool
    assert xyz.shape == (300, 14, 3, 3) and xyz.dtype == np.float32
    knock = CLASS_INDEX["Knock"]
    assert np.flatnonzero(active[:, knock, 0]).tolist() == list(range(9, 20))
    np.testing.assert_allclose(xyz[9, knock, 0], [1.0, -0.5, 0.25])
    assert np.flatnonzero(active[:, CLASS_INDEX["Laughter"], 0]).tolist() == [0]
    # 29.5 -> 294.0333 -> 294 ; 29.99 -> q = 30 -> 299
    assert np.flatnonzero(active[:, CLASS_INDEX["Writing"], 0]).tolist() == list(range(294, 300))
    assert np.flatnonzero(active[:, CLASS_INDEX["Telephone"], 0]).tolist() == list(range(99, 300))
    assert active[:, :, 1:].sum() == 0
    assert active.sum() == 11 + 1 + 6 + 201


def test_homogeneous_overlap_slots_per_frame() -> None:
    k = CLASS_INDEX["Knock"]
    events = [
        ev(1.0, 2.0, k, 1, 0, 0),  # frames 9..19
        ev(1.5, 3.0, k, 0, 1, 0),  # frames 14..29
        ev(1.8, 1.9, k, 0, 0, 1),  # frames 17..18
    ]
    active, xyz = events_to_slots(events)
    assert active[17, k].tolist() == [True, True, True]
    np.testing.assert_array_equal(xyz[17, k], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    # the second event takes slot 1 while the first is active, then slot 0 (per-frame assignment)
    assert active[14:20, k, 1].all() and not active[20:, k, 1].any()
    assert active[20:30, k, 0].all()
    np.testing.assert_array_equal(xyz[25, k, 0], [0, 1, 0])
    # matches the official transcription
    np.testing.assert_allclose(slots_to_official(active, xyz), official_csv_to_matrix(events), atol=1e-7)


def test_row_order_decides_slots() -> None:
    # a later row starting earlier still gets the higher slot where both are active
    events = [ev(5.0, 6.0, 0, 1, 1, 1), ev(0.0, 10.0, 0, -1, -1, -1)]
    active, xyz = events_to_slots(events)
    f = frame_of_time(quantize_time(5.5))
    np.testing.assert_array_equal(xyz[f, 0, 0], [1, 1, 1])
    np.testing.assert_array_equal(xyz[f, 0, 1], [-1, -1, -1])
    np.testing.assert_array_equal(xyz[2, 0, 0], [-1, -1, -1])


def test_fourth_same_class_event_is_an_error(tmp_path: Path) -> None:
    csv_path = write_labels(
        tmp_path / "label_split0_ov3_9.csv",
        [(1.0, 2.0, "Knock", 0, 0, 0)] * 3 + [(1.5, 1.6, "Knock", 0, 0, 0)],
    )
    with pytest.raises(DataError, match=r"frame 14") as info:
        reference_rows(csv_path)
    assert "label_split0_ov3_9.csv" in str(info.value) and "Knock" in str(info.value)
    # different classes are fine in the slot layout; three tracks keep the first 3 (class order), with a warning
    events = [ev(1.0, 2.0, c) for c in range(4)]
    active, xyz = events_to_slots(events)
    with pytest.warns(UserWarning, match="first at frame 9"):
        sed, _ = slots_to_tracks(active, xyz)
    assert sed[9].sum() == 3 and sed[9, :, 3].sum() == 0


def test_start_beyond_duration_is_an_error(tmp_path: Path) -> None:
    csv_path = write_labels(tmp_path / "label_split0_ov1_5.csv", [(30.5, 31.0, "Knock", 0, 0, 0)])
    with pytest.raises(DataError, match="beyond") as info:
        reference_rows(csv_path)
    assert "label_split0_ov1_5.csv" in str(info.value)
    # with a longer duration it is fine
    assert reference_rows(csv_path, duration=40.0).shape[0] > 0


def test_other_duration_uses_its_own_frames() -> None:
    active, _ = events_to_slots([ev(0.2, 0.5, 3)], duration=1.0)  # 10 frames, interp onto 0..9
    assert active.shape == (10, 14, 3)
    # 0.2 * 9 = 1.8 -> 1 ; 0.5 * 9 = 4.5 -> 4
    assert np.flatnonzero(active[:, 3, 0]).tolist() == [1, 2, 3, 4]


# ------------------------------------------------------------------------------------ label reading
def test_read_label_csv_by_column_name(tmp_path: Path) -> None:
    path = tmp_path / "label.csv"
    path.write_text(
        "Z,Class,End,Start,Y,X,Extra\n0.5,Knock,2.0,1.0,-1.0,1.5,whatever\n0,Writing,3,2.5,0,0,\n",
        encoding="utf-8",
    )
    events = read_label_csv(path)
    assert events == [
        Event(1.0, 2.0, CLASS_INDEX["Knock"], 1.5, -1.0, 0.5),
        Event(2.5, 3.0, CLASS_INDEX["Writing"], 0.0, 0.0, 0.0),
    ]
    assert events[0].row == 2


def test_header_only_csv_means_no_events(tmp_path: Path) -> None:
    path = write_labels(tmp_path / "label_split0_ov1_2.csv", [])
    assert read_label_csv(path) == []
    assert reference_rows(path).shape == (0, 5)
    active, xyz = events_to_slots([])
    sed, doa = slots_to_tracks(active, xyz)
    assert not active.any() and not sed.any() and not doa.any()


def test_coordinate_tolerance(tmp_path: Path) -> None:
    ok = write_labels(tmp_path / "ok.csv", [(0, 1, "Knock", 2.04, -1.54, 1.03)])
    assert read_label_csv(ok)[0].x == pytest.approx(2.04)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("Start,End,Class,X,Y\n0,1,Knock,0,0\n", "lacks column"),
        ("", "lacks column"),
        (HEADER + "\nf,zero,1,Knock,0,0,0\n", "line 2: column Start is not a number"),
        (HEADER + "\nf,0,1,Knock,0,0,0\nf,0,1,Knock,0,,0\n", "line 3: column Y"),
        (HEADER + "\nf,0,nan,Knock,0,0,0\n", "End is not finite"),
        (HEADER + "\nf,0,1,Knocking,0,0,0\n", "unknown class 'Knocking'"),
        (HEADER + "\nf,-0.1,1,Knock,0,0,0\n", "negative time"),
        (HEADER + "\nf,2,1,Knock,0,0,0\n", "End 1.0 is before Start 2.0"),
        (HEADER + "\nf,0,1,Knock,2.1,0,0\n", "X = 2.1 outside"),
        (HEADER + "\nf,0,1,Knock,0,-1.6,0\n", "Y = -1.6 outside"),
        (HEADER + "\nf,0,1,Knock,0,0,1.2\n", "Z = 1.2 outside"),
        (HEADER + "\nf,0,1,Knock,0,0,0,surplus\n", "more fields"),
    ],
)
def test_bad_label_csv(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "label_split2_ov2_4.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=words) as info:
        read_label_csv(path)
    assert path.name in str(info.value)


def test_missing_label_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="label_split0_ov1_1.csv"):
        read_label_csv(tmp_path / "label_split0_ov1_1.csv")


def test_non_utf8_label_csv(tmp_path: Path) -> None:
    path = tmp_path / "label_bin.csv"
    path.write_bytes(b"Start,End,Class,X,Y,Z\n\xff\xfe\x00,1\n")
    with pytest.raises(DataError, match="label_bin.csv"):
        read_label_csv(path)


# ------------------------------------------------------------------------- targets and official matrix
def test_slots_to_tracks_class_then_slot_order() -> None:
    events = [
        ev(0.0, 0.0, 9, 1, 1, 1),
        ev(0.0, 0.0, 2, 0.5, 0, 0),
        ev(0.0, 0.0, 9, -1, -1, -1),
        ev(0.2, 0.2, 4, 0, 0, 0.3),
    ]
    active, xyz = events_to_slots(events)
    sed, doa = slots_to_tracks(active, xyz)
    assert sed.shape == (300, 3, 14) and sed.dtype == np.float32
    assert doa.shape == (300, 3, 3) and doa.dtype == np.float32
    assert sed[0].argmax(-1).tolist() == [2, 9, 9]
    assert sed[0].sum() == 3
    np.testing.assert_array_equal(doa[0], [[0.5, 0, 0], [1, 1, 1], [-1, -1, -1]])
    assert sed[1, 0].tolist() == np.eye(14)[4].tolist() and sed[1, 1:].sum() == 0
    np.testing.assert_allclose(doa[1], [[0, 0, 0.3], [0, 0, 0], [0, 0, 0]])
    assert sed[2:].sum() == 0 and doa[2:].sum() == 0


def test_official_matrix_layout_and_round_trip() -> None:
    rng = np.random.default_rng(3)
    active = rng.random((20, 14, 3)) < 0.1
    xyz = rng.uniform(-2, 2, (20, 14, 3, 3)).astype(np.float32) * active[..., None]
    m = slots_to_official(active, xyz)
    assert m.shape == (20, 168) and m.dtype == np.float32
    t, c, s = 7, 11, 2
    active[t, c, s] = True
    xyz[t, c, s] = (1.5, -0.25, 0.75)
    m = slots_to_official(active, xyz)
    assert m[t, c * 3 + s] == 1.0
    np.testing.assert_array_equal(
        m[t, 42 + (c * 3 + s) * 3 : 42 + (c * 3 + s) * 3 + 3], [0.75, -0.125, 0.375]
    )
    rows = official_to_rows(m)
    assert rows.dtype == np.float64 and rows.shape == (active.sum(), 5)
    tt, cc, ss = np.nonzero(active)
    np.testing.assert_array_equal(rows[:, 0], tt)
    np.testing.assert_array_equal(rows[:, 1], cc)
    np.testing.assert_array_equal(rows[:, 2:], xyz[tt, cc, ss])  # /2 then *2 is exact


def test_official_to_rows_threshold_and_order() -> None:
    m = np.zeros((2, 168), np.float32)
    m[0, 5 * 3 + 1] = 0.5  # exactly 0.5 is inactive (np.round)
    m[0, 5 * 3 + 2] = 0.51
    m[0, 42 + (5 * 3 + 2) * 3 : 42 + (5 * 3 + 2) * 3 + 3] = (0.5, -0.5, 0.25)
    m[0, 1 * 3 + 0] = 1.0
    m[1, 0] = 1.0
    rows = official_to_rows(m)
    np.testing.assert_array_equal(rows, [[0, 1, 0, 0, 0], [0, 5, 1.0, -1.0, 0.5], [1, 0, 0, 0, 0]])
    assert official_to_rows(np.zeros((3, 168))).shape == (0, 5)
    with pytest.raises(ValueError):
        official_to_rows(np.zeros((3, 42)))


def test_reference_rows_by_hand(tmp_path: Path) -> None:
    path = write_labels(
        tmp_path / "label_split4_ov2_1.csv",
        [
            (0.0, 0.2, "Knock", 1.0, -0.5, 0.25),  # frames 0, 1 (0.2 * 299 / 30 = 1.99)
            (0.1, 0.1, "Laughter", 0.3, 0.2, 0.1),  # frame 0
            (0.14, 0.26, "Chink_and_clink", -1.5, 1.25, -0.75),  # q 0.1 -> 0, q 0.3 -> 2: frames 0..2
        ],
    )
    rows = reference_rows(path)
    expected = [
        [0, 0, -1.5, 1.25, -0.75],
        [0, 7, 1.0, -0.5, 0.25],
        [0, 8, 0.3, 0.2, 0.1],
        [1, 0, -1.5, 1.25, -0.75],
        [1, 7, 1.0, -0.5, 0.25],
        [2, 0, -1.5, 1.25, -0.75],
    ]
    assert rows.dtype == np.float64
    np.testing.assert_allclose(rows, expected, atol=1e-6)


_event = st.builds(
    ev,
    st.one_of(st.floats(0, 30), st.integers(0, 80).map(lambda k: k * 0.05)),
    st.floats(0, 3, allow_nan=False),
    st.integers(0, 3),
    st.floats(-2, 2),
    st.floats(-1.5, 1.5),
    st.floats(-1, 1),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_event, max_size=8))
def test_matches_official_transcription(raw: list[Event]) -> None:
    events = [Event(e.start, min(e.start + e.end, 32.0), e.cls, e.x, e.y, e.z) for e in raw]
    try:
        official = official_csv_to_matrix(events)
    except IndexError:  # the official code crashes on a 4th same-class event in a frame
        with pytest.raises(DataError, match="more than 3 events"):
            events_to_slots(events)
        return
    active, xyz = events_to_slots(events)
    ours = slots_to_official(active, xyz)
    np.testing.assert_array_equal(ours[:, :42], official[:, :42])
    np.testing.assert_allclose(ours[:, 42:], official[:, 42:], atol=1e-6)
    np.testing.assert_allclose(official_to_rows(ours), official_to_rows(official), atol=1e-6)


# ---------------------------------------------------------------------------------- prediction CSV
def test_prediction_csv_round_trip_and_atomic(tmp_path: Path) -> None:
    rows = np.array([[0, 3, 1.23456, -0.5, 0.0], [12, 13, -1.999999, 1.5, -0.333333], [299, 0, 0, 0, 0]])
    path = tmp_path / "out" / "split4_ov1_1.csv"
    write_prediction_csv(path, rows)
    assert os.listdir(path.parent) == [path.name]
    first = path.read_text().splitlines()[0]
    assert first.startswith("0,3,1.2345")
    back = read_prediction_csv(path, n_frames=300)
    assert back.dtype == np.float64 and back.shape == (3, 5)
    np.testing.assert_allclose(back, rows, atol=1e-5)
    # a failing write keeps the previous file intact and leaves no temporary behind
    with pytest.raises(ValueError):
        write_prediction_csv(path, [[0, 14, 0, 0, 0]])
    with pytest.raises(ValueError):
        write_prediction_csv(path, [[0.5, 1, 0, 0, 0]])
    np.testing.assert_allclose(read_prediction_csv(path), rows, atol=1e-5)
    assert os.listdir(path.parent) == [path.name]


def test_prediction_csv_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    write_prediction_csv(path, np.zeros((0, 5)))
    assert path.read_text() == ""
    assert read_prediction_csv(path).shape == (0, 5)
    write_prediction_csv(path, [])
    assert read_prediction_csv(path, n_frames=300).shape == (0, 5)


def test_prediction_csv_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("1,2,0.1,0.2,0.3\n\n 3 , 4 ,0,0,0\n")
    np.testing.assert_allclose(read_prediction_csv(path), [[1, 2, 0.1, 0.2, 0.3], [3, 4, 0, 0, 0]])


@pytest.mark.parametrize(
    ("content", "n_frames", "words"),
    [
        ("1,2,0,0\n", None, "expected 5 columns"),
        ("1,2,0,0,0,0\n", None, "expected 5 columns"),
        ("frame,class,x,y,z\n", None, "not a number"),
        ("1,2,a,0,0\n", None, "column x is not a number"),
        ("1,2,0,nan,0\n", None, "not finite"),
        ("1,14,0,0,0\n", None, "class '14'"),
        ("1,-1,0,0,0\n", None, "class '-1'"),
        ("1,2.5,0,0,0\n", None, "class '2.5'"),
        ("-1,2,0,0,0\n", None, "frame '-1'"),
        ("1.5,2,0,0,0\n", None, "frame '1.5'"),
        ("0,1,0,0,0\n300,2,0,0,0\n", 300, "line 2: frame 300"),
    ],
)
def test_bad_prediction_csv(tmp_path: Path, content: str, n_frames: int | None, words: str) -> None:
    path = tmp_path / "split4_ov3_8.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=words) as info:
        read_prediction_csv(path, n_frames=n_frames)
    assert path.name in str(info.value)


def test_missing_prediction_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothing.csv"):
        read_prediction_csv(tmp_path / "nothing.csv")
