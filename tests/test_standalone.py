"""The project stands alone: no path of a particular machine, no reference to documents outside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = re.compile(r"/work/|/root/|\.\./shared|shared/docs|method\.md|seed-paper\.txt|l3das22-task2\.md")


def test_no_outside_paths_in_code_or_docs() -> None:
    files = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("src/seld/**/*.py"),
             *ROOT.glob("src/seld/configs/*.yaml"), *ROOT.glob("benchmarks/*"), *ROOT.glob("tests/*.py")]
    offending = []
    for path in files:
        if path.is_file() and path.name != Path(__file__).name:
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if FORBIDDEN.search(line):
                    offending.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offending, "\n".join(offending)
