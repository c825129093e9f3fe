"""Forecast figures hold the plotted data: hexbin counts, trajectory lines, boxplot medians."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from hicexpr.lib.errors import InputError
from hicexpr.plots import (
    plot_metric_boxplots,
    plot_predicted_vs_observed,
    plot_trajectory_page,
    save_figure,
)
from hicexpr.plots._common import BASELINE_COLOUR


@pytest.fixture()
def predictions() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    times = np.arange(10.0)
    split = np.where(times < 6, "train", np.where(times < 8, "val", "test"))
    rows = []
    for gene in ("A", "B", "C"):
        obs = np.cos(times) + (gene == "B")
        for model in ("persistence", "gnn"):
            for seed in (0, 1):
                pred = obs + rng.normal(0, 0.3, len(times))
                rows += [(gene, t, s, 1, model, seed, o, p)
                         for t, s, o, p in zip(times, split, obs, pred, strict=True)]
    return pd.DataFrame(rows, columns=["gene", "time", "split", "horizon", "model", "seed",
                                       "observed", "predicted"])


def test_hexbin_one_panel_per_split_counts_every_point(predictions: pd.DataFrame) -> None:
    fig = plot_predicted_vs_observed(predictions, model="gnn")
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title().split(":")[0] for ax in panels] == ["train", "val", "test"]
    gnn = predictions[predictions["model"] == "gnn"]
    for ax in panels:
        split = ax.get_title().split(":")[0]
        hexes = [c for c in ax.collections if isinstance(c, PolyCollection)][0]
        expected = gnn[gnn["split"] == split]
        assert hexes.get_array().sum() == len(expected)  # each point in exactly one hexagon
        r = np.corrcoef(expected["observed"], expected["predicted"])[0, 1]
        assert f"n={len(expected)}, r={r:.3f}" in ax.get_title()
        assert ax.get_xlabel() == "observed" and ax.get_ylabel() == "predicted"


def test_hexbin_one_seed_only(predictions: pd.DataFrame) -> None:
    fig = plot_predicted_vs_observed(predictions, model="gnn", seed=1)
    hexes = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)][0]
    assert hexes.get_array().sum() == 3 * 6  # 3 genes x 6 train times, one seed


def test_trajectory_lines_are_observed_and_seed_mean_forecast(predictions: pd.DataFrame) -> None:
    fig = plot_trajectory_page(predictions, ["B", "A"], model="gnn", ncols=2)
    ax = fig.axes[0]
    assert ax.get_title() == "B"
    observed, forecast = ax.lines[0], ax.lines[1]
    np.testing.assert_allclose(observed.get_ydata(), np.cos(np.arange(10.0)) + 1)
    rows = predictions[(predictions["gene"] == "B") & (predictions["model"] == "gnn")]
    expected = rows.groupby("time")["predicted"].mean().to_numpy()
    np.testing.assert_allclose(forecast.get_ydata(), expected)
    spans = list(ax.patches)
    assert len(spans) == 3  # train, val and test periods shaded
    # the test period span covers times 8..9 (+- half a step)
    test_span = spans[2]
    assert test_span.get_x() == pytest.approx(7.5)
    assert test_span.get_x() + test_span.get_width() == pytest.approx(9.5)


def test_trajectory_unknown_gene_is_input_error(predictions: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="gene"):
        plot_trajectory_page(predictions, ["nope"], model="gnn")


def test_boxplot_medians_order_and_baseline_colour(predictions: pd.DataFrame) -> None:
    pgm = pd.DataFrame({"gene": ["A", "B", "A", "B", "A", "B", "A", "B"],
                        "model": ["persistence"] * 4 + ["gnn"] * 4,
                        "seed": [0, 0, 1, 1] * 2,
                        "pearson": [0.1, 0.3, 0.3, 0.5, 0.8, 0.6, 0.9, 0.7]})
    fig = plot_metric_boxplots(pgm, "pearson", baselines=["persistence"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["persistence", "gnn"]  # ordered by median, best last
    medians = [line.get_ydata()[0] for line in ax.lines[4::6]]  # 6 lines per box, 5th = median
    # seed means: persistence A 0.2, B 0.4 -> median 0.3; gnn A 0.85, B 0.65 -> 0.75
    assert medians == pytest.approx([0.3, 0.75])
    colours = [p.get_facecolor()[:3] for p in ax.patches]
    assert np.allclose(colours[0], tuple(int(BASELINE_COLOUR[i:i + 2], 16) / 255
                                         for i in (1, 3, 5)))


def test_save_figure_writes_png_and_svg(tmp_path, predictions: pd.DataFrame) -> None:
    paths = save_figure(plot_predicted_vs_observed(predictions), tmp_path, "pvo")
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths["svg"].read_bytes()[:500]
