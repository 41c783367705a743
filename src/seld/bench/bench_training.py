"""Training-step throughput: model forward + loss + backward + optimiser step, data resident on the device.

The pipeline keeps a bank of clips (waveforms and frame targets) in device memory and cuts each batch
with one gather (random clip and chunk offsets drawn on the device), computes features on the device,
and never reads a value back to the host inside the timed steps (one synchronisation per measurement).
The loss is the model's own criterion (PIT for the paper model, the official loss for SELDnet) with
fixed unit weights: the adaptive weighting's per-step ``float(loss)`` record is a host synchronisation
(see docs/performance.md). The optimiser is torch Adam (``fused`` on CUDA) as a stand-in for AdaBelief,
which has the same per-parameter cost.

On the CPU only tiny sizes run (``--quick``: demo model, batch 2, 1 s chunks; full: demo model, batch 8,
5 s chunks). On CUDA (``--gpu``): the paper model and SELDnet, fp32 vs bf16 autocast, eager vs
``torch.compile``, channels-last, batch 8 and a large batch; FLOPs per step (``torch.utils.flop_counter``,
forward + backward) and MFU; and a 100-epoch estimate for the ``l3das22`` preset (600 clips x 30 s,
5 s chunks, one validation pass over 150 clips per epoch).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch

from .common import Row, cuda_sync, row

SAMPLE_RATE = 32_000
FRAME = 3200  # samples per 100 ms label frame
YARDSTICK_B8 = 943.0  # issue 5: eager fp32 batch 8 on one H200, audio-s/s
YARDSTICK_LARGE = 3853.0  # issue 5: batch 64, bf16, channels-last, torch.compile on one H200
L3DAS22_TRAIN_S = 600 * 30.0
L3DAS22_DEV_CLIPS = 150
PEAK_TFLOPS = {"bf16": 989.0, "fp32": 67.0}  # H100 SXM / H200 dense datasheet figures


def peak_flops(precision: str) -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    if "H100" in name or "H200" in name:
        return PEAK_TFLOPS[precision] * 1e12
    return None


class RandomClipBank:
    """Random clips and frame targets held on the device; :meth:`batch` gathers random chunks there (the
    step benchmark's stand-in for `seld.training.data.DeviceBank`, without a dataset)."""

    def __init__(self, output_format: str, n_clips: int, clip_s: float, chunk_s: float, device: torch.device,
                 seed: int = 0) -> None:
        gen = torch.Generator(device="cpu").manual_seed(seed)
        self.device = device
        self.frames = int(round(clip_s * 10))
        self.chunk_frames = int(round(chunk_s * 10))
        self.wave = torch.randn(n_clips, 4, self.frames * FRAME, generator=gen).to(device)
        if output_format == "tracks":
            self.sed = (torch.rand(n_clips, self.frames, 3, 14, generator=gen) < 0.05).float().to(device)
            self.doa = (torch.rand(n_clips, self.frames, 3, 3, generator=gen) * 2 - 1).to(device)
        else:
            self.sed = (torch.rand(n_clips, self.frames, 42, generator=gen) < 0.05).float().to(device)
            self.doa = (torch.rand(n_clips, self.frames, 126, generator=gen) * 2 - 1).to(device)
        self.n_clips = n_clips
        self._chan = torch.arange(4, device=device)[None, :, None]
        self._samples = torch.arange(self.chunk_frames * FRAME, device=device)[None, None, :]
        self._frames = torch.arange(self.chunk_frames, device=device)[None, :]

    def batch(self, b: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        clip = torch.randint(0, self.n_clips, (b,), device=self.device)
        start = torch.randint(0, self.frames - self.chunk_frames + 1, (b,), device=self.device)
        wave = self.wave[clip[:, None, None], self._chan, start[:, None, None] * FRAME + self._samples]
        fr = start[:, None] + self._frames
        return wave, self.sed[clip[:, None], fr], self.doa[clip[:, None], fr]


def make_step(config: str, device: torch.device, precision: str, compile_model: bool, channels_last: bool,
              ) -> tuple[torch.nn.Module, Callable[..., Any], str]:
    from seld.build import build_model
    from seld.config import load_config
    from seld.formats import get_format

    torch.manual_seed(0)
    cfg = load_config(config)
    model = build_model(cfg).to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    criterion = get_format(model.output_format).criterion(doa_mask=cfg.loss.doa_mask)
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, **fused)
    net: Callable[..., Any] = torch.compile(model) if compile_model else model
    bf16 = precision == "bf16"

    def step(wave: torch.Tensor, sed: torch.Tensor, doa: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = net(wave)
        losses = criterion(out, {"sed": sed, "doa": doa})
        loss = losses["l_sed"] + losses["l_doa"]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.detach()

    return model, step, model.output_format


def step_flops(config: str, device: torch.device, batch: int, chunk_s: float) -> int:
    """FLOPs of one training step (forward + backward), counted by ``torch.utils.flop_counter``."""
    from torch.utils.flop_counter import FlopCounterMode

    model, step, fmt = make_step(config, device, "fp32", False, False)
    bank = RandomClipBank(fmt, 2, max(chunk_s, 6.0), chunk_s, device)
    counter = FlopCounterMode(display=False)
    with counter:
        step(*bank.batch(batch))
    return int(counter.get_total_flops())


def time_steps(step: Callable[..., Any], bank: RandomClipBank, batch: int, steps: int, repeats: int,
               warmup: int) -> dict[str, Any]:
    """Seconds per step: median over ``repeats`` runs of ``steps`` steps, one synchronisation per run."""
    dev = bank.device
    for _ in range(warmup):
        step(*bank.batch(batch))
    cuda_sync(dev)
    per_step = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step(*bank.batch(batch))
        cuda_sync(dev)
        per_step.append((time.perf_counter() - t0) / steps)
    per_step.sort()
    return {"median_s": per_step[len(per_step) // 2], "times_s": per_step}


def validation_seconds(config: str, device: torch.device, precision: str, channels_last: bool) -> float:
    """Seconds to run the model over the 150 dev clips of 30 s (batches of 16, inference mode)."""
    from seld.build import build_model
    from seld.config import load_config

    model = build_model(load_config(config)).to(device).eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    wave = torch.randn(16, 4, 300 * FRAME, device=device)

    def run() -> None:
        with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16,
                                                     enabled=precision == "bf16"):
            model(wave)

    run()
    cuda_sync(device)
    t0 = time.perf_counter()
    for _ in range(2):
        run()
    cuda_sync(device)
    return (time.perf_counter() - t0) / 2 * math.ceil(L3DAS22_DEV_CLIPS / 16)


def variant_row(config: str, device: torch.device, batch: int, chunk_s: float, precision: str,
                compile_model: bool, channels_last: bool, steps: int, repeats: int, warmup: int,
                flops: int | None, target: str = "info", goal_value: float | None = None,
                baseline: float | None = None, baseline_label: str = "") -> Row:
    model, step, fmt = make_step(config, device, precision, compile_model, channels_last)
    bank = RandomClipBank(fmt, 16 if device.type == "cuda" else 2, 30.0 if device.type == "cuda" else max(chunk_s, 2.0),
                      chunk_s, device)
    t0 = time.perf_counter()
    timing = time_steps(step, bank, batch, steps, repeats, warmup)
    rate = batch * chunk_s / timing["median_s"]
    details: dict[str, Any] = {
        "config": config, "batch": batch, "chunk_s": chunk_s, "precision": precision, "compile": compile_model,
        "channels_last": channels_last, "step_s": timing["median_s"], "step_times_s": timing["times_s"],
        "hours_audio_per_min": rate * 60 / 3600, "wall_incl_warmup_s": time.perf_counter() - t0,
    }
    if flops is not None:
        fl = flops * batch / 8  # counted at batch 8
        details["tflop_per_step"] = fl / 1e12
        details["achieved_tflops"] = fl / timing["median_s"] / 1e12
        peak = peak_flops(precision)
        if peak:
            details["mfu"] = fl / timing["median_s"] / peak
            details["mfu_peak_tflops"] = peak / 1e12
    label = f"{precision}{', compile' if compile_model else ''}{', channels-last' if channels_last else ''}"
    del model
    return row("training", f"{config}: step, batch {batch}, {chunk_s:g} s chunks, {device.type}", "audio-s/s",
               rate, baseline, seld_label=f"seld device-resident step ({label})", baseline_label=baseline_label,
               target=target, goal_value=goal_value, details=details)


def run_cpu(quick: bool, repeats: int) -> list[Row]:
    dev = torch.device("cpu")
    if quick:
        return [variant_row("demo", dev, 2, 1.0, "fp32", False, False, 1, 1, 1, None)]
    flops = step_flops("demo", dev, 8, 5.0)  # FLOPs per step and achieved FLOP/s, as on the GPU
    return [variant_row("demo", dev, 8, 5.0, "fp32", False, False, 1, max(1, repeats - 1), 1, flops)]


def run_gpu(quick: bool, repeats: int, compile_ok: bool, large_batch: int, compiled_only: bool = False,
            ) -> tuple[list[Row], list[str]]:
    dev = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    rows: list[Row] = []
    notes: list[str] = []
    steps = 5 if quick else 20
    warm_eager, warm_compiled = 3, 5
    y_label = "issue 5 yardstick (eager PyTorch, one H200)"
    for config in ("paper", "seldnet"):
        flops = step_flops(config, dev, 8, 5.0)
        notes.append(f"{config}: {flops / 1e12:.2f} TFLOP per training step at batch 8, 5 s chunks "
                     "(forward + backward, torch.utils.flop_counter)")
        variants = [(8, "fp32", False, False), (8, "bf16", False, True)]
        if compile_ok:
            variants.append((8, "bf16", True, True))
        variants.append((large_batch, "bf16", False, True))
        if compile_ok:
            variants.append((large_batch, "bf16", True, True))
        if config == "paper":
            variants.insert(1, (8, "fp32", False, True))
        if compiled_only:
            variants = [v for v in variants if v[2]]
        best_b8: Row | None = None
        for b, prec, comp, cl in variants:
            paper_b8 = config == "paper" and b == 8
            paper_large = config == "paper" and b == large_batch
            try:
                r = variant_row(
                    config, dev, b, 5.0, prec, comp, cl, steps, repeats, warm_compiled if comp else warm_eager,
                    flops,
                    target=">= 2000 audio-s/s (100 epochs < 15 min)" if paper_b8 else
                    (">= 8000 audio-s/s" if paper_large else "info"),
                    goal_value=2000.0 if paper_b8 else (8000.0 if paper_large else None),
                    baseline=(YARDSTICK_B8 if b == 8 else YARDSTICK_LARGE) if config == "paper" else None,
                    baseline_label=y_label if config == "paper" else "",
                )
            except Exception as exc:  # noqa: BLE001 - one failing variant (e.g. compile) must not stop the rest
                notes.append(f"{config} batch {b} {prec} compile={comp}: failed: {type(exc).__name__}: {exc}"[:300])
                continue
            finally:
                torch.cuda.empty_cache()
            rows.append(r)
            print(f"  {r['name']} [{r['seld_label']}]: {r['seld']:.0f} audio-s/s")
            if paper_b8 and (best_b8 is None or r["seld"] > best_b8["seld"]):
                best_b8 = r
        if config == "paper" and best_b8 is not None:
            d = best_b8["details"]
            steps_per_epoch = math.ceil(L3DAS22_TRAIN_S / 5.0 / 8)
            val_s = validation_seconds("paper", dev, d["precision"], d["channels_last"])
            epoch_s = steps_per_epoch * d["step_s"] + val_s
            rows.append(row(
                "training", "paper: 100 epochs of the l3das22 preset (600 x 30 s), batch 8, estimate", "min",
                epoch_s * 100 / 60, higher_is_better=False, seld_label=f"best batch-8 step ({best_b8['seld_label']})",
                target="< 15 min on one H100", goal_value=15.0,
                details={"steps_per_epoch": steps_per_epoch, "step_s": d["step_s"], "validation_s_per_epoch": val_s,
                         "epoch_s": epoch_s},
            ))
    return rows, notes


def run(quick: bool, gpu: bool, repeats: int, compile_ok: bool = True, large_batch: int = 64,
        compiled_only: bool = False) -> dict[str, Any]:
    rows = [] if compiled_only else run_cpu(quick, repeats)
    notes = ["CPU: demo model only (a paper-model training step takes about a minute on 2 cores)"]
    if gpu and torch.cuda.is_available():
        g_rows, g_notes = run_gpu(quick, repeats, compile_ok, large_batch, compiled_only)
        rows += g_rows
        notes += g_notes
    elif gpu:
        notes.append("GPU training rows skipped: CUDA is not available")
    return {"rows": rows, "notes": notes}
