"""Forecast figures hold the plotted data: hexbin counts, trajectory lines, boxplot medians."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

from hicexpr.lib.errors import InputError
from hicexpr.plots import (
    plot_metric_boxplots,
    plot_predicted_vs_observed,
    plot_trajectory_page,
    save_figure,
)
from hicexpr.plots._common import MODEL_COLOURS, model_colours


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
    colours = [to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [MODEL_COLOURS["persistence"], model_colours(["gnn"])["gnn"]]


def test_each_model_keeps_its_colour_in_every_forecast_figure(
        predictions: pd.DataFrame) -> None:
    pgm = pd.DataFrame({"gene": ["A", "B"] * 3, "model": ["persistence"] * 2 + ["gnn"] * 2
                        + ["stepmr"] * 2, "seed": 0, "pearson": [0.1, 0.2, 0.5, 0.6, 0.3, 0.4]})
    colours = model_colours(["persistence", "gnn", "stepmr"], baselines=["persistence"])
    boxes = plot_metric_boxplots(pgm, "pearson", ["persistence"], colours).axes[0]
    names = [t.get_text() for t in boxes.get_xticklabels()]
    by_model = dict(zip(names, [to_hex(p.get_facecolor()) for p in boxes.patches], strict=True))
    for model in ("gnn", "persistence"):
        page = plot_trajectory_page(predictions, ["A"], model=model, colours=colours)
        assert to_hex(page.axes[0].lines[1].get_color()) == by_model[model] == colours[model]
    assert len(set(by_model.values())) == 3  # distinct colours
    assert by_model["stepmr"] == MODEL_COLOURS["stepmr"]  # hicexpr's own model: fixed colour


def test_model_colours_baselines_grey_and_stable() -> None:
    from hicexpr.forecast.registry import BASELINES, MODELS

    assert set(MODELS) <= set(MODEL_COLOURS)  # every hicexpr model has its own colour
    colours = [MODEL_COLOURS[m] for m in MODELS]
    assert len(set(colours)) == len(colours)
    for name in BASELINES:  # greys / muted: red, green and blue close together
        r, g, b = (int(MODEL_COLOURS[name][i:i + 2], 16) for i in (1, 3, 5))
        assert max(r, g, b) - min(r, g, b) < 40
    # names hicexpr does not know: a grey for a baseline, the same colour whatever the order
    first = model_colours(["zz_model", "my_mean"], baselines=["my_mean"])
    assert first == model_colours(["my_mean", "zz_model"], baselines=["my_mean"])
    r, g, b = (int(first["my_mean"][i:i + 2], 16) for i in (1, 3, 5))
    assert r == g == b and first["zz_model"] != first["my_mean"]


def test_trajectory_axes_name_the_time_unit_and_values(predictions: pd.DataFrame) -> None:
    fig = plot_trajectory_page(predictions, ["A"], model="gnn", time_unit="min",
                               values="log2 ratio to reference")
    assert fig.axes[0].get_xlabel() == "time (minutes)"
    assert fig.axes[0].get_ylabel() == "expression (log2 ratio to reference)"
    unknown = plot_trajectory_page(predictions, ["A"], model="gnn").axes[0]
    assert unknown.get_xlabel() == "time (as in the input header)"  # no unit guessed
    assert unknown.get_ylabel() == "expression (as in the input table)"
    assert plot_trajectory_page(predictions, ["A"], model="gnn", time_unit="d"
                                ).axes[0].get_xlabel() == "time (days)"
    assert plot_trajectory_page(predictions, ["A"], model="gnn", time_unit="dpn"
                                ).axes[0].get_xlabel() == "time (postnatal days; E = P - 21)"


def test_hexbin_axes_name_the_values_when_known(predictions: pd.DataFrame) -> None:
    ax = plot_predicted_vs_observed(predictions, model="gnn", values="log2(1 + count)").axes[0]
    assert ax.get_xlabel() == "observed (log2(1 + count))"
    assert ax.get_ylabel() == "predicted (log2(1 + count))"


def test_save_figure_writes_png_and_svg(tmp_path, predictions: pd.DataFrame) -> None:
    paths = save_figure(plot_predicted_vs_observed(predictions), tmp_path, "pvo")
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths["svg"].read_bytes()[:500]
