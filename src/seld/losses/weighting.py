"""Weighting of the SED and DOA losses: fixed {lambda, tau} (paper Table 2) or adaptive (eq. 8-13).

Both classes share one interface, used by the training loop:

* ``combine(l_sed, l_doa) -> total``: the weights are Python floats, i.e. constants for the gradient,
  and no host synchronisation happens.
* ``record(l_sed, l_doa)``: call every iteration with detached Python floats, or detached 0-d tensors
  (accumulated on their device: no host sync until the record closes).
* ``end_record()``: close the current loss record. With ``record_window > 0`` records close themselves
  every ``record_window`` calls of ``record``; with 0 (one epoch) the loop calls ``end_record()`` at
  the end of each training epoch, or ``on_epoch_end()``, which does exactly that only when
  ``record_window == 0``.
* ``lambda_``, ``tau``, ``d_sed``, ``d_doa``, ``a`` (also ``D_sed``, ``D_doa``, ``A``) for logging;
  ``state_dict()`` / ``load_state_dict()`` with plain floats, ints and lists only (safe inside a
  checkpoint loaded with ``weights_only=True``).

Adaptive weighting (our reading of eq. 8-13, docs/design.md), r = number of closed records:

* r = 0: ``lambda = tau = 0.5``; total = lambda * l_SED + tau * l_DOA.
* r = 1: ``lambda = mu * g_total/g_SED``, ``tau = (1 - mu) * g_total/g_DOA`` from record 0 (eq. 9).
* r >= 2: lambda and tau keep being recomputed with eq. 9 from the *latest* record (the paper's
  ``lambda_r`` uses ``gamma_{r-1}``), and ``D_SED = (g_SED[r-1]/g_SED[r-2]) / (g_total[r-1]/g_total[r-2])``,
  D_DOA likewise, ``A = 1/(mu*D_SED + mu*D_DOA)``; total = A*(D_SED*lambda*l_SED + D_DOA*tau*l_DOA).

``g_SED`` and ``g_DOA`` of a record are the mean losses over its iterations; ``g_total`` is the mean of
the total loss actually optimised during the record, i.e. the record's means combined with the weights
in force then: ``0.5 g_SED + 0.5 g_DOA`` (r = 0), ``lambda g_SED + tau g_DOA`` (eq. 8),
``A (D_SED lambda g_SED + D_DOA tau g_DOA)`` (eq. 11).
"""

from __future__ import annotations

from typing import Any

import torch

_EPS = 1e-12


class LossWeighting:
    """Base: fixed coefficients, record keeping is a no-op."""

    def __init__(self) -> None:
        self._lambda = 1.0
        self._tau = 1.0
        self._d_sed = 1.0
        self._d_doa = 1.0
        self._a = 1.0

    # coefficients actually multiplying the losses
    @property
    def w_sed(self) -> float:
        return self._a * self._d_sed * self._lambda

    @property
    def w_doa(self) -> float:
        return self._a * self._d_doa * self._tau

    def combine(self, l_sed: torch.Tensor, l_doa: torch.Tensor) -> torch.Tensor:
        """Weighted total loss; the weights are constants for the gradient."""
        return self.w_sed * l_sed + self.w_doa * l_doa

    def record(self, l_sed: float | torch.Tensor, l_doa: float | torch.Tensor) -> None:
        """Add one iteration's (detached) losses to the current record."""

    def end_record(self) -> None:
        """Close the current record."""

    def on_epoch_end(self) -> None:
        """Hook for the end of a training epoch."""

    @property
    def lambda_(self) -> float:
        return self._lambda

    @property
    def tau(self) -> float:
        return self._tau

    @property
    def d_sed(self) -> float:
        return self._d_sed

    @property
    def d_doa(self) -> float:
        return self._d_doa

    @property
    def a(self) -> float:
        return self._a

    def log_values(self) -> dict[str, float]:
        """Values worth logging every step."""
        return {
            "lambda": self._lambda,
            "tau": self._tau,
            "D_sed": self._d_sed,
            "D_doa": self._d_doa,
            "A": self._a,
        }

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class FixedLossWeighting(LossWeighting):
    """``total = lambda * l_SED + tau * l_DOA`` with constant lambda, tau (paper eq. 4, Table 2)."""

    def __init__(self, lambda_: float = 1.0, tau: float = 1.0) -> None:
        super().__init__()
        self._lambda = float(lambda_)
        self._tau = float(tau)

    def state_dict(self) -> dict[str, Any]:
        return {"lambda_": self._lambda, "tau": self._tau}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._lambda = float(state["lambda_"])
        self._tau = float(state["tau"])


class AdaptiveLossWeighting(LossWeighting):
    """Adaptive loss weighting of the paper (eq. 8-13, after loss scale balancing [17])."""

    def __init__(self, mu: float = 0.5, record_window: int = 0) -> None:
        super().__init__()
        if record_window < 0:
            raise ValueError("record_window must be >= 0")
        self.mu = float(mu)
        self.record_window = int(record_window)
        self.g_sed: list[float] = []
        self.g_doa: list[float] = []
        self.g_total: list[float] = []
        self._sum_sed: float | torch.Tensor = 0.0
        self._sum_doa: float | torch.Tensor = 0.0
        self._count = 0
        self._lambda = 0.5
        self._tau = 0.5

    @property
    def n_records(self) -> int:
        return len(self.g_sed)

    def record(self, l_sed: float | torch.Tensor, l_doa: float | torch.Tensor) -> None:
        """Add one iteration's losses. Floats are expected; detached 0-d tensors are also accepted and
        summed on their device, so recording never forces a host sync (only ``end_record`` reads them)."""
        l_sed = l_sed.detach() if isinstance(l_sed, torch.Tensor) else float(l_sed)
        l_doa = l_doa.detach() if isinstance(l_doa, torch.Tensor) else float(l_doa)
        self._sum_sed = self._sum_sed + l_sed
        self._sum_doa = self._sum_doa + l_doa
        self._count += 1
        if self.record_window > 0 and self._count >= self.record_window:
            self.end_record()

    def end_record(self) -> None:
        """Close the record (ignored when it is empty) and update lambda, tau, D and A."""
        if self._count == 0:
            return
        mean_sed = float(self._sum_sed) / self._count
        mean_doa = float(self._sum_doa) / self._count
        self.g_sed.append(mean_sed)
        self.g_doa.append(mean_doa)
        self.g_total.append(self.w_sed * mean_sed + self.w_doa * mean_doa)
        self._sum_sed = self._sum_doa = 0.0
        self._count = 0
        self._update()

    def on_epoch_end(self) -> None:
        if self.record_window == 0:
            self.end_record()

    def _update(self) -> None:
        r = self.n_records
        if r == 0:
            self._lambda = self._tau = 0.5
            self._d_sed = self._d_doa = self._a = 1.0
            return
        mu = self.mu
        self._lambda = mu * self.g_total[-1] / max(self.g_sed[-1], _EPS)
        self._tau = (1.0 - mu) * self.g_total[-1] / max(self.g_doa[-1], _EPS)
        if r == 1:
            self._d_sed = self._d_doa = self._a = 1.0
            return
        total_ratio = self.g_total[-1] / max(self.g_total[-2], _EPS)
        self._d_sed = (self.g_sed[-1] / max(self.g_sed[-2], _EPS)) / max(total_ratio, _EPS)
        self._d_doa = (self.g_doa[-1] / max(self.g_doa[-2], _EPS)) / max(total_ratio, _EPS)
        self._a = 1.0 / max(mu * self._d_sed + mu * self._d_doa, _EPS)

    def state_dict(self) -> dict[str, Any]:
        return {
            "mu": self.mu,
            "record_window": self.record_window,
            "g_sed": list(self.g_sed),
            "g_doa": list(self.g_doa),
            "g_total": list(self.g_total),
            "sum_sed": float(self._sum_sed),
            "sum_doa": float(self._sum_doa),
            "count": self._count,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mu = float(state["mu"])
        self.record_window = int(state["record_window"])
        self.g_sed = [float(v) for v in state["g_sed"]]
        self.g_doa = [float(v) for v in state["g_doa"]]
        self.g_total = [float(v) for v in state["g_total"]]
        self._sum_sed = float(state["sum_sed"])
        self._sum_doa = float(state["sum_doa"])
        self._count = int(state["count"])
        self._update()
