"""Property-based tests (hypothesis) over the CSV readers and the metric, through real files.

* Any text given to the label or prediction CSV reader either parses or raises DataError naming the
  file: never another exception.
* A prediction CSV written and read back holds the same rows; the metric then never has optimal
  matching above official, F/P/R stay within [0, 1], and permuting the rows of either file (prediction
  CSV or label CSV) changes no count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seld.constants import CLASSES, COORD_RANGES
from seld.data.l3das22 import read_label_csv, read_prediction_csv, reference_rows, write_prediction_csv
from seld.errors import DataError
from seld.metrics import location_sensitive_detection, prf

N_FRAMES = 20
DURATION = N_FRAMES * 0.1
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_cell = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "0.5", "1e3", "nan", "inf", "-inf", "Knock", "Telephone", "x",
                     "2.05", "-1.5", "3", "14", "299", "\"", "\"a,b\"", "1,2"]),
    st.text(max_size=6),
)
_line = st.lists(_cell, min_size=0, max_size=8).map(",".join)
_header = st.sampled_from(["File,Start,End,Class,X,Y,Z", "Start,End,Class,X,Y,Z", "Start,End,Class,X,Y", "",
                           "\ufeffStart,End,Class,X,Y,Z", "a,b,c"])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all examples (they run one after the other and overwrite their files)."""
    return tmp_path_factory.mktemp("csv_properties")


def _tmp_file(d: Path, content: str | bytes, name: str) -> Path:
    path = d / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


@SETTINGS
@given(header=_header, lines=st.lists(_line, max_size=5), raw=st.binary(max_size=40), use_raw=st.booleans())
def test_label_reader_parses_or_raises_data_error(
    scratch: Path, header: str, lines: list[str], raw: bytes, use_raw: bool
) -> None:
    content: str | bytes = raw if use_raw else "\n".join([header, *lines]) + "\n"
    path = _tmp_file(scratch, content, "label_split0_ov1_1.csv")
    try:
        events = read_label_csv(path)
        reference_rows(path, DURATION)
    except DataError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
    else:
        for ev in events:
            assert 0 <= ev.start <= ev.end and 0 <= ev.cls < len(CLASSES)


@SETTINGS
@given(lines=st.lists(_line, max_size=6), raw=st.binary(max_size=40), use_raw=st.booleans())
def test_prediction_reader_parses_or_raises_data_error(
    scratch: Path, lines: list[str], raw: bytes, use_raw: bool
) -> None:
    content: str | bytes = raw if use_raw else "\n".join(lines) + "\n"
    path = _tmp_file(scratch, content, "label_split0_ov1_1.csv")
    try:
        rows = read_prediction_csv(path, N_FRAMES)
    except DataError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
    else:
        assert rows.shape[1] == 5 and np.isfinite(rows).all()
        assert ((rows[:, 0] >= 0) & (rows[:, 0] < N_FRAMES)).all()
        assert ((rows[:, 1] >= 0) & (rows[:, 1] < len(CLASSES))).all()


_coord = st.sampled_from([-2.0, -1.0, -0.25, 0.0, 0.5, 1.0, 1.5, 2.0])
_pred_row = st.tuples(st.integers(0, N_FRAMES - 1), st.integers(0, 2), _coord, _coord, _coord)


@st.composite
def _events(draw: st.DrawFn) -> list[tuple[float, float, str, float, float, float]]:
    """Label events within the clip, at most 3 overlapping (same class or not), on the 0.05 s grid."""
    out = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, 38)) * 0.05
        end = min(DURATION, start + draw(st.integers(0, 20)) * 0.05)
        cls = draw(st.sampled_from(CLASSES[:3]))
        xyz = [draw(st.floats(lo, hi, allow_nan=False).map(lambda v: round(v, 3))) for lo, hi in COORD_RANGES]
        out.append((round(start, 3), round(end, 3), cls, *xyz))
    return out


def _label_text(events: list) -> str:
    return "File,Start,End,Class,X,Y,Z\n" + "".join(
        f"a.wav,{s},{e},{c},{x},{y},{z}\n" for s, e, c, x, y, z in events)


@SETTINGS
@given(pred=st.lists(_pred_row, max_size=16), events=_events(), threshold=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
       seed=st.integers(0, 2**16))
def test_metric_properties_through_the_csv_files(
    scratch: Path, pred: list, events: list, threshold: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    label = _tmp_file(scratch, _label_text(events), "label_split0_ov1_1.csv")
    try:
        ref = reference_rows(label, DURATION)
    except DataError as exc:  # > 3 same-class events in one frame is a (named) data error
        assert "more than 3 events" in str(exc)
        return
    pred_rows = np.asarray(pred, dtype=np.float64).reshape(-1, 5)
    pred_file = label.with_name("pred.csv")
    write_prediction_csv(pred_file, pred_rows)
    back = read_prediction_csv(pred_file, N_FRAMES)
    np.testing.assert_allclose(back, pred_rows, atol=1e-6)

    official = location_sensitive_detection(back, ref, N_FRAMES, threshold=threshold)
    optimal = location_sensitive_detection(back, ref, N_FRAMES, threshold=threshold, matching="optimal")
    assert optimal.tp <= official.tp
    for c in (official, optimal):
        assert c.tp + c.fp == len(back) and c.tp + c.fn == len(ref)
        assert all(0.0 <= v <= 1.0 for v in prf(c))

    # permuting the rows of the prediction file and of the label file changes nothing
    write_prediction_csv(pred_file, pred_rows[rng.permutation(len(pred_rows))])
    label.write_text(_label_text([events[i] for i in rng.permutation(len(events))]), encoding="utf-8")
    ref2 = reference_rows(label, DURATION)
    back2 = read_prediction_csv(pred_file, N_FRAMES)
    for matching, expected in (("official", official), ("optimal", optimal)):
        assert location_sensitive_detection(back2, ref2, N_FRAMES, threshold=threshold, matching=matching) == expected
