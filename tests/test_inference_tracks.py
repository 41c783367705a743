import itertools

import numpy as np
import torch

from seld.formats import TrackFormat
from seld.formats.tracks import align_tracks
from seld.inference.events import rows_to_events
from seld.inference.infer import infer_clip, infer_ensemble


def _random_tracks(t=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    sed = torch.zeros(t, 3, 14)
    doa = torch.rand(t, 3, 3, generator=g) * 2 - 1
    for f in range(t):
        for q in range(3):
            if torch.rand(1, generator=g) < 0.7:
                sed[f, q, int(torch.randint(14, (1,), generator=g))] = 0.9
    return sed, doa


def test_alignment_undoes_a_per_frame_permutation():
    sed, doa = _random_tracks()
    perms = list(itertools.permutations(range(3)))
    g = torch.Generator().manual_seed(1)
    chosen = torch.randint(6, (sed.shape[0],), generator=g)
    p = torch.tensor([perms[i] for i in chosen])
    idx = torch.arange(sed.shape[0])[:, None]
    s2, d2 = sed[idx, p], doa[idx, p]
    a_sed, a_doa = align_tracks(sed, doa, s2, d2)
    active = sed.amax(-1) > 0
    assert torch.allclose(a_sed, sed)
    assert torch.allclose(a_doa[active], doa[active])


def test_track_ensemble_beats_plain_average_on_permuted_copies():
    sed, doa = _random_tracks(seed=3)
    swapped = {"sed": sed[:, [1, 2, 0]], "doa": doa[:, [1, 2, 0]]}
    out = TrackFormat().ensemble([{"sed": sed, "doa": doa}, swapped])
    assert torch.allclose(out["sed"], sed)
    plain = (sed + swapped["sed"]) / 2
    assert not torch.allclose(plain, sed)


class _TrackEcho(torch.nn.Module):
    """Stand-in model: one event per frame on a track that depends on the window (to test alignment)."""

    output_format = "tracks"

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.calls = 0

    def forward(self, wave):
        t = wave.shape[-1] // 3200
        frame_level = wave[:, 0].reshape(wave.shape[0], t, 3200).mean(-1)  # (B, T)
        q = self.calls % 3
        self.calls += 1
        sed = torch.full((wave.shape[0], t, 3, 14), -20.0)
        sed[:, :, q, 5] = 20.0
        doa = torch.zeros(wave.shape[0], t, 3, 3)
        doa[:, :, q, 0] = frame_level
        return {"sed": sed, "doa": doa}


def test_windowed_inference_covers_the_clip_and_aligns_windows():
    n_frames = 95
    ramp = torch.linspace(-1, 1, n_frames).repeat_interleave(3200)
    wave = torch.stack([ramp, ramp, ramp, ramp])[:, : n_frames * 3200 - 1000]  # not a whole frame count
    model = _TrackEcho()
    out = infer_clip(model, wave, window_s=3.0, hop_s=1.0)
    assert out["sed"].shape == (n_frames, 3, 14) and out["doa"].shape == (n_frames, 3, 3)
    assert model.calls > 3
    # every frame: one track carries class 5 with probability ~1 despite windows using different tracks
    assert torch.allclose(out["sed"][..., 5].amax(-1), torch.ones(n_frames), atol=1e-6)
    assert (out["sed"][..., 5] > 0.5).sum(-1).eq(1).all()
    one_pass = infer_clip(_TrackEcho(), wave, window_s=None)
    assert torch.allclose(one_pass["doa"].amax(-1).amax(-1)[:80], out["doa"].amax(-1).amax(-1)[:80], atol=1e-5)


class _FixedTracks(torch.nn.Module):
    """Stand-in model: fixed random track posteriors, optionally with its tracks permuted per frame."""

    output_format = "tracks"

    def __init__(self, n_frames: int, perm: torch.Tensor | None = None, doa_offset: float = 0.0):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        sed, doa = _random_tracks(n_frames, seed=7)
        logits = torch.where(sed > 0, torch.tensor(3.0), torch.tensor(-3.0))
        doa = doa + doa_offset
        if perm is not None:
            idx = torch.arange(n_frames)[:, None]
            logits, doa = logits[idx, perm], doa[idx, perm]
        self.logits, self.doa = logits, doa

    def forward(self, wave):
        return {"sed": self.logits[None].expand(wave.shape[0], -1, -1, -1),
                "doa": self.doa[None].expand(wave.shape[0], -1, -1, -1)}


def test_ensemble_aligns_a_model_whose_tracks_are_permuted():
    n = 20
    wave = torch.randn(4, n * 3200)
    perms = list(itertools.permutations(range(3)))
    chosen = torch.randint(6, (n,), generator=torch.Generator().manual_seed(5))
    perm = torch.tensor([perms[i] for i in chosen])
    assert len(set(chosen.tolist())) > 1  # several different permutations over the frames
    first = _FixedTracks(n)
    second = _FixedTracks(n, perm=perm, doa_offset=0.1)  # same events on other tracks, DOA shifted 0.1
    alone = infer_clip(first, wave, window_s=None)
    both = infer_ensemble([first, second], wave, window_s=None)
    # aligned: the SED posteriors are those of the first model, the DOA the mean of 0 and +0.1 shifts
    assert torch.allclose(both["sed"], alone["sed"], atol=1e-6)
    active = alone["sed"].amax(-1) > 0.5
    assert torch.allclose(both["doa"][active], alone["doa"][active] + 0.05, atol=1e-5)
    # without alignment the plain average would mix different events on each track
    plain = (alone["sed"] + infer_clip(second, wave, window_s=None)["sed"]) / 2
    assert not torch.allclose(plain, alone["sed"], atol=1e-3)


def test_rows_to_events_links_frames():
    rows = np.array(
        [[f, 3, 1.0, 0.0, 0.0] for f in range(10, 20)]
        + [[f, 3, -1.5, 0.5, 0.0] for f in range(12, 15)]
        + [[f, 7, 0.0, 1.0, 0.5] for f in range(30, 33)],
        dtype=float,
    )
    events = rows_to_events(rows)
    spans = [(e["onset"], e["offset"], e["class_index"]) for e in events]
    assert spans == [(1.0, 2.0, 3), (1.2, 1.5, 3), (3.0, 3.3, 7)]
    assert events[1]["x"] == -1.5 and events[2]["class"] == "Knock"
    assert rows_to_events(np.zeros((0, 5))) == []
