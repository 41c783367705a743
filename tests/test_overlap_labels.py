"""Real L3DAS22 labels can put 4 events in one frame (an event ending at t, another starting at t, both
frames inclusive after 0.1 s rounding): training keeps the first 3, evaluation still counts all 4."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_MODEL
from seld.cli import main
from seld.data.l3das22 import events_to_slots, read_label_csv, reference_rows, slots_to_tracks

HEADER = "File,Start,End,Class,X,Y,Z\n"
# At t = 2.0 s (frame 19 of a 6 s clip: floor(2.0 * 59 / 6)) Knock ends and Laughter starts while
# Telephone and Writing sound: 4 active events in that frame, and only there.
FOUR_AT_ONE_FRAME = [
    ("0.5", "2.0", "Knock", "1.0", "0.5", "0.0"),
    ("2.0", "3.0", "Laughter", "-1.0", "0.5", "0.3"),
    ("1.0", "3.5", "Telephone", "0.5", "-1.0", "-0.3"),
    ("1.5", "4.0", "Writing", "-1.5", "-0.5", "0.6"),
]


def write_four_event_labels(path: Path) -> None:
    name = path.stem.removeprefix("label_")
    path.write_text(HEADER + "".join(f"{name}_A.wav,{','.join(ev)}\n" for ev in FOUR_AT_ONE_FRAME))


def test_slots_to_tracks_keeps_first_three_in_class_order_and_warns(tmp_path: Path) -> None:
    label = tmp_path / "label_split0_ov3_1.csv"
    write_four_event_labels(label)
    active, xyz = events_to_slots(read_label_csv(label), duration=6.0, path=label)
    frame = int(np.flatnonzero(active.sum(axis=(1, 2)) == 4)[0])
    assert (active.sum(axis=(1, 2)) == 4).sum() == 1
    with pytest.warns(UserWarning) as record:
        sed, doa = slots_to_tracks(active, xyz, path=label)
    assert len(record) == 1
    msg = str(record[0].message)
    assert str(label) in msg and "1 frame(s)" in msg and "dropped 1 event(s)" in msg
    classes = np.flatnonzero(active[frame].any(axis=1))  # the 4 classes of that frame, ascending
    kept = [int(np.argmax(sed[frame, k])) for k in range(3)]
    assert kept == list(classes[:3]) and sed[frame].sum() == 3
    # every other frame is unchanged: one track per active event, no warning for a clean file
    others = np.arange(active.shape[0]) != frame
    assert np.array_equal(sed[others].sum(axis=(1, 2)), active[others].sum(axis=(1, 2)))
    keep3 = active.copy()
    keep3[frame, classes[3]] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sed3, doa3 = slots_to_tracks(keep3, xyz)
    assert np.array_equal(sed3, sed) and np.array_equal(doa3, doa)
    # the official reference keeps all 4 events of that frame
    ref = reference_rows(label, duration=6.0)
    assert (ref[:, 0] == frame).sum() == 4


@pytest.mark.slow
def test_four_events_in_one_frame_train_predict_evaluate(tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data)
    train_label = sorted((data / "L3DAS22_Task2_train" / "labels").glob("label_*.csv"))[0]
    dev_split = data / "L3DAS22_Task2_dev"
    dev_label = sorted((dev_split / "labels").glob("label_*.csv"))[0]
    write_four_event_labels(train_label)
    write_four_event_labels(dev_label)

    run = tmp_path / "run"
    sets = [*TINY_MODEL, "train.max_epochs=1"]
    assert main(["train", "--config", "demo", "--data", str(data), "--out", str(run), "--no-progress",
                 "--set", *sets]) == 0
    err = capsys.readouterr().err
    assert str(train_label) in err and str(dev_label) in err  # one warning per file, naming it
    assert err.count(str(train_label)) == 1

    ckpt = run / "checkpoints" / "best.ckpt"
    pred = tmp_path / "pred"
    wavs = sorted(str(p) for p in (dev_split / "data").glob("*_A.wav"))
    assert main(["predict", str(ckpt), *wavs, "--out", str(pred)]) == 0
    assert main(["evaluate", str(pred), str(dev_split), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.0 <= result["f_score"] <= 1.0

    # with empty predictions every reference event is a miss: the 4 events of the frame are all counted
    empty = tmp_path / "empty"
    shutil.copytree(pred, empty)
    for csv in empty.glob("*.csv"):
        csv.write_text("")
    assert main(["evaluate", str(empty), str(dev_split), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    n_ref = sum(len(reference_rows(p, duration=6.0)) for p in (dev_split / "labels").glob("label_*.csv"))
    assert result["fn"] == n_ref and result["tp"] == 0
