"""Bad inputs, end to end through the real CLI (``seld.cli.main``) of every command that reads files.

Each bad input gives exit status != 0 and ONE stderr line ``seld <cmd>: error: <file>: <problem>`` (no
traceback), and leaves no output behind: no prediction CSVs, no run folder. Documented warnings (another
sampling rate) are one line too. See docs/reliability.md for the table.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seld.build import build_model
from seld.cli import main
from seld.config import config_to_dict, load_config
from seld.training.module import SELDSystem

SETS = [
    "model.channels=[8,8,16,16]", "model.temporal_heads=2", "model.temporal_ff=32", "model.temporal_layers=1",
    "features.n_mels=32", "model.pools=[[2,2],[2,2],[2,2],[4,1]]", "train.accelerator=cpu", "train.devices='1'",
]
CLIP = "split4_ov1_2"  # the second dev clip of the tiny set: the first one is fine, so partial output would show


def _cfg(*extra: str):
    return load_config("paper", [*SETS, *extra])


def _save_ckpt(path: Path, cfg, mutate: Callable[[dict], None] | None = None) -> Path:
    model = build_model(cfg)
    ckpt = {"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
            "hyper_parameters": {"config": config_to_dict(cfg)}}
    if mutate:
        mutate(ckpt)
    torch.save(ckpt, path)
    return path


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained but complete seld checkpoint (enough for predict: nothing here is about accuracy)."""
    return _save_ckpt(tmp_path_factory.mktemp("ckpt") / "model.ckpt", _cfg())


def _linked_copy(src: Path, dst: Path) -> Path:
    """Copy a dataset as symlinks (cheap); :func:`_put` replaces one file without touching the source."""
    shutil.copytree(src, dst, copy_function=os.symlink)
    return dst


def _put(path: Path, data: bytes | str) -> None:
    path.unlink(missing_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def _wav_bytes(tmp: Path, samples: np.ndarray, sr: int = 32_000) -> bytes:
    f = tmp / "w.wav"
    sf.write(f, samples, sr, subtype="FLOAT")
    out = f.read_bytes()
    f.unlink()
    return out


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], *words: str) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc != 0
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"seld {argv[0]}: error: "), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def _ok(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------------------------------------ audio
def _truncated(tmp: Path, good: bytes) -> bytes:
    return good[: len(good) // 3]


AUDIO_CASES: dict[str, tuple[Callable[[Path, bytes], bytes], str]] = {
    "truncated": (_truncated, "truncated"),
    "garbage": (lambda tmp, good: b"RIFF\x00\x00\x00\x00WAVEnot really a wav" * 3, "cannot read audio"),
    "zero-bytes": (lambda tmp, good: b"", "cannot read audio"),
    "2-channels": (lambda tmp, good: _wav_bytes(tmp, np.zeros((64_000, 2), np.float32)), "2 channels, expected 4"),
    "shorter-than-a-frame": (lambda tmp, good: _wav_bytes(tmp, np.zeros((1000, 4), np.float32)),
                             "shorter than one label frame"),
    "nan-samples": (lambda tmp, good: _wav_bytes(tmp, np.full((64_000, 4), np.nan, np.float32)), "NaN or infinite"),
    "inf-samples": (lambda tmp, good: _wav_bytes(tmp, np.full((64_000, 4), np.inf, np.float32)), "NaN or infinite"),
}


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_predict_bad_audio(case: str, ckpt: Path, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    make, words = AUDIO_CASES[case]
    data = _linked_copy(tiny_dataset / "L3DAS22_Task2_dev", tmp_path / "dev")
    wav = data / "data" / f"{CLIP}_A.wav"
    _put(wav, make(tmp_path, wav.read_bytes()))
    out = tmp_path / "pred"
    _fails(capsys, ["predict", str(ckpt), str(data), "--out", str(out)], str(wav), words)
    assert not out.exists() or not any(out.iterdir())  # nothing written, not even for the good clip


@pytest.mark.parametrize("case", ["truncated", "garbage", "zero-bytes", "shorter-than-a-frame"])
def test_evaluate_and_train_bad_audio(case: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    make, words = AUDIO_CASES[case]
    root = _linked_copy(tiny_dataset, tmp_path / "data")
    wav = root / "L3DAS22_Task2_dev" / "data" / f"{CLIP}_A.wav"
    _put(wav, make(tmp_path, wav.read_bytes()))
    (tmp_path / "pred").mkdir()
    _fails(capsys, ["evaluate", str(tmp_path / "pred"), str(root / "L3DAS22_Task2_dev")], str(wav), words)
    train_wav = root / "L3DAS22_Task2_train" / "data" / "split1_ov1_1_A.wav"
    _put(train_wav, make(tmp_path, train_wav.read_bytes()))
    run = tmp_path / "run"
    _fails(capsys, ["train", "--config", "paper", "--data", str(root), "--out", str(run), "--set", *SETS],
           str(train_wav), words)
    assert not run.exists()


def test_other_sampling_rate_is_a_one_line_warning(ckpt: Path, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    wav = tmp_path / "clip16k.wav"
    sf.write(wav, np.random.default_rng(0).normal(0, 0.01, (16_000, 4)).astype(np.float32), 16_000)
    err = _ok(capsys, ["predict", str(ckpt), str(wav), "--out", str(tmp_path / "pred")])
    assert err.strip() == f"seld predict: warning: {wav}: sampling rate 16000 Hz resampled to 32000 Hz"
    assert (tmp_path / "pred" / "label_clip16k.csv").is_file()


def test_silence_is_valid_input(ckpt: Path, tmp_path: Path, capsys) -> None:
    wav = tmp_path / "split4_ov1_9_A.wav"
    sf.write(wav, np.zeros((32_000, 4), np.float32), 32_000, subtype="FLOAT")
    _ok(capsys, ["predict", str(ckpt), str(wav), "--out", str(tmp_path / "pred")])
    rows = np.loadtxt(tmp_path / "pred" / "label_split4_ov1_9.csv", delimiter=",", ndmin=2)
    assert np.isfinite(rows).all()


def test_empty_folders(ckpt: Path, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _fails(capsys, ["predict", str(ckpt), str(empty), "--out", str(tmp_path / "pred")], str(empty))
    _fails(capsys, ["evaluate", str(empty), str(empty)], str(empty))
    _fails(capsys, ["train", "--config", "paper", "--data", str(empty), "--out", str(tmp_path / "run")], str(empty))
    (empty / "data").mkdir()
    _fails(capsys, ["predict", str(ckpt), str(empty), "--out", str(tmp_path / "pred")], "no splitX_ovK_N_A.wav")
    _fails(capsys, ["evaluate", str(empty / "nothing"), str(empty)], "prediction folder not found")
    assert not (tmp_path / "pred").exists() and not (tmp_path / "run").exists()


# ------------------------------------------------------------------------------------------- label CSVs
HEADER = "File,Start,End,Class,X,Y,Z\n"
LABEL_CASES = {
    "missing-column": ("Start,End,Class,X,Y\n0.0,0.5,Knock,0,0\n", "lacks column(s) Z"),
    "bad-number": (HEADER + "a.wav,0.0,half,Knock,0,0,0\n", "column End is not a number"),
    "unknown-class": (HEADER + "a.wav,0.0,0.5,Trumpet,0,0,0\n", "unknown class 'Trumpet'"),
    "negative-time": (HEADER + "a.wav,-0.5,0.5,Knock,0,0,0\n", "negative time"),
    "end-before-start": (HEADER + "a.wav,1.0,0.5,Knock,0,0,0\n", "is before Start"),
    "far-coordinates": (HEADER + "a.wav,0.0,0.5,Knock,40,0,0\n", "X = 40.0 outside"),
    "nan-coordinate": (HEADER + "a.wav,0.0,0.5,Knock,nan,0,0\n", "not finite"),
    "extra-field": (HEADER + "a.wav,0.0,0.5,Knock,0,0,0,7\n", "more fields than header"),
    "not-utf8": (b"Start,End,Class,X,Y,Z\n\xff\xfe\x00\x81", "not UTF-8"),
    "start-beyond-clip": (HEADER + "a.wav,99.0,99.5,Knock,0,0,0\n", "beyond the clip duration"),
}


@pytest.mark.parametrize("case", sorted(LABEL_CASES))
def test_bad_label_csv_in_evaluate_and_train(case: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    content, words = LABEL_CASES[case]
    root = _linked_copy(tiny_dataset, tmp_path / "data")
    label = root / "L3DAS22_Task2_dev" / "labels" / f"label_{CLIP}.csv"
    _put(label, content)
    (tmp_path / "pred").mkdir()
    _fails(capsys, ["evaluate", str(tmp_path / "pred"), str(root / "L3DAS22_Task2_dev")], str(label), words)
    run = tmp_path / "run"  # the dev labels are read for validation before anything is trained
    _fails(capsys, ["train", "--config", "paper", "--data", str(root), "--out", str(run), "--set", *SETS],
           str(label), words)
    assert not run.exists()


# -------------------------------------------------------------------------------------- prediction CSVs
PRED_CASES = {
    "frame-beyond-clip": ("70,3,0,0,0\n", "frame 70 is beyond the clip (60 frames)"),
    "negative-frame": ("-1,3,0,0,0\n", "not a non-negative integer"),
    "four-columns": ("1,3,0,0\n", "expected 5 columns"),
    "bad-number": ("1,3,x,0,0\n", "column x is not a number"),
    "unknown-class": ("1,14,0,0,0\n", "class '14' is not an integer in 0..13"),
    "inf-coordinate": ("1,3,inf,0,0\n", "not finite"),
    "header-line": ("frame,class,x,y,z\n1,3,0,0,0\n", "not a number"),
}


@pytest.mark.parametrize("case", sorted(PRED_CASES))
def test_bad_prediction_csv(case: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    content, words = PRED_CASES[case]
    pred = tmp_path / "pred"
    pred.mkdir()
    bad = pred / f"label_{CLIP}.csv"
    bad.write_text(content, encoding="utf-8")
    _fails(capsys, ["evaluate", str(pred), str(tiny_dataset / "L3DAS22_Task2_dev"), "--json"], str(bad), words)


def test_evaluate_bad_threshold(tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    _fails(capsys, ["evaluate", str(tmp_path), str(tiny_dataset / "L3DAS22_Task2_dev"), "--threshold", "-1"],
           "--threshold must be positive")


# --------------------------------------------------------------------------------------------- configs
CONFIG_CASES = {
    "unknown-key": ("train:\n  lrr: 0.1\n", "train: unknown key 'lrr'"),
    "wrong-type": ("train:\n  lr: fast\n", "train.lr: expected a number, got 'fast'"),
    "wrong-type-list": ("model:\n  channels: 8\n", "model.channels: expected a list"),
    "bad-choice": ("model:\n  attention: magic\n", "model.attention='magic'"),
    "not-yaml": ("train: [1, 2\n", "invalid YAML"),
    "not-a-mapping": ("- 1\n- 2\n", "must be a YAML mapping"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_bad_config_file(case: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    text, words = CONFIG_CASES[case]
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text, encoding="utf-8")
    run = tmp_path / "run"
    _fails(capsys, ["train", "--config", str(cfg), "--data", str(tiny_dataset), "--out", str(run)], str(cfg), words)
    _fails(capsys, ["model-summary", str(cfg)], str(cfg), words)
    assert not run.exists()


@pytest.mark.parametrize(("override", "words"), [
    ("train.foo=1", "--set: train: unknown key 'foo'"),
    ("train.max_epochs=many", "train.max_epochs: expected an integer"),
    ("train.precision=17-bits", "invalid train settings: Precision '17-bits' is invalid"),
    ("train.strategy=bogus", "invalid train settings"),
    ("nokey", "not of the form key=value"),
])
def test_bad_overrides(override: str, words: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    _fails(capsys, ["train", "--config", "paper", "--data", str(tiny_dataset), "--out", str(run),
                    "--set", *SETS, "data.max_train_clips=1", "data.max_val_clips=1", override], words)
    assert not run.exists()


# ----------------------------------------------------------------------------------------- checkpoints
def _other_model(path: Path) -> Path:
    return _save_ckpt(path, _cfg(), lambda c: c["hyper_parameters"]["config"]["model"].update(channels=[8, 8, 16, 32]))


def _nan_weights(path: Path) -> Path:
    def poison(c: dict) -> None:
        w = next(k for k, v in c["state_dict"].items() if v.is_floating_point())
        c["state_dict"][w] = torch.full_like(c["state_dict"][w], float("nan"))
    return _save_ckpt(path, _cfg(), poison)


CKPT_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "random-bytes": (lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)), "not a PyTorch checkpoint file"),
    "empty-file": (lambda p: p.write_bytes(b""), "not a PyTorch checkpoint file"),
    "text-file": (lambda p: p.write_text("hello\n"), "not a PyTorch checkpoint file"),
    "truncated": (lambda p: p.write_bytes(_save_ckpt(p, _cfg()).read_bytes()[:5000]), "not a readable checkpoint"),
    "plain-state-dict": (lambda p: torch.save(torch.nn.Linear(2, 2).state_dict(), p), "not a seld checkpoint"),
    "list": (lambda p: torch.save([1, 2, 3], p), "not a seld checkpoint"),
    "other-model": (_other_model, "weights do not fit"),
    "bad-config-inside": (lambda p: _save_ckpt(p, _cfg(), lambda c: c["hyper_parameters"]["config"]["train"]
                                               .update(lr="fast")), "checkpoint holds an invalid config"),
    "nan-weights": (_nan_weights, "weights contain NaN or infinite values"),
    "missing": (lambda p: None, "checkpoint file not found"),
}


@pytest.mark.parametrize("case", sorted(CKPT_CASES))
def test_predict_bad_checkpoint(case: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    make, words = CKPT_CASES[case]
    bad = tmp_path / "bad.ckpt"
    make(bad)
    out = tmp_path / "pred"
    _fails(capsys, ["predict", str(bad), str(tiny_dataset / "L3DAS22_Task2_dev"), "--out", str(out)], str(bad), words)
    assert not out.exists()


@pytest.mark.parametrize("case", ["random-bytes", "truncated", "plain-state-dict", "other-run"])
def test_resume_from_bad_checkpoint(case: str, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    last = run / "checkpoints" / "last.ckpt"
    last.parent.mkdir(parents=True)
    if case == "other-run":  # a complete training checkpoint, but of a wider model than the config names
        system = SELDSystem.from_config(_cfg("model.channels=[8,8,16,32]"))
        torch.save({"state_dict": system.state_dict(), "optimizer_states": [], "epoch": 0}, last)
        words = "checkpoint holds another model than the config describes"
    elif case == "plain-state-dict":
        torch.save({"state_dict": {}}, last)
        words = "not a resumable seld training checkpoint"
    else:
        CKPT_CASES[case][0](last)
        words = CKPT_CASES[case][1]
    before = sorted(p.name for p in run.rglob("*"))
    _fails(capsys, ["train", "--config", "paper", "--data", str(tiny_dataset), "--out", str(run), "--resume",
                    "--set", *SETS], str(last), words)
    after = sorted(p.name for p in run.rglob("*") if p.name != ".seld.lock")  # the lock file stays (folder_lock)
    assert after == before  # nothing else added to the run folder


def test_unwritable_output_is_one_line(ckpt: Path, tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder should go\n")
    _fails(capsys, ["predict", str(ckpt), str(tiny_dataset / "L3DAS22_Task2_dev"), "--out", str(blocker / "pred")],
           str(blocker))


@pytest.mark.parametrize(("args", "words"), [
    (["--window", "-1"], "--window and --hop must be positive"),
    (["--hop", "0"], "--window and --hop must be positive"),
    (["--threshold", "2"], "--thresholds is a probability in [0, 1]"),
    (["--thresholds", "high"], "--thresholds must be calibrated | <probability"),
    (["--thresholds", "calibrated"], "holds no calibrated thresholds (run: seld calibrate"),
    (["--device", "bogus"], "invalid --device 'bogus'"),
    pytest.param(["--device", "cuda"], "CUDA is not available",
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")),
])
def test_predict_bad_arguments(args: list[str], words: str, ckpt: Path, tiny_dataset: Path, tmp_path: Path,
                               capsys) -> None:
    out = tmp_path / "pred"
    _fails(capsys, ["predict", str(ckpt), str(tiny_dataset / "L3DAS22_Task2_dev"), "--out", str(out), *args], words)
    assert not out.exists()
