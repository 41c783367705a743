"""PIT loss, SELDnet loss and the fixed/adaptive loss weighting."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from seld.build import build_weighting
from seld.config import load_config
from seld.errors import CheckpointError
from seld.formats import get_format
from seld.losses import (
    PERMUTATIONS,
    AdaptiveLossWeighting,
    FixedLossWeighting,
    pit_loss,
)


def _random_targets(b: int, t: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    sed = torch.zeros(b, t, 3, 14)
    active = torch.rand(b, t, 3, generator=g) < 0.6
    cls = torch.randint(0, 14, (b, t, 3), generator=g)
    sed.scatter_(-1, cls.unsqueeze(-1), active.float().unsqueeze(-1))
    doa = (torch.rand(b, t, 3, 3, generator=g) * 2 - 1) * torch.tensor([2.0, 1.5, 1.0])
    doa = doa * active.unsqueeze(-1)
    return sed, doa


def test_pit_recovers_permuted_copy() -> None:
    b, t = 2, 12
    sed, doa = _random_targets(b, t)
    g = torch.Generator().manual_seed(1)
    perm_idx = torch.randint(0, 6, (b, t), generator=g)
    pred_sed = torch.empty_like(sed)
    pred_doa = torch.empty_like(doa)
    for i in range(b):
        for j in range(t):
            p = PERMUTATIONS[int(perm_idx[i, j])]
            pred_sed[i, j] = sed[i, j, list(p)]
            pred_doa[i, j] = doa[i, j, list(p)]
    logits = pred_sed * 40.0 - 20.0  # +-20 logits
    l_sed, l_doa, perm = pit_loss(logits, pred_doa, sed, doa)
    assert l_sed.item() < 1e-6
    assert l_doa.item() < 1e-10
    # the chosen permutation maps targets back to the predictions (ties only where tracks are equal)
    for i in range(b):
        for j in range(t):
            p = PERMUTATIONS[int(perm[i, j])]
            torch.testing.assert_close(sed[i, j, list(p)], pred_sed[i, j])
            torch.testing.assert_close(doa[i, j, list(p)], pred_doa[i, j])
    # with all tracks distinct, the chosen permutation is the true one
    sed2 = torch.zeros(1, 1, 3, 14)
    sed2[0, 0, 0, 1] = sed2[0, 0, 1, 2] = sed2[0, 0, 2, 3] = 1.0
    doa2 = torch.tensor([[[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]])
    for k, p in enumerate(PERMUTATIONS):
        _, _, perm2 = pit_loss(sed2[:, :, list(p)] * 40 - 20, doa2[:, :, list(p)], sed2, doa2)
        assert int(perm2) == k


@pytest.mark.parametrize("doa_mask", [True, False])
def test_pit_matches_bruteforce(doa_mask: bool) -> None:
    b, t = 2, 7
    sed, doa = _random_targets(b, t, seed=3)
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(b, t, 3, 14, generator=g) * 3
    pred_doa = torch.randn(b, t, 3, 3, generator=g)
    l_sed, l_doa, perm = pit_loss(logits, pred_doa, sed, doa, doa_mask=doa_mask)
    sum_sed = sum_doa = 0.0
    for i in range(b):
        for j in range(t):
            best = None
            for k, p in enumerate(itertools.permutations(range(3))):
                ts, td = sed[i, j, list(p)], doa[i, j, list(p)]
                ls = F.binary_cross_entropy_with_logits(logits[i, j], ts).item()
                err = (pred_doa[i, j] - td) ** 2
                if doa_mask:
                    err = err * (ts.sum(-1, keepdim=True) > 0)
                ld = err.mean().item()
                if best is None or ls + ld < best[0] - 1e-9:
                    best = (ls + ld, ls, ld, k)
            assert best is not None
            sum_sed += best[1]
            sum_doa += best[2]
            assert int(perm[i, j]) == best[3]
    assert l_sed.item() == pytest.approx(sum_sed / (b * t), rel=1e-5)
    assert l_doa.item() == pytest.approx(sum_doa / (b * t), rel=1e-5)


def test_pit_is_differentiable() -> None:
    sed, doa = _random_targets(1, 4)
    logits = torch.zeros(1, 4, 3, 14, requires_grad=True)
    pred = torch.zeros(1, 4, 3, 3, requires_grad=True)
    l_sed, l_doa, _ = pit_loss(logits, pred, sed, doa)
    (l_sed + l_doa).backward()
    assert logits.grad is not None and pred.grad is not None


def test_criterion_of_both_formats() -> None:
    sed, doa = _random_targets(2, 5)
    out = get_format("tracks").criterion()(
        {"sed": torch.zeros(2, 5, 3, 14), "doa": torch.zeros(2, 5, 3, 3)}, {"sed": sed, "doa": doa}
    )
    assert set(out) >= {"l_sed", "l_doa", "perm"} and out["perm"].shape == (2, 5)
    assert out["l_sed"].item() == pytest.approx(math.log(2.0), rel=1e-6)
    crit = get_format("slots").criterion()
    tgt_sed = torch.zeros(2, 5, 42)
    tgt_sed[0, 0, 3] = 1.0
    tgt_doa = torch.full((2, 5, 126), 0.5)
    res = crit({"sed": torch.zeros(2, 5, 42), "doa": torch.zeros(2, 5, 126)}, {"sed": tgt_sed, "doa": tgt_doa})
    assert res["l_sed"].item() == pytest.approx(math.log(2.0), rel=1e-6)
    assert res["l_doa"].item() == pytest.approx(0.25, rel=1e-6)
    with pytest.raises(CheckpointError, match="unknown output format"):
        get_format("bogus")


def test_fixed_weighting() -> None:
    w = FixedLossWeighting(0.8, 0.4)
    total = w.combine(torch.tensor(1.0), torch.tensor(2.0))
    assert total.item() == pytest.approx(1.6)
    w.record(1.0, 2.0)
    w.end_record()
    assert (w.lambda_, w.tau, w.d_sed, w.d_doa, w.a) == (0.8, 0.4, 1.0, 1.0, 1.0)
    w2 = FixedLossWeighting()
    w2.load_state_dict(w.state_dict())
    assert (w2.lambda_, w2.tau) == (0.8, 0.4)
    cfg = load_config(None, ["loss.weighting=fixed", "loss.lambda_sed=0.8", "loss.tau_doa=0.3"])
    w3 = build_weighting(cfg.loss)
    assert isinstance(w3, FixedLossWeighting) and (w3.lambda_, w3.tau) == (0.8, 0.3)


def _feed(w: AdaptiveLossWeighting, sed_vals: list[float], doa_vals: list[float]) -> None:
    for s, d in zip(sed_vals, doa_vals, strict=True):
        w.record(s, d)
    w.end_record()


def test_adaptive_weighting_phases() -> None:
    mu = 0.5
    w = AdaptiveLossWeighting(mu=mu)
    # phase 1: no record yet
    assert (w.lambda_, w.tau, w.d_sed, w.d_doa, w.a) == (0.5, 0.5, 1.0, 1.0, 1.0)
    assert w.combine(torch.tensor(2.0), torch.tensor(4.0)).item() == pytest.approx(3.0)
    w.end_record()  # empty window: ignored
    assert w.n_records == 0

    # record 0: means g_sed=1.0, g_doa=2.0; total = 0.5*1 + 0.5*2 = 1.5
    _feed(w, [0.8, 1.2], [1.5, 2.5])
    assert w.g_total == pytest.approx([1.5])
    # phase 2: lambda = 0.5*1.5/1.0 = 0.75, tau = 0.5*1.5/2.0 = 0.375
    assert w.lambda_ == pytest.approx(0.75)
    assert w.tau == pytest.approx(0.375)
    assert (w.d_sed, w.d_doa, w.a) == (1.0, 1.0, 1.0)
    assert w.combine(torch.tensor(2.0), torch.tensor(4.0)).item() == pytest.approx(0.75 * 2 + 0.375 * 4)

    # record 1: g_sed=0.6, g_doa=1.0; total (eq. 8) = 0.75*0.6 + 0.375*1.0 = 0.825
    _feed(w, [0.5, 0.7], [0.9, 1.1])
    assert w.g_total[-1] == pytest.approx(0.825)
    # phase 3 (eq. 9-12)
    lam, tau = 0.5 * 0.825 / 0.6, 0.5 * 0.825 / 1.0  # 0.6875, 0.4125
    d_sed = (0.6 / 1.0) / (0.825 / 1.5)  # 1.0909...
    d_doa = (1.0 / 2.0) / (0.825 / 1.5)  # 0.9090...
    a = 1.0 / (mu * d_sed + mu * d_doa)  # 1.0
    assert w.lambda_ == pytest.approx(lam)
    assert w.tau == pytest.approx(tau)
    assert w.d_sed == pytest.approx(d_sed)
    assert w.d_doa == pytest.approx(d_doa)
    assert w.a == pytest.approx(a)
    assert w.combine(torch.tensor(2.0), torch.tensor(4.0)).item() == pytest.approx(
        a * (d_sed * lam * 2.0 + d_doa * tau * 4.0), rel=1e-6
    )

    # record 2: g_sed=0.5, g_doa=0.4; total (eq. 11) with the weights in force
    g_total2 = a * (d_sed * lam * 0.5 + d_doa * tau * 0.4)
    _feed(w, [0.5], [0.4])
    assert w.g_total[-1] == pytest.approx(g_total2)
    lam2, tau2 = 0.5 * g_total2 / 0.5, 0.5 * g_total2 / 0.4
    d_sed2 = (0.5 / 0.6) / (g_total2 / 0.825)
    d_doa2 = (0.4 / 1.0) / (g_total2 / 0.825)
    a2 = 1.0 / (mu * d_sed2 + mu * d_doa2)
    assert w.lambda_ == pytest.approx(lam2)
    assert w.tau == pytest.approx(tau2)
    assert w.d_sed == pytest.approx(d_sed2)
    assert w.d_doa == pytest.approx(d_doa2)
    assert w.a == pytest.approx(a2)


def test_adaptive_weighting_auto_window_and_state_roundtrip() -> None:
    import io

    rng = torch.Generator().manual_seed(0)
    vals = (torch.rand(40, 2, generator=rng) + 0.1).tolist()
    w = AdaptiveLossWeighting(mu=0.5, record_window=6)
    for s, d in vals[:21]:  # three closed records plus 3 pending iterations
        w.record(s, d)
    assert w.n_records == 3
    buf = io.BytesIO()
    torch.save({"weighting": w.state_dict()}, buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)["weighting"]
    w2 = AdaptiveLossWeighting()
    w2.load_state_dict(state)
    assert (w2.lambda_, w2.tau, w2.d_sed, w2.d_doa, w2.a) == (w.lambda_, w.tau, w.d_sed, w.d_doa, w.a)
    for s, d in vals[21:]:
        w.record(s, d)
        w2.record(s, d)
        assert (w2.lambda_, w2.tau, w2.d_sed, w2.d_doa, w2.a) == (w.lambda_, w.tau, w.d_sed, w.d_doa, w.a)
    assert w.n_records == w2.n_records == 6
    assert w2.g_total == w.g_total


def test_adaptive_epoch_records_and_build() -> None:
    cfg = load_config(None, [])
    w = build_weighting(cfg.loss)
    assert isinstance(w, AdaptiveLossWeighting) and w.record_window == 0
    w.record(1.0, 1.0)
    assert w.n_records == 0
    w.on_epoch_end()
    assert w.n_records == 1
    w5 = AdaptiveLossWeighting(record_window=5)
    w5.record(1.0, 1.0)
    w5.on_epoch_end()  # windows close themselves: no partial record at epoch end
    assert w5.n_records == 0


def test_adaptive_accepts_detached_tensors() -> None:
    vals = [(0.9, 2.0), (0.7, 1.5), (0.6, 1.4), (0.5, 1.0), (0.45, 0.9), (0.4, 0.7)]
    wf, wt = AdaptiveLossWeighting(record_window=2), AdaptiveLossWeighting(record_window=2)
    for s, d in vals:
        wf.record(s, d)
        wt.record(torch.tensor(s, dtype=torch.float64), torch.tensor(d, dtype=torch.float64))
    assert wt.n_records == 3
    assert wt.g_total == pytest.approx(wf.g_total)
    assert (wt.lambda_, wt.tau, wt.a) == pytest.approx((wf.lambda_, wf.tau, wf.a))
    assert all(isinstance(v, float) for v in wt.state_dict()["g_sed"])
