"""Tests of the synthetic DCASE SELD generator (seld synth --preset dcase-*) and of reading its output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.cli import main as cli_main
from seld.constants import DCASE_CLASSES, DCASE_SAMPLE_RATE
from seld.data import dcase
from seld.data.dcase_csv import polar_to_cartesian
from seld.data.synth import dcase_generator as gen
from seld.data.synth.dcase_presets import DCASE_PRESETS, get_dcase_preset
from seld.data.synth.dcase_rooms import load_bank
from seld.data.synth.dcase_sources import DCASE_DURATIONS, DCASE_GENERATORS, DcaseProceduralBank
from seld.data.synth.presets import PRESETS
from seld.errors import SeldError
from seld.metrics.dcase import evaluate_dcase

SPEED = 343.0
NAME_RE = re.compile(r"^fold([34])_room(\d+)_mix(\d{3})$")


@pytest.fixture(scope="module")
def dcase_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dcase_tiny")
    return gen.synthesize_dcase(out, preset="dcase-tiny", seed=1, workers=1, progress=False)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".seld.lock"}


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))))


def _unit(azimuth: float, elevation: float) -> np.ndarray:
    return np.array([float(v) for v in polar_to_cartesian(azimuth, elevation)])


# ----------------------------------------------------------------------------------------------- layout
def test_layout_names_audio_and_manifest(dcase_tiny: Path) -> None:
    p = DCASE_PRESETS["dcase-tiny"]
    samples = round(p.duration * DCASE_SAMPLE_RATE)
    for split, fold, count in (("dev-train-synth", "3", p.train_clips), ("dev-test-synth", "4", p.test_clips)):
        wavs = sorted((dcase_tiny / "foa_dev" / split).iterdir())
        assert len(wavs) == count
        rooms = set()
        for wav in wavs:
            m = NAME_RE.match(wav.stem)
            assert m and m.group(1) == fold, wav.name
            rooms.add(int(m.group(2)))
            info = sf.info(str(wav))
            assert (info.channels, info.samplerate, info.subtype, info.frames) == (4, 24000, "PCM_16", samples)
            assert (dcase_tiny / "metadata_dev" / split / f"{wav.stem}.csv").is_file()
        assert rooms == {1, 2, 3}
    assert not list(dcase_tiny.rglob("*.tmp*"))
    manifest = json.loads((dcase_tiny / "manifest.json").read_text())
    assert manifest["preset"] == "dcase-tiny" and manifest["seed"] == 1 and len(manifest["clips"]) == 15
    assert len({r["rt60"] for r in manifest["rooms"]}) == 3 and len({tuple(r["dims"]) for r in manifest["rooms"]}) == 3


def test_discovery_and_reading(dcase_tiny: Path) -> None:
    train, test = dcase.find_clips(dcase_tiny, "train"), dcase.find_clips(dcase_tiny, "test")
    assert {c.split for c in train} == {"dev-train-synth"} and {c.split for c in test} == {"dev-test-synth"}
    assert len(train) == 9 and len(test) == 6 and all(c.label is not None for c in train + test)
    clip = test[0]
    audio = dcase.read_audio(clip)
    n_frames = dcase.clip_frames(clip)
    assert n_frames == 60 and audio.shape == (4, 193600) and audio.shape[1] // 3200 == n_frames  # 6.05 s
    active, xyz, has_distance = dcase.labels_to_slots(dcase.read_label_csv(clip.label), n_frames, clip.label)
    assert has_distance and active.any()
    assert np.all((np.linalg.norm(xyz[active], axis=-1) > 0.99) & (np.linalg.norm(xyz[active], axis=-1) < 2.01))


def test_labels_are_the_simulated_grid_positions(dcase_tiny: Path) -> None:
    """Every label row is an integer grid position of its room; polyphony <= 3 and reaches 3; same-class
    overlaps occur; source ids tell simultaneous instances of a class apart; rows sorted by frame."""
    params = get_dcase_preset("dcase-tiny")
    banks = [load_bank(room, params.grid)[0] for room in params.rooms]
    max_poly = same_class = 0
    classes = set()
    for clip in dcase.find_clips(dcase_tiny):
        bank = banks[int(NAME_RE.match(clip.name).group(2)) - 1]
        grid = set(zip(bank.azimuth.tolist(), bank.elevation.tolist(), bank.distance_cm.tolist()))
        lines = clip.label.read_text().splitlines()
        values = [tuple(int(v) for v in line.split(",")) for line in lines]  # all integers
        assert all(len(v) == 6 for v in values) and values == sorted(values)
        assert all(v[3:] in grid for v in values)
        assert all(0.5 <= v[5] / 100 <= 4 and -45 <= v[4] <= 45 for v in values)
        frames = np.array([v[0] for v in values])
        assert frames.max() < 60
        max_poly = max(max_poly, int(np.bincount(frames).max()))
        for f in set(frames.tolist()):
            rows = [v for v in values if v[0] == f]
            keys = [(v[1], v[2]) for v in rows]
            assert len(keys) == len(set(keys))  # (class, source) unique per frame
            per_class = np.bincount([v[1] for v in rows], minlength=13)
            assert per_class.max() <= 3
            same_class += int(per_class.max() > 1)
        classes |= {v[1] for v in values}
    assert max_poly == 3 and same_class > 0 and len(classes) >= 8


def test_same_seed_other_workers_byte_identical_via_cli(dcase_tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    args = ["synth", str(out), "--preset", "dcase-tiny", "--seed", "1", "--workers", "2", "--no-progress"]
    assert cli_main(args) == 0
    assert _files(out) == _files(dcase_tiny)


def test_different_seed_differs(tmp_path: Path) -> None:
    a = gen.synthesize_dcase(tmp_path / "a", preset="dcase-tiny", seed=2, workers=1, progress=False, train_clips=2,
                             test_clips=0, duration=2.0)
    b = gen.synthesize_dcase(tmp_path / "b", preset="dcase-tiny", seed=3, workers=1, progress=False, train_clips=2,
                             test_clips=0, duration=2.0)
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys() and all(fa[k] != fb[k] for k in fa if k.endswith(".wav"))


# ---------------------------------------------------------------------------------------------- physics
def test_ir_direction_and_delay_match_grid() -> None:
    params = get_dcase_preset("dcase-tiny")
    for room in params.rooms:
        bank, _ = load_bank(room, params.grid)
        for i in range(0, len(bank.positions), 5):
            w = np.asarray(bank.irs[i], dtype=np.float64)
            onset = int(np.argmax(np.abs(w[0]) > 0.3 * np.abs(w[0]).max()))
            assert abs(onset - bank.distance_cm[i] / 100 / SPEED * DCASE_SAMPLE_RATE) < 3
            seg = w[:, max(onset - 6, 0) : onset + 24]
            intensity = (seg[0] * seg[[3, 1, 2]]).sum(axis=1)
            assert _angle(intensity, _unit(bank.azimuth[i], bank.elevation[i])) < 10


class _Clicks:
    """A stand-in sound bank: one click at the event start, so the direct sound is clear."""

    def render(self, cls: int, n: int, rng: np.random.Generator) -> np.ndarray:
        x = np.zeros(n, np.float32)
        x[0] = 1.0
        return x


def test_rendered_clip_intensity_points_at_the_label() -> None:
    """In frames with a single source, the active intensity of the direct sound (int16 audio at 24 kHz) points
    at the labelled azimuth/elevation and arrives after the labelled distance / c."""
    params = get_dcase_preset("dcase-tiny", ovs=(1,), snr_db=(50.0, 50.0), level_db=(0.0, 0.0), duration=8.0)
    banks = [load_bank(room, params.grid)[0] for room in params.rooms]
    checked = 0
    for room in range(3):
        spec = gen.DcaseClipSpec(gen.TRAIN_SPLIT, room, 1, room, 1)
        audio, events, _ = gen.render_dcase_clip(spec, params, 3, banks, _Clicks())
        audio = np.round(audio * 32767.0) / 32767.0
        rows = gen.label_rows(events, banks[room])
        for ev in events:
            _, _, _, az, el, dist = next(r for r in rows if r[0] == ev.start and r[1] == ev.cls)
            start = ev.start * 2400
            onset = start + int(np.argmax(np.abs(audio[0, start : start + 600])))
            assert abs(onset - start - dist / 100 / SPEED * DCASE_SAMPLE_RATE) < 3
            seg = audio[:, onset - 6 : onset + 24].astype(np.float64)
            assert _angle((seg[0] * seg[[3, 1, 2]]).sum(axis=1), _unit(az, el)) < 10, (room, ev)
            checked += 1
    assert checked >= 4


# ----------------------------------------------------------------------------------------------- metric
def test_labels_written_as_predictions_score_perfectly(dcase_tiny: Path, tmp_path: Path) -> None:
    """Predictions written from the labels (reader -> slots -> rows -> writer) get F = 1 from the official
    DCASE 2024 metric on the synthetic metadata."""
    pred = tmp_path / "pred"
    present = np.zeros(13, bool)
    for clip in dcase.find_clips(dcase_tiny):
        rows = dcase.reference_rows(clip.label, dcase.clip_frames(clip))
        present[rows[:, 1].astype(int)] = True
        dcase.write_prediction_csv(pred / f"{clip.name}.csv", rows)
    micro = evaluate_dcase(pred, dcase_tiny / "metadata_dev", average="micro")
    assert micro.f_score == 1.0 and micro.error_rate == 0.0 and micro.localization_recall == 1.0
    assert micro.doa_error < 0.01 and micro.distance_error < 1e-6 and micro.rde < 1e-6
    macro = evaluate_dcase(pred, dcase_tiny / "metadata_dev", average="macro")
    np.testing.assert_array_equal(macro.per_class["f_score"], present.astype(float))


# ----------------------------------------------------------------------------------------------- sounds
def test_procedural_classes_vary_and_differ() -> None:
    bank = DcaseProceduralBank()
    n = 48000
    freqs = np.fft.rfftfreq(n, 1 / 32000)
    centroid = {}
    for i, cls in enumerate(DCASE_CLASSES):
        assert cls in DCASE_GENERATORS and cls in DCASE_DURATIONS
        a, b = bank.render(i, n, np.random.default_rng(0)), bank.render(i, n, np.random.default_rng(1))
        assert a.shape == (n,) and a.dtype == np.float32 and np.isfinite(a).all()
        assert np.abs(a).max() > 0 and not np.allclose(a, b)
        spec = np.abs(np.fft.rfft(a)) ** 2
        centroid[cls] = float((spec * freqs).sum() / spec.sum())
    assert centroid["Water tap, faucet"] > 2 * centroid["Walk, footsteps"]
    assert centroid["Bell"] > 2 * centroid["Knock"]


# ----------------------------------------------------------------------------------------------- presets
def test_presets_and_l3das22_presets_unchanged() -> None:
    assert set(PRESETS) == {"tiny", "demo", "l3das22"}
    demo, full = DCASE_PRESETS["dcase-demo"], DCASE_PRESETS["dcase"]
    assert (demo.train_clips, demo.test_clips, demo.duration) == (240, 48, 10.0)
    assert (full.train_clips, full.test_clips, full.duration, len(full.rooms)) == (600, 150, 30.0, 5)
    specs = gen.plan_dcase_clips(demo)
    assert len({(s.split, s.name) for s in specs}) == len(specs) == 288
    per_room_ov = {(s.room, s.ov) for s in specs if s.split == gen.TRAIN_SPLIT}
    assert per_room_ov == {(r, k) for r in range(3) for k in (1, 2, 3)}


@pytest.mark.parametrize("kwargs", [{"duration": 0.5}, {"ovs": (4,)}, {"train_clips": 0, "test_clips": 0},
                                    {"gap_s": (0.0, 1.0)}, {"grid_spacing": 1.0}])
def test_bad_parameters(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(SeldError):
        gen.synthesize_dcase(tmp_path / "x", preset="dcase-tiny", progress=False, **kwargs)
    assert not (tmp_path / "x").exists()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["synth", str(tmp_path / "a"), "--preset", "dcase-tiny", "--sound-bank", "x"]) == 2
    assert cli_main(["synth", str(tmp_path / "a"), "--preset", "dcase-nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--sound-bank" in err[0] and "unknown DCASE preset 'dcase-nope'" in err[1]


def test_locked_or_non_empty_output_is_refused(tmp_path: Path) -> None:
    from seld.utils.folder_lock import FolderBusyError, folder_lock

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    with pytest.raises(SeldError, match="not empty"):
        gen.synthesize_dcase(folder, preset="dcase-tiny", progress=False)
    with folder_lock(folder, "test"), pytest.raises(FolderBusyError):
        gen.synthesize_dcase(folder, preset="dcase-tiny", progress=False, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == [".seld.lock", "keep.txt"]
