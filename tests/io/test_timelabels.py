"""Sample labels -> times: units, stages, replicate marks, mixed units."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicexpr.io.expression import read_expression
from hicexpr.io.timelabels import TimeLabel, TimeLabelError, label_times, parse_time_label
from hicexpr.lib.errors import InputError


@pytest.mark.parametrize(
    ("label", "value", "unit"),
    [
        ("35", 35.0, None),
        ("alpha_35", 35.0, None),
        ("cdc15_290", 290.0, None),
        ("alpha_35_rep2", 35.0, None),
        ("10min", 10.0, "min"),
        ("10 min", 10.0, "min"),
        ("GSM1_10min_rep2", 10.0, "min"),
        ("-30min", -30.0, "min"),
        ("2h", 2.0, "h"),
        ("1.5_hours", 1.5, "h"),
        ("24hpf", 24.0, "h"),
        ("3dpi", 3.0, "d"),
        ("30s", 30.0, "s"),
        ("day3", 3.0, "d"),
        ("D_3", 3.0, "d"),
        ("ZT4", 4.0, "h"),
        ("CT12", 12.0, "h"),
        ("t10", 10.0, None),
        ("T_10_rep1", 10.0, None),
        ("time10", 10.0, None),
        ("E16.5", -4.5, "dpn"),
        ("E16.5-031", -4.5, "dpn"),
        ("P0.5-a8", 0.5, "dpn"),
        ("P3b-5.7", 3.0, "dpn"),
        ("P0.54.311", 0.5, "dpn"),
        ("lung_P3_rep1", 3.0, "dpn"),
        ("E2F1", 1.0, None),
        ("P1_2h", 2.0, "h"),
        ("P2_t30", 30.0, None),
        ("E2F1_KO_2h", 2.0, "h"),
    ],
)
def test_parse_time_label(label: str, value: float, unit: str | None) -> None:
    assert parse_time_label(label) == TimeLabel(value, unit)


@pytest.mark.parametrize("label", ["wt", "ctrl", "wt_rep1", ""])
def test_labels_without_a_time(label: str) -> None:
    assert parse_time_label(label) is None


def test_mixed_units_go_to_the_smallest() -> None:
    assert label_times(["0h", "30min", "1h", "2 hours"]) == ([0.0, 30.0, 60.0, 120.0], "min")
    assert label_times(["E16.5", "P0.5", "P1"]) == ([-4.5, 0.5, 1.0], "dpn")
    assert label_times(["P1", "day2"]) == ([1.0, 2.0], "d")  # origins differ: plain days
    assert label_times(["alpha_0", "alpha_7"]) == ([0.0, 7.0], None)


def test_labels_with_and_without_units_are_refused() -> None:
    with pytest.raises(TimeLabelError) as err:
        label_times(["0min", "30min", "t60"])
    assert err.value.index == 2


def test_read_expression_converts_units_and_records_them(tmp_path: Path) -> None:
    f = tmp_path / "e.tsv"
    f.write_text("gene\t0h_rep1\t0h_rep2\t30min\t1h\nA\t1\t3\t5\t7\n")
    adata = read_expression(f)
    assert adata.obs["time"].tolist() == [0.0, 30.0, 60.0]
    assert adata.obs["n_replicates"].tolist() == [2, 1, 1]
    assert adata.X[:, 0].tolist() == [2.0, 5.0, 7.0]
    assert adata.uns["provenance"]["time_unit"] == "min"


def test_read_expression_names_the_label_without_a_unit(tmp_path: Path) -> None:
    f = tmp_path / "e.tsv"
    f.write_text("gene\t0min\t30min\tlate\nA\t1\t3\t5\n")
    with pytest.raises(InputError, match=r"e.tsv: line 1, column 4: expected a sample time.*late"):
        read_expression(f)


def test_step_raw_sample_names_give_the_step_reader_days(data_dir: Path) -> None:
    from hicexpr.io.step import read_step_mrna_raw

    path = data_dir / "step" / "raw" / "mRNA.txt"
    generic, step = read_expression(path), read_step_mrna_raw(path)
    assert generic.obs["time"].tolist() == step.obs["time"].tolist()
    assert generic.obs["n_replicates"].tolist() == step.obs["n_replicates"].tolist()


def _h5ad(path: Path, obs: dict, names: list[str]) -> Path:
    import anndata as ad
    import numpy as np
    import pandas as pd

    X = np.arange(len(names) * 2, dtype=float).reshape(len(names), 2)
    ad.AnnData(X=X, obs=pd.DataFrame(obs, index=names),
               var=pd.DataFrame(index=["g1", "g2"])).write_h5ad(path)
    return path


def test_h5ad_times_from_a_unit_named_obs_column_labels_or_obs_names(tmp_path: Path) -> None:
    hours = read_expression(_h5ad(tmp_path / "h.h5ad", {"hours": [2, 0, 1]}, ["a", "b", "c"]))
    assert hours.obs["time"].tolist() == [0.0, 1.0, 2.0]
    assert hours.uns["provenance"]["time_unit"] == "h"
    labels = read_expression(_h5ad(tmp_path / "l.h5ad", {"time": ["1h", "30min", "0min"]},
                                   ["a", "b", "c"]))
    assert labels.obs["time"].tolist() == [0.0, 30.0, 60.0]
    names = read_expression(_h5ad(tmp_path / "n.h5ad", {}, ["day2", "day0", "day1_rep2"]))
    assert names.obs["time"].tolist() == [0.0, 1.0, 2.0]


def test_h5ad_without_times_names_the_obs_name(tmp_path: Path) -> None:
    path = _h5ad(tmp_path / "x.h5ad", {"batch": ["x", "y"]}, ["AAAC", "day1"])
    with pytest.raises(InputError, match=r"x.h5ad: obs_names\[0\]: expected a sample time.*AAAC"):
        read_expression(path)


def test_accessions_are_not_times() -> None:
    for label in ("GSM1500014", "SRR8769554", "ENSG00000141510", "ENCFF001TDO"):
        assert parse_time_label(label) is None, label
    assert parse_time_label("elu0") == parse_time_label("alpha_0")  # Spellman's names still are


def test_a_dash_that_would_merge_time_points_is_a_minus_sign() -> None:
    days = [f"day{d}" if d >= 0 else f"day-{-d}" for d in range(-3, 4)]
    assert label_times(days) == ([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], "d")
    assert label_times(["day-1", "day-2", "day-3"]) == ([1.0, 2.0, 3.0], "d")  # a separator


def test_replicate_dashes_and_accessions_with_a_time() -> None:
    assert label_times(["0h", "0h-2", "1h", "1h-2"]) == ([0.0, 0.0, 1.0, 1.0], "h")
    assert parse_time_label("GSM1500014_10") == TimeLabel(10.0, None)  # a time after the id
