"""Side-by-side speed benchmarks of seld against straightforward baselines (GitHub issue 5).

Run ``python -m benchmarks [--quick] [--gpu] --out DIR`` from a source checkout, or ``seld bench``.
Each section times a baseline and seld's implementation on the same inputs in one process, checks
that they compute the same thing where they are meant to, and reports medians over repeats.
Results go to ``DIR/bench.json`` and ``DIR/bench.md``; see docs/performance.md for measured numbers.
"""

SECTIONS: tuple[str, ...] = ("features", "metric", "inference", "training")
