"""The picture of the code drawn from its imports: no cycle, and no import from a lower layer to a higher one.

The layer order is the one ``docs/interfaces.md`` states (its "Layers" block), read here, so the document
and the code cannot drift apart. Every ``import`` counts, also those inside functions.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "seld"
DOC = ROOT / "docs" / "interfaces.md"


def layers() -> list[list[str]]:
    """The layers, lowest first, each a list of module prefixes (``seld.data``, ``seld.config``...)."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"## Layers.*?```text\n(.*?)```", text, re.S)
    assert block, "docs/interfaces.md has no ```text block under '## Layers'"
    out = []
    for line in block.group(1).splitlines():
        if ":" in line:
            out.append(["seld" if m == "seld" else f"seld.{m}" for m in line.split(":", 1)[1].split()])
    return out


def module_name(path: Path) -> str:
    parts = ["seld", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every seld module ``path`` imports (absolute names), from any depth of the file."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n == "seld" or n.startswith("seld.")}
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module a name refers to (``seld.data.l3das22.read_wav`` -> ``seld.data.l3das22``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def layer_of(module: str, order: list[list[str]]) -> int:
    best, best_len = -1, -1
    for i, prefixes in enumerate(order):
        for p in prefixes:
            inside = module == p or (p != "seld" and module.startswith(p + "."))  # "seld": the package's __init__
            if inside and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {m: {t for n in imports(p) if (t := resolve(n, modules)) and t != m} for m, p in modules.items()}


def test_every_module_has_a_layer() -> None:
    order = layers()
    missing = sorted(m for m in all_modules() if layer_of(m, order) < 0)
    assert not missing, f"modules in no layer of docs/interfaces.md: {missing}"


def test_no_import_runs_upward() -> None:
    order = layers()
    upward = [f"{a} (layer {layer_of(a, order)}) imports {b} (layer {layer_of(b, order)})"
              for a, targets in graph().items() for b in targets if layer_of(b, order) > layer_of(a, order)]
    assert not upward, "\n".join(sorted(upward))


def test_no_import_cycles() -> None:
    g = graph()
    # a package's __init__ re-exporting its own submodules is not a cycle of meaning: leave those edges out
    edges = {a: {b for b in bs if not b.startswith(a + ".")} for a, bs in g.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize(("low", "high"), [("seld.models", "seld.config"), ("seld.features", "seld.config"),
                                            ("seld.training", "seld.inference"), ("seld.inference", "seld.training")])
def test_named_boundaries(low: str, high: str) -> None:
    """The boundaries the redesign drew: models and features know no config; training and inference are apart."""
    offenders = sorted(a for a, targets in graph().items()
                       if a.startswith(low) and any(t == high or t.startswith(high + ".") for t in targets))
    assert not offenders, offenders


def test_a_model_builds_from_plain_arguments_without_the_config() -> None:
    import subprocess
    import sys

    code = ("import sys, torch\nfrom seld.models import CrossStitchSELD\n"
            "model = CrossStitchSELD(mics=1, channels=(8, 8, 16, 16), temporal_ff=32)\n"
            "out = model(torch.zeros(1, 4, 3200))\n"
            "assert out['sed'].shape == (1, 1, 3, 14) and out['doa'].shape == (1, 1, 3, 3)\n"
            "assert 'seld.config' not in sys.modules, 'building a model imported the config schema'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
