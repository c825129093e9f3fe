"""Leakage-free evaluation: protocols, windows, scalers, metrics and the multi-seed runner."""

from hicexpr.evaluate.metrics import forecast_metrics, per_gene_metrics
from hicexpr.evaluate.protocols import PROTOCOLS, Split, make_splits
from hicexpr.evaluate.scaling import SCALINGS, GeneScaler
from hicexpr.evaluate.windows import WindowSet, make_windows

__all__ = [
    "PROTOCOLS",
    "SCALINGS",
    "GeneScaler",
    "Split",
    "WindowSet",
    "forecast_metrics",
    "make_splits",
    "make_windows",
    "per_gene_metrics",
]
