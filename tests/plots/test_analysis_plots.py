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
    assert visible[0].get_title().startswith(
        "contact degree (gene-graph neighbours)\nSpearman rank correlation: p=")
    assert visible[1].get_title().startswith("A/B compartment\nMann-Whitney U: p=")
    assert visible[0].get_xlabel() == "contact degree (gene-graph neighbours)"
    assert [t.get_text() for t in visible[1].get_xticklabels()] == ["A", "B"]
    assert visible[0].get_ylabel() == "pearson"


def test_enrichment_bars_are_minus_log10_fdr_most_significant_on_top() -> None:
    table = pd.DataFrame({"term": ["t1", "t2", "t3"], "fdr": [0.01, 1e-5, 0.5]})
    fig = plot_enrichment(table, "ORA", top=2)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([2.0, 5.0])  # t1 then t2 (top of the axis)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["t1", "t2"]


def test_predictability_readable_names_from_one_mapping_raw_name_kept_otherwise() -> None:
    from hicexpr.analysis.predictability import FACTOR_COLUMNS
    from hicexpr.plots.analysis import FACTOR_NAMES

    assert set(FACTOR_COLUMNS) <= set(FACTOR_NAMES)  # every property the analysis makes
    genes = [f"g{i}" for i in range(12)]
    factors = pd.DataFrame({"boundary_distance": np.arange(12.0),
                            "my_feature_x": np.arange(12.0) ** 2}, index=genes)
    fig = plot_predictability(pd.Series(np.arange(12.0), index=genes), factors)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["distance to TAD boundary", "my_feature_x"]
    assert "_" not in "".join(FACTOR_NAMES.values())  # no snake_case left in the names
