"""``seld model-summary``: layer summary, trainable parameters and forward GFLOPs of a configured model."""

from __future__ import annotations

import argparse

HELP = "print a model's layer summary, parameter count and forward GFLOPs for a 30 s clip"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default=None, help="experiment YAML (default: built-in defaults)")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides")
    parser.add_argument("--depth", type=int, default=2, help="module tree depth to print (default 2)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=30.0,
        help="clip length the GFLOPs are reported for (default 30 s)",
    )
    parser.add_argument(
        "--measure-seconds",
        type=float,
        default=3.2,
        help="length of the input actually counted; the count is scaled linearly to --seconds (default 3.2)",
    )


def module_rows(module, depth: int, prefix: str = "", level: int = 0) -> list[tuple[str, str, int]]:
    """(qualified name, class name, trainable parameters) of the module tree down to ``depth``."""
    rows = []
    for name, child in module.named_children():
        qual = f"{prefix}.{name}" if prefix else name
        n = sum(p.numel() for p in child.parameters() if p.requires_grad)
        rows.append(("  " * level + qual, type(child).__name__, n))
        if level + 1 < depth:
            rows.extend(module_rows(child, depth, qual, level + 1))
    return rows


def forward_flops(model, channels: int, samples: int) -> int:
    """Forward FLOPs (multiply-add = 2) of ``model`` on one clip of ``samples`` samples."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    wave = torch.randn(1, channels, samples)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(wave)
    return int(counter.get_total_flops())


def run(args: argparse.Namespace) -> int:
    from ..build import build_model
    from ..config import load_config
    from ..constants import FOA_CHANNELS, SAMPLE_RATE, SAMPLES_PER_FRAME
    from ..models import count_parameters

    cfg = load_config(args.config, args.overrides)
    model = build_model(cfg).eval()
    print(f"model: {cfg.model.name} ({type(model).__name__}), mics={cfg.data.mics}, output={model.output_format}")
    print(f"{'module':<44} {'type':<24} {'params':>12}")
    for name, kind, n in module_rows(model, args.depth):
        print(f"{name:<44} {kind:<24} {n:>12,}")
    total = count_parameters(model)
    print(f"trainable parameters: {total:,} ({total / 1e6:.2f} M)")

    hop = SAMPLES_PER_FRAME  # one 100 ms label frame: every model's output frame
    measure = max(hop, int(round(args.measure_seconds * SAMPLE_RATE / hop)) * hop)
    flops = forward_flops(model, FOA_CHANNELS * cfg.data.mics, measure)
    scale = args.seconds * SAMPLE_RATE / measure
    print(
        f"forward GFLOPs: {flops * scale / 1e9:.1f} per {args.seconds:g} s clip "
        f"(counted on {measure / SAMPLE_RATE:g} s with torch.utils.flop_counter, scaled linearly; "
        "conv/matmul/attention only, one multiply-add = 2 FLOPs)"
    )
    return 0
