"""Decoding of track and slot outputs into prediction rows."""

from __future__ import annotations

import numpy as np

from seld.formats.slots import decode_slots
from seld.formats.tracks import decode_tracks


def test_decode_tracks_rows_and_threshold() -> None:
    sed = np.zeros((4, 3, 14))
    doa = np.zeros((4, 3, 3))
    sed[0, 1, 5] = 0.9
    doa[0, 1] = (1.0, -1.0, 0.5)
    sed[2, 0, 3] = 0.51
    sed[2, 2, 3] = 0.7  # same class on two tracks: two rows
    doa[2, 0] = (0.1, 0.2, 0.3)
    doa[2, 2] = (-1.5, 1.2, -0.9)
    sed[3, 0, 7] = 0.5  # exactly the threshold: inactive (np.round rule)
    rows = decode_tracks(sed, doa)
    assert rows.dtype == np.float64
    expected = np.array(
        [
            [0, 5, 1.0, -1.0, 0.5],
            [2, 3, 0.1, 0.2, 0.3],
            [2, 3, -1.5, 1.2, -0.9],
        ]
    )
    np.testing.assert_allclose(rows, expected)


def test_decode_tracks_empty() -> None:
    rows = decode_tracks(np.zeros((5, 3, 14)), np.zeros((5, 3, 3)))
    assert rows.shape == (0, 5)


def test_decode_tracks_rows_ordered_by_frame() -> None:
    rng = np.random.default_rng(0)
    rows = decode_tracks(rng.random((30, 3, 14)), rng.uniform(-2, 2, (30, 3, 3)), threshold=0.8)
    assert len(rows) > 0
    assert np.all(np.diff(rows[:, 0]) >= 0)


def test_decode_slots_official_rule() -> None:
    t = 3
    sed = np.zeros((t, 42))
    doa = np.zeros((t, 126))
    sed[1, 4 * 3 + 1] = 0.8  # class 4, slot 1
    doa[1, (4 * 3 + 1) * 3 : (4 * 3 + 1) * 3 + 3] = (0.5, -0.25, 0.1)
    sed[2, 13 * 3 + 0] = 0.5  # exactly 0.5: inactive
    sed[2, 0] = 0.6  # class 0 slot 0
    doa[2, 0:3] = (-1.0, 0.75, 0.5)
    rows = decode_slots(sed, doa)
    np.testing.assert_allclose(rows, [[1, 4, 1.0, -0.5, 0.2], [2, 0, -2.0, 1.5, 1.0]])
    # equivalent to the official np.round(sigmoid) rule
    official = np.round(sed)
    assert int(official.sum()) == len(rows)
