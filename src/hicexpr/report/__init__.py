"""One self-contained HTML report per run: config, metrics, plots, predictability, enrichment."""

from hicexpr.report.build import write_report
from hicexpr.report.load import RunData, load_run

__all__ = ["RunData", "load_run", "write_report"]
