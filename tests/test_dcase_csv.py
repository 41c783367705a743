"""DCASE 2023/2024 SELD CSV reading and writing (seld.data.dcase_csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dcase_reference as official
from seld.data.dcase_csv import (
    cartesian_to_polar,
    labels_to_cartesian,
    labels_to_polar,
    polar_to_cartesian,
    read_dcase_csv,
    write_dcase_csv,
)
from seld.errors import DataError


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


# ---------------------------------------------------------------------------------------- field counts
def test_field_counts_2024(tmp_path):
    path = write(tmp_path / "a.csv", [
        "0,3,10,20",  # 4 fields: no track column
        "1,3,2,10.5,-20",  # 5 fields
        "2,3,2,10,20,150",  # 6 fields: distance
        "3,1,2",  # 3 fields: dropped, but the frame exists
        "4,1,2,3,4,5,6,7",  # 8 fields: dropped
        "2,4,0,-90,0,50",  # a second row of frame 2, later in the file
        "5",
    ])
    labels = read_dcase_csv(path, cm_to_m=False)
    assert labels == {
        0: [[3, 0, 10.0, 20.0]],
        1: [[3, 2, 10.5, -20.0]],
        2: [[3, 2, 10.0, 20.0, 150.0], [4, 0, -90.0, 0.0, 50.0]],
        3: [],
        4: [],
        5: [],
    }
    assert read_dcase_csv(path, cm_to_m=True)[2] == [[3, 2, 10.0, 20.0, 1.5], [4, 0, -90.0, 0.0, 0.5]]
    assert read_dcase_csv(tmp_path / "a.csv", cm_to_m=True) == official.load_csv_2024(path, cm2m=True)


def test_last_line_with_7_fields_converts_everything_to_polar(tmp_path):
    path = write(tmp_path / "a.csv", ["0,1,0,0.0,2.0,0.0,250", "1,2,1,1.0,0.0,1.0,100"])
    labels = read_dcase_csv(path, cm_to_m=True)
    assert labels[0] == [[1, 0, pytest.approx(90.0), pytest.approx(0.0), 2.5]]
    assert labels[1] == [[2, 1, pytest.approx(0.0), pytest.approx(45.0), 1.0]]
    assert read_dcase_csv(path, cm_to_m=False)[0][0][-1] == 250.0
    # A 7-field row not on the last line stays cartesian (the rule looks at the last line only).
    path = write(tmp_path / "b.csv", ["0,1,0,0.0,2.0,0.0,250", "1,2,1,10,20,100"])
    assert read_dcase_csv(path, cm_to_m=False) == {0: [[1, 0, 0.0, 2.0, 0.0, 250.0]], 1: [[2, 1, 10.0, 20.0, 100.0]]}
    # A dropped last line (here 1 field) disables the conversion too.
    path = write(tmp_path / "c.csv", ["0,1,0,0.0,2.0,0.0,250", "7"])
    assert read_dcase_csv(path, cm_to_m=False)[0] == [[1, 0, 0.0, 2.0, 0.0, 250.0]]


@pytest.mark.parametrize("other", ["0,1,0,10,20", "0,1,10,20", "0,1,0,10,20,100"])
def test_last_line_7_fields_with_other_rows_is_an_error(tmp_path, other):
    path = write(tmp_path / "a.csv", ["1,1,0,1.0,0.0,0.0,1.0", other, "2,1,0,1.0,0.0,0.0,1.0"])
    n = len(other.split(","))
    with pytest.raises(DataError, match=rf"a\.csv: line 2: {n}-field row in a file whose last line has 7 fields"):
        read_dcase_csv(path, cm_to_m=False)


def test_field_counts_2023(tmp_path):
    path = write(tmp_path / "a.csv", [
        "0,3,10,20",  # 4 fields: dropped in 2023
        "1,3,2,10,20",
        "2,3,2,10,20,not-a-distance",  # 6 fields: the distance is not even parsed
        "3,5,0,1.0,2.0,3.0,4.0",  # 7 fields: x, y, z kept cartesian, distance dropped
    ])
    labels = read_dcase_csv(path, cm_to_m=True, edition="dcase2023")
    assert labels == {0: [], 1: [[3, 2, 10.0, 20.0]], 2: [[3, 2, 10.0, 20.0]], 3: [[5, 0, 1.0, 2.0, 3.0]]}
    assert labels == official.load_csv_2023(path)
    with pytest.raises(ValueError, match="edition"):
        read_dcase_csv(path, cm_to_m=False, edition="dcase2022")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(6))
def test_reader_matches_the_official_reader_on_random_files(tmp_path, seed):
    rng = np.random.default_rng(seed)
    cartesian = seed % 2 == 0
    lines = []
    for _ in range(40):
        frame, cls, track = rng.integers(0, 30), rng.integers(0, 14), rng.integers(-1, 3)
        a, b, c, d = (repr(float(v)) for v in rng.normal(size=4) * 100)
        n = 7 if cartesian and rng.random() < 0.8 else int(rng.choice([1, 3, 4, 5, 6, 8]))
        fields = {1: [], 3: [cls, track], 4: [cls, a, b], 5: [cls, track, a, b], 6: [cls, track, a, b, d],
                  7: [cls, track, a, b, c, d], 8: [cls, track, a, b, c, d, 0]}[n]
        if cartesian and n in (4, 5, 6):
            continue  # mixed with a 7-field last line: an error here, garbage or a crash officially
        lines.append(",".join(str(v) for v in [frame, *fields]))
    if cartesian:
        lines.append(f"30,1,0,{rng.normal()!r},{rng.normal()!r},{rng.normal()!r},{rng.uniform(0, 500)!r}")
    path = write(tmp_path / "a.csv", lines)
    for cm_to_m in (False, True):
        assert read_dcase_csv(path, cm_to_m) == official.load_csv_2024(path, cm2m=cm_to_m)
    assert read_dcase_csv(path, False, edition="dcase2023") == official.load_csv_2023(path)


def test_empty_file_gives_an_empty_dict(tmp_path):
    assert read_dcase_csv(write(tmp_path / "a.csv", []), cm_to_m=True) == {}


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbf0,1,0,10,20,100\r\n")
    assert read_dcase_csv(path, cm_to_m=True) == {0: [[1, 0, 10.0, 20.0, 1.0]]}


# --------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("lines", "message"), [
    (["frame,class,track,azi,ele", "0,1,0,10,20"], r"line 1: frame field 'frame' is not an integer \(a header row"),
    (["0,1,0,10,20", "", "1,1,0,10,20"], r"line 2: blank line"),
    (["0,1,0,10,20", "   "], r"line 2: blank line"),
    (["0,1,0,10,20", "1.5,1,0,10,20"], r"line 2: frame field '1.5' is not an integer"),
    (["0,1.0,0,10,20"], r"line 1: class field '1.0' is not an integer"),
    (["0,1,0,10,twenty"], r"line 1: elevation field 'twenty' is not a number"),
    (["0,1,0,10,20,1m"], r"line 1: distance field '1m' is not a number"),
    (["0,1,0,1,2,3,x"], r"line 1: distance field 'x' is not a number"),
])
def test_errors_name_file_and_line(tmp_path, lines, message):
    path = write(tmp_path / "bad.csv", lines)
    with pytest.raises(DataError, match=r"bad\.csv: " + message) as err:
        read_dcase_csv(path, cm_to_m=True)
    assert "\n" not in str(err.value)
    assert err.value.path == str(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="CSV file not found"):
        read_dcase_csv(tmp_path / "missing.csv", cm_to_m=False)
    path = tmp_path / "latin.csv"
    path.write_bytes(b"0,1,0,10,20\n1,1,0,\xe9,20\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_dcase_csv(path, cm_to_m=False)


# --------------------------------------------------------------------------------------------- writing
def test_writer_round_trip(tmp_path):
    rows = [
        (0, 3, 0, 0.5, -0.25, 0.1, 1.75),
        (0, 3, 1, 0.1 + 0.2, 0.0, -1.0, -0.3),  # negative distance -> 0; full float precision
        (np.int64(12), 11.0, 2, 1e-20, 2.0, 0.0, np.float64(4.0)),
    ]
    path = tmp_path / "out.csv"
    write_dcase_csv(path, rows)
    assert path.read_text().splitlines() == [
        "0,3,0,0.5,-0.25,0.1,1.75",
        "0,3,1,0.30000000000000004,0.0,-1.0,0.0",
        "12,11,2,1e-20,2.0,0.0,4.0",
    ]
    labels = read_dcase_csv(path, cm_to_m=False)
    assert list(labels) == [0, 12]
    for (_frame, cls, track, x, y, z, dist), row in zip(rows, labels[0] + labels[12]):
        az, el = cartesian_to_polar(x, y, z)
        assert row == [int(cls), int(track), pytest.approx(float(az)), pytest.approx(float(el)), max(float(dist), 0.0)]
    assert official.load_csv_2024(path) == labels


def test_writer_is_atomic(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old content\n")

    def rows():
        yield (0, 1, 0, 1.0, 0.0, 0.0, 2.0)
        yield (1, 1, 0, 1.0, 0.0, 0.0, 2.0)
        yield (2.5, 1, 0, 1.0, 0.0, 0.0, 2.0)  # not an integer frame: fails after two rows were written

    with pytest.raises(ValueError, match="row 2: frame, class and track must be integers"):
        write_dcase_csv(path, rows())
    assert path.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left
    with pytest.raises(ValueError, match="row 0: expected 7 values"):
        write_dcase_csv(tmp_path / "new.csv", [(0, 1, 1.0, 0.0, 0.0, 2.0)])
    with pytest.raises(ValueError, match="row 0: non-finite"):
        write_dcase_csv(tmp_path / "new.csv", [(0, 1, 0, np.nan, 0.0, 0.0, 2.0)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# ----------------------------------------------------------------------------------------- coordinates
def test_polar_cartesian_conversions():
    np.testing.assert_allclose(polar_to_cartesian(90, 0), (0, 1, 0), atol=1e-15)  # +90 azimuth = left (+y)
    np.testing.assert_allclose(polar_to_cartesian(0, 90), (0, 0, 1), atol=1e-15)
    np.testing.assert_allclose(polar_to_cartesian(180, 0), (-1, 0, 0), atol=1e-15)
    assert cartesian_to_polar(0.0, 0.0, 0.0) == (0.0, 0.0)  # the zero vector points to the front
    rng = np.random.default_rng(0)
    az, el, r = rng.uniform(-179, 179, 50), rng.uniform(-89, 89, 50), rng.uniform(0.1, 5, 50)
    x, y, z = polar_to_cartesian(az, el)
    az2, el2 = cartesian_to_polar(r * x, r * y, r * z)  # the length is discarded
    np.testing.assert_allclose((az2, el2), (az, el), atol=1e-9)


def test_label_conversions_keep_class_track_and_distance():
    labels = {0: [[1, 2, 90.0, 0.0, 3.5]], 4: [[0, 0, 0.0, 90.0]]}
    cart = labels_to_cartesian(labels)
    assert cart == official.polar_to_cartesian_2024(labels)
    assert cart[0][0][:2] == [1, 2] and cart[0][0][-1] == 3.5 and len(cart[4][0]) == 5
    polar = labels_to_polar(cart)
    assert polar == official.cartesian_to_polar_2024(cart)
    np.testing.assert_allclose(polar[0][0], labels[0][0], atol=1e-12)
    with pytest.raises(ValueError, match="no x, y, z"):
        labels_to_polar({0: [[1, 0, 10.0, 20.0]]})
