"""Shapes and behaviour of the blocks, the cross-stitch network and the SELDnet baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.build import build_model
from seld.config import ExperimentConfig, load_config
from seld.models import count_parameters
from seld.models.blocks import ATTENTIONS, CTAM, MFM, AttentiveMFM, ConvBlock
from seld.models.cross_stitch import CrossStitch
from seld.models.temporal import BiGRUTemporal, TransformerTemporal

SR = 32_000
SMALL = [
    "model.channels=[16,32,64,64]",
    "model.temporal_layers=1",
    "model.temporal_heads=4",
    "model.temporal_ff=128",
]


def small_cfg(*extra: str) -> ExperimentConfig:
    return load_config(None, [*SMALL, *extra])


def wave(b: int, mics: int, seconds: float = 2.0, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 4 * mics, int(seconds * SR), generator=g) * 0.1


def test_mfm_is_max_of_halves() -> None:
    x = torch.randn(2, 6, 5, 4)
    y = MFM()(x)
    assert y.shape == (2, 3, 5, 4)
    torch.testing.assert_close(y, torch.maximum(x[:, :3], x[:, 3:]))
    assert AttentiveMFM(3)(x).shape == (2, 3, 5, 4)


def test_ctam_shape_and_bounds() -> None:
    ctam = CTAM().eval()
    x = torch.randn(2, 8, 10, 6)
    y = ctam(x)
    assert y.shape == x.shape
    # each branch scales x by a gate in (0, 1): the average keeps sign and does not exceed |x|
    assert torch.all(y.abs() <= x.abs() + 1e-6)
    assert torch.all((y * x) >= 0)


@pytest.mark.parametrize(("branch", "pooled_dim"), [("ctf", 1), ("tcf", 2), ("ftc", 3)])
def test_ctam_each_branch_gates_along_its_own_axes(branch: str, pooled_dim: int) -> None:
    """Eq. 2's three rotations: the channel branch's gate is a (T, F) map shared by all channels, the time
    branch's a (C, F) map shared by all frames, the frequency branch's a (T, C) map shared by all bins.
    With the two other branches replaced by identities, ``3 y / x - 2`` is the branch's gate."""
    torch.manual_seed(0)
    ctam = CTAM().eval()
    for name in ("ctf", "tcf", "ftc"):
        if name != branch:
            setattr(ctam, name, torch.nn.Identity())
    x = torch.rand(2, 6, 10, 8) + 0.5  # positive: the gate can be read back by division
    with torch.no_grad():
        gate = 3 * ctam(x) / x - 2
    assert torch.all((gate > 0) & (gate < 1))
    assert torch.allclose(gate, gate.mean(dim=pooled_dim, keepdim=True).expand_as(gate), atol=1e-5)
    for dim in {1, 2, 3} - {pooled_dim}:  # and it does vary along the two axes it attends over
        assert gate.std(dim=dim).mean() > 1e-3


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_conv_block_shapes(attention: str) -> None:
    block = ConvBlock(3, 8, attention)
    y = block(torch.randn(2, 3, 12, 16))
    assert y.shape == (2, 8, 12, 16)


def test_conv_block_rejects_unknown() -> None:
    with pytest.raises(ValueError):
        ConvBlock(3, 8, "bogus")


def test_cross_stitch_identity_and_mixing() -> None:
    sed, doa = torch.randn(2, 4, 5, 3), torch.randn(2, 4, 5, 3)
    ident = CrossStitch(4, (1.0, 0.0))
    s, d = ident(sed, doa)
    torch.testing.assert_close(s, sed)
    torch.testing.assert_close(d, doa)
    cs = CrossStitch(4, (0.9, 0.1))
    with torch.no_grad():
        cs.weight[0, 1, 2] = 0.3  # a_D of channel 2
    s, d = cs(sed, doa)
    torch.testing.assert_close(s[:, 2], 0.9 * sed[:, 2] + 0.3 * doa[:, 2])
    torch.testing.assert_close(s[:, 0], 0.9 * sed[:, 0] + 0.1 * doa[:, 0])
    torch.testing.assert_close(d, 0.1 * sed + 0.9 * doa)
    seq = CrossStitch(4, (0.9, 0.1), dim=-1)
    a, b = torch.randn(2, 7, 4), torch.randn(2, 7, 4)
    with torch.no_grad():
        seq.weight[1, 1, 3] = 2.0  # b_S of channel 3
    s, d = seq(a, b)
    torch.testing.assert_close(d[..., 3], 0.1 * a[..., 3] + 2.0 * b[..., 3])


@pytest.mark.parametrize("module", ["transformer", "bigru"])
def test_temporal_modules(module: str) -> None:
    m = TransformerTemporal(16, 2, 4, 32, 0.0) if module == "transformer" else BiGRUTemporal(16, 2, 0.0)
    s, d = m(torch.randn(2, 9, 16), torch.randn(2, 9, 16))
    assert s.shape == d.shape == (2, 9, 16)
    assert len(m.stitches) == 1


def check_tracks(out: dict[str, torch.Tensor], b: int, t: int) -> None:
    assert out["sed"].shape == (b, t, 3, 14)
    assert out["doa"].shape == (b, t, 3, 3)
    assert torch.all(out["doa"].abs() <= 2.0)
    assert torch.isfinite(out["sed"]).all()


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_crossstitch_attention_variants(attention: str) -> None:
    model = build_model(small_cfg(f"model.attention={attention}")).eval()
    assert model.output_format == "tracks"
    with torch.no_grad():
        check_tracks(model(wave(2, 1)), 2, 20)


@pytest.mark.parametrize(
    ("mics", "temporal", "sed_input"),
    [(1, "transformer", "all"), (2, "transformer", "logmel"), (1, "bigru", "logmel"), (2, "bigru", "all")],
)
def test_crossstitch_mics_temporal(mics: int, temporal: str, sed_input: str) -> None:
    cfg = small_cfg(
        f"data.mics={mics}", f"model.temporal={temporal}", f"model.sed_input={sed_input}", "model.temporal_layers=2"
    )
    model = build_model(cfg).eval()
    assert model.sed_in_channels == (4 * mics if sed_input == "logmel" else 7 * mics)
    with torch.no_grad():
        check_tracks(model(wave(1, mics, 1.6)), 1, 16)


def test_crossstitch_frames_follow_input_length() -> None:
    model = build_model(small_cfg()).eval()
    n = 3 * 3200 + 1234  # a partial label frame at the end is dropped
    with torch.no_grad():
        out = model(torch.randn(1, 4, n))
    assert out["sed"].shape[1] == n // 400 // 8 == 3


def test_feature_stats_and_channels_last() -> None:
    model = build_model(small_cfg()).eval()
    x = wave(2, 1)
    with torch.no_grad():
        ref = model(x)
        c = model.frontend.out_channels
        model.set_feature_stats(torch.full((c, 128), 1.0), torch.full((c, 128), 2.0))
        changed = model(x)
        assert not torch.allclose(ref["sed"], changed["sed"])
        cl = model.to(memory_format=torch.channels_last)
        out_cl = cl(x)
    torch.testing.assert_close(out_cl["sed"], changed["sed"], rtol=1e-4, atol=1e-4)


def test_identity_cross_stitch_keeps_branches_apart() -> None:
    """With cross-stitch initialised to [1, 0] the SED output does not depend on the DOA branch."""
    model = build_model(small_cfg("model.cross_stitch_init=[1.0,0.0]", "model.temporal_layers=2"))
    model.eval()
    out = model(wave(1, 1, 1.0))
    out["sed"].sum().backward()
    doa_grads = [p.grad for p in model.doa_blocks.parameters()] + [
        p.grad for p in model.temporal.doa_layers.parameters()
    ]
    assert all(g is None or torch.count_nonzero(g) == 0 for g in doa_grads)
    sed_grads = [p.grad for p in model.sed_blocks.parameters()]
    assert any(g is not None and torch.count_nonzero(g) > 0 for g in sed_grads)


def test_small_model_learns_fixed_batch() -> None:
    from seld.formats import get_format
    from seld.losses import FixedLossWeighting

    torch.manual_seed(0)
    cfg = small_cfg("model.dropout=0.0")
    model = build_model(cfg)
    x = wave(2, 1, 1.0, seed=5)
    t = 10
    sed = torch.zeros(2, t, 3, 14)
    sed[0, :5, 0, 3] = 1.0
    sed[1, 3:, 1, 7] = 1.0
    sed[1, :, 2, 1] = 1.0
    doa = torch.zeros(2, t, 3, 3)
    doa[0, :5, 0] = torch.tensor([1.0, -0.5, 0.3])
    doa[1, 3:, 1] = torch.tensor([-1.5, 1.0, -0.2])
    doa[1, :, 2] = torch.tensor([0.4, 0.4, 0.8])
    targets = {"sed": sed, "doa": doa}
    crit = get_format(model.output_format).criterion(doa_mask=cfg.loss.doa_mask)
    weighting = FixedLossWeighting(1.0, 1.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        res = crit(model(x), targets)
        loss = weighting.combine(res["l_sed"], res["l_doa"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_seldnet_shapes_and_frontend() -> None:
    import scipy.signal as scipy_signal
    for mics in (1, 2):
        model = build_model(load_config(None, ["model.name=seldnet", f"data.mics={mics}"])).eval()
        assert model.output_format == "slots"
        x = wave(1, mics, 1.6)
        with torch.no_grad():
            out = model(x)
        assert out["sed"].shape == (1, 16, 42)
        assert out["doa"].shape == (1, 16, 126)
        assert torch.all(out["doa"].abs() <= 1.0)
        model.set_feature_stats(torch.zeros(1), torch.ones(1))  # no-op
    # frontend equals scipy's STFT magnitude (hamming 512, hop 400), DC bin and last frame dropped
    x = wave(1, 1, 0.5, seed=2)
    with torch.no_grad():
        mag = model.frontend.__class__(4)(x)[0].double().numpy()  # (4, T, 256)
    _, _, z = scipy_signal.stft(x[0].double().numpy(), nperseg=512, noverlap=112, window="hamming")
    ref = np.abs(z)[:, 1:, :-1].transpose(0, 2, 1)
    assert mag.shape == ref.shape == (4, 40, 256)
    np.testing.assert_allclose(mag, ref, rtol=1e-4, atol=1e-6)


def test_full_config_parameter_count() -> None:
    # the paper's network (1 mic, default config) as built here: 27.2 M parameters (`seld model-summary paper`);
    # the bounds catch a layer added, dropped or resized by mistake
    with torch.device("meta"):
        model = build_model(load_config(None, []))
    assert 26_000_000 < count_parameters(model) < 28_500_000


def test_model_summary_command(capsys: pytest.CaptureFixture[str]) -> None:
    from seld.cli import main

    rc = main(["model-summary", "--set", *SMALL, "--measure-seconds", "0.4"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "trainable parameters" in text and "forward GFLOPs" in text and "sed_blocks.0" in text
