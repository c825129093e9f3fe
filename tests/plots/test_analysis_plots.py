"""Predictability and enrichment figures hold the scores, tests and p-values given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.analysis import predictability
from hicexpr.plots import plot_enrichment, plot_predictability


def test_predictability_panels_show_data_and_test() -> None:
    genes = [f"g{i}" for i in range(20)]
    scores = pd.Series(np.linspace(0, 1, 20), index=genes)
    factors = pd.DataFrame({"degree": np.arange(20.0), "compartment": ["A", "B"] * 10},
                           index=genes)
    results = predictability(scores, factors)
    fig = plot_predictability(scores, factors, results, "pearson")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    scatter = visible[0].collections[0].get_offsets()
    np.testing.assert_allclose(scatter[:, 0], np.arange(20.0))
    np.testing.assert_allclose(scatter[:, 1], np.linspace(0, 1, 20))
    assert visible[0].get_title().startswith("degree\nSpearman rank correlation: p=")
    assert visible[1].get_title().startswith("compartment\nMann-Whitney U: p=")
    assert [t.get_text() for t in visible[1].get_xticklabels()] == ["A", "B"]
    assert visible[0].get_ylabel() == "pearson"


def test_enrichment_bars_are_minus_log10_fdr_most_significant_on_top() -> None:
    table = pd.DataFrame({"term": ["t1", "t2", "t3"], "fdr": [0.01, 1e-5, 0.5]})
    fig = plot_enrichment(table, "ORA", top=2)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([2.0, 5.0])  # t1 then t2 (top of the axis)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["t1", "t2"]
