"""Tests of the synthetic L3DAS22-format generator (seld synth)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.cli import main as cli_main
from seld.constants import CLASSES, COORD_RANGES, SAMPLE_RATE
from seld.data.synth import generator as gen
from seld.data.synth.presets import PRESETS, RoomConfig, get_preset
from seld.data.synth.rooms import grid_points, load_bank
from seld.data.synth.sources import DURATIONS, GENERATORS, ProceduralBank
from seld.errors import DataError, SeldError

HEADER = ["File", "Start", "End", "Class", "X", "Y", "Z"]
SMALL = {"train_clips": 4, "dev_clips": 1, "duration": 3.0, "grid_spacing": 1.0}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return list(reader)


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".seld.lock"}  # the lock file holds the writer's pid


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def _intensity_direction(foa: np.ndarray, onset: int, ms: float = 1.0) -> np.ndarray:
    """Active intensity (x, y, z) of a short window: sum of W * (X, Y, Z) (ACN W, Y, Z, X)."""
    seg = foa[:, max(onset - 8, 0) : onset + int(ms * 1e-3 * SAMPLE_RATE)].astype(np.float64)
    return (seg[0] * seg[[3, 1, 2]]).sum(axis=1)


# ----------------------------------------------------------------------------- layout
def test_layout_and_naming(tiny_dataset: Path) -> None:
    p = PRESETS["tiny"]
    for which, n_clips, splits in (("train", p.train_clips, {0, 1, 2, 3}), ("dev", p.dev_clips, {4})):
        root = tiny_dataset / f"L3DAS22_Task2_{which}"
        wavs_a = sorted((root / "data").glob("*_A.wav"))
        assert len(wavs_a) == n_clips
        assert len(list((root / "data").glob("*_B.wav"))) == n_clips
        assert len(list((root / "labels").glob("*.csv"))) == n_clips
        seen_splits = set()
        for wav_a in wavs_a:
            name = wav_a.name[: -len("_A.wav")]
            split, ov, number = name.split("_")
            assert split.startswith("split") and ov in ("ov1", "ov2", "ov3") and int(number) >= 1
            seen_splits.add(int(split[5:]))
            for wav in (wav_a, wav_a.with_name(f"{name}_B.wav")):
                info = sf.info(str(wav))
                assert (info.channels, info.samplerate) == (4, SAMPLE_RATE)
                assert info.frames == int(p.duration * SAMPLE_RATE)
            rows = _read_csv(root / "labels" / f"label_{name}.csv")
            assert rows, name
            for r in rows:
                assert r["File"] == wav_a.name
                assert r["Class"] in CLASSES
                start, end = float(r["Start"]), float(r["End"])
                assert 0 <= start < end <= p.duration
                for key, (lo, hi) in zip("XYZ", COORD_RANGES):
                    assert lo - 1e-9 <= float(r[key]) <= hi + 1e-9
        assert seen_splits == splits
    assert not list(tiny_dataset.rglob("*.tmp*")), "temporary files left behind"
    manifest = json.loads((tiny_dataset / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["preset"] == "tiny"
    assert manifest["params"]["train_clips"] == p.train_clips
    assert len(manifest["clips"]) == p.train_clips + p.dev_clips


def test_train_splits_spread_evenly() -> None:
    specs = gen.plan_clips(get_preset("demo"))
    counts = {s: sum(1 for c in specs if c.split == s) for s in range(5)}
    assert counts == {0: 60, 1: 60, 2: 60, 3: 60, 4: 48}
    ovs = [c.ov for c in specs if c.split == 0]
    assert ovs.count(1) == ovs.count(2) == ovs.count(3) == 20
    assert len({c.name for c in specs}) == len(specs)


def test_overlap_constraint(tiny_dataset: Path) -> None:
    reached = {1: 0, 2: 0, 3: 0}
    for label in tiny_dataset.rglob("label_*.csv"):
        k = int(label.stem.split("_")[2][2:])
        rows = _read_csv(label)
        dur = PRESETS["tiny"].duration
        n_frames = int(round(dur / 0.1))
        # simple 0.1 s frames
        count = np.zeros(n_frames, int)
        # official conversion: round to 0.1 s, interp to frames, inclusive end
        official = np.zeros(n_frames, int)
        per_class = np.zeros((n_frames, len(CLASSES)), int)
        for r in rows:
            s, e = float(r["Start"]), float(r["End"])
            count[int(np.floor(s / 0.1 + 1e-6)) : int(np.ceil(e / 0.1 - 1e-6))] += 1
            f0, f1 = (int(np.interp(round(t / 0.1) * 0.1, (0, dur), (0, n_frames - 1))) for t in (s, e))
            official[f0 : f1 + 1] += 1
            per_class[f0 : f1 + 1, CLASSES.index(r["Class"])] += 1
        assert count.max() <= k and official.max() <= k, label.name
        assert per_class.max() <= 3
        reached[k] += int(count.max() == k)
    assert all(v > 0 for v in reached.values()), reached


# ----------------------------------------------------------------------------- determinism, CLI
def test_cli_same_seed_other_workers_byte_identical(tiny_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    assert cli_main(["synth", str(out), "--preset", "tiny", "--seed", "1", "--workers", "2", "--no-progress"]) == 0
    assert _all_files(out) == _all_files(tiny_dataset)


def test_different_seed_differs(tmp_path: Path) -> None:
    a = gen.synthesize(tmp_path / "a", preset="tiny", seed=5, workers=1, progress=False, **SMALL)
    b = gen.synthesize(tmp_path / "b", preset="tiny", seed=6, workers=1, progress=False, **SMALL)
    fa, fb = _all_files(a), _all_files(b)
    assert fa.keys() == fb.keys()
    wavs = [k for k in fa if k.endswith(".wav")]
    assert all(fa[k] != fb[k] for k in wavs)


# ----------------------------------------------------------------------------- physics
@pytest.mark.parametrize("mic", [0, 1])
def test_ir_direction_matches_label(mic: int) -> None:
    room = RoomConfig()
    bank, _ = load_bank(room, 1.0)
    offset = np.array([0.0, room.mic_spacing * mic, 0.0])
    assert len(bank.positions) == len(grid_points(1.0, room))
    for i in range(0, len(bank.positions), 7):
        foa = bank.irs[i, mic]
        onset = int(np.argmax(np.abs(foa[0]) > 0.3 * np.abs(foa[0]).max()))
        expected_delay = np.linalg.norm(bank.positions[i] - offset) / room.sound_speed * SAMPLE_RATE
        assert abs(onset - expected_delay) < 3
        assert _angle(_intensity_direction(foa, onset), bank.positions[i] - offset) < 10


class _Clicks:
    """A stand-in sound bank: one short click at the event start, so the direct sound is clear."""

    def render(self, cls: str, n: int, rng: np.random.Generator) -> np.ndarray:
        x = np.zeros(n, np.float32)
        x[0] = 1.0
        return x


def test_rendered_clip_direction_matches_label() -> None:
    params = get_preset("tiny", ovs=(1,), snr_db=(60.0, 60.0), level_db=(0.0, 0.0), duration=8.0)
    bank, _ = load_bank(params.room, params.grid_spacing)
    spec = gen.ClipSpec("L3DAS22_Task2_train", 0, 1, 1, 0)
    audio, events, _ = gen.render_clip(spec, params, 3, bank, _Clicks())
    assert len(events) >= 2
    for ev in events:
        xyz = bank.positions[ev.position]
        start = int(round(ev.start * SAMPLE_RATE))
        for mic, offset in ((0, np.zeros(3)), (1, np.array([0.0, 0.2, 0.0]))):
            foa = audio[4 * mic : 4 * mic + 4]
            onset = start + int(np.argmax(np.abs(foa[0, start : start + 800])))
            assert _angle(_intensity_direction(foa, onset), xyz - offset) < 10, (ev, mic)


def test_rt60_in_office_range() -> None:
    bank, _ = load_bank(RoomConfig(), 1.0)
    w = bank.irs[3, 0, 0].astype(np.float64)
    edc = np.cumsum(w[::-1] ** 2)[::-1]
    db = 10 * np.log10(edc / edc[0] + 1e-30)
    t5, t25 = np.argmax(db < -5), np.argmax(db < -25)
    assert 0.3 <= 3 * (t25 - t5) / SAMPLE_RATE <= 0.5


# ----------------------------------------------------------------------------- sounds
def test_procedural_classes_vary_and_differ() -> None:
    bank = ProceduralBank()
    n = int(1.5 * SAMPLE_RATE)
    centroids = {}
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    for cls in CLASSES:
        assert cls in GENERATORS and cls in DURATIONS
        a = bank.render(cls, n, np.random.default_rng(0))
        b = bank.render(cls, n, np.random.default_rng(1))
        assert a.shape == (n,) and a.dtype == np.float32 and np.isfinite(a).all()
        assert np.abs(a).max() > 0 and not np.allclose(a, b)
        spec = np.abs(np.fft.rfft(a)) ** 2
        centroids[cls] = float((spec * freqs).sum() / spec.sum())
    assert centroids["Chink_and_clink"] > 2 * centroids["Knock"]
    assert centroids["Keys_jangling"] > 2 * centroids["Male_speech_and_man_speaking"]


def _make_bank(root: Path, skip: str | None = None, empty: str | None = None) -> Path:
    for i, cls in enumerate(CLASSES):
        if cls == skip:
            continue
        (root / cls).mkdir(parents=True)
        if cls != empty:
            t = np.arange(8000) / 16000
            sf.write(str(root / cls / "a.wav"), 0.3 * np.sin(2 * np.pi * (200 + 100 * i) * t), 16000)
    return root


def test_sound_bank(tmp_path: Path) -> None:
    bank = _make_bank(tmp_path / "bank")
    out = gen.synthesize(
        tmp_path / "out",
        preset="tiny",
        seed=0,
        workers=1,
        progress=False,
        train_clips=1,
        dev_clips=0,
        duration=3.0,
        sound_bank=bank,
        subtype="pcm16",
    )
    assert sf.info(str(out / "L3DAS22_Task2_train" / "data" / "split0_ov1_1_B.wav")).subtype == "PCM_16"
    data = sf.read(str(out / "L3DAS22_Task2_train" / "data" / "split0_ov1_1_A.wav"))[0]
    assert data.shape == (3 * SAMPLE_RATE, 4) and np.abs(data).max() > 0


@pytest.mark.parametrize("problem", ["missing_root", "missing_class", "empty_class"])
def test_sound_bank_errors(tmp_path: Path, problem: str) -> None:
    if problem == "missing_root":
        bank = tmp_path / "nope"
    else:
        bank = _make_bank(
            tmp_path / "bank",
            skip="Knock" if problem == "missing_class" else None,
            empty="Knock" if problem == "empty_class" else None,
        )
    with pytest.raises(DataError, match="Knock|not found"):
        gen.synthesize(tmp_path / "out", preset="tiny", workers=1, progress=False, sound_bank=bank)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs",
    [
        {"preset": "huge"},
        {"train_clips": -1},
        {"train_clips": 0, "dev_clips": 0},
        {"duration": 0.0},
        {"grid_spacing": 0.0},
        {"subtype": "mp3"},
    ],
)
def test_bad_parameters(tmp_path: Path, kwargs: dict) -> None:
    kwargs = {"preset": "tiny", **kwargs}
    with pytest.raises(SeldError):
        gen.synthesize(tmp_path / "out", workers=1, progress=False, **kwargs)


def test_non_empty_out_dir_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "L3DAS22_Task2_train").mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(SeldError, match="overwrite"):
        gen.synthesize(out, preset="tiny", workers=1, progress=False, **SMALL)
    gen.synthesize(out, preset="tiny", workers=1, progress=False, overwrite=True, **SMALL)
    assert (out / "manifest.json").is_file() and (out / "keep.txt").is_file()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["synth", str(tmp_path / "o"), "--preset", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown preset" in err and "\n" not in err
    assert cli_main(["synth", str(tmp_path / "o"), "--train-clips", "0", "--dev-clips", "0"]) == 2


def _schedules(preset: str, seed: int) -> list:
    """Every scheduled event of a preset for one seed, drawn as the generator draws them (no audio)."""
    from seld.data.synth.scenes import schedule_clip

    params = get_preset(preset)
    n_positions = len(grid_points(params.grid_spacing, params.room))
    out = []
    for spec in gen.plan_clips(params):
        scene_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(spec.split, spec.index)).spawn(3)[0])
        out.append((spec, schedule_clip(scene_rng, params, spec.ov, n_positions)))
    return out


@pytest.mark.parametrize(("preset", "digest"), [("tiny", "1093ecc130f78cbf"), ("demo", "25fc0e0237faa41f")])
def test_tiny_and_demo_schedules_unchanged(preset: str, digest: str) -> None:
    """Regression pin: the event schedules of `tiny` and `demo` (seed 0) are those of release 0.1.0, before
    back-to-back events were added for the `l3das22` preset (the audio is a function of the schedule)."""
    import hashlib

    text = repr([events for _, events in _schedules(preset, 0)])
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest


def test_l3das22_preset_has_back_to_back_events() -> None:
    """The `l3das22` preset lets events start where their track's last one ended, so that after the official
    conversion some ov3 frames hold 4 events, as in the real recordings."""
    from seld.data.l3das22 import Event, events_to_slots

    params = get_preset("l3das22")
    assert params.back_to_back_prob > 0 and PRESETS["tiny"].back_to_back_prob == 0
    four = touching = 0
    for _spec, events in _schedules("l3das22", 0)[:60]:
        by_track: dict[int, list] = {}
        for ev in events:
            by_track.setdefault(ev.track, []).append(ev)
        touching += sum(a.end == b.start for evs in by_track.values() for a, b in zip(evs, evs[1:]))
        labels = [Event(e.start, e.end, CLASSES.index(e.cls), 0.0, 0.0, 0.0) for e in events]
        active, _ = events_to_slots(labels, duration=params.duration)
        four += int((active.sum(axis=(1, 2)) == 4).any())
    assert touching > 0 and four > 0
