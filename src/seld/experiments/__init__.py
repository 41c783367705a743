"""Reproduction of the paper's Tables 1-4: table definitions, a resumable runner and reports.

:mod:`.tables` defines each table as rows (label, config, the paper's F-score); :mod:`.runner` trains,
predicts and evaluates every (row, seed) into ``OUT/<table>/<row>/seed<k>`` (resumable; finished runs are
skipped); :mod:`.report` writes ``OUT/<table>/table.md``, plots, and the ``docs/results.md`` page.
"""

from .tables import TABLES, Row, Table, get_table

__all__ = ["TABLES", "Row", "Table", "get_table"]
