"""``seld predict`` reads its inputs in blocks: the same rows as the whole-file path (windows, alignment,
ensembles, resampling), and audio is read only as far as the current window needs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf
import torch

from seld.data.audio import read_wav
from seld.data.foa import from_acn_sn3d
from seld.formats import get_format
from seld.inference.infer import infer_ensemble
from seld.inference.predict import PredictInput, predict_rows, read_input
from seld.inference.stream.blockwise import blockwise_posteriors
from seld.inference.stream.sources import wav_blocks
from test_stream import audio, one_thread, tiny_model  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def models():
    return [tiny_model(seed=1), tiny_model(seed=2)]


@pytest.mark.parametrize(("rate", "window", "hop"), [(32000, 2.0, 0.7), (48000, 2.0, None), (32000, 30.0, None)])
def test_blockwise_rows_equal_the_whole_file_path(models, tmp_path, rate, window, hop):
    path = tmp_path / "clip.wav"
    x = audio(7.33, seed=5)
    if rate != 32000:
        x = audio(7.33 * rate / 32000, seed=5)
    sf.write(str(path), x.T, rate, subtype="FLOAT")
    item = PredictInput("clip", path, None)
    fmt = get_format(models[0].output_format)
    for ms in (models[:1], models):
        with warnings.catch_warnings():  # the resampling warning (tested elsewhere)
            warnings.simplefilter("ignore", UserWarning)
            old = fmt.decode(infer_ensemble(ms, torch.from_numpy(read_input(item, 1)), window, hop), 0.5)
            new = predict_rows(ms, item, 1, "acn_sn3d", 0.5, window, hop, block=5000)
        assert len(old) > 0
        np.testing.assert_array_equal(new, old)


def test_two_microphones_are_read_in_lockstep(tmp_path):
    model = tiny_model(["data.mics=2"])
    for mic, seed in (("A", 20), ("B", 21)):
        sf.write(str(tmp_path / f"c_{mic}.wav"), audio(3.41, seed=seed).T, 32000, subtype="FLOAT")
    item = PredictInput("c", tmp_path / "c_A.wav", tmp_path / "c_B.wav")
    old = get_format(model.output_format).decode(
        infer_ensemble([model], torch.from_numpy(read_input(item, 2)), 1.0, 0.4), 0.5)
    new = predict_rows([model], item, 2, "acn_sn3d", 0.5, 1.0, 0.4, block=2500)
    assert len(old) > 0
    np.testing.assert_array_equal(new, old)


@pytest.mark.parametrize("rate", [32000, 44100])
def test_wav_blocks_are_read_wav(tmp_path, rate):
    path = tmp_path / "x.wav"
    x = from_acn_sn3d(audio(1.3, seed=6), "fuma")
    sf.write(str(path), x.T, rate, subtype="FLOAT")
    with pytest.warns(UserWarning) if rate != 32000 else _nothing():
        whole = read_wav(path, foa_format="fuma")
    with pytest.warns(UserWarning, match="resampled") if rate != 32000 else _nothing():
        blocks = np.concatenate(list(wav_blocks(path, foa_format="fuma", block=3001)), axis=1)
    np.testing.assert_array_equal(blocks, whole)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_audio_is_read_only_as_far_as_the_window_needs(models):
    """Memory independent of the length: with 2 s windows, the first stretch of frames is out after about
    one window of audio has been read, whatever the recording's length."""
    read = []

    def chunks():
        for i in range(60):  # 60 s in 1 s chunks
            read.append(i)
            yield audio(1.0, seed=i)

    it = blockwise_posteriors(models[:1], chunks(), 60 * 32000, 4, window_s=2.0)
    first, post = next(it)
    assert first == 0 and post["sed"].shape[0] == 10  # frames before the second window's start
    assert len(read) <= 3
    total = 10 + sum(p["sed"].shape[0] for _, p in it)
    assert total == 600 and len(read) == 60
