"""The streaming engine (seld.inference.stream): exact where the network allows it, the bounded-context
computation it states elsewhere, track identities kept between frames, ensembles, events, confidences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import TINY_MODEL
from seld.build import build_model
from seld.config import config_to_dict, load_config
from seld.errors import SeldError
from seld.formats import get_format
from seld.inference.events import rows_to_events
from seld.inference.infer import infer_clip
from seld.inference.stream import (
    BlockStreamer,
    EventLinker,
    StreamEngine,
    StreamOptions,
    TorchStages,
    WindowStreamer,
    row_confidences,
)
from seld.inference.stream.stages import CnnStage, TemporalStage, check_streamable, local_part

BLOCK = 3200


def tiny_model(extra: list[str] | None = None, config: str = "demo", seed: int = 0) -> torch.nn.Module:
    overrides = [o for o in TINY_MODEL if not o.startswith("train.")] if config == "demo" else []
    cfg = load_config(config, overrides + (extra or []))
    torch.manual_seed(seed)
    model = build_model(cfg).eval()
    if getattr(model, "uses_feature_stats", False):  # statistics of noise, so that activations are moderate
        wave = torch.from_numpy(audio(2.0, channels=model.in_channels, seed=99))[None]
        with torch.inference_mode():
            f = model.frontend(wave)[0]
        model.set_feature_stats(f.mean(dim=1), f.std(dim=1).clamp(min=1e-3))
    return model


def save_checkpoint(model: torch.nn.Module, cfg_name: str, extra: list[str] | None, path) -> None:
    overrides = [o for o in TINY_MODEL if not o.startswith("train.")] if cfg_name == "demo" else []
    cfg = load_config(cfg_name, overrides + (extra or []))
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "hyper_parameters": {"config": config_to_dict(cfg)}}, path)


def audio(seconds: float, channels: int = 4, seed: int = 0) -> np.ndarray:
    """Noise with a few tones switching on and off (not silence, not white noise only)."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * 32000))
    t = np.arange(n) / 32000
    x = 0.05 * rng.standard_normal((channels, n))
    for f in (500.0, 2000.0):
        x += 0.2 * rng.uniform(-1, 1, (channels, 1)) * np.sin(2 * np.pi * f * t) * (np.sin(2 * np.pi * t / 0.7) > 0)
    return x.astype(np.float32)


def run_streamer(streamer, wave: np.ndarray) -> dict[int, dict[str, np.ndarray]]:
    out = []
    for i in range(0, wave.shape[1], BLOCK):
        out += streamer.push(wave[:, i : i + BLOCK])
    out += streamer.finish()
    frames = [f for f, _ in out]
    assert frames == list(range(wave.shape[1] // BLOCK)), frames
    return dict(out)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: on a shared 2-core machine, two OpenMP threads competing with other processes are
    up to 20x slower for these tiny models."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model():
    return tiny_model()


def test_unbounded_stream_is_the_offline_model(model):
    """With a context, CNN window and look-ahead covering the clip, the stream computes model.forward exactly:
    the incremental front end (history, reflect padding, provisional last frame) and the cached local
    convolutions are exact."""
    wave = audio(2.37)
    T = -(-wave.shape[1] // BLOCK)
    engine = StreamEngine([BlockStreamer(TorchStages(model), T + 1, T + 1, T)], model.output_format, 0.5, 4)
    frames = engine.push(wave[:, :5000]) + engine.push(wave[:, 5000:]) + engine.finish()
    assert [f.index for f in frames] == list(range(T))
    assert engine.stats.padded_samples == T * BLOCK - wave.shape[1]
    ref = infer_clip(model, torch.from_numpy(wave), window_s=None)
    for key in ("sed", "doa"):
        got = torch.cat([f.posteriors[key] for f in frames])
        torch.testing.assert_close(got, ref[key], atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("extra", [["model.head=multi_accdoa"], ["data.mics=2"]])
def test_unbounded_stream_of_other_heads_and_two_microphones(extra):
    """The stream runs the model's own head (Multi-ACCDOA: 13 classes, vectors and distances) and takes
    two microphones (8 channels)."""
    model = tiny_model(extra)
    wave = audio(1.2, channels=model.in_channels, seed=8)
    T = wave.shape[1] // BLOCK
    got = run_streamer(BlockStreamer(TorchStages(model), T + 1, T + 1, T), wave)
    with torch.inference_mode():
        ref = model(torch.from_numpy(wave)[None])
    assert set(got[0]) == set(ref)
    for key in ref:
        np.testing.assert_allclose(np.stack([got[f][key] for f in range(T)]), ref[key][0].numpy(), atol=2e-5)


def reference_stream(model, wave: np.ndarray, cnn: int, context: int, lookahead: int) -> dict[int, dict]:
    """The bounded-context computation the stream states, by brute force from the offline modules: for each
    block k, features and first-block local convolutions of the audio received so far (offline), the CNN
    over the window of the last ``cnn`` frames, frame t = k - lookahead's embedding frozen, attention over
    the last ``context`` frames (frozen embeddings up to t, this block's after), output at t."""
    T = wave.shape[1] // BLOCK
    spf = 8
    frozen: dict[int, list[torch.Tensor]] = {}
    out: dict[int, dict] = {}
    cnn_stage, temporal = CnnStage(model), TemporalStage(model)
    with torch.inference_mode():
        for k in range(T):
            feats = model.features(torch.from_numpy(wave[:, : (k + 1) * BLOCK])[None])
            ones = torch.ones(1, 1, feats.shape[2], 1)
            loc_s = local_part(model.sed_blocks[0].body, feats[:, : model.sed_in_channels], ones)
            loc_d = local_part(model.doa_blocks[0].body, feats, ones)
            w0 = max(0, k + 1 - cnn)
            emb = cnn_stage(loc_s[:, :, w0 * spf :], loc_d[:, :, w0 * spf :])
            t = k - lookahead
            if t >= 0:
                frozen[t] = [e[0, t - w0] for e in emb]
            start = max(0, k + 1 - context)
            ctx = [torch.stack([frozen[f][i] if f <= t else emb[i][0, f - w0] for f in range(start, k + 1)])[None]
                   for i in range(2)]
            raw = temporal(*ctx)
            frames = range(t, t + 1) if t >= 0 else range(0)
            if k == T - 1:
                frames = range(max(t, 0), k + 1)
            for f in frames:
                out[f] = {key: v[0, f - start].numpy() for key, v in raw.items()}
    return out


@pytest.mark.parametrize(("cnn", "context", "lookahead"), [(4, 6, 2), (3, 3, 0), (2, 7, 1)])
def test_stream_is_the_stated_bounded_context_computation(model, cnn, context, lookahead):
    wave = audio(2.5, seed=1)
    got = run_streamer(BlockStreamer(TorchStages(model), cnn, context, lookahead), wave)
    ref = reference_stream(model, wave, cnn, context, lookahead)
    assert sorted(got) == sorted(ref)
    for f in ref:
        for key in ref[f]:
            np.testing.assert_allclose(got[f][key], ref[f][key], atol=2e-5, rtol=1e-4)


def test_embeddings_exact_without_ctam():
    """Without CTAM (whose time branch pools over the whole input) the CNN is local: with a look-ahead and a
    window covering its receptive field (+-~9.4 label frames), each frozen embedding is the offline one."""
    model = tiny_model(["model.attention=mfm"])
    assert check_streamable(model) is None
    wave = audio(3.2, seed=2)
    T = wave.shape[1] // BLOCK
    streamer = BlockStreamer(TorchStages(model), cnn_frames=22, context_frames=T + 12, lookahead=11)
    run_streamer(streamer, wave)
    with torch.inference_mode():
        x = model.features(torch.from_numpy(wave)[None])
        emb = CnnStage(model)(local_part(model.sed_blocks[0].body, x[:, : model.sed_in_channels], torch.ones(1)),
                              local_part(model.doa_blocks[0].body, x, torch.ones(1)))
    frozen = streamer.frozen[0]  # frames 0 .. T-1-11
    assert len(frozen) == T - 11
    np.testing.assert_allclose(frozen, emb[0][0, : T - 11].numpy(), atol=2e-5, rtol=1e-4)


class _Permuting:
    """A streamer whose track order changes every frame (what a track-wise network may do between blocks)."""

    def __init__(self, inner, seed: int = 0) -> None:
        self.inner = inner
        self.rng = np.random.default_rng(seed)

    def _permute(self, emitted):
        out = []
        for f, raw in emitted:
            perm = self.rng.permutation(3)
            out.append((f, {k: v[perm] for k, v in raw.items()}))
        return out

    def push(self, block):
        return self._permute(self.inner.push(block))

    def finish(self):
        return self._permute(self.inner.finish())


def test_track_identities_are_kept_between_frames_and_in_ensembles(model):
    wave = audio(2.0, seed=3)

    def stream(streamers):
        engine = StreamEngine(streamers, "tracks", 0.5, 4)
        frames = engine.push(wave) + engine.finish()
        return frames

    plain = stream([BlockStreamer(TorchStages(model), 4, 10, 1)])
    permuted = stream([_Permuting(BlockStreamer(TorchStages(model), 4, 10, 1))])
    # every frame is aligned to the one before, so the permuted stream is the plain one with frame 0's
    # track order throughout (track identities do not change from block to block)
    a0, b0 = plain[0].posteriors["sed"][0].numpy(), permuted[0].posteriors["sed"][0].numpy()
    first = [int(np.argmin([np.abs(b0[i] - a0[j]).sum() for j in range(3)])) for i in range(3)]
    assert sorted(first) == [0, 1, 2]
    for a, b in zip(plain, permuted, strict=True):
        np.testing.assert_array_equal(np.sort(a.rows, axis=0), np.sort(b.rows, axis=0))
        torch.testing.assert_close(b.posteriors["sed"][0], a.posteriors["sed"][0][first])
        torch.testing.assert_close(b.posteriors["doa"][0], a.posteriors["doa"][0][first])
    # an ensemble of a model with itself (one copy permuted) is the model (after alignment)
    both = stream([BlockStreamer(TorchStages(model), 4, 10, 1),
                   _Permuting(BlockStreamer(TorchStages(model), 4, 10, 1))])
    for a, b in zip(plain, both, strict=True):
        np.testing.assert_allclose(np.sort(a.rows, axis=0), np.sort(b.rows, axis=0), atol=1e-5)


def test_window_streamer_runs_other_networks():
    """SELDnet (slot output, BiGRU) streams with the whole model over the context each block."""
    model = tiny_model(config="seldnet_demo")
    assert check_streamable(model) is not None
    wave = audio(1.6, seed=4)
    T = wave.shape[1] // BLOCK
    got = run_streamer(WindowStreamer(model, T, T - 1, 4), wave)
    with torch.inference_mode():
        ref = model(torch.from_numpy(wave)[None])
    for f in range(T):
        np.testing.assert_allclose(got[f]["sed"], ref["sed"][0, f].numpy(), atol=1e-5)
    short = run_streamer(WindowStreamer(model, 4, 1, 4), wave)
    with torch.inference_mode():
        ref = model(torch.from_numpy(wave[:, 6 * BLOCK : 10 * BLOCK])[None])  # frame 8 seen from block 9
    np.testing.assert_allclose(short[8]["sed"], ref["sed"][0, 2].numpy(), atol=1e-5)


def test_event_linker_lists_the_offline_events():
    rng = np.random.default_rng(5)
    rows = []
    for frame in range(60):
        for cls in (1, 4, 7):
            if (frame // (5 + cls)) % 2 == 0:
                jump = rng.normal(0, 0.05 if frame % 17 else 2, 3)  # a jump now and then starts a new event
                rows.append([frame, cls, *(np.array([cls / 5, 0.3, 0.1]) + jump)])
    rows = np.asarray(rows)
    linker = EventLinker()
    lines = []
    for frame in range(60):
        here = rows[rows[:, 0] == frame]
        lines += linker.update(frame, here, [0.9] * len(here))
    lines += linker.close()
    offsets = sorted((e["onset"], e["class_index"], e["offset"], e["x"], e["y"], e["z"])
                     for e in lines if e["event"] == "offset")
    offline = sorted((e["onset"], e["class_index"], e["offset"], e["x"], e["y"], e["z"]) for e in rows_to_events(rows))
    assert offsets == offline
    assert sum(e["event"] == "onset" for e in lines) == len(offline)


def test_row_confidences_are_the_sed_probabilities():
    fmt = get_format("tracks")
    rng = np.random.default_rng(6)
    post = {"sed": torch.from_numpy(rng.uniform(0, 1, (1, 3, 14)).astype(np.float32)),
            "doa": torch.from_numpy(rng.uniform(-1, 1, (1, 3, 3)).astype(np.float32))}
    rows = fmt.decode(post, 0.5)
    conf = row_confidences(fmt, post, rows, 0.5)
    sed = post["sed"][0].numpy()
    expected = [float(sed[np.argmin(np.abs(post["doa"][0].numpy() - r[2:]).sum(1)), int(r[1])]) for r in rows]
    np.testing.assert_allclose(conf, expected, atol=2e-4)


def test_options_are_checked():
    with pytest.raises(SeldError, match="look-ahead"):
        StreamOptions(context=5.0, cnn_window=0.2, lookahead=2).check()
    with pytest.raises(SeldError, match="context"):
        StreamOptions(context=0.2, cnn_window=1.2, lookahead=2).check()
    assert StreamOptions(lookahead=2).latency_s == pytest.approx(0.3)
