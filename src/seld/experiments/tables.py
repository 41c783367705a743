"""The paper's Tables 1-4 as data: rows, the config each row trains, and the paper's numbers.

Paper numbers are F1-scores in percent on the real L3DAS22 dev-test set (location-sensitive detection,
2 m), as printed in the seed paper's Tables 1-4.

Rows whose config is the proposed system (ROAM + adaptive weighting = ``paper.yaml``) appear in several
tables; they name ``runs_from`` so that every table reads the same runs instead of training them again:
the Table 2 "adaptive" row, Table 3 and the Table 4 "proposed" row all use the Table 1 ROAM runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SeldError

F_COLUMN = "F"
"""The single column of Tables 1, 2 and 4."""
OV_COLUMNS: tuple[str, ...] = ("OV1", "OV2", "OV3", "Overall")
"""The columns of Table 3."""


Cell = tuple[str, str]
"""(row key, column)."""
Claim = tuple[Cell, Cell]
"""(better cell, worse cell) according to the paper."""


@dataclass(frozen=True)
class Row:
    key: str
    """Folder name and ``--rows`` selector."""
    label: str
    """How the row is printed."""
    config: str
    """Shipped config (paper scale) the row trains; empty for rows derived from other runs."""
    paper: dict[str, float] = field(default_factory=dict)
    """The paper's value per column (percent)."""
    runs_from: str = ""
    """``table/row`` whose runs this row reuses (empty: its own runs)."""
    ensemble_of: str = ""
    """``table/row`` whose seeds' best checkpoints are ensembled (track-aligned posterior average)."""
    metric: str = ""
    """Table 3: which part of the error analysis (``seld``, ``sed_only``, ``doa_only:<m>``)."""


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    rows: tuple[Row, ...]
    columns: tuple[str, ...] = (F_COLUMN,)
    claims: tuple[Claim, ...] = ()
    """Orderings the paper reports (better cell first); derived from the paper values for Tables 1-2."""
    note: str = ""

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise SeldError(f"{self.name} has no row {key!r} (rows: {', '.join(r.key for r in self.rows)})")

    def paper_claims(self) -> list[Claim]:
        """The claims to check: the explicit ones, else the paper's best row against every other row."""
        if self.claims:
            return list(self.claims)
        col = self.columns[0]
        ranked = [r for r in self.rows if col in r.paper]
        if not ranked:
            return []
        best = max(ranked, key=lambda r: r.paper[col])
        return [((best.key, col), (r.key, col)) for r in ranked if r is not best]


def _f(value: float) -> dict[str, float]:
    return {F_COLUMN: value}


PROPOSED_RUNS = "table1/roam"

TABLE1 = Table(
    name="table1",
    title="Table 1: conv-block attention (cross-stitch network, adaptive weighting)",
    rows=(
        Row("none", "no attention", "table1_none", _f(62.5)),
        Row("mfm", "MFM", "table1_mfm", _f(64.4)),
        Row("ctam", "CTAM", "table1_ctam", _f(63.3)),
        Row("attentive_mfm", "attentive MFM", "table1_attentive_mfm", _f(64.2)),
        Row("roam", "ROAM (proposed)", "table1_roam", _f(64.6)),
    ),
)

TABLE2 = Table(
    name="table2",
    title="Table 2: fixed loss weights {lambda, tau} vs adaptive weighting (ROAM network)",
    rows=(
        Row("l1_t1", "{1, 1}", "table2_l1_t1", _f(62.2)),
        Row("l09_t01", "{0.9, 0.1}", "table2_l09_t01", _f(63.4)),
        Row("l07_t03", "{0.7, 0.3}", "table2_l07_t03", _f(63.8)),
        Row("l05_t05", "{0.5, 0.5}", "table2_l05_t05", _f(63.3)),
        Row("l03_t07", "{0.3, 0.7}", "table2_l03_t07", _f(62.9)),
        Row("l01_t09", "{0.1, 0.9}", "table2_l01_t09", _f(58.2)),
        Row("l08_t02", "{0.8, 0.2}", "table2_l08_t02", _f(63.7)),
        Row("l08_t03", "{0.8, 0.3}", "table2_l08_t03", _f(64.3)),
        Row("l08_t04", "{0.8, 0.4}", "table2_l08_t04", _f(64.4)),
        Row("adaptive", "adaptive (proposed)", "table2_adaptive", _f(64.6), runs_from=PROPOSED_RUNS),
    ),
)


def _ov(ov1: float, ov2: float, ov3: float, overall: float) -> dict[str, float]:
    return dict(zip(OV_COLUMNS, (ov1, ov2, ov3, overall)))


TABLE3 = Table(
    name="table3",
    title="Table 3: error analysis of the proposed system (F1 %, per polyphony)",
    columns=OV_COLUMNS,
    rows=(
        Row("seld", "SELD (SE=2m)", "paper", _ov(81.5, 66.4, 56.3, 64.6), PROPOSED_RUNS, metric="seld"),
        Row("sed_only", "SED only", "paper", _ov(81.9, 71.3, 63.8, 68.9), PROPOSED_RUNS, metric="sed_only"),
        Row("doa_1.0", "DOA only (SE=1m)", "paper", _ov(99.3, 73.2, 51.3, 66.9), PROPOSED_RUNS,
            metric="doa_only:1.0"),
        Row("doa_1.5", "DOA only (SE=1.5m)", "paper", _ov(99.5, 83.3, 65.3, 77.2), PROPOSED_RUNS,
            metric="doa_only:1.5"),
        Row("doa_2.0", "DOA only (SE=2m)", "paper", _ov(99.6, 90.6, 77.0, 85.4), PROPOSED_RUNS,
            metric="doa_only:2.0"),
        Row("doa_2.5", "DOA only (SE=2.5m)", "paper", _ov(99.7, 93.9, 86.1, 91.0), PROPOSED_RUNS,
            metric="doa_only:2.5"),
        Row("doa_3.0", "DOA only (SE=3m)", "paper", _ov(100.0, 97.6, 93.5, 96.0), PROPOSED_RUNS,
            metric="doa_only:3.0"),
    ),
    claims=(
        (("seld", "OV1"), ("seld", "OV2")),
        (("seld", "OV2"), ("seld", "OV3")),
        (("sed_only", "Overall"), ("seld", "Overall")),
        (("doa_2.0", "Overall"), ("sed_only", "Overall")),
        (("doa_1.0", "OV1"), ("doa_1.0", "OV3")),
    ),
    note="All cells come from the same runs as the ROAM row of Table 1 (no extra training).",
)

TABLE4 = Table(
    name="table4",
    title="Table 4: comparison with the SELDnet baseline, and a posterior ensemble",
    rows=(
        Row("seldnet", "SELDnet baseline", "seldnet", _f(39.6)),
        Row("proposed", "proposed", "paper", _f(64.6), runs_from=PROPOSED_RUNS),
        Row("ensemble", "proposed (ensemble of the seeds)", "", _f(68.0), ensemble_of=PROPOSED_RUNS),
    ),
    claims=(
        (("proposed", F_COLUMN), ("seldnet", F_COLUMN)),
        (("ensemble", F_COLUMN), ("proposed", F_COLUMN)),
    ),
    note=("The paper's baseline number is the organisers' pretrained SELDnet; here SELDnet is trained with the "
          "same data, schedule and budget as the proposed system. The paper's ensemble combined several "
          "systems; here it averages the track-aligned posteriors of the proposed system's seeds."),
)

TABLES: dict[str, Table] = {t.name: t for t in (TABLE1, TABLE2, TABLE3, TABLE4)}


def get_table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise SeldError(f"unknown table {name!r} (choose from {', '.join(TABLES)})") from None
